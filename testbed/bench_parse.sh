#!/usr/bin/env bash
# bench_parse.sh TESTBED — parse+plan time of generated topologies
# (make bench-parse).  Two shapes, each at 1000, 10000 and 100000 hosts:
#   range: one line `host app[1-N] eth0=access:auto,...`
#   lines: N separate `host appK ...` lines
# Each figure is the best of 3 runs of `testbed check --quiet` (wall time
# of the whole process: read, parse, plan, no printing), measured here.
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

best_ms() {
	local best=
	for _ in 1 2 3; do
		local t0 t1 ms
		t0=$(date +%s%N)
		"$tb" check "$1" --quiet >/dev/null
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	echo "$best"
}

echo "# testbed check --quiet, best of 3, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ) (machine shared with other jobs)"
printf '%-6s %8s %10s %12s %12s\n' shape hosts bytes "time_ms" "us_per_host"
for shape in range lines; do
	for n in 1000 10000 100000; do
		f=$dir/$shape-$n.topo
		gen_$shape "$n" >"$f"
		us=$(best_ms "$f")
		awk -v s="$shape" -v n="$n" -v b="$(stat -c %s "$f")" -v us="$us" \
			'BEGIN { printf "%-6s %8d %10d %12.1f %12.2f\n", s, n, b, us / 1000, us / n }'
	done
done
