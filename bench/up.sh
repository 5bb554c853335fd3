#!/usr/bin/env bash
# bench/up.sh — the boot storm (`make bench-up`, issue 5; source paper 002).
#
# For each guest kind and each N it writes a topology of N hosts on one
# segment, runs `testbed up` on it and measures
#   - all READY: from the start of `testbed up` to its progress line saying
#     the last host is READY, and up returned: until the command ended (it
#     reads every host's status for its summary first),
#   - per-guest boot time min/median/max (boot_ns of `testbed status --json`),
#   - peak memory: MemAvailable sampled every 0.5 s while up runs (and while
#     status is read); the figure is the largest drop below the value before
#     up, so it counts everything the storm cost the machine (guests,
#     monitors, switches, page cache of the images), not only guest PSS,
# then runs `testbed down`, times it and checks that nothing is left: the
# testbed's namespace, its state directory, processes naming it.
#
# A kind stops growing when one N fails, or `testbed up` runs past the cap
# (it is then killed and the testbed taken down), or the memory the last N
# used, scaled to the next N, would not fit in MemAvailable.  The sizes after
# the required ones ("extra") run only while the previous N was quick.
# Every stop is printed and written to the table with its reason.
#
# Output: $OUT/results.csv and $OUT/table.md (OUT defaults to
# $TB_BUILD/bench-up), and a gnuplot plot of time-until-all-READY and median
# boot time against N per kind, $PLOT.svg (+ $PLOT.png when gnuplot has
# pngcairo); PLOT defaults to docs/boot-storm.  With BENCH_UP_DOCS=1 the table
# between the markers in docs/boot-storm.md is replaced by this run's.
#
# Environment:
#   TB_BUILD          build tree (default build); images must be built there
#   BENCH_UP_KINDS    kinds to run, default "netns uml qemu"
#   BENCH_UP_MAX      largest N to try for any kind (default: no limit)
#   BENCH_UP_N_<kind> override the sizes of one kind, e.g. BENCH_UP_N_uml="8 16"
#   BENCH_UP_JOBS     passed to `testbed up -j` (default: testbed's own choice)
#   BENCH_UP_CAP      seconds one `testbed up` may take (default 240)
#   BENCH_UP_CHEAP    extra sizes run only if the previous N took less than
#                     this many seconds (default 60)
#   BENCH_UP_UML_MEM  mem= of the UML hosts (default 48M; QEMU hosts get
#                     the kind's default, netns hosts have none)
#   BENCH_UP_OUT, BENCH_UP_PLOT, BENCH_UP_DOCS   see above
#   BENCH_UP_PREFIX   start of the testbeds' names (default tbbu): lets
#                     parallel runs keep apart, and the leftover checks see
#                     anything whose name starts with tb
# Arguments: `-j N` is the same as BENCH_UP_JOBS=N.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TB_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
TB=$BUILD/bin/testbed
export TB_IMAGES=$BUILD/images
KINDS=${BENCH_UP_KINDS:-netns uml qemu}
MAX=${BENCH_UP_MAX:-0}
CAP=${BENCH_UP_CAP:-240}
CHEAP=${BENCH_UP_CHEAP:-60}
JOBS=${BENCH_UP_JOBS:-}
OUT=${BENCH_UP_OUT:-$BUILD/bench-up}
PLOT=${BENCH_UP_PLOT:-$ROOT/docs/boot-storm}
DOCS=${BENCH_UP_DOCS:-0}
UML_MEM=${BENCH_UP_UML_MEM:-48M}
PREFIX=${BENCH_UP_PREFIX:-tbbu}
DOC=$ROOT/docs/boot-storm.md

while [ $# -gt 0 ]; do
	case $1 in
	-j) JOBS=${2:?-j needs a number}; shift 2 ;;
	*) echo "usage: bench/up.sh [-j JOBS]   (options in the environment: see the header)" >&2; exit 2 ;;
	esac
done

# required sizes, then extra sizes tried only while cheap (see header)
declare -A REQ=([netns]="8 16 32 64 128 256 512 1000" [uml]="8 16 32 64 128 256" [qemu]="8 16")
declare -A EXTRA=([netns]="2000 4000" [uml]="512 1000" [qemu]="")

