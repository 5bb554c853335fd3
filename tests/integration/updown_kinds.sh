# testbed up with every guest kind: a UML, a QEMU and a netns host on two
# segments joined by an emulated link; IPv4/IPv6 reachability, the link's
# delay seen by real traffic, a change at run time, two testbeds side by
# side, and nothing left after down.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
need_images kinds_images
tb_testbed name tbk
tb_testbed other tbo
dir=$(mktemp -d)
on_exit rm -rf "$dir"
trap "exit 143" TERM INT

cat >"$dir/$name.topo" <<EOF
testbed $name
segment lan subnet=10.40.0.0/24 subnet6=fd40::/64
segment far subnet=10.40.0.0/24 subnet6=fd40::/64
link lan far delay=15ms
host u kind=uml eth0=lan:10.40.0.1
host q kind=qemu eth0=far:10.40.0.2
host n kind=netns eth0=lan:10.40.0.3
EOF
# a second testbed with the same addresses: namespaces keep them apart
cat >"$dir/$other.topo" <<EOF
testbed $other
segment lan subnet=10.40.0.0/24
host a kind=netns eth0=lan:10.40.0.1
host b kind=netns eth0=lan:10.40.0.3
EOF

# min_rtt HOST DEST: the smallest RTT of 4 pings in whole ms (iputils and
# busybox both print "... = MIN/AVG/MAX...")
min_rtt() {
	"$TB" exec "$name" "$1" -- ping -c 4 -i 0.3 -W 3 "$2" 2>/dev/null |
		awk -F' = ' '/^rtt|^round-trip/ {split($2, v, "/"); print int(v[1])}'
}

backlog_before=$(cat /proc/sys/net/core/netdev_max_backlog)
out=$("$TB" up "$dir/$name.topo" 2>&1)
if [ $? -eq 0 ]; then ok kinds_up; else fail kinds_up "$out"; exit 1; fi
out2=$("$TB" up "$dir/$other.topo" 2>&1)
[ $? -eq 0 ] && ok second_testbed_up || fail second_testbed_up "$out2"

st=$("$TB" status "$name" --json)
[ "$(grep -c '"state": "ready"' <<<"$st")" -eq 3 ] && ok kinds_all_ready || fail kinds_all_ready "$st"
grep -q '"accel": "tcg"\|"accel": "kvm"' <<<"$st" && ok qemu_accel_reported || fail qemu_accel_reported "$st"

# every Unix datagram/seqpacket socket on the frame path (the switches', at
# 4 MiB, which the kernel reports doubled; UML's vde_plug's and QEMU's, at
# 8 MiB) has a deep send buffer: with the kernel's 208 KiB they drop TCP
# bursts (switch_plugin.c, guest.c's guest_deepen_nic_sockets)
# (one record per socket: ss continues a socket on indented lines, and how
# many depends on how many processes share it, e.g. UML's mconsole socket)
bufs=$(ip netns exec "tb-$name" ss -xamp 2>/dev/null |
	awk '/^u_/ { if (rec != "") print rec; rec = $0; next } { rec = rec " " $0 } END { if (rec != "") print rec }' |
	awk '/^u_(dgr|seq)/ && /"(vde_switch|vde_plug|qemu-system-x86)"/ && match($0, /,tb[0-9]+/) {
		v = substr($0, RSTART + 3, RLENGTH - 3) + 0; if (v >= 4194304) deep++; else shallow++ }
		END { printf "%d %d", deep, shallow }')
set -- $bufs
[ "${1:-0}" -ge 4 ] && [ "${2:-1}" -eq 0 ] && ok frame_path_buffers_deep ||
	fail frame_path_buffers_deep "deep/shallow sockets: $bufs"

# a netns host's NIC is a TAP whose transmit queue must hold a TCP burst
# while the plug reading it waits for the CPU (tbinit.c, NIC_TXQLEN)
q=$("$TB" exec "$name" n -- ip link show eth0 2>&1)
grep -q "qlen 4096" <<<"$q" && ok netns_nic_txqueue_deep || fail netns_nic_txqueue_deep "$q"

# a UML or QEMU guest reads its deep NIC sockets in bursts: its receive
# backlog holds one (tbinit.c, GUEST_RX_BACKLOG); a netns host leaves the
# machine's setting alone (it is not per namespace)
b=$(for h in u q; do "$TB" exec "$name" "$h" -- cat /proc/sys/net/core/netdev_max_backlog 2>&1; done | tr '\n' ' ')
[ "$b" = "4096 4096 " ] && ok guest_rx_backlog_deep || fail guest_rx_backlog_deep "u, q: $b"
[ "$(cat /proc/sys/net/core/netdev_max_backlog)" = "$backlog_before" ] && ok netns_leaves_machine_backlog ||
	fail netns_leaves_machine_backlog "was $backlog_before, now $(cat /proc/sys/net/core/netdev_max_backlog)"

# every pair, IPv4 and IPv6 (UML and QEMU ping is busybox's)
for pair in "u 10.40.0.2" "u 10.40.0.3" "q 10.40.0.1" "q 10.40.0.3" "n 10.40.0.1" "n 10.40.0.2" \
	    "u fd40::2" "q fd40::1" "n fd40::2"; do
	set -- $pair
	"$TB" exec "$name" "$1" -- ping -c 2 -i 0.3 -W 5 "$2" >/dev/null 2>&1 &&
		ok "ping_${1}_to_$2" || fail "ping_${1}_to_$2" "no answer"
done

# the link's delay, seen from UML to QEMU (2 x 15 ms)
r=$(min_rtt u 10.40.0.2)
[ -n "$r" ] && [ "$r" -ge 30 ] && ok uml_to_qemu_link_delay || fail uml_to_qemu_link_delay "min rtt=$r ms (want >= 30)"
"$TB" link "$name" lan far delay=40ms >/dev/null
r=$(min_rtt n 10.40.0.2)
[ -n "$r" ] && [ "$r" -ge 80 ] && ok link_change_seen_by_qemu_path || fail link_change_seen_by_qemu_path "min rtt=$r ms (want >= 80)"

# the other testbed answers with its own hosts
"$TB" exec "$other" a -- ping -c 2 -i 0.2 -W 2 10.40.0.3 >/dev/null 2>&1 &&
	ok side_by_side_isolated || fail side_by_side_isolated "no answer in $other"

"$TB" down "$other" >/dev/null 2>&1
[ ! -e "/run/testbed/$other" ] && "$TB" exec "$name" n -- ping -c 1 -W 2 10.40.0.1 >/dev/null 2>&1 &&
	ok down_one_leaves_the_other || fail down_one_leaves_the_other "$("$TB" status "$name" 2>&1)"

"$TB" down "$name" >/dev/null 2>&1 && ok kinds_down || fail kinds_down "down failed"
left=$(ip netns list | grep -e "$name" -e "$other")
procs=$(ps -eo pid=,args= | grep -e "/run/testbed/$name" -e "/run/testbed/$other" | grep -v grep)
[ -z "$left$procs" ] && [ ! -e "/run/testbed/$name" ] && ok kinds_nothing_left ||
	fail kinds_nothing_left "namespaces: $left processes: $procs"
