#!/usr/bin/env bash
# emu_tbshm — the tbshm:// vdeplug plugin (vdeplug/) in the programs that
# load it: tbgen -> testbed-emu -> tbgen and tbgen -> wirefilter -> tbgen
# over shared-memory rings.  A blast loses nothing (a full ring holds the
# sender back), a delay is kept while the reader sleeps in poll(), a
# stopped reader makes the link wait without spinning and loses nothing, a
# killed one is noticed and replaced, a third opener of one path is
# refused, and the last to close removes the files.
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

# 3. a reader that stops (SIGSTOP): the ring fills, testbed-emu keeps the
# rest in its backlog and asks again later, backing off, instead of
# spinning; once the reader goes on, every frame arrives
"$EMU" ctl "$D/ctl" wire set w0 delay=0ms >/dev/null
sink slow "tbshm://$D/b" --idle 2s --timeout 60s
slow=$sink_pid
kill -STOP "$slow"
on_exit kill -9 "$slow"
# 2,000 frames fit in the rings and the link's backlog, so the sender ends
"$GEN" send "tbshm://$D/a" --count 2000 --size 64 >"$D/slow.send" 2>&1 &
gp=$!
on_exit kill "$gp"
sleep 0.5
c0=$(awk '{ print $14 + $15 }' "/proc/$ep/stat")
sleep 2
c1=$(awk '{ print $14 + $15 }' "/proc/$ep/stat")
kill -CONT "$slow"
wait "$slow" "$gp"
# CPU ticks (1/100 s) in 2 s: a busy loop would take ~200
[ $((c1 - c0)) -lt 40 ] && ok tbshm_emu_waits_without_spinning ||
	fail tbshm_emu_waits_without_spinning "testbed-emu used $((c1 - c0)) ticks in 2 s while its reader was stopped"
[ "$(jget "$D/slow.json" unique)" = 2000 ] && [ "$(jget "$D/slow.json" lost)" = 0 ] && ok tbshm_emu_slow_reader_loses_nothing ||
	fail tbshm_emu_slow_reader_loses_nothing "$(cat "$D/slow.json" "$D/slow.err")"

# 4. a reader killed without closing: once its ring is full the link
# says so (ENOTCONN), takes the port down and reconnects; a new reader
# takes the dead one's side and gets frames again
sink dead "tbshm://$D/b" --idle 30s --timeout 60s
kill -9 "$sink_pid"
wait "$sink_pid" 2>/dev/null
timeout 20 "$GEN" send "tbshm://$D/a" --count 3000 --size 64 >"$D/dead.send" 2>&1
if wait_for 10 grep -q "port b .* is down: Transport endpoint is not connected" "$D/emu.log"; then
	ok tbshm_emu_dead_reader_seen
else
	fail tbshm_emu_dead_reader_seen "$(tail -5 "$D/emu.log")"
fi
sink again "tbshm://$D/b" --idle 3s --timeout 60s
wait_for 10 grep -q "port b .* is up again" "$D/emu.log"
timeout 20 "$GEN" send "tbshm://$D/a" --count 2000 --rate 1000 --size 64 >"$D/again.send" 2>&1
wait "$sink_pid"
[ "$(jget "$D/again.json" unique)" -gt 0 ] && ok tbshm_emu_new_reader_takes_over ||
	fail tbshm_emu_new_reader_takes_over "$(cat "$D/again.json" "$D/again.err"; tail -5 "$D/emu.log")"

# 5. a third opener of a path two already hold is refused, by name
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

# 6. wirefilter, a vdeplug4 program we did not write, over the same rings
echo "tbshm://$D/wa" >"$D/wa.url"
echo "tbshm://$D/wb" >"$D/wb.url"
wirefilter -v "$D/wa.url:$D/wb.url" --daemon --pidfile "$D/wf.pid" >"$D/wf.out" 2>&1
wait_for 5 test -s "$D/wf.pid" && wf=$(cat "$D/wf.pid") && on_exit kill "$wf"
wait_for 5 test -p "$D/wb.bell1"
sink wf "tbshm://$D/wb" --idle 1s --timeout 60s
"$GEN" send "tbshm://$D/wa" --count 20000 --rate 10000 --size 64 >"$D/wf.send" 2>&1
# and as fast as tbgen can: the ring fills, and the daemon's side (opened
# before it forked) must still count as held
"$GEN" send "tbshm://$D/wa" --count 200000 --size 64 >>"$D/wf.send" 2>&1
wait "$sink_pid"
# (the two runs number their frames alike: count them all)
[ "$(jget "$D/wf.json" received)" = 220000 ] && [ "$(jget "$D/wf.json" lost)" = 0 ] && ok tbshm_wirefilter_carries ||
	fail tbshm_wirefilter_carries "$(cat "$D/wf.json" "$D/wf.err" "$D/wf.out")"

# 7. the last to close removes the region and its FIFOs
kill "$ep" "${wf:-}" 2>/dev/null
wait "$ep" 2>/dev/null
wait_for 5 sh -c "! ls '$D' | grep -q -E '^(a|b|x|wa|wb)(\\.bell[01])?\$'"
left=$(ls "$D" | grep -E '^(a|b|x|wa|wb)(\.bell[01])?$')
[ -z "$left" ] && ok tbshm_files_removed || fail tbshm_files_removed "left: $left"
