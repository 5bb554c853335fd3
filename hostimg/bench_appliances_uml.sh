#!/usr/bin/env bash
# bench_appliances_uml.sh BUILD — `make bench-appliances-uml`: how many
# emulated appliances one UML guest holds (issue 6; paper 004: 211 appliance
# threads per UML guest at 32 MB).
#
# One UML guest (mem=$MEM, default the UML default 48M) and, on the same VDE
# segment, the bench's own namespace with a tap (vde_plug2tap) where centerd
# and one ispd run.  For each COUNT in COUNTS the guest runs `appliance
# --count COUNT` (keys from agents-keygen, copied to the guest's host
# directory, which it sees at /host) for one collection round with the
# paper's duty cycle (awake 5s, asleep 30s-60s, round window 70s).  Reported
# per count: retrieved / failed of the round, the failure rate, the round
# time, the guest's PSS on the host (largest seen during the round), the
# guest's MemFree and the appliance process's RSS inside the guest (read
# halfway through the round), and the load average.
#
# MODE=pool (default: one process, --threads 1, state machines on a timing
# wheel) or MODE=thread (--thread-per-appliance: the paper's model).
# About 2 minutes per count.  Everything runs in a namespace of its own and
# is removed at the end (also on ^C).
set -u
build=${1:?usage: bench_appliances_uml.sh BUILD}
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=$root/$build/bin
TB=$BIN/testbed
export TB_IMAGES=$root/$build/images
COUNTS=${COUNTS:-1000 10000 50000 100000 200000}
MODE=${MODE:-pool}
MEM=${MEM:-48M}
name=tbumlap$$
work=$(mktemp -d /tmp/tbumlap.XXXXXX)
sw=$work/sw
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -d "/run/testbed/$name/hosts/g1" ] && "$TB" guest stop "$name" g1 --timeout 5s >/dev/null
	[ -f "$work/sw.pid" ] && kill "$(cat "$work/sw.pid")" 2>/dev/null
	ip netns del "$name" 2>/dev/null
	rm -rf "$work" "/run/testbed/$name"
	rmdir /run/testbed 2>/dev/null
}
trap cleanup EXIT
trap "exit 130" INT TERM

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	local end=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

X=(ip netns exec "$name")
ip netns add "$name" || exit 1
"${X[@]}" vde_switch -d -s "$sw" -p "$work/sw.pid" -n 16 || exit 1
wait_for 5 test -S "$sw/ctl" || { echo "vde_switch did not start" >&2; exit 1; }
"${X[@]}" vde_plug2tap -s "$sw" tbap0 2>"$work/plug.log" &
pids+=($!)
wait_for 5 ip -n "$name" link show tbap0 >/dev/null 2>&1 || { echo "vde_plug2tap: $(cat "$work/plug.log")" >&2; exit 1; }
ip -n "$name" addr add 10.77.0.1/24 dev tbap0
ip -n "$name" link set tbap0 up
ip -n "$name" link set lo up

