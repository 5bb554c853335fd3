#!/usr/bin/env bash
# bench_guests.sh BUILD — `make bench-guests`: memory (PSS) per idle UML,
# QEMU and netns guest, and how many UML guests boot here.
#
#   1. one guest of each kind on one VDE segment, idle for IDLE_S seconds:
#      PSS of all its processes (monitor included), CPU time, boot time;
#   2. UML_N UML guests (default 64; about 6 min here), started JOBS at a time (default 4):
#      how many reached READY, boot time min/median/max, total PSS,
#      PSS per guest (and what it is made of), and MemAvailable consumed.
#      A guest is not started when MemAvailable is below RESERVE_MIB
#      (default 2048): the count stops where memory does, the machine does
#      not OOM.  MAX_S (default 0: none) stops starting guests after that
#      many seconds, so that a large UML_N still ends and reports in time.
#
# Prints a table; BENCH_OUT=FILE also writes it there.  Everything runs in a
# namespace of its own and is removed at the end (also on ^C).
set -u
build=${1:?usage: bench_guests.sh BUILD}
root=$(cd "$(dirname "$0")/.." && pwd)
TB=$root/$build/bin/testbed
export TB_IMAGES=$root/$build/images
UML_N=${UML_N:-64}
JOBS=${JOBS:-4}
IDLE_S=${IDLE_S:-10}
RESERVE_MIB=${RESERVE_MIB:-2048}
MAX_S=${MAX_S:-0}
name=tbbench$$
work=$(mktemp -d /tmp/tbbench.XXXXXX)
sw=$work/sw.ctl

cleanup() {
	for d in /run/testbed/$name/hosts/*; do
		[ -d "$d" ] && echo "$(basename "$d")"
	done | xargs -r -P 8 -I{} "$TB" guest stop "$name" {} --timeout 5s
	[ -f "$work/sw.pid" ] && kill "$(cat "$work/sw.pid")"
	ip netns del "$name" 2>/dev/null
	rm -rf "$work" "/run/testbed/$name"
	rmdir /run/testbed 2>/dev/null
}
trap cleanup EXIT
trap "exit 130" INT TERM

ip netns add "$name"
ip netns exec "$name" vde_switch -d -s "$sw" -p "$work/sw.pid" -n 2048
for i in $(seq 50); do [ -S "$sw/ctl" ] && break; sleep 0.1; done

host_file() { # NAME KIND INDEX
	local i=$3
	printf 'host %s\nkind %s\nnic eth0 %s\naddr eth0 10.%d.%d.%d/8\n' "$1" "$2" "$sw" \
		$((100 + i / 65536)) $((i / 256 % 256)) $((i % 256 + 1)) > "$work/$1.host"
}

mem_avail() { awk '/MemAvailable/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo; }

echo "# bench-guests: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## idle guest, one of each kind (idle ${IDLE_S} s)"
i=0
for k in uml qemu netns; do
	host_file "idle-$k" "$k" $((i++))
	"$TB" guest start "$name" "$work/idle-$k.host" --netns "$name" >/dev/null || echo "idle-$k did not start"
done
sleep "$IDLE_S"
printf '%-6s %10s %8s %10s %s\n' kind pss_MiB boot_s cpu_s accel
"$TB" guest status "$name" --json | python3 -c '
import json, sys
for s in sorted(json.load(sys.stdin), key=lambda s: s["kind"]):
    print("%-6s %10.1f %8.2f %10.2f %s" % (s["kind"], s["pss_bytes"] / 2**20,
          (s["boot_ns"] or 0) / 1e9, s["cpu_ns"] / 1e9, s["accel"]))'
for k in uml qemu netns; do "$TB" guest stop "$name" "idle-$k" >/dev/null; done

echo "## $UML_N UML guests, $JOBS started at a time"
before=$(mem_avail)
t0=$(date +%s%N)
stop_at=$(( MAX_S > 0 ? $(date +%s) + MAX_S : 0 ))
seq 0 $((UML_N - 1)) | while read -r i; do host_file "u$i" uml "$i"; echo "u$i"; done |
	xargs -P "$JOBS" -I{} sh -c '
		avail=$(awk "/^MemAvailable/ {print int(\$2 / 1024)}" /proc/meminfo)
		if [ "$avail" -lt "$3" ]; then echo "{} not started: MemAvailable ${avail} MiB" >&2; exit 0; fi
		if [ "$4" != 0 ] && [ "$(date +%s)" -ge "$4" ]; then echo "{} not started: MAX_S reached" >&2; exit 0; fi
		"$0" guest start "$1" "$2/{}.host" --netns "$1" >/dev/null 2>"$2/{}.err" ||
			echo "{} failed: $(grep -m1 . "$2/{}.err")" >&2' \
		"$TB" "$name" "$work" "$RESERVE_MIB" "$stop_at" 2> "$work/start.log"
t1=$(date +%s%N)
echo "not started for lack of memory: $(grep -c 'not started: MemAvailable' "$work/start.log"), after MAX_S: $(grep -c 'MAX_S reached' "$work/start.log")"
grep -v 'not started' "$work/start.log" | head -n 20
sleep 5
after=$(mem_avail)
"$TB" guest status "$name" --json | python3 -c '
import json, sys, statistics
st = json.load(sys.stdin)
n, ready = int(sys.argv[1]), [s for s in st if s["state"] == "ready"]
boots = sorted(s["boot_ns"] / 1e9 for s in ready)
pss = sum(s["pss_bytes"] for s in ready)
retried = sum(1 for s in ready if s["attempts"] > 1)
print("asked %d  started %d  ready %d  retried %d  wall %.1f s" % (n, len(st), len(ready), retried, float(sys.argv[2])))
if boots:
    print("boot_s min %.2f median %.2f max %.2f" % (boots[0], statistics.median(boots), boots[-1]))
    print("pss total %.0f MiB, per guest %.1f MiB; MemAvailable used %.0f MiB (%.1f MiB per guest)" % (
        pss / 2**20, pss / 2**20 / len(ready), float(sys.argv[3]) / 2**20, float(sys.argv[3]) / 2**20 / len(ready)))
    # what a guest is made of: the UML kernel process (its RAM file =
    # Pss_Shmem, the linux binary = Pss_File, anonymous), the rest (monitor,
    # vde_plug, one host process per guest user process) is the status
    # total minus that
    part = {"Pss_Shmem:": 0, "Pss_File:": 0, "Pss_Anon:": 0}
    kpss = 0
    for s in ready:
        try:
            pid = [l.split()[1] for l in open("%s/%s/objects" % (sys.argv[4], s["host"])) if l.startswith("guest ")][0]
            for l in open("/proc/%s/smaps_rollup" % pid):
                f = l.split()
                if f[0] in part:
                    part[f[0]] += int(f[1]) * 1024
                elif f[0] == "Pss:":
                    kpss += int(f[1]) * 1024
        except (OSError, IndexError):
            pass
    n = len(ready)
    print("per guest: guest RAM touched %.1f MiB, kernel binary %.1f MiB, kernel anon %.1f MiB, other processes %.1f MiB" % (
        part["Pss_Shmem:"] / 2**20 / n, part["Pss_File:"] / 2**20 / n, part["Pss_Anon:"] / 2**20 / n,
        (pss - kpss) / 2**20 / n))
' "$UML_N" "$(((t1 - t0) / 1000000))e-3" "$((before - after))" "/run/testbed/$name/hosts"
