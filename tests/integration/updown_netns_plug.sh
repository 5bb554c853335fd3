# What makes a netns host cheap to start (issue 5, docs/boot-storm.md):
# its monitor forwards the host's NICs itself (no vde_plug2tap per NIC),
# the console shell starts on the first attach, not at boot.  Checked: a
# booted host has only tbinit in its namespace; frames cross a router's two
# plugged NICs, a burst without loss; the console answers, also after its
# shell exited; a kill -9 of a monitor takes the host's NICs with it and is
# reported; down leaves nothing.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
name=$(tb_unique tbn9)
dir=$(mktemp -d)
topo=$dir/$name.topo
on_exit rm -rf "$dir"
on_exit "$TB" down "$name"

cat >"$topo" <<EOF
testbed $name
segment a subnet=10.71.1.0/24
segment b subnet=10.71.2.0/24
host h1 kind=netns eth0=a:10.71.1.10
host r  kind=netns forward=yes eth0=a:10.71.1.1 eth1=b:10.71.2.1
host h2 kind=netns eth0=b:10.71.2.20
EOF

out=$("$TB" up "$topo" 2>&1)
if [ $? -eq 0 ]; then ok plug_up; else fail plug_up "$out"; exit 1; fi

# in_ns HOST: the commands running in the host's namespace
in_ns() { ip netns pids "tb-$name-$1" | xargs -r ps -o comm= -p | sort | tr '\n' ' '; }
procs="$(in_ns h1)| $(in_ns r)| $(in_ns h2)"
[ "$procs" = "tbinit | tbinit | tbinit " ] && ok booted_host_runs_only_tbinit ||
	fail booted_host_runs_only_tbinit "processes in the hosts' namespaces: $procs"
plugs=$(ps -eo args= | grep -F "/run/testbed/$name/" | grep -c '^vde_plug')
[ "$plugs" -eq 0 ] && ok no_plug_process || fail no_plug_process "$plugs vde_plug processes"
ip -n "tb-$name-r" -o link show | grep -q ' eth1:' && ok router_has_two_taps ||
	fail router_has_two_taps "$(ip -n "tb-$name-r" -o link show 2>&1)"

"$TB" exec "$name" h1 -- ping -n -q -c 2 -W 2 10.71.2.20 >/dev/null 2>&1 &&
	ok routed_through_two_plugs || fail routed_through_two_plugs "h1 cannot reach h2 through r"
# 200 echo requests 5 ms apart: every frame crosses four plugs
recv=$("$TB" exec "$name" h1 -- ping -n -q -c 200 -i 0.005 -W 2 10.71.2.20 2>/dev/null |
	awk '/received/ {for (i = 1; i <= NF; i++) if ($(i) ~ /^received/) print $(i-1)}')
[ "$recv" = 200 ] && ok burst_without_loss || fail burst_without_loss "received $recv of 200"

# the console: no shell before the first attach, one after
out=$( (echo 'echo console-$((6*7))'; sleep 2) | timeout 30 "$TB" console "$name" h1 2>&1)
[[ $out == *console-42* ]] && ok console_answers || fail console_answers "console said: $out"
[[ $(in_ns h1) == *sh* ]] && ok shell_started_on_attach || fail shell_started_on_attach "$(in_ns h1)"
( echo exit; sleep 1 ) | timeout 30 "$TB" console "$name" h1 >/dev/null 2>&1
wait_for 10 sh -c "ip netns pids tb-$name-h1 | xargs -r ps -o comm= -p | grep -qx sh"
out=$( (echo 'echo again-$((6*7))'; sleep 2) | timeout 30 "$TB" console "$name" h1 2>&1)
[[ $out == *again-42* ]] && ok console_after_shell_exit || fail console_after_shell_exit "console said: $out"

# kill -9 of h2's monitor: its NIC goes with it, status says so
hd=/run/testbed/$name/hosts/h2
mon=$(awk '$1 == "monitor" {print $2}' "$hd/objects")
[ -n "$mon" ] && kill -9 "$mon"
wait_for 10 sh -c "! ip -n tb-$name-h2 link show eth0" && ok killed_monitor_takes_nic ||
	fail killed_monitor_takes_nic "$(ip -n "tb-$name-h2" -o link show 2>&1)"
wait_for 10 sh -c "\"$TB\" status $name | grep -E '^h2 ' | grep -q 'dead.*monitor is gone'" &&
	ok killed_monitor_reported || fail killed_monitor_reported "$("$TB" status "$name" 2>&1)"
"$TB" exec "$name" h1 -- ping -n -q -c 1 -W 1 10.71.2.20 >/dev/null 2>&1 &&
	fail killed_host_unreachable "h2 still answers" || ok killed_host_unreachable

recorded=$(cat /run/testbed/"$name"/hosts/*/objects /run/testbed/"$name"/objects 2>/dev/null |
	awk 'NF == 3 && $2 ~ /^[0-9]+$/ {print $2 ":" $3}')
"$TB" down "$name" >/dev/null 2>&1 && ok plug_down || fail plug_down "down failed"
# recorded processes still running (a zombie is dead: init reaps it soon)
recorded_alive() {
	local r pid st
	for r in $recorded; do
		pid=${r%%:*} st=${r#*:}
		awk -v st="$st" '$3 != "Z" && $22 == st {found = 1} END {exit !found}' \
			"/proc/$pid/stat" 2>/dev/null && echo -n " $pid"
	done
}
alive=$(recorded_alive)
left=$(ip netns list | awk -v n="tb-$name" '$1 == n || index($1, n "-") == 1 {print $1}' | tr '\n' ' ')
[ -z "$alive" ] && [ -z "$left" ] && [ ! -e "/run/testbed/$name" ] && ok plug_nothing_left ||
	fail plug_nothing_left "recorded processes alive:$alive; namespaces: $left; state: $(ls -d /run/testbed/$name 2>&1)"
