#!/usr/bin/env bash
# emu_sched — the scheduling policy of testbed-emu's worker thread: an
# ordinary worker with no deadline ahead runs SCHED_BATCH (woken by a frame,
# it does not preempt the switch or plug that sent it), with a frame
# waiting for its time SCHED_OTHER (its timer wake-up preempts), and back
# to SCHED_BATCH once the frame has left; a --realtime worker stays
# SCHED_FIFO throughout.
. "$TB_ROOT/tests/lib.sh"
need_root

EMU=$TB_BIN/testbed-emu    # release build: see emu_basic.sh (RTLD_DEEPBIND)
GEN=$TB_BIN/tbgen
[ -x "$GEN" ] || { fail emu_sched_tbgen "tbgen not built ($GEN)"; exit 1; }
dir=$(mktemp -d /tmp/tb-emu.XXXXXX)
on_exit rm -rf "$dir"

# start NAME OPTS...: an emulator between ptp sockets, its PID in EP
start() {
	local d=$dir/$1
	shift
	mkdir "$d"
	"$EMU" --ctl "$d/ctl" --threads 1 --log "$d/emu.log" --ready-fd 3 "$@" \
		"ptp://$d/a" "ptp://$d/b" 3>"$d/ready" &
	EP=$!
	on_exit kill "$EP"
	wait_for 10 grep -q ready "$d/ready"
}
# policies EP: the policies of its threads other than the main one
policies() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "${t##*/}" = "$1" ] && continue
		chrt -p "${t##*/}" 2>/dev/null | awk '/policy/ { print $NF }'
	done | sort -u | paste -sd,
}
policy_is() { [ "$(policies "$1")" = "$2" ]; }

if ! start plain; then
	fail emu_sched_starts "no ready line: $(cat "$dir/plain/emu.log")"
	exit 1
fi
wait_for 5 policy_is "$EP" SCHED_BATCH && ok emu_sched_idle_batch \
	|| fail emu_sched_idle_batch "worker policy $(policies "$EP") with nothing waiting, expected SCHED_BATCH"

# a frame waits 3 s for its time: the worker is SCHED_OTHER meanwhile
"$EMU" ctl "$dir/plain/ctl" wire set w0 delay=3s >/dev/null
"$GEN" send "ptp://$dir/plain/a" --count 1 --size 64 >/dev/null 2>"$dir/send.err"
wait_for 2 policy_is "$EP" SCHED_OTHER && ok emu_sched_deadline_other \
	|| fail emu_sched_deadline_other "worker policy $(policies "$EP") with a frame waiting, expected SCHED_OTHER"
wait_for 10 policy_is "$EP" SCHED_BATCH && ok emu_sched_back_to_batch \
	|| fail emu_sched_back_to_batch "worker policy $(policies "$EP") after the frame left, expected SCHED_BATCH"

start rt --realtime || { fail emu_sched_rt_starts "no ready line: $(cat "$dir/rt/emu.log")"; exit 1; }
"$EMU" ctl "$dir/rt/ctl" wire set w0 delay=3s >/dev/null
fifo_idle=$(policies "$EP")
"$GEN" send "ptp://$dir/rt/a" --count 1 --size 64 >/dev/null 2>>"$dir/send.err"
sleep 0.2
fifo_busy=$(policies "$EP")
[ "$fifo_idle" = SCHED_FIFO ] && [ "$fifo_busy" = SCHED_FIFO ] && ok emu_sched_realtime_fifo \
	|| fail emu_sched_realtime_fifo "--realtime worker policy $fifo_idle idle, $fifo_busy with a frame waiting"
