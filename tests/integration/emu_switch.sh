#!/usr/bin/env bash
# emu_switch — testbed-emu joining two vde_switches, each with a TAP in its
# own namespace (vde_plug2tap): divert rules and named pipes, pcap capture
# read back with tcpdump, and a switch killed and restarted (the emulator
# logs it, counts it, reconnects, and the wire carries frames again).
. "$TB_ROOT/tests/lib.sh"
need_root

EMU=$TB_BIN/testbed-emu    # release build: see emu_basic.sh (RTLD_DEEPBIND)
id=$(tb_unique s)
nsA=tb${id}A nsB=tb${id}B
tapA=tb${id}a tapB=tb${id}b
dir=$(mktemp -d /tmp/tb-emu.XXXXXX)
on_exit rm -rf "$dir"
ctl() { "$EMU" ctl "$dir/ctl" "$@"; }
killpid() { [ -s "$1" ] && kill "$(cat "$1")" 2>/dev/null; }

ip netns add "$nsA" && on_exit ip netns del "$nsA"
ip netns add "$nsB" && on_exit ip netns del "$nsB"

start_side() {   # start_side A|B: switch + TAP plug in the namespace
	local s=$1 ns=ns$1 tap=tap$1
	vde_switch -s "$dir/sw$s" -d -p "$dir/sw$s.pid" </dev/null >/dev/null 2>&1 || return 1
	wait_for 5 test -S "$dir/sw$s/ctl" || return 1
	ip netns exec "${!ns}" vde_plug2tap -s "$dir/sw$s" -d -P "$dir/plug$s.pid" "${!tap}" || return 1
	wait_for 5 ip -n "${!ns}" link show "${!tap}" || return 1
	ip -n "${!ns}" link set lo up
	ip -n "${!ns}" link set "${!tap}" up
}
on_exit killpid "$dir/swA.pid"
on_exit killpid "$dir/swB.pid"
on_exit killpid "$dir/plugA.pid"
on_exit killpid "$dir/plugB.pid"
if ! start_side A || ! start_side B; then
	fail emu_switch_setup "could not start the switches and plugs"
	exit 1
fi
ip -n "$nsA" addr add 10.98.0.1/24 dev "$tapA"
ip -n "$nsB" addr add 10.98.0.2/24 dev "$tapB"

"$EMU" --ctl "$dir/ctl" --seed 7 --threads 2 --log "$dir/emu.log" --ready-fd 3 \
	"vde://$dir/swA" "vde://$dir/swB" delay=2ms 3>"$dir/ready" &
emu_pid=$!
on_exit kill "$emu_pid"
if ! wait_for 10 grep -q ready "$dir/ready"; then
	fail emu_switch_starts "no ready line; log: $(cat "$dir/emu.log")"
	exit 1
fi
if wait_for 10 ip netns exec "$nsA" ping -c 1 -W 1 10.98.0.2; then ok emu_switch_ping
else fail emu_switch_ping "no reply switch-emu-switch; log: $(cat "$dir/emu.log")"; exit 1; fi

rtt() { ip netns exec "$nsA" ping -c "${2:-5}" -i 0.02 -q "$1" | awk -F/ '/^rtt/ {print $5}'; }

# rules: ICMP only goes through pipe "slow" (50 ms each way)
ctl pipe add w0 slow delay=50ms >/dev/null
ctl rule add w0 proto icmp pipe slow >/dev/null
avg=$(rtt 10.98.0.2)
awk -v a="$avg" 'BEGIN { exit !(a >= 99.9 && a < 115) }' && ok emu_rule_pipe \
	|| fail emu_rule_pipe "ICMP RTT $avg ms through pipe slow, expected 100 (ARP and others keep 2 ms)"
ctl list | grep -q 'rule 0 proto 1 pipe slow' && ok emu_rule_listed || fail emu_rule_listed "$(ctl list)"
ctl pipe del w0 slow 2>/dev/null && fail emu_pipe_del_in_use "deleted a pipe a rule uses" || ok emu_pipe_del_in_use
# a rule on the other direction and protocol does not catch ICMP
ctl rule add w0 at 0 dir b2a proto udp dport 7000 src 10.98.0.0/16 pipe default >/dev/null
ctl rule del w0 1 >/dev/null
avg=$(rtt 10.98.0.2)
awk -v a="$avg" 'BEGIN { exit !(a >= 3.9 && a < 15) }' && ok emu_rule_del \
	|| fail emu_rule_del "RTT $avg ms after rule del, expected 4"
ctl rule del w0 0 >/dev/null && ctl pipe del w0 slow >/dev/null

# policy=drop: frames no rule matches are dropped and counted
ctl wire set w0 policy=drop >/dev/null
ip netns exec "$nsA" ping -c 2 -i 0.05 -W 0.3 -q 10.98.0.2 >/dev/null 2>&1 && fail emu_policy_drop "ping passed" \
	|| { ctl stats w0 | grep -q 'a2b .* no_rule=[1-9]' && ok emu_policy_drop || fail emu_policy_drop "$(ctl stats w0)"; }
ctl wire set w0 policy=pass >/dev/null

# capture: what leaves port b (a2b) and port a (b2a)
mkdir "$dir/cap"
ctl capture w0 on "$dir/cap" >/dev/null
ip netns exec "$nsA" ping -c 5 -i 0.02 -q 10.98.0.2 >/dev/null
ctl capture w0 off >/dev/null
req=$(tcpdump -nr "$dir/cap/w0-b.pcap" 'icmp[icmptype] = icmp-echo' 2>/dev/null | wc -l)
rep=$(tcpdump -nr "$dir/cap/w0-a.pcap" 'icmp[icmptype] = icmp-echoreply' 2>/dev/null | wc -l)
[ "$req" -ge 5 ] && [ "$rep" -ge 5 ] && ok emu_pcap_capture \
	|| fail emu_pcap_capture "echo requests in w0-b.pcap: $req, replies in w0-a.pcap: $rep"

# kill switch A: logged, counted, reconnected when it is back
swpid=$(cat "$dir/swA.pid")
killpid "$dir/plugA.pid"
killpid "$dir/swA.pid"
if wait_for 10 grep -q "port a .* is down" "$dir/emu.log" && ctl stats w0 | grep -q 'port a up=0 downs=1'; then
	ok emu_switch_down_logged
else
	fail emu_switch_down_logged "log: $(tail -5 "$dir/emu.log"); $(ctl stats w0 | head -2)"
fi
wait_for 5 sh -c "! kill -0 $swpid 2>/dev/null"
wait_for 5 sh -c "! ip -n $nsA link show $tapA"
rm -f "$dir/swA.pid" "$dir/plugA.pid"
start_side A && ip -n "$nsA" addr add 10.98.0.1/24 dev "$tapA"
if wait_for 15 grep -q "port a .* is up again" "$dir/emu.log" && wait_for 10 ip netns exec "$nsA" ping -c 1 -W 1 10.98.0.2; then
	ctl stats w0 | grep -q 'port a up=1 downs=1 reconnects=1' && ok emu_switch_reconnect \
		|| fail emu_switch_reconnect "counters: $(ctl stats w0 | head -1)"
else
	fail emu_switch_reconnect "no traffic after the switch came back; log: $(tail -5 "$dir/emu.log")"
fi
kill -0 "$emu_pid" && ok emu_switch_alive || fail emu_switch_alive "the emulator died"
