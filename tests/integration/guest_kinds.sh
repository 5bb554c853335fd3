#!/usr/bin/env bash
# guest_kinds — one guest of each kind (uml, qemu, netns) on one VDE segment
# in a namespace of our own: READY with a boot time, ping between all pairs
# over IPv4 and IPv6, exec output and exit status, program logs on the host,
# a guest killed with -9 reported dead, and nothing left after teardown.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_ASAN_BIN/testbed
need_images guest_images
ok guest_images

name=$(tb_unique tbg)
ns=$name
work=$(mktemp -d /tmp/tbguest.XXXXXX)
sw=$work/sw.ctl

cleanup() {
	local h
	for h in u q n; do
		[ -d "/run/testbed/$name/hosts/$h" ] && "$TB" guest stop "$name" "$h" --timeout 5s
	done
	[ -f "$work/sw.pid" ] && kill "$(cat "$work/sw.pid")"
	ip netns del "$ns"
	rm -rf "$work" "/run/testbed/$name"
	rmdir /run/testbed 2>/dev/null
}
on_exit cleanup
# tests/run stops a test that overruns with SIGTERM: clean up then too
trap "exit 143" TERM INT

ip netns add "$ns" || { fail guest_setup "cannot create namespace $ns"; exit 1; }
ip netns exec "$ns" vde_switch -d -s "$sw" -p "$work/sw.pid" -M "$work/sw.mgmt" ||
	{ fail guest_setup "vde_switch did not start"; exit 1; }
wait_for 5 test -S "$sw/ctl" || { fail guest_setup "no vde_switch socket"; exit 1; }

declare -A kind=([u]=uml [q]=qemu [n]=netns) v4=([u]=10.77.0.1 [q]=10.77.0.2 [n]=10.77.0.3) \
	v6=([u]=fd77::1 [q]=fd77::2 [n]=fd77::3)
for h in u q n; do
	cat > "$work/$h.host" <<EOT
host $h
kind ${kind[$h]}
nic eth0 $sw
addr eth0 ${v4[$h]}/24
addr eth0 ${v6[$h]}/64
run sh -c 'echo program-of-$h; exec sleep 100000'
EOT
done

# start all three at once, as `up` will
for h in u q n; do
	"$TB" guest start "$name" "$work/$h.host" --netns "$ns" > "$work/$h.start" 2>&1 &
	echo $! > "$work/$h.startpid"
done
for h in u q n; do
	if wait "$(cat "$work/$h.startpid")"; then
		ok "guest_start_${kind[$h]}"
	else
		fail "guest_start_${kind[$h]}" "$(cat "$work/$h.start")"
	fi
done

# READY with a boot time, in status
for h in u q n; do
	js=$("$TB" guest status "$name" "$h" --json)
	if python3 -c 'import json,sys; s=json.loads(sys.argv[1])[0]; sys.exit(0 if s["state"]=="ready" and s["boot_ns"]>0 and s["pss_bytes"]>0 and s["kind"]==sys.argv[2] else 1)' "$js" "${kind[$h]}"; then
		ok "guest_ready_boot_time_${kind[$h]}"
	else
		fail "guest_ready_boot_time_${kind[$h]}" "status: $js"
	fi
done
"$TB" guest status "$name" | grep -q 'qemu.*ready.*\(tcg\|kvm\)' && ok guest_qemu_accel_reported ||
	fail guest_qemu_accel_reported "$("$TB" guest status "$name")"

# ping between all pairs, IPv4 and IPv6
for a in u q n; do
	for b in u q n; do
		[ "$a" = "$b" ] && continue
		for fam in 4 6; do
			if [ $fam = 4 ]; then dst=${v4[$b]}; else dst=${v6[$b]}; fi
			if out=$(timeout 30 "$TB" exec "$name" "$a" -- ping -c 1 -W 5 "$dst" 2>&1); then
				ok "guest_ping${fam}_${kind[$a]}_to_${kind[$b]}"
			else
				fail "guest_ping${fam}_${kind[$a]}_to_${kind[$b]}" "$out"
			fi
		done
	done
done

# exec: stdout, stderr and exit status apart; the hostname is the host's name
for h in u q n; do
	out=$(timeout 30 "$TB" exec "$name" "$h" -- sh -c 'echo to-out; echo to-err >&2; exit 7' 2>"$work/err")
	rc=$?
	if [ "$rc" = 7 ] && [ "$out" = to-out ] && [ "$(cat "$work/err")" = to-err ]; then
		ok "guest_exec_status_${kind[$h]}"
	else
		fail "guest_exec_status_${kind[$h]}" "rc=$rc out='$out' err='$(cat "$work/err")'"
	fi
	out=$(timeout 30 "$TB" exec "$name" "$h" -- hostname)
	[ "$out" = "$h" ] && ok "guest_hostname_${kind[$h]}" || fail "guest_hostname_${kind[$h]}" "hostname '$out'"
	timeout 30 "$TB" exec "$name" "$h" -- /no/such/program >/dev/null 2>&1
	rc=$?
	[ "$rc" = 127 ] && ok "guest_exec_missing_${kind[$h]}" || fail "guest_exec_missing_${kind[$h]}" "rc=$rc"
	if wait_for 10 grep -q "program-of-$h" "/run/testbed/$name/hosts/$h/prog-0.log"; then
		ok "guest_program_log_${kind[$h]}"
	else
		fail "guest_program_log_${kind[$h]}" "no program output in prog-0.log"
	fi
done

# the console: a shell on it answers (stdin's end detaches, like Ctrl-])
for h in u q n; do
	out=$( (echo 'echo console-$((6*7))'; sleep 3) | timeout 30 "$TB" console "$name" "$h" 2>&1)
	[[ $out == *console-42* ]] && ok "guest_console_${kind[$h]}" ||
		fail "guest_console_${kind[$h]}" "console said: $out"
done

# kill -9 of a guest: reported dead
pids=""
for h in u n; do
	g=$(awk '$1 == "guest" {p=$2} END {print p}' "/run/testbed/$name/hosts/$h/objects")
	pids="$pids $g"
	kill -9 "$g"
done
for h in u n; do
	if wait_for 10 sh -c "'$TB' guest status '$name' '$h' | grep -q ' dead .*signal 9'"; then
		ok "guest_killed_dead_${kind[$h]}"
	else
		fail "guest_killed_dead_${kind[$h]}" "$("$TB" guest status "$name" "$h")"
	fi
done
"$TB" exec "$name" n -- true >/dev/null 2>&1 && fail guest_exec_dead "exec on a dead guest succeeded" ||
	ok guest_exec_dead

# teardown: every recorded process and namespace gone, and the state dir
procs=$(cat /run/testbed/"$name"/hosts/*/objects | awk '$1 != "netns" {print $2 ":" $3}')
for h in u q n; do
	check "guest_stop_${kind[$h]}" "$TB" guest stop "$name" "$h" --timeout 5s
done
left=""
for ps in $procs; do
	p=${ps%:*}
	# the same PID with the same start time (PIDs are reused)
	# (a zombie waiting for init to reap it is gone already)
	st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '$1 != "Z" {print $20}')
	[ "$st" = "${ps#*:}" ] && left="$left $p($(cat /proc/$p/comm))"
done
[ -z "$left" ] && ok guest_no_processes_left || fail guest_no_processes_left "left:$left"
ip netns list | grep -q "^tb-$name-" && fail guest_no_netns_left "$(ip netns list | grep "tb-$name-")" ||
	ok guest_no_netns_left
[ ! -e "/run/testbed/$name" ] && ok guest_no_state_left || fail guest_no_state_left "$(ls -R /run/testbed/$name)"
