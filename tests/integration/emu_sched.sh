#!/usr/bin/env bash
# emu_sched — the scheduling policy of testbed-emu's worker thread: an
# ordinary worker runs SCHED_BATCH (woken by a frame, it does not preempt
# the switch or plug that sent it), also while a frame waits for its time
# (SCHED_OTHER then made every arriving frame preempt its sender), and
# carries that frame; a --realtime worker stays SCHED_FIFO throughout.
. "$TB_ROOT/tests/lib.sh"
need_root

need_emu_tbgen emu_sched_tbgen

# policies EP: the policies of its threads other than the main one
policies() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "${t##*/}" = "$1" ] && continue
		chrt -p "${t##*/}" 2>/dev/null | awk '/policy/ { print $NF }'
	done | sort -u | paste -sd,
}
policy_is() { [ "$(policies "$1")" = "$2" ]; }

if ! emu_ptp "$DIR/plain"; then
	fail emu_sched_starts "no ready line: $(cat "$DIR/plain/emu.log")"
	exit 1
fi
wait_for 5 policy_is "$EP" SCHED_BATCH && ok emu_sched_idle_batch \
	|| fail emu_sched_idle_batch "worker policy $(policies "$EP") with nothing waiting, expected SCHED_BATCH"

# a frame waits 2 s for its time: the worker stays SCHED_BATCH meanwhile,
# and the frame leaves on time
"$EMU" ctl "$DIR/plain/ctl" wire set w0 delay=2s >/dev/null
"$GEN" recv "ptp://$DIR/plain/b" --idle 1s --timeout 20s --expect 2s --ready-fd 3 \
	>"$DIR/recv.json" 2>"$DIR/recv.err" 3>"$DIR/recv.ready" &
rp=$!
on_exit kill "$rp"
wait_for 10 test -s "$DIR/recv.ready"
"$GEN" send "ptp://$DIR/plain/a" --count 1 --size 64 >/dev/null 2>"$DIR/send.err"
sleep 0.5
policy_is "$EP" SCHED_BATCH && ok emu_sched_deadline_batch \
	|| fail emu_sched_deadline_batch "worker policy $(policies "$EP") with a frame waiting, expected SCHED_BATCH"
wait "$rp"
python3 -c 'import json,sys; r = json.loads(open(sys.argv[1]).readline()); assert r["unique"] >= 1 and abs(r["delay_p50_us"] - 2e6) < 50e3, r' "$DIR/recv.json" \
	&& ok emu_sched_deadline_kept || fail emu_sched_deadline_kept "$(cat "$DIR/recv.json" "$DIR/recv.err")"

emu_ptp "$DIR/rt" --realtime || { fail emu_sched_rt_starts "no ready line: $(cat "$DIR/rt/emu.log")"; exit 1; }
"$EMU" ctl "$DIR/rt/ctl" wire set w0 delay=3s >/dev/null
fifo_idle=$(policies "$EP")
"$GEN" send "ptp://$DIR/rt/a" --count 1 --size 64 >/dev/null 2>>"$DIR/send.err"
sleep 0.2
fifo_busy=$(policies "$EP")
[ "$fifo_idle" = SCHED_FIFO ] && [ "$fifo_busy" = SCHED_FIFO ] && ok emu_sched_realtime_fifo \
	|| fail emu_sched_realtime_fifo "--realtime worker policy $fifo_idle idle, $fifo_busy with a frame waiting"
