#!/usr/bin/env bash
# emu_basic — testbed-emu between two namespaces, its ports TAP devices
# moved into them: delay (ping RTT ~ 2 x delay), loss seen by the receiver,
# rate seen by iperf3's receiver, `ctl wire set` while traffic flows, and
# bad control commands answered with an error.
. "$TB_ROOT/tests/lib.sh"
need_root

# the release build: libvdeplug dlopen()s its plugins with RTLD_DEEPBIND,
# which AddressSanitizer refuses (google/sanitizers#611)
EMU=$TB_BIN/testbed-emu
id=$(tb_unique e)
nsA=tb${id}A nsB=tb${id}B
tapA=tb${id}a tapB=tb${id}b
dir=$(mktemp -d /tmp/tb-emu.XXXXXX)
on_exit rm -rf "$dir"
ctl() { "$EMU" ctl "$dir/ctl" "$@"; }

ip netns add "$nsA" && on_exit ip netns del "$nsA"
ip netns add "$nsB" && on_exit ip netns del "$nsB"

"$EMU" --ctl "$dir/ctl" --seed 42 --threads 2 --log "$dir/emu.log" --ready-fd 3 \
	"tap://$tapA" "tap://$tapB" delay=10ms 3>"$dir/ready" &
emu_pid=$!
on_exit kill "$emu_pid"
if ! wait_for 10 grep -q ready "$dir/ready"; then
	fail emu_starts "no ready line; log: $(cat "$dir/emu.log" 2>/dev/null)"
	exit 1
fi
ok emu_starts
[ "$(stat -c %a "$dir/ctl")" = 600 ] && ok emu_ctl_mode_0600 || fail emu_ctl_mode_0600 "mode $(stat -c %a "$dir/ctl")"

# the TAP fds stay with the emulator while the devices move into the namespaces
ip link set "$tapA" netns "$nsA"
ip link set "$tapB" netns "$nsB"
for n in A B; do
	ns=ns$n tap=tap$n
	ip -n "${!ns}" link set lo up
	ip -n "${!ns}" link set "${!tap}" up
done
ip -n "$nsA" addr add 10.99.0.1/24 dev "$tapA"
ip -n "$nsB" addr add 10.99.0.2/24 dev "$tapB"

# delay: RTT ~ 2 x 10 ms
if ! wait_for 10 ip netns exec "$nsA" ping -c 1 -W 1 10.99.0.2; then
	fail emu_ping "no reply through the emulator; log: $(cat "$dir/emu.log")"
	exit 1
fi
avg=$(ip netns exec "$nsA" ping -c 20 -i 0.02 -q 10.99.0.2 | awk -F/ '/^rtt/ {print $5}')
awk -v a="$avg" 'BEGIN { exit !(a >= 19.9 && a < 28) }' && ok emu_delay_rtt \
	|| fail emu_delay_rtt "avg RTT $avg ms, expected 20 ms (2 x delay=10ms)"

# change while traffic flows: delay 10ms -> 30ms, frames queued are not lost
ip netns exec "$nsA" ping -c 60 -i 0.01 -q 10.99.0.2 >"$dir/ping_change" &
ping_pid=$!
wait_for 5 sh -c "ctl() { \"$EMU\" ctl \"$dir/ctl\" \"\$@\"; }; ctl stats w0 | grep -q 'a2b in_frames=[1-9][0-9]'"
ctl wire set w0 delay=30ms >/dev/null
wait "$ping_pid"
recv=$(awk '/received/ {print $4}' "$dir/ping_change")
max=$(awk -F/ '/^rtt/ {print $6}' "$dir/ping_change")
[ "$recv" = 60 ] && awk -v m="$max" 'BEGIN { exit !(m >= 59.9) }' && ok emu_set_while_flowing \
	|| fail emu_set_while_flowing "received $recv/60, max RTT $max ms (expected 60 ms after the change)"
avg=$(ip netns exec "$nsA" ping -c 5 -i 0.02 -q 10.99.0.2 | awk -F/ '/^rtt/ {print $5}')
awk -v a="$avg" 'BEGIN { exit !(a >= 59.9 && a < 70) }' && ok emu_set_delay \
	|| fail emu_set_delay "avg RTT $avg ms after delay=30ms, expected 60"

