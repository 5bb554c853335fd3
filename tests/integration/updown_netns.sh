# testbed up / exec / link / status / down on a routed topology of netns
# hosts with an emulated link and an impaired interface; then down after
# kill -9 of the emulator and of a guest must leave nothing behind.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
name=$(tb_unique tbu)
dir=$(mktemp -d)
topo=$dir/$name.topo
on_exit rm -rf "$dir"
on_exit "$TB" down "$name"

cat >"$topo" <<EOF
testbed $name
segment a  subnet=10.20.1.0/24 subnet6=fd20:1::/64
segment b1 subnet=10.20.2.0/24 subnet6=fd20:2::/64
segment b2 subnet=10.20.2.0/24 subnet6=fd20:2::/64
# b1 and b2 are one Ethernet joined by an emulated link
link b1 b2 delay=25ms
host h1 kind=netns eth0=a:10.20.1.10
host r  kind=netns forward=yes eth0=a:10.20.1.1 eth1=b1:10.20.2.1
host h2 kind=netns eth0=b2:10.20.2.20
host h3 kind=netns eth0=b1:10.20.2.30,delay=10ms
EOF

# rtt_ms HOST DEST [COUNT]: the average RTT of COUNT pings, or nothing
rtt_ms() {
	"$TB" exec "$name" "$1" -- ping -n -q -c "${3:-3}" -i 0.2 -W 2 "$2" 2>/dev/null |
		awk -F/ '/^rtt|^round-trip/ {printf "%d\n", $5}'
}

out=$("$TB" up "$topo" 2>&1)
if [ $? -eq 0 ]; then ok up; else fail up "$out"; exit 1; fi

st=$("$TB" status "$name" --json)
n_ready=$(grep -c '"state": "ready"' <<<"$st")
[ "$n_ready" -eq 4 ] && ok status_all_ready || fail status_all_ready "$st"
ip netns list | grep -q "^tb-$name" && ok testbed_namespace_exists || fail testbed_namespace_exists "no tb-$name"

# wire_frames WIRE: frames the emulator passed on WIRE (both directions),
# from status --json's "wires" list
wire_frames() {
	"$TB" status "$name" --json | python3 -c 'import json, sys
w = [w for w in json.load(sys.stdin)["wires"] if w["name"] == sys.argv[1]][0]
print(w["a2b"]["out_frames"] + w["b2a"]["out_frames"])' "$1" 2>/dev/null
}
f0=$(wire_frames b1:b2)
[ -n "$f0" ] && ok status_json_lists_wires || fail status_json_lists_wires "$("$TB" status "$name" --json | tail -5)"

r=$(rtt_ms h1 10.20.2.20)
[ -n "$r" ] && [ "$r" -ge 50 ] && [ "$r" -lt 200 ] &&
	ok routed_ping_through_link_delay || fail routed_ping_through_link_delay "rtt=$r ms (want >= 50: 2 x 25 ms)"
# 3 echo requests and 3 replies crossed the link
f1=$(wire_frames b1:b2)
[ -n "$f0" ] && [ -n "$f1" ] && [ "$f1" -ge $((f0 + 6)) ] && ok status_wire_counters_grow ||
	fail status_wire_counters_grow "frames before $f0, after $f1 (want at least 6 more)"
"$TB" status "$name" | grep -Eq '^b1:b2 +a2b +uu +[0-9]+ +[1-9]' && ok status_text_wires_table ||
	fail status_text_wires_table "$("$TB" status "$name" 2>&1 | tail -6)"
r=$(rtt_ms h1 fd20:2::14)
[ -n "$r" ] && [ "$r" -ge 50 ] && ok routed_ping6_through_link ||
	fail routed_ping6_through_link "rtt=$r ms"
r=$(rtt_ms h1 10.20.2.30)
[ -n "$r" ] && [ "$r" -ge 20 ] && [ "$r" -lt 50 ] &&
	ok impaired_interface_delay || fail impaired_interface_delay "rtt=$r ms (want 20..50: 2 x 10 ms, no link)"

"$TB" exec "$name" h2 -- true && ok exec_status_zero || fail exec_status_zero "exec true failed"
"$TB" exec "$name" h2 -- sh -c 'exit 7'; [ $? -eq 7 ] && ok exec_status_passed || fail exec_status_passed "exit status not 7"

# capture on a segment: a BPF filter, a pcap file tcpdump reads
"$TB" capture "$name" a -w "$dir/a.pcap" -c 4 icmp 2>"$dir/cap.err" &
cap=$!
on_exit kill "$cap"
wait_for 5 grep -q "^capturing on" "$dir/cap.err"
"$TB" exec "$name" h1 -- ping -n -q -c 3 -i 0.2 10.20.1.1 >/dev/null 2>&1
"$TB" exec "$name" h1 -- ping -n -q -c 2 -i 0.2 10.20.1.1 >/dev/null 2>&1
wait_for 5 sh -c "! kill -0 $cap"
n=$(tcpdump -nr "$dir/a.pcap" 2>/dev/null | grep -c ICMP)
[ "$n" -eq 4 ] && ok capture_filter_to_pcap || fail capture_filter_to_pcap "$n ICMP frames in the pcap (want 4)"
"$TB" capture "$name" a -c 1 'not a valid filter (' 2>/dev/null && fail capture_rejects_bad_filter "accepted" ||
	ok capture_rejects_bad_filter