log() { echo "bench-up: $*" >&2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

[ "$(id -u)" -eq 0 ] || { log "needs root (testbed up creates namespaces)"; exit 1; }
[ -x "$TB" ] || { log "$TB is missing: make programs BUILD=..."; exit 1; }
for v in "$MAX" "$CAP" "$CHEAP" ${JOBS:+"$JOBS"}; do
	is_uint "$v" || { log "'$v' is not a number (BENCH_UP_MAX, _CAP, _CHEAP, _JOBS, -j)"; exit 2; }
done
for k in $KINDS; do
	case $k in netns|uml|qemu) ;; *) log "unknown kind '$k' (netns uml qemu)"; exit 2 ;; esac
	[ "$k" = netns ] || [ -d "$TB_IMAGES/root" ] ||
		{ log "no guest images in $TB_IMAGES: make images BUILD=..."; exit 1; }
done

# a random id: testbed names are machine-wide, and PIDs may repeat across
# PID namespaces (other users of the machine running this same script)
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
WORK=$(mktemp -d /tmp/tbbenchup.XXXXXX)
CUR=""          # the testbed that is up (or half up) right now
SAMPLER=""

mem_avail_kb() {
	local k v _
	while read -r k v _; do
		[ "$k" = MemAvailable: ] && { echo "$v"; return; }
	done </proc/meminfo
}

# sampler FILE: keep the lowest MemAvailable (kB) seen in FILE, every 0.5 s
# (a sampling period, not a wait for a condition)
sampler() {
	local min v
	min=$(mem_avail_kb)
	echo "$min" >"$1"
	while :; do
		v=$(mem_avail_kb)
		if [ "$v" -lt "$min" ]; then min=$v; echo "$min" >"$1"; fi
		sleep 0.5
	done
}

stop_sampler() {
	[ -n "$SAMPLER" ] || return 0
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	SAMPLER=""
}

