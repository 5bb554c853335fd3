#!/usr/bin/env bash
# bench/experiment.sh — paper 004's figures with `testbed run` and `testbed
# sweep` on topologies/home-appliance.topo (`make bench-experiment`, issue 6):
#
#   1. table 5 in shape: 16 appliance hosts x 200 appliances = 3,200, the
#      paper's 10 ms delay (and 0.1% loss on the access side), one run per
#      kind of appliance host (uml; qemu: its servers stay uml, a QEMU guest
#      cannot write results back): failures, round time, retrieved;
#   2. failure rate against host count: `testbed sweep hosts=...` with UML
#      hosts, the plot copied to docs/experiment-sweep.svg/.png.
#
# Output: $OUT/table5.md, $OUT/sweep.md and the runs themselves under $OUT
# (default $TB_BUILD/bench-experiment); with BENCH_EXP_DOCS=1 both tables
# replace what is between the markers in docs/benchmarks.md.
#
# Environment:
#   TB_BUILD              build tree (default build), with images
#   BENCH_EXP_KINDS       appliance host kinds of table 5 (default "uml qemu")
#   BENCH_EXP_ROUNDS      rounds per table-5 run (default 2)
#   BENCH_EXP_SWEEP       host counts per ISP server (default "1,2,4,8": 2 to 16 hosts)
#   BENCH_EXP_REPEAT      repeats per sweep value (default 2)
#   BENCH_EXP_PER_HOST    appliances per host in the sweep (default 200)
#   BENCH_EXP_ARGS        more NAME=VALUE settings for every run (e.g. a short
#                         duty cycle for a smoke test: "awake=1s sleep=2s-3s window=10s")
#   BENCH_EXP_DOCS        1: write the tables into docs/benchmarks.md
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TB=$BUILD/bin/testbed
export TB_IMAGES=$BUILD/images
OUT=${BENCH_EXP_OUT:-$BUILD/bench-experiment}
KINDS=${BENCH_EXP_KINDS:-uml qemu}
ROUNDS=${BENCH_EXP_ROUNDS:-2}
SWEEP=${BENCH_EXP_SWEEP:-1,2,4,8}
REPEAT=${BENCH_EXP_REPEAT:-2}
PER_HOST=${BENCH_EXP_PER_HOST:-200}
read -r -a ARGS <<<"${BENCH_EXP_ARGS:-}"
TOPO=$ROOT/topologies/home-appliance.topo
DOC=$ROOT/docs/benchmarks.md

log() { echo "bench-experiment: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root"; exit 1; }
[ -x "$TB" ] || { log "no $TB: make first"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"

# --- 1. table 5
{
	echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on $machine with \`make bench-experiment\`"
	echo "(bench/experiment.sh: \`testbed run topologies/home-appliance.topo hosts=8 per_host=200 kind=KIND ${ARGS[*]} --rounds $ROUNDS\`):"
	echo
	echo "| appliance hosts | appliances | rounds | retrieved per round (max) | failed (all rounds) | failure rate, 95% interval | round time mean / max (s) | up (s) | load before |"
	echo "|---|---:|---:|---:|---:|---|---|---:|---:|"
} >"$OUT/table5.md"
for kind in $KINDS; do
	load=$(cut -d' ' -f1 /proc/loadavg)
	log "table 5: $kind"
	"$TB" run "$TOPO" hosts=8 per_host=200 kind="$kind" "${ARGS[@]}" --rounds "$ROUNDS" --results "$OUT/table5-$kind" \
		>"$OUT/table5-$kind.out" 2>&1
	rc=$?
	python3 - "$OUT/table5-$kind" "$kind" "$load" "$rc" >>"$OUT/table5.md" <<'PY'
import json, math, sys
d, kind, load, rc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    s = json.load(open(d + "/summary.json"))
    run = json.load(open(d + "/run.json"))
except (OSError, ValueError):
    print(f"| 16 x {kind} | 3200 | - | - | - | run failed (exit {rc}), see {d} | - | - | {load} |")
    sys.exit(0)
t, r = s["total"], s["rounds"]
n, f = t["asked"], t["failed"]
z = 1.959963984540054
p = f / n if n else 0
c = (p + z * z / (2 * n)) / (1 + z * z / n)
h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
print(f"| 16 x {kind} | {n // len(r)} | {len(r)} | {t['max_retrieved']} | {f} "
      f"(no answer {t['no_answer']}, auth {t['auth_failed']}, lost {t['lost']}) | "
      f"{100 * p:.3f}% ({100 * max(0, c - h):.3f}-{100 * min(1, c + h):.3f}%) | "
      f"{t['time_s_mean']:.1f} / {t['time_s_max']:.1f} | {run['up_s']:.1f} | {load} |")
PY
done

# --- 2. the sweep
load=$(cut -d' ' -f1 /proc/loadavg)
log "sweep hosts=$SWEEP x $REPEAT"
"$TB" sweep "$TOPO" hosts="$SWEEP" per_host="$PER_HOST" "${ARGS[@]}" --repeat "$REPEAT" --out "$OUT/sweep" >"$OUT/sweep.out" 2>&1
rc=$?
{
	echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC on $machine, load average before $load, with \`make bench-experiment\`"
	echo "(\`testbed sweep topologies/home-appliance.topo hosts=$SWEEP per_host=$PER_HOST ${ARGS[*]} --repeat $REPEAT\`; exit $rc):"
	echo
	echo "| hosts per ISP (appliance hosts) | appliances asked (all repeats) | failed | failure rate, 95% interval | mean round time (s) | runs done |"
	echo "|---|---:|---:|---|---:|---:|"
	awk -F'\t' '{printf "| %s (%d) | %d | %d | %.3f%% (%.3f-%.3f%%) | %.1f | %d |\n", $1, 2 * $1, $2, $3, 100 * $4, 100 * $5, 100 * $6, $7, $8}' \
		"$OUT/sweep/plot.dat" 2>/dev/null
	echo
	echo "![failure rate and round time against host count](experiment-sweep.svg)"
} >"$OUT/sweep.md"
for ext in svg png; do
	[ -s "$OUT/sweep/failure-rate.$ext" ] && cp "$OUT/sweep/failure-rate.$ext" "$ROOT/docs/experiment-sweep.$ext"
done
cat "$OUT/table5.md"
echo
cat "$OUT/sweep.md"

if [ "${BENCH_EXP_DOCS:-0}" = 1 ] && grep -q '<!-- bench-experiment table5 -->' "$DOC"; then
	for part in table5 sweep; do
		awk -v md="$OUT/$part.md" -v start="<!-- bench-experiment $part -->" -v end="<!-- bench-experiment $part end -->" '
			index($0, start) == 1 { print; while ((getline l < md) > 0) print l; skip = 1; next }
			index($0, end) == 1 { skip = 0 }
			!skip' "$DOC" >"$DOC.new" && mv "$DOC.new" "$DOC"
	done
	log "tables written into $DOC"
fi
