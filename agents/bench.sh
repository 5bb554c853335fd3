#!/usr/bin/env bash
# agents/bench.sh — make bench-agents: memory per emulated appliance (pool
# and thread-per-appliance), and how many appliances one ispd serves, with
# the failure rate, on one network namespace's loopback.  Bounded: about
# 5 minutes.  Prints a markdown section for docs/benchmarks.md.
set -u
BIN=${BIN:-build/bin}
SIZES=${SIZES:-20000 50000 100000 200000}
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
echo "network namespace's loopback.  The machine (2 cores) was shared with other"
echo "helpers' builds and tests at the time: treat the figures as lower bounds."
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
echo "Duty cycle shortened so that a round fits in the bench: awake 2s, sleep"
echo "4s-8s, ispd --poll 1s --retry 300ms, round window 12s, one appliance"
echo "process (2 threads), one round, XOR auth."
echo
echo "| appliances | retrieved | failed | failure rate | round time (s) | ispd RSS (KiB) |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	d=$tmp/s$n
	mkdir -p "$d"
	"$BIN/agents-keygen" --devices "$n" --out "$d/k" >/dev/null
	"${X[@]}" "$BIN/centerd" --registry "$d/k/registry.csv" --listen 127.0.0.1:18000 --out "$d/out" \
		--rounds 1 --round-timeout 12s --start-timeout 60s >"$d/c.out" 2>"$d/c.log" &
	cp=$!; pids+=($cp)
	"${X[@]}" "$BIN/ispd" --keys "$d/k/isp-0.keys" --isp-id 0 --listen 127.0.0.1:18001 \
		--center 127.0.0.1:18000 --poll 1s --retry 300ms >"$d/i.out" 2>"$d/i.log" &
	ip=$!; pids+=($ip)
	"${X[@]}" "$BIN/appliance" --keys "$d/k/appliances-0.keys" --isp 127.0.0.1:18001 --threads 2 \
		--awake 2s --sleep 4s-8s --seed 1 >"$d/a.out" 2>"$d/a.log" &
	ap=$!; pids+=($ap)
	waitready "$d/i.out"
	rss=0
	while kill -0 $cp 2>/dev/null; do
		r=$(rss_kb $ip 2>/dev/null); [ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
		sleep 0.5
	done
	kill $ap 2>/dev/null; wait $ap 2>/dev/null; wait $ip 2>/dev/null; wait $cp 2>/dev/null
	if [ -f "$d/out/rounds.csv" ]; then
		awk -F, -v n=$n -v rss=$rss 'NR == 2 { printf "| %d | %d | %d | %.4f%% | %.1f | %d |\n", n, $3, $4, 100 * $4 / $2, $9, rss }' "$d/out/rounds.csv"
	else
		echo "| $n | run failed: $(tail -n 1 "$d/c.log") | | | | |"
	fi
	rm -rf "$d"
done
echo
echo "Command: \`make bench-agents BUILD=...\` (SIZES=\"...\" to change the ISP sizes)."
