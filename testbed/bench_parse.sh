#!/usr/bin/env bash
# bench_parse.sh TESTBED — parse+plan time of generated topologies
# (make bench-parse).  Two shapes, each at 1000, 10000 and 100000 hosts:
#   range: one line `host app[1-N] eth0=access:auto,...`
#   lines: N separate `host appK ...` lines
# Each figure is the best of 5 runs of `testbed check --quiet`: the time
# it reports for reading, parsing and planning (in-process, monotonic
# clock; no printing, no process start-up), and the whole process's wall
# time beside it.
set -eu
tb=${1:-build/bin/testbed}
dir=$(mktemp -d /tmp/bench-parse.XXXXXX)
trap 'rm -rf "$dir"' EXIT

header() {
	cat <<'H'
testbed bench
defaults kind=uml mem=48M
segment core   subnet=10.0.0.0/24  subnet6=fd00:0::/64
segment access subnet=10.64.0.0/10 subnet6=fd00:1::/64
host router kind=netns forward=yes eth0=core:10.0.0.1 eth1=access:10.64.0.1,delay=10ms
host center eth0=core:10.0.0.10 run="centerd --listen 10.0.0.10:7100"
H
}

gen_range() {
	header
	echo "host app[1-$1] eth0=access:auto,delay=5ms,loss=1% run=\"appliance --isp 10.64.0.1:7000 --awake 5s --sleep 30s-60s\""
}

gen_lines() {
	header
	for ((i = 1; i <= $1; i++)); do
		echo "host app$i eth0=access:auto,delay=5ms,loss=1% run=\"appliance --isp 10.64.0.1:7000 --awake 5s --sleep 30s-60s\""
	done
}

# best_of5 FILE: prints "PLAN_US WALL_US", each the best of 5 runs
best_of5() {
	local best_plan= best_wall=
	for _ in 1 2 3 4 5; do
		local t0 t1 wall out plan
		t0=$(date +%s%N)
		out=$("$tb" check "$1" --quiet)
		t1=$(date +%s%N)
		wall=$(( (t1 - t0) / 1000 ))
		plan=$(sed -n 's/.*read+parse+plan \([0-9.]*\) ms.*/\1/p' <<<"$out" | awk '{ printf "%d", $1 * 1000 }')
		if [ -z "$best_plan" ] || [ "$plan" -lt "$best_plan" ]; then best_plan=$plan; fi
		if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; fi
	done
	echo "$best_plan $best_wall"
}

echo "# testbed check --quiet, best of 5, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ) (machine shared with other jobs)"
printf '%-6s %8s %10s %10s %12s %10s\n' shape hosts bytes plan_ms us_per_host wall_ms
for shape in range lines; do
	for n in 1000 10000 100000; do
		f=$dir/$shape-$n.topo
		gen_$shape "$n" >"$f"
		read -r us wall < <(best_of5 "$f")
		awk -v s="$shape" -v n="$n" -v b="$(stat -c %s "$f")" -v us="$us" -v w="$wall" \
			'BEGIN { printf "%-6s %8d %10d %10.1f %12.2f %10.1f\n", s, n, b, us / 1000, us / n, w / 1000 }'
	done
done
