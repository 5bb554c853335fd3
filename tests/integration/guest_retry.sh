#!/usr/bin/env bash
# guest_retry — a guest that dies before READY (QEMU's kernel panics with
# too little memory) or hangs (a boot deadline of 5 ms, shorter than any
# UML boot: 0.2 s at best on the host of 2026-11-24, 25 ms on the faster
# host of 2026-11-25, where a 60 ms deadline no longer caught it) is detected, retried a bounded number of
# times, and reported with the reason and the tail of its log; nothing is
# left afterwards.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_ASAN_BIN/testbed
need_images guest_retry_images

name=$(tb_unique tbr)
work=$(mktemp -d /tmp/tbretry.XXXXXX)
cleanup() {
	local h
	for h in panic hang; do
		[ -d "/run/testbed/$name/hosts/$h" ] && "$TB" guest stop "$name" "$h" --timeout 2s
	done
	ip netns del "$name"
	rm -rf "$work" "/run/testbed/$name"
	rmdir /run/testbed 2>/dev/null
}
on_exit cleanup
trap "exit 143" TERM INT
ip netns add "$name" || { fail guest_retry_setup "cannot create namespace"; exit 1; }

printf 'host panic\nkind qemu\nmem 40M\n' > "$work/panic.host"
printf 'host hang\nkind uml\n' > "$work/hang.host"

out=$("$TB" guest start "$name" "$work/panic.host" --netns "$name" --retries 1 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ $out == *"before READY after 2 attempts"* ]] && [[ $out == *"attempt 2 failed"* ]]; then
	ok guest_died_before_ready_retried
else
	fail guest_died_before_ready_retried "rc=$rc: $out"
fi
"$TB" guest status "$name" panic | grep -q ' failed ' && ok guest_died_status_failed ||
	fail guest_died_status_failed "$("$TB" guest status "$name" panic)"

out=$("$TB" guest start "$name" "$work/hang.host" --netns "$name" --retries 0 --timeout 5ms 2>&1)
rc=$?
if [ $rc -ne 0 ] && [[ $out == *"no READY within 5 ms (hung) after 1 attempt"* ]]; then
	ok guest_hang_detected
else
	fail guest_hang_detected "rc=$rc: $out"
fi

procs=$(cat /run/testbed/"$name"/hosts/*/objects | awk '$1 != "netns" {print $2 ":" $3}')
for h in panic hang; do
	check "guest_retry_stop_$h" "$TB" guest stop "$name" "$h" --timeout 2s
done
left=""
for ps in $procs; do
	p=${ps%:*}
	st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '$1 != "Z" {print $20}')
	[ "$st" = "${ps#*:}" ] && left="$left $p($(cat /proc/$p/comm))"
done
[ -z "$left" ] && ok guest_retry_nothing_left || fail guest_retry_nothing_left "left:$left"
