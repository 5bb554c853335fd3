# capture=yes: a segment's frames go to STATE/capture/SEG.pcap from up to
# down (unicast too: the switch is a hub), and down stops the capture.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
name=$(tb_unique tbcap)
dir=$(mktemp -d)
on_exit rm -rf "$dir"
on_exit "$TB" down "$name"
cat >"$dir/t.topo" <<EOF2
testbed $name
segment lan subnet=10.78.0.0/24 capture=yes
segment quiet subnet=10.79.0.0/24
host h[1-2] kind=netns eth0=lan:auto eth1=quiet:auto
EOF2

if ! out=$("$TB" up "$dir/t.topo" 2>&1); then
	fail capture_up "$out"
	exit 1
fi
# every hop (plug, switch, wire) is a Unix datagram socket in the testbed's
# namespace: its queues are deeper than the kernel's 10 frames
q=$(ip netns exec "tb-$name" cat /proc/sys/net/unix/max_dgram_qlen 2>&1)
if [ "$q" = 256 ]; then ok up_deepens_unix_queues; else fail up_deepens_unix_queues "max_dgram_qlen '$q'"; fi
pcap=/run/testbed/$name/capture/lan.pcap
"$TB" exec "$name" h1 -- ping -n -c 3 -i 0.2 10.78.0.2 >/dev/null 2>&1
"$TB" exec "$name" h1 -- ping -n -c 2 -i 0.2 10.79.0.2 >/dev/null 2>&1
cp "$pcap" "$dir/lan.pcap" 2>/dev/null
n_req=$(tcpdump -nr "$dir/lan.pcap" 2>/dev/null | grep -c '10.78.0.1 > 10.78.0.2: ICMP echo request')
n_rep=$(tcpdump -nr "$dir/lan.pcap" 2>/dev/null | grep -c '10.78.0.2 > 10.78.0.1: ICMP echo reply')
# unicast in both directions: the switch of a capture=yes segment is a hub
if [ "$n_req" -eq 3 ] && [ "$n_rep" -eq 3 ]; then ok capture_segment_unicast; else fail capture_segment_unicast "requests $n_req replies $n_rep"; fi
# only the capture=yes segment is captured, and nothing of the other one leaks in
if [ ! -e "/run/testbed/$name/capture/quiet.pcap" ] && ! tcpdump -nr "$dir/lan.pcap" 2>/dev/null | grep -q 10.79.0; then
	ok capture_only_that_segment
else
	fail capture_only_that_segment "$(ls /run/testbed/$name/capture)"
fi
pid=$(awk '$1 == "capture" {print $2}' "/run/testbed/$name/objects")
"$TB" down "$name" >/dev/null 2>&1
# gone, or a zombie left to the machine's init to reap (it was reparented)
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
if [ -n "$pid" ] && wait_for 10 gone "$pid" && [ ! -e "/run/testbed/$name" ]; then
	ok capture_stopped_by_down
else
	fail capture_stopped_by_down "pid '$pid' still there or state left"
fi

# switch=bridge is in the format but not built: up says so and starts nothing
printf 'testbed %s\nsegment lan subnet=10.0.0.0/24 switch=bridge\nhost a kind=netns eth0=lan:auto\n' "${name}b" >"$dir/b.topo"
out=$("$TB" up "$dir/b.topo" 2>&1)
if [ $? -ne 0 ] && grep -q 'switch=bridge (a kernel bridge) is not implemented yet' <<<"$out" && [ ! -e "/run/testbed/${name}b" ]; then
	ok up_refuses_bridge_segment
else
	fail up_refuses_bridge_segment "$out"
fi