# write_report: table, plot and docs from the CSV so far (also after ^C, so
# that an interrupted run still shows what it measured)
REPORTED=0
write_report() {
	[ "$REPORTED" = 0 ] && [ -s "${CSV:-}" ] || return 0
	REPORTED=1
	# ---- table ------------------------------------------------------------------
	{
		echo "Measured $START_DATE on $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576 + 0.5}' /proc/meminfo)," \
			"load average at the start $START_LOAD (the machine may be shared), with" \
			"\`$CMDLINE\`$JNOTE:"
		echo
		echo "| kind | N | -j | result | all READY (s) | up returned (s) | boot min / median / max (s) | ready | peak memory (MiB) | guest PSS (MiB) | down (s) | left after down | load before |"
		echo "|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---|---:|"
		tail -n +2 "$CSV" | awk -F, '{ printf "| %s | %s | %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $15, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }'
		if [ ${#NOTES[@]} -gt 0 ]; then
			echo
			for x in "${NOTES[@]}"; do echo "- $x"; done
		fi
	} >"$MD"
	cat "$MD"

	# ---- plot -------------------------------------------------------------------
	if command -v gnuplot >/dev/null; then
		plots_up="" plots_med=""
		for kind in $KINDS; do
			awk -F, -v k="$kind" 'NR > 1 && $1 == k && $15 != "nan" { print $2, $15, $7 }' "$CSV" >"$WORK/plot-$kind.dat"
			[ -s "$WORK/plot-$kind.dat" ] || continue
			plots_up+="'$WORK/plot-$kind.dat' using 1:2 with linespoints title '$kind', "
			plots_med+="'$WORK/plot-$kind.dat' using 1:3 with linespoints title '$kind', "
		done
		if [ -n "$plots_up" ]; then
			mkdir -p "$(dirname "$PLOT")"
			# ranges that hold the data and the reference marks (goals at
			# N=128 and 1000, 20-25 s; the paper's 22-27 s)
			xr=$(cat "$WORK"/plot-*.dat | awk 'BEGIN { lo = 128; hi = 1000 }
				{ if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 } END { print lo / 1.5 ":" hi * 1.5 }')
			yr_up=$(cat "$WORK"/plot-*.dat | awk 'BEGIN { lo = 20; hi = 25 }
				$2 > 0 { if ($2 < lo) lo = $2; if ($2 > hi) hi = $2 } END { print lo / 2 ":" hi * 2 }')
			yr_med=$(cat "$WORK"/plot-*.dat | awk 'BEGIN { lo = 22; hi = 27 }
				$3 > 0 { if ($3 < lo) lo = $3; if ($3 > hi) hi = $3 } END { print lo / 2 ":" hi * 2 }')
			cat >"$WORK/plot.gp" <<-EOF
				set datafile missing 'nan'
				set logscale xy
				set grid
				set key top left
				set xlabel 'N hosts started at once'
				set ylabel 'seconds'
				set xrange [$xr]
				set key box opaque
				set multiplot layout 1,2 title "boot storm, $(nproc) cores, $START_DATE (make bench-up)"
				set title 'time until all READY'
				set yrange [$yr_up]
				# the issue's goals, as points to be under
				set label 1 'goal: 128 UML' at 128,25 point pt 6 ps 1.5 offset -5,1.2
				set label 2 'goal: 1000 netns' at 1000,20 point pt 6 ps 1.5 offset -10,-1.2
				plot ${plots_up%, }
				unset label 1
				unset label 2
				set title 'median boot time per guest'
				set yrange [$yr_med]
				set key bottom right
				# paper 002, Alpine Linux on QEMU+KVM, 16 cores: 22.4-26.6 s
				plot ${plots_med%, }, 22.441 with lines dt 2 lc rgb 'gray' title 'paper 002 Linux, shortest', 26.596 with lines dt 3 lc rgb 'gray' title 'paper 002 Linux, longest'
				unset multiplot
			EOF
			{ echo "set terminal svg size 1000,450 dynamic font 'sans,11'"; echo "set output '$PLOT.svg'"; cat "$WORK/plot.gp"; } |
				gnuplot 2>>"$WORK/gnuplot.err" && log "plot: $PLOT.svg" || cat "$WORK/gnuplot.err" >&2
			if gnuplot -e 'set terminal' 2>&1 | grep -qw pngcairo; then
				{ echo "set terminal pngcairo size 1000,450 font 'sans,10'"; echo "set output '$PLOT.png'"; cat "$WORK/plot.gp"; } |
					gnuplot 2>>"$WORK/gnuplot.err" && log "plot: $PLOT.png" || cat "$WORK/gnuplot.err" >&2
			fi
		fi
	fi

	# ---- docs -------------------------------------------------------------------
	if [ "$DOCS" = 1 ] && [ -f "$DOC" ] && grep -q '<!-- bench-up table -->' "$DOC"; then
		awk -v md="$MD" '
			/<!-- bench-up table -->/ { print; while ((getline l < md) > 0) print l; skip = 1; next }
			/<!-- bench-up table end -->/ { skip = 0 }
			!skip' "$DOC" >"$WORK/doc" && cat "$WORK/doc" >"$DOC" && log "table written to $DOC"
	fi
	log "results: $CSV, $MD"
}

cleanup() {
	stop_sampler
	[ -n "$CUR" ] && "$TB" down "$CUR" >/dev/null 2>&1
	write_report
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'NOTES+=("interrupted: the sizes after the last row were not run"); exit 130' INT TERM

# topo KIND N FILE NAME: N hosts of KIND on one segment big enough for them
topo() {
	local kind=$1 n=$2 f=$3 name=$4 attrs
	case $kind in
	uml) attrs="kind=uml mem=$UML_MEM" ;;
	qemu) attrs="kind=qemu" ;;   # its default mem: the cloud kernel needs >= 72M
	netns) attrs="kind=netns" ;;
	esac
	{
		echo "# boot storm: $n $kind hosts at once (bench/up.sh)"
		echo "testbed $name"
		echo "param n=$n"
		echo "segment lan subnet=10.64.0.0/10"
		echo "host h[1-\${n}] $attrs eth0=lan:auto"
	} >"$f"
}

# recorded_pids NAME: "PID STARTTIME" of every process the testbed recorded
# (state dir objects files), read before down so that after it we can check
# that each one is gone (the start time tells a reused PID apart)
recorded_pids() {
	cat "/run/testbed/$1/objects" "/run/testbed/$1"/hosts/*/objects 2>/dev/null |
		awk '$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { print $2, $3 }'
}

# leftovers NAME PIDFILE: what of testbed NAME is still on the machine:
# its namespaces (tb-NAME, tb-NAME-HOST), its state directory, the recorded
# processes still alive, processes naming its state directory (empty: nothing)
leftovers() {
	local name=$1 left="" n pid st now
	n=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -cE "^tb-$name(-|\$)")
	[ "$n" -gt 0 ] && left+="$n namespaces; "
	[ -e "/run/testbed/$name" ] && left+="/run/testbed/$name; "
	n=0
	while read -r pid st; do
		# state and start time; a zombie has exited and waits for its reaper
		now=$(awk '{ sub(/.*\) /, ""); print $1, $20 }' "/proc/$pid/stat" 2>/dev/null)
		[ "${now#* }" = "$st" ] && [ "${now%% *}" != Z ] && n=$((n + 1))
	done <"$2"
	[ $n -gt 0 ] && left+="$n recorded processes alive; "
	# one pgrep, not a process per /proc entry: a loaded machine has thousands
	n=$(pgrep -c -f "/run/testbed/$name/")
	[ "$n" -gt 0 ] && left+="$n processes naming the state dir; "
	echo "${left%; }"
}

# host_stats NAME: "ready min median max pss accel" from testbed status --json
host_stats() {
	"$TB" status "$1" --json 2>/dev/null | python3 -c '
import json, statistics, sys
try:
    hosts = json.load(sys.stdin)["hosts"] or []
except Exception:
    print("0 nan nan nan 0 -"); sys.exit(0)
b = sorted(h["boot_ns"] / 1e9 for h in hosts if h.get("boot_ns", -1) >= 0)
ready = sum(1 for h in hosts if h.get("state") == "ready")
pss = sum(max(h.get("pss_bytes", 0), 0) for h in hosts)
accel = ",".join(sorted({h.get("accel", "-") for h in hosts})) or "-"
if b:
    print(ready, "%.3f %.3f %.3f" % (b[0], statistics.median(b), b[-1]), pss, accel)
else:
    print(ready, "nan nan nan", pss, accel)'
}

mkdir -p "$OUT"
CSV=$OUT/results.csv
MD=$OUT/table.md
echo "kind,n,jobs,result,up_s,boot_min_s,boot_median_s,boot_max_s,ready,peak_mem_mib,pss_mib,down_s,left,load1,all_ready_s" >"$CSV"
# the command that reproduces this run: the BENCH_UP_ settings in force
CMDLINE=""
for v in $(compgen -e | grep '^BENCH_UP_' | grep -Ev '^BENCH_UP_(OUT|PLOT|DOCS)$'); do
	CMDLINE+="$v=\"${!v}\" "
done
[ -n "$JOBS" ] && [ -z "${BENCH_UP_JOBS:-}" ] && CMDLINE+="BENCH_UP_JOBS=$JOBS "
CMDLINE+="make bench-up"
JNOTE=""
[ -z "$JOBS" ] && JNOTE=" (-j auto: testbed up's own choice, 4 boots per core, 1 per core with UML guests)"
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
NOTES=()

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

for kind in $KINDS; do
	sizes=""
	for n in ${REQ[$kind]}; do sizes+=" r$n"; done
	for n in ${EXTRA[$kind]}; do sizes+=" x$n"; done
	ov=BENCH_UP_N_$kind
	if [ -n "${!ov:-}" ]; then
		sizes=""
		for n in ${!ov}; do is_uint "$n" || { log "$ov: '$n' is not a number"; exit 2; }; sizes+=" r$n"; done
	fi
	last_up=0 last_n=0 last_mem_kb=0
	for s in $sizes; do
		n=${s#?}
		if [ "$MAX" -gt 0 ] && [ "$n" -gt "$MAX" ]; then
			NOTES+=("$kind: stopped before N=$n (BENCH_UP_MAX=$MAX)"); break
		fi
		if [ "${s:0:1}" = x ] && awk -v u="$last_up" -v c="$CHEAP" 'BEGIN { exit !(u >= c) }'; then
			NOTES+=("$kind: N=$n not tried: N=$last_n took ${last_up} s, over the ${CHEAP} s that extra sizes are tried under")
			break
		fi
		avail=$(mem_avail_kb)
		if [ "$last_n" -gt 0 ] && [ $((last_mem_kb * n / last_n)) -gt $((avail * 9 / 10)) ]; then
			NOTES+=("$kind: N=$n not tried: N=$last_n used $((last_mem_kb / 1024)) MiB, so N=$n would need about $((last_mem_kb * n / last_n / 1024)) MiB and $((avail / 1024)) MiB are available")
			break
		fi
		name=$PREFIX$id${kind:0:1}$n
		f=$WORK/$name.topo
		topo "$kind" "$n" "$f" "$name"
		load1=$(cut -d' ' -f1 /proc/loadavg)
		log "$kind N=$n: testbed up (load $load1, cap ${CAP} s)"
		memf=$WORK/$name.mem
		before_kb=$(mem_avail_kb)
		sampler "$memf" &
		SAMPLER=$!
		CUR=$name
		t0=$(now_ns)
		# each output line stamped as it comes ($EPOCHREALTIME: no fork per
		# line), so that the moment the last host became READY is known even
		# when up spends more time after it (its summary) or is killed
		timeout -s TERM -k 10 "$CAP" "$TB" up "$f" ${JOBS:+-j "$JOBS"} 2>&1 |
			while IFS= read -r l; do echo "${EPOCHREALTIME/./} $l"; done >"$WORK/$name.out"
		rc=${PIPESTATUS[0]}
		t1=$(now_ns)
		up_s=$(secs "$t0" "$t1")
		# "  hN ready (N/N ready)": stamps are microseconds, t0 nanoseconds
		ready_s=$(awk -v pat="($n/$n ready)" -v t0="$t0" 'index($0, pat) { printf "%.2f", ($1 * 1000 - t0) / 1e9; exit }' "$WORK/$name.out")
		[ -n "$ready_s" ] || ready_s=nan
		read -r ready bmin bmed bmax pss accel < <(host_stats "$name")
		stop_sampler
		min_kb=$(cat "$memf" 2>/dev/null || echo "$before_kb")
		mem_kb=$((before_kb - min_kb))
		[ $mem_kb -lt 0 ] && mem_kb=0
		case $rc in
		0) result=ok ;;
		124|137) result="over cap (${CAP} s)" ;;
		*) result="failed (exit $rc)" ;;
		esac
		[ "$kind" = qemu ] && [ "$accel" != - ] && result+=" $accel"
		recorded_pids "$name" >"$WORK/$name.pids"
		t2=$(now_ns)
		if [ -e "/run/testbed/$name" ]; then
			"$TB" down "$name" >"$WORK/$name.down" 2>&1
			drc=$?
			down_s=$(secs "$t2" "$(now_ns)")
		else
			drc=0 down_s=-   # a failed up undid everything itself
		fi
		CUR=""
		left=$(leftovers "$name" "$WORK/$name.pids")
		[ $drc -ne 0 ] && left="down exit $drc${left:+; $left}"
		log "$kind N=$n: $result in $up_s s; $ready ready; boot min/median/max $bmin/$bmed/$bmax s;" \
			"peak memory $((mem_kb / 1024)) MiB; down $down_s s; left: ${left:-nothing}"
		printf '%s,%d,%s,%s,%s,%s,%s,%s,%d,%d,%d,%s,%s,%s,%s\n' "$kind" "$n" "${JOBS:-auto}" "$result" "$up_s" \
			"$bmin" "$bmed" "$bmax" "$ready" $((mem_kb / 1024)) $((pss / 1048576)) "$down_s" \
			"${left:-none}" "$load1" "$ready_s" >>"$CSV"
		if [ "$rc" -ne 0 ]; then
			NOTES+=("$kind: stopped at N=$n: $result; the end of testbed up's output: $(tail -n 3 "$WORK/$name.out" | tr '\n' ' ')")
			break
		fi
		if [ -n "$left" ]; then
			NOTES+=("$kind: stopped at N=$n: left after down: $left")
			break
		fi
		last_up=$up_s last_n=$n last_mem_kb=$mem_kb
	done
done

write_report