printf 'host g1\nkind uml\nmem %s\nnic eth0 %s\naddr eth0 10.77.0.2/24\n' "$MEM" "$sw" > "$work/g1.host"
"$TB" guest start "$name" "$work/g1.host" --netns "$name" >/dev/null || exit 1
hostdir=/run/testbed/$name/hosts/g1
gexec() { "$TB" exec "$name" g1 -- "$@"; }
pss_kib() { "$TB" guest status "$name" g1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pss_bytes"] // 1024)'; }
idle_pss=$(pss_kib)
idle_free=$(gexec cat /proc/meminfo | awk '/^MemFree/ {print $2}')

marg=--threads=1
[ "$MODE" = thread ] && marg=--thread-per-appliance

echo "# bench-appliances-uml: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# one UML guest, mem=$MEM, mode $MODE; idle: PSS ${idle_pss} KiB, guest MemFree ${idle_free} KiB"
printf '%-8s %-6s %10s %9s %7s %8s %8s %10s %12s %12s %4s %8s\n' count mode registered retrieved failed fail_pct round_s pss_KiB guest_free_KiB appl_rss_KiB oom load1
for n in $COUNTS; do
	d=$work/run$n
	mkdir -p "$d"
	rm -rf "$hostdir/k"
	"$BIN/agents-keygen" --devices "$n" --out "$hostdir/k" >/dev/null || { echo "$n: agents-keygen failed" >&2; continue; }
	"${X[@]}" "$BIN/centerd" --registry "$hostdir/k/registry.csv" --listen 10.77.0.1:18000 --out "$d/out" \
		--rounds 1 --round-timeout 70s --start-timeout 120s >"$d/c.out" 2>"$d/c.log" &
	cp=$!; pids+=($cp)
	"${X[@]}" "$BIN/ispd" --keys "$hostdir/k/isp-0.keys" --isp-id 0 --listen 10.77.0.1:18001 \
		--center 10.77.0.1:18000 --poll 2500ms --retry 300ms >"$d/i.out" 2>"$d/i.log" &
	ip=$!; pids+=($ip)
	wait_for 30 grep -q '^ready' "$d/i.out" || { echo "$n: ispd did not start: $(tail -n 2 "$d/i.log")" >&2; kill $cp $ip; continue; }
	"$TB" exec "$name" g1 -- appliance --keys /host/k/appliances-0.keys --isp 10.77.0.1:18001 $marg \
		--awake 5s --sleep 30s-60s --seed 1 >"$d/a.out" 2>"$d/a.log" &
	ap=$!; pids+=($ap)
	# sample while the round runs: largest PSS; guest memory once the
	# appliances have registered and the round is under way
	# (centerd logs registered= when the round starts)
	pss=0 free=- arss=- t_reg=0 sampled=0
	while kill -0 $cp 2>/dev/null; do
		p=$(pss_kib 2>/dev/null) && [ "${p:-0}" -gt "$pss" ] && pss=$p
		[ $t_reg = 0 ] && grep -q 'registered=' "$d/c.log" && t_reg=$(date +%s)
		if [ $sampled = 0 ] && [ $t_reg != 0 ] && [ $(($(date +%s) - t_reg)) -ge 35 ]; then
			free=$(gexec cat /proc/meminfo | awk '/^MemFree/ {print $2}')
			arss=$(gexec sh -c 'for p in $(pidof appliance); do awk "/^VmRSS/ {print \$2}" /proc/$p/status; done' | head -1)
			sampled=1
		fi
		sleep 1
	done
	kill $ap 2>/dev/null; wait $ap 2>/dev/null
	wait $ip 2>/dev/null; wait $cp 2>/dev/null
	# the exec's end kills the appliance in the guest: wait until it is gone
	wait_for 10 sh -c '! "$0" exec "$1" g1 -- pidof appliance >/dev/null' "$TB" "$name" ||
		echo "$n: appliance still running in the guest" >&2
	# the guest kernel's OOM killer so far (cumulative over the counts)
	oom=$(gexec dmesg | grep -c 'Out of memory')
	load=$(cut -d' ' -f1 /proc/loadavg)
	reg=$(sed -n 's/.* registered=\([0-9]*\).*/\1/p' "$d/c.log" | head -1)
	if [ -f "$d/out/rounds.csv" ] && [ "$(wc -l < "$d/out/rounds.csv")" -ge 2 ]; then
		awk -F, -v n=$n -v m=$MODE -v pss=$pss -v fr="$free" -v ar="$arss" -v la="$load" -v reg="${reg:--}" -v oom="$oom" \
			'NR == 2 { printf "%-8d %-6s %10s %9d %7d %7.3f%% %8.1f %10d %12s %12s %4s %8s\n", n, m, reg, $3, $4, 100 * $4 / $2, $9, pss, fr, ar, oom, la }' \
			"$d/out/rounds.csv"
	else
		printf '%-8d %-6s run failed: centerd: %s; appliance: %s\n' "$n" "$MODE" \
			"$(tail -n 1 "$d/c.log")" "$(tail -n 1 "$d/a.log")"
	fi
	# why an appliance process ended early, if it did
	grep -qv '^ready\|^$' "$d/a.log" 2>/dev/null && [ "${arss:--}" = - ] &&
		echo "#   $n: appliance: $(tail -n 1 "$d/a.log")"
	rm -rf "$hostdir/k"
done
echo "# command: COUNTS=\"$COUNTS\" MODE=$MODE MEM=$MEM make bench-appliances-uml BUILD=$build"