# run-time changes
"$TB" link "$name" b1 b2 up=no >/dev/null
r=$(rtt_ms h1 10.20.2.20 2)
[ -z "$r" ] && ok link_cut || fail link_cut "still answers: rtt=$r"
"$TB" link "$name" b1 b2 up=yes delay=5ms >/dev/null
r=$(rtt_ms h1 10.20.2.20)
[ -n "$r" ] && [ "$r" -ge 10 ] && [ "$r" -lt 40 ] && ok link_restored_with_new_delay ||
	fail link_restored_with_new_delay "rtt=$r ms (want 10..40: 2 x 5 ms)"
"$TB" link "$name" h3 eth0 in.delay=40ms >/dev/null
r=$(rtt_ms h1 10.20.2.30)
[ -n "$r" ] && [ "$r" -ge 50 ] && ok interface_change_one_direction ||
	fail interface_change_one_direction "rtt=$r ms (want >= 50: 10 out + 40 in)"
"$TB" link "$name" b1 b2 nonsense=1 2>/dev/null && fail link_rejects_bad_attr "accepted" || ok link_rejects_bad_attr

# loss: 50% on the way back drops half of the round trips; 60 pings, a band
# of more than 4 standard deviations.  (One direction only, so that ARP
# always gets through and cannot turn the loss into an outage.)
"$TB" link "$name" b1 b2 b2a.loss=50% delay=0ms >/dev/null
recv=$("$TB" exec "$name" h1 -- ping -n -q -c 60 -i 0.02 -W 1 10.20.2.20 2>/dev/null |
	awk '/received/ {for (i = 1; i <= NF; i++) if ($(i) ~ /^received/) print $(i-1)}')
[ -n "$recv" ] && [ "$recv" -ge 12 ] && [ "$recv" -le 48 ] && ok link_loss_seen ||
	fail link_loss_seen "received $recv of 60 (expected about 30)"

# crash: kill -9 the emulator and a guest's processes, then down
emu=$(awk '$1 == "emulator" {print $2}' "/run/testbed/$name/objects")
[ -n "$emu" ] && kill -9 "$emu"
guest=$(awk '$1 == "guest" {print $2}' "/run/testbed/$name/hosts/h2/objects" 2>/dev/null | tail -1)
[ -n "$guest" ] && kill -9 "$guest"
wait_for 10 sh -c "\"$TB\" status $name --json | grep -q '\"state\": \"dead\"'" &&
	ok killed_guest_reported_dead || fail killed_guest_reported_dead "$("$TB" status "$name" 2>&1)"
"$TB" down "$name" >/dev/null 2>&1 && ok down_after_kill || fail down_after_kill "down failed"

[ ! -e "/run/testbed/$name" ] && ok no_state_dir_left || fail no_state_dir_left "/run/testbed/$name remains"
left=$(ip netns list | grep -c "$name")
[ "$left" -eq 0 ] && ok no_namespace_left || fail no_namespace_left "$(ip netns list | grep "$name")"
procs=$(ps -eo pid=,args= | grep -F "/run/testbed/$name" | grep -v grep)
[ -z "$procs" ] && ok no_process_left || fail no_process_left "$procs"

# errors a user meets: a file with an error starts nothing; too little memory
printf 'testbed %s\nsegment s subnet=10.99.0.0/16\nhost h[1-600] kind=qemu mem=1G eth0=s:auto\n' "${name}m" >"$dir/big.topo"
msg=$("$TB" up "$dir/big.topo" 2>&1)
[ $? -ne 0 ] && grep -q "not enough memory" <<<"$msg" && [ ! -e "/run/testbed/${name}m" ] &&
	ok up_refuses_too_little_memory || fail up_refuses_too_little_memory "$msg"
printf 'testbed %s\nsegment s subnet=10.99.0.0/16\nhost h1 kind=netns eth0=nowhere:auto\n' "${name}e" >"$dir/bad.topo"
msg=$("$TB" up "$dir/bad.topo" 2>&1)
[ $? -ne 0 ] && grep -q "bad.topo:3:" <<<"$msg" && [ ! -e "/run/testbed/${name}e" ] &&
	ok up_refuses_broken_topology || fail up_refuses_broken_topology "$msg"
msg=$(TB_IMAGES=$dir/none "$TB" up "$topo" 2>&1)
[ $? -ne 0 ] && grep -q "make images" <<<"$msg" && [ ! -e "/run/testbed/$name" ] &&
	ok up_without_images_says_make_images || fail up_without_images_says_make_images "$msg"