# loss on a2b only, seen by the receiver: 400 requests, replies ~ 70%
ctl wire set w0 delay=1ms a2b.loss=30% >/dev/null
got=$(ip netns exec "$nsA" ping -c 400 -i 0.002 -W 1 -q 10.99.0.2 | awk '/received/ {print $4}')
# 99% binomial interval of n=400, p=0.7: 280 +- 2.576*sqrt(400*.7*.3) = 280 +- 23.6
[ "${got:-0}" -ge 257 ] && [ "${got:-0}" -le 303 ] && ok emu_loss_receiver \
	|| fail emu_loss_receiver "received $got of 400 with a2b.loss=30% (99% interval 257..303)"
lost=$(ctl stats w0 | awk '/ a2b in_frames/ { for (i = 1; i <= NF; i++) if ($i ~ /^loss=/) { sub("loss=", "", $i); print $i } }')
[ "${lost:-0}" -ge 97 ] && [ "${lost:-0}" -le 143 ] && ok emu_loss_counted \
	|| fail emu_loss_counted "a2b loss counter $lost (expected ~120)"

# rate: iperf3 TCP through rate=10mbit, measured by the receiver
ctl wire set w0 delay=1ms loss=0 rate=10mbit queue=100 >/dev/null
ip netns exec "$nsB" iperf3 -s -1 -p 5201 >"$dir/iperf_s" 2>&1 &
srv=$!
on_exit kill "$srv"
wait_for 5 ip netns exec "$nsB" sh -c 'ss -ltn | grep -q :5201'
ip netns exec "$nsA" iperf3 -c 10.99.0.2 -p 5201 -t 3 -O 1 -J >"$dir/iperf.json" 2>&1
mbps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6)' "$dir/iperf.json" 2>/dev/null)
awk -v m="${mbps:-0}" 'BEGIN { exit !(m >= 8.5 && m <= 10.0) }' && ok emu_rate_receiver \
	|| fail emu_rate_receiver "iperf3 receiver saw ${mbps:-?} Mbit/s through rate=10mbit"

# bad commands: an error line, exit 1, and the daemon still answers
bad=0
for cmd in "bogus" "wire set w0 delay=fast" "wire set nosuch delay=1ms" "rule add w0 proto udp" \
	   "rule add w0 pipe nosuch" "pipe del w0 default" "wire add w0 tap://x" "stats a b" "wire set w0 queue=5 rate=0 foo"; do
	out=$(ctl $cmd 2>&1) && { bad=1; echo "  '$cmd' was accepted: $out"; }
	case $out in error:*) ;; *) bad=1; echo "  '$cmd' gave: $out" ;; esac
done
printf 'wire \001\377 add\n' | timeout 30 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR); print(s.recv(4096).decode(errors="replace"))' "$dir/ctl" | grep -q '^error:' || bad=1
[ $bad = 0 ] && ctl list >/dev/null && kill -0 "$emu_pid" && ok emu_bad_commands \
	|| fail emu_bad_commands "a bad command was not answered with an error, or the daemon died"

# wires added and removed at run time: the TAPs they open come and go
ctl wire add w1 "tap://${id}x" "tap://${id}y" delay=1ms loss=gilbert:p=1%,r=30% >/dev/null
if ip link show "${id}x" >/dev/null 2>&1 && ctl list | grep -q "^wire w1 "; then
	ctl wire add w1 "tap://${id}x" "tap://${id}y" 2>/dev/null && fail emu_wire_add_del "added w1 twice"
	ctl wire del w1 >/dev/null
	wait_for 5 sh -c "! ip link show ${id}x" && ! ctl list | grep -q "^wire w1 " && ok emu_wire_add_del \
		|| fail emu_wire_add_del "w1 still there after wire del"
else
	fail emu_wire_add_del "wire add w1 did not open its TAPs: $(ctl list)"
fi

# clean exit on SIGTERM removes the control socket
kill -TERM "$emu_pid"
wait "$emu_pid"; rc=$?
[ $rc = 0 ] && [ ! -e "$dir/ctl" ] && ok emu_sigterm_clean || fail emu_sigterm_clean "exit $rc, socket left: $(ls "$dir")"
