#!/usr/bin/env bash
# emu_tbshm — the tbshm:// vdeplug plugin (vdeplug/) in the programs that
# load it: tbgen -> testbed-emu -> tbgen and tbgen -> wirefilter -> tbgen
# over shared-memory rings.  A blast loses nothing (a full ring holds the
# sender back), a delay is kept while the reader sleeps in poll(), a third
# opener of one path is refused, and the last to close removes the files.
. "$TB_ROOT/tests/lib.sh"
need_root
need_emu_tbgen tbshm_plugin_loads
# vdeplug4 looks for plugins along VDEPLUGIN_PATH: ours, then its own
export VDEPLUGIN_PATH=$TB_ROOT/$TB_BUILD/lib:/usr/lib/$(gcc -dumpmachine)/vdeplug
[ -f "$TB_ROOT/$TB_BUILD/lib/libvdeplug_tbshm.so" ] || { fail tbshm_plugin_loads "libvdeplug_tbshm.so not built"; exit 1; }
# on tmpfs, as the plugin asks
D=$(mktemp -d /dev/shm/tb-tbshm.XXXXXX)
on_exit rm -rf "$D"

jget() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }

# sink NAME URL ARGS...: tbgen recv in the background, ready when it says so
sink_pid=
sink() {
	local n=$1 url=$2; shift 2
	"$GEN" recv "$url" --ready-fd 3 "$@" >"$D/$n.json" 2>"$D/$n.err" 3>"$D/$n.ready" &
	sink_pid=$!
	on_exit kill "$sink_pid"
	wait_for 10 test -s "$D/$n.ready"
}

"$EMU" --ctl "$D/ctl" --threads 1 --seed 3 --log "$D/emu.log" --ready-fd 3 \
	"tbshm://$D/a" "tbshm://$D/b" 3>"$D/ready" &
ep=$!
on_exit kill "$ep"
if ! wait_for 10 grep -q ready "$D/ready"; then
	fail tbshm_plugin_loads "testbed-emu not ready: $(cat "$D/emu.log")"
	exit 1
fi
[ -f "$D/a" ] && [ -p "$D/a.bell0" ] && [ -p "$D/a.bell1" ] && ok tbshm_plugin_loads ||
	fail tbshm_plugin_loads "no region and FIFOs: $(ls -l "$D")"

# 1. a blast of 200,000 frames: every one arrives, in order, once
sink blast "tbshm://$D/b" --idle 1s --timeout 60s
"$GEN" send "tbshm://$D/a" --count 200000 --size 64 >"$D/blast.send" 2>&1
wait "$sink_pid"
if [ "$(jget "$D/blast.json" unique)" = 200000 ] && [ "$(jget "$D/blast.json" lost)" = 0 ] &&
   [ "$(jget "$D/blast.json" dups)" = 0 ]; then
	ok tbshm_emu_blast_loses_nothing
else
	fail tbshm_emu_blast_loses_nothing "$(cat "$D/blast.json" "$D/blast.err" "$D/blast.send")"
fi
# the link's own counters: all in went out (tbgen adds a few end markers)
out=$("$EMU" ctl "$D/ctl" stats w0 | grep '^w0 a2b in_frames')
if [[ $out =~ a2b\ in_frames=([0-9]+)\ .*out_frames=([0-9]+) ]] &&
   [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -ge 200000 ]; then
	ok tbshm_emu_counts
else
	fail tbshm_emu_counts "$out"
fi

# 2. delay=5ms at 1,000 frames/s: the sink sleeps between frames, so each
# frame is a bell; the one-way delay must still be the link's
"$EMU" ctl "$D/ctl" wire set w0 delay=5ms >/dev/null
sink d5 "tbshm://$D/b" --idle 1s --timeout 60s --expect 5ms
"$GEN" send "tbshm://$D/a" --count 2000 --rate 1000 --size 64 >"$D/d5.send" 2>&1
wait "$sink_pid"
if python3 - "$D/d5.json" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["unique"] == 2000 and r["lost"] == 0, r
# the link may send up to its learned wake-up delay early (docs/emulator.md)
assert 4900 <= r["delay_min_us"] and abs(r["delay_p50_us"] - 5000) < 500, r
PY
then ok tbshm_emu_delay_kept; else fail tbshm_emu_delay_kept "$(cat "$D/d5.json" "$D/d5.err")"; fi

# 3. a third opener of a path two already hold is refused, by name
sink third "tbshm://$D/x" --idle 5s --timeout 30s
x1=$sink_pid
sink third2 "tbshm://$D/x" --idle 5s --timeout 30s
x2=$sink_pid
if "$GEN" send "tbshm://$D/x" --count 1 >"$D/third.out" 2>&1; then
	fail tbshm_third_opener_refused "a third side opened: $(cat "$D/third.out")"
elif grep -q "Address already in use" "$D/third.out"; then
	ok tbshm_third_opener_refused
else
	fail tbshm_third_opener_refused "$(cat "$D/third.out")"
fi
kill "$x1" "$x2" 2>/dev/null
wait "$x1" "$x2" 2>/dev/null

# 4. wirefilter, a vdeplug4 program we did not write, over the same rings
echo "tbshm://$D/wa" >"$D/wa.url"
echo "tbshm://$D/wb" >"$D/wb.url"
wirefilter -v "$D/wa.url:$D/wb.url" --daemon --pidfile "$D/wf.pid" >"$D/wf.out" 2>&1
wait_for 5 test -s "$D/wf.pid" && wf=$(cat "$D/wf.pid") && on_exit kill "$wf"
wait_for 5 test -p "$D/wb.bell1"
sink wf "tbshm://$D/wb" --idle 1s --timeout 60s
"$GEN" send "tbshm://$D/wa" --count 20000 --rate 10000 --size 64 >"$D/wf.send" 2>&1
wait "$sink_pid"
[ "$(jget "$D/wf.json" unique)" = 20000 ] && ok tbshm_wirefilter_carries ||
	fail tbshm_wirefilter_carries "$(cat "$D/wf.json" "$D/wf.err" "$D/wf.out")"

# 5. the last to close removes the region and its FIFOs
kill "$ep" "${wf:-}" 2>/dev/null
wait "$ep" 2>/dev/null
wait_for 5 sh -c "! ls '$D' | grep -q -E '^(a|b|x|wa|wb)(\\.bell[01])?\$'"
left=$(ls "$D" | grep -E '^(a|b|x|wa|wb)(\.bell[01])?$')
[ -z "$left" ] && ok tbshm_files_removed || fail tbshm_files_removed "left: $left"
