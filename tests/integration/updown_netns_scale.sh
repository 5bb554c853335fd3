# What keeps `testbed up`/`down`/`status` linear in the number of netns
# hosts (issue 5), on 24 hosts: an IPv4-only host gets no IPv6 link-local
# address, so the segment is not flooded with DAD/MLD/router solicitations
# (each one went to every port: N^2 frames), while a host with IPv6 keeps
# its link-local; status reports every host from one /proc pass; down kills
# a process started in a host's namespace behind the testbed's back (the
# one-pass sweep over /proc) and leaves nothing.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
name=$(tb_unique tbns)
dir=$(mktemp -d)
topo=$dir/$name.topo
on_exit rm -rf "$dir"
on_exit "$TB" down "$name"

cat >"$topo" <<EOF2
testbed $name
segment lan subnet=10.66.0.0/24
segment lan6 subnet=10.67.0.0/24 subnet6=fd67::/64
host h[1-24] kind=netns eth0=lan:auto
host v6 kind=netns eth0=lan6:auto
EOF2

out=$("$TB" up "$topo" 2>&1)
if [ $? -eq 0 ]; then ok scale_up; else fail scale_up "$out"; exit 1; fi

ll=$(ip netns exec "tb-$name-h1" ip -6 addr show dev eth0 scope link 2>&1)
[ -z "$ll" ] && ok ipv4_only_host_has_no_link_local || fail ipv4_only_host_has_no_link_local "$ll"
wait_for 10 sh -c "ip netns exec tb-$name-v6 ip -6 addr show dev eth0 scope link | grep -q fe80::" &&
	ok ipv6_host_keeps_link_local || fail ipv6_host_keeps_link_local "$(ip netns exec "tb-$name-v6" ip -6 addr 2>&1)"
# 23 other hosts booted on h1's segment: with the IPv6 chatter h1 received
# about 6 frames from each (over 100); without it, none
rx=$(ip netns exec "tb-$name-h1" cat /sys/class/net/eth0/statistics/rx_packets)
[ "$rx" -lt 23 ] && ok segment_not_flooded_at_boot || fail segment_not_flooded_at_boot "h1 received $rx frames"
# IPv4 still works between the hosts
"$TB" exec "$name" h1 -- ping -n -q -c 1 -W 2 10.66.0.24 >/dev/null 2>&1 &&
	ok ipv4_ping_between_hosts || fail ipv4_ping_between_hosts "h1 cannot reach h24"

st=$("$TB" status "$name" --json)
n_ready=$(grep -c '"state": "ready"' <<<"$st")
n_pss=$(grep -c '"pss_bytes": [1-9]' <<<"$st")
[ "$n_ready" -eq 25 ] && [ "$n_pss" -eq 25 ] && ok status_all_hosts_with_memory ||
	fail status_all_hosts_with_memory "$n_ready ready, $n_pss with PSS (want 25 and 25)"

# a process in a host's namespace that nothing recorded, in its own session
ip netns exec "tb-$name-h7" setsid -f sleep 1000 </dev/null >/dev/null 2>&1
wait_for 5 sh -c "ip netns pids tb-$name-h7 | xargs -r ps -o comm= -p | grep -qx sleep"
stray=$(ip netns pids "tb-$name-h7" | xargs -r ps -o pid=,comm= -p | awk '$2 == "sleep" {print $1}')
[ -n "$stray" ] && ok stray_process_started || fail stray_process_started "no sleep in tb-$name-h7"
on_exit kill -9 $stray

"$TB" down "$name" >/dev/null 2>&1 && ok scale_down || fail scale_down "down failed"
wait_for 5 sh -c "! kill -0 $stray 2>/dev/null" && ok down_killed_stray_process ||
	fail down_killed_stray_process "pid $stray still runs"
left=$(ip netns list | awk -v n="tb-$name" '$1 == n || index($1, n "-") == 1 {print $1}' | tr '\n' ' ')
[ -z "$left" ] && [ ! -e "/run/testbed/$name" ] && ok scale_nothing_left ||
	fail scale_nothing_left "namespaces: $left; state: $(ls -d /run/testbed/$name 2>&1)"
