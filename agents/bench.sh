#!/usr/bin/env bash
# agents/bench.sh — make bench-agents: memory per emulated appliance (pool
# and thread-per-appliance), and how many appliances one ispd serves, with
# the failure rate, on one network namespace's loopback.  Bounded: about
# 8 minutes.  Prints a markdown section for docs/benchmarks.md.
set -u
BIN=${BIN:-build/bin}
SIZES=${SIZES:-50000 200000}
ns=tbagb$$
tmp=$(mktemp -d /tmp/tbagbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; ip netns del "$ns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
X=(ip netns exec "$ns")
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
waitready() { local i; for i in $(seq 1 600); do grep -q '^ready' "$1" && return 0; sleep 0.1; done; return 1; }

# RSS of an appliance process emulating N devices (its ISP absent: it keeps
# registering, which costs nothing in memory)
appl_rss() {
	local n=$1 mode=$2
	"$BIN/agents-keygen" --devices "$n" --out "$tmp/k$n" >/dev/null
	"${X[@]}" "$BIN/appliance" --keys "$tmp/k$n/appliances-0.keys" --isp 127.0.0.1:9 --threads 2 $mode \
		>"$tmp/a.out" 2>"$tmp/a.log" &
	local p=$!
	pids+=($p)
	waitready "$tmp/a.out" || { echo "appliance $n $mode did not start: $(cat "$tmp/a.log")" >&2; return 1; }
	sleep 2   # let every thread run and touch its memory
	rss_kb $p
	kill $p; wait $p 2>/dev/null
	rm -rf "$tmp/k$n"
}

echo "## Appliance agents"
echo
echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) by \`make bench-agents\` (agents/bench.sh) on one"
echo "network namespace's loopback, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "(2 cores; a busy machine makes failures appear: see the tables' last column)."
echo
echo "### Memory per emulated appliance (RSS of one appliance process)"
echo
echo "| mode | appliances | RSS (KiB) | bytes per appliance (vs 1) |"
echo "|---|---:|---:|---:|"
base=$(appl_rss 1 "")
for n in 10000 100000; do
	r=$(appl_rss $n "") || continue
	echo "| pool, 2 threads | $n | $r | $(( (r - base) * 1024 / n )) |"
done
tbase=$(appl_rss 1 --thread-per-appliance)
for n in 1000 5000; do
	r=$(appl_rss $n --thread-per-appliance) || continue
	echo "| thread per appliance | $n | $r | $(( (r - tbase) * 1024 / n )) |"
done
echo
echo "### Appliances served by one ispd (no impairment)"
echo
echo "One centerd, one ispd, one appliance process (2 pool threads unless"
echo "said), all on the same 2 cores, one round.  The paper's duty cycle:"
echo "awake 5s, asleep 30s-60s, ispd --poll 2500ms --retry 300ms, round window 70s."
echo "CPU is user+system seconds over the whole run (registration included);"
echo "the load average, read at the end of each run, shows how busy the"
echo "machine was (2 cores: anything above 2 means waiting for a CPU)."
echo
echo "| appliances | mode | auth | retrieved | failed | failure rate | round time (s) | ispd RSS (KiB) | ispd CPU (s) | appliance CPU (s) | load avg (1 min) |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null; }
# isp_run N MODE AUTH AWAKE SLEEP POLL WINDOW
isp_run() {
	local n=$1 mode=$2 auth=$3 awake=$4 sleep_=$5 poll=$6 win=$7 d=$tmp/s$1
	local marg=""
	[ "$mode" = thread-per-appliance ] && marg=--thread-per-appliance
	mkdir -p "$d"
	"$BIN/agents-keygen" --devices "$n" --out "$d/k" >/dev/null
	"${X[@]}" "$BIN/centerd" --registry "$d/k/registry.csv" --listen 127.0.0.1:18000 --out "$d/out" \
		--rounds 1 --round-timeout "$win" --start-timeout 120s >"$d/c.out" 2>"$d/c.log" &
	local cp=$!; pids+=($cp)
	"${X[@]}" "$BIN/ispd" --keys "$d/k/isp-0.keys" --isp-id 0 --listen 127.0.0.1:18001 \
		--center 127.0.0.1:18000 --poll "$poll" --retry 300ms --auth "$auth" >"$d/i.out" 2>"$d/i.log" &
	local ip=$!; pids+=($ip)
	"${X[@]}" "$BIN/appliance" --keys "$d/k/appliances-0.keys" --isp 127.0.0.1:18001 --threads 2 $marg \
		--awake "$awake" --sleep "$sleep_" --seed 1 --auth "$auth" >"$d/a.out" 2>"$d/a.log" &
	local ap=$!; pids+=($ap)
	waitready "$d/i.out"
	local rss=0 icpu=0 acpu=0 r c
	while kill -0 $cp 2>/dev/null; do
		r=$(rss_kb $ip 2>/dev/null); [ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
		c=$(cpu_s $ip); [ -n "$c" ] && icpu=$c
		c=$(cpu_s $ap); [ -n "$c" ] && acpu=$c
		sleep 0.5
	done
	kill $ap 2>/dev/null; wait $ap 2>/dev/null; wait $ip 2>/dev/null; wait $cp 2>/dev/null
	if [ -f "$d/out/rounds.csv" ]; then
		awk -F, -v n=$n -v m="$mode" -v a="$auth" -v rss=$rss -v ic=$icpu -v ac=$acpu -v la="$(cut -d' ' -f1 /proc/loadavg)" \
			'NR == 2 { printf "| %d | %s | %s | %d | %d | %.4f%% | %.1f | %d | %s | %s | %s |\n", n, m, a, $3, $4, 100 * $4 / $2, $9, rss, ic, ac, la }' "$d/out/rounds.csv"
	else
		echo "| $n | $mode | $auth | run failed: $(tail -n 1 "$d/c.log") | | | | | | | |"
	fi
	rm -rf "$d"
}
for n in $SIZES; do
	isp_run "$n" pool xor 5s 30s-60s 2500ms 70s
done
isp_run 200000 pool hmac 5s 30s-60s 2500ms 70s
echo
echo "Shortened duty cycle (awake 2s, asleep 4s-8s, --poll 1s, window 12s),"
echo "which needs 2.5 times the challenge rate, and the paper's thread-per-appliance model:"
echo
echo "| appliances | mode | auth | retrieved | failed | failure rate | round time (s) | ispd RSS (KiB) | ispd CPU (s) | appliance CPU (s) | load avg (1 min) |"
echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in 50000 100000 200000; do
	isp_run "$n" pool xor 2s 4s-8s 1s 12s
done
isp_run 5000 thread-per-appliance xor 2s 4s-8s 1s 12s
echo
echo "Command: \`make bench-agents BUILD=...\` (SIZES=\"...\" to change the ISP sizes)."
