#!/usr/bin/env bash
# emu_sched — the scheduling policy of testbed-emu's worker thread: an
# ordinary worker with no deadline ahead runs SCHED_BATCH (woken by a frame,
# it does not preempt the switch or plug that sent it), with a frame
# waiting for its time SCHED_OTHER (its timer wake-up preempts), and back
# to SCHED_BATCH once the frame has left; a --realtime worker stays
# SCHED_FIFO throughout.
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

# a frame waits 3 s for its time: the worker is SCHED_OTHER meanwhile
"$EMU" ctl "$DIR/plain/ctl" wire set w0 delay=3s >/dev/null
"$GEN" send "ptp://$DIR/plain/a" --count 1 --size 64 >/dev/null 2>"$DIR/send.err"
wait_for 2 policy_is "$EP" SCHED_OTHER && ok emu_sched_deadline_other \
	|| fail emu_sched_deadline_other "worker policy $(policies "$EP") with a frame waiting, expected SCHED_OTHER"
wait_for 10 policy_is "$EP" SCHED_BATCH && ok emu_sched_back_to_batch \
	|| fail emu_sched_back_to_batch "worker policy $(policies "$EP") after the frame left, expected SCHED_BATCH"

emu_ptp "$DIR/rt" --realtime || { fail emu_sched_rt_starts "no ready line: $(cat "$DIR/rt/emu.log")"; exit 1; }
"$EMU" ctl "$DIR/rt/ctl" wire set w0 delay=3s >/dev/null
fifo_idle=$(policies "$EP")
"$GEN" send "ptp://$DIR/rt/a" --count 1 --size 64 >/dev/null 2>>"$DIR/send.err"
sleep 0.2
fifo_busy=$(policies "$EP")
[ "$fifo_idle" = SCHED_FIFO ] && [ "$fifo_busy" = SCHED_FIFO ] && ok emu_sched_realtime_fifo \
	|| fail emu_sched_realtime_fifo "--realtime worker policy $fifo_idle idle, $fifo_busy with a frame waiting"
