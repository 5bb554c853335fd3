#!/usr/bin/env bash
# check_broken — every tests/broken/NAME.topo must fail `testbed check` with
# exit status 1 and exactly the error lines of NAME.expect (file:line:col
# and message); NAME.args holds command-line NAME=VALUE words if any.
# Also: the quoted source line and caret of one error, the cap of 50
# errors, and the usage exit status.
. "$TB_ROOT/tests/lib.sh"
cd "$TB_ROOT" || exit 1
tb=$TB_ASAN_BIN/testbed

for topo in tests/broken/*.topo; do
	name=$(basename "$topo" .topo)
	args=()
	[ -f "tests/broken/$name.args" ] && read -r -a args <"tests/broken/$name.args"
	out=$("$tb" check "$topo" "${args[@]}" 2>&1)
	rc=$?
	got=$(grep -E "^$topo(:[0-9]+:[0-9]+)?: " <<<"$out")
	want=$(cat "tests/broken/$name.expect")
	if [ "$rc" -ne 1 ]; then
		fail "broken_$name" "exit status $rc, expected 1"$'\n'"$out"
	elif [ "$got" != "$want" ]; then
		fail "broken_$name" "errors differ:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
	else
		ok "broken_$name"
	fi
done

# The whole message of one error: location, quoted line, caret under the
# offending text (here a value that came from a continued line).
want='tests/broken/column_on_continued_line.topo:4:24: error: bad value '"'"'2%%'"'"' for loss: expected a fraction such as 1%, 0.25% or 0.01 or gilbert:p=P,r=R[,h=H,k=K] with fractions such as 1% (p and r above 0)
      eth0=lan:auto,loss=2%% \
                         ^~~
1 error'
got=$("$tb" check tests/broken/column_on_continued_line.topo 2>&1)
if [ "$got" == "$want" ]; then ok caret_line; else fail caret_line "$(diff <(echo "$want") <(echo "$got"))"; fi

# 60 errors: 50 are shown, then one line counts the rest.
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
for i in $(seq 1 60); do echo "host h$i colour=blue"; done >"$tmp/many.topo"
out=$("$tb" check "$tmp/many.topo" 2>&1)
n=$(grep -c ': error: ' <<<"$out")
if [ "$n" -eq 50 ] && grep -q "10 more errors not shown (60 in all)" <<<"$out" &&
   grep -q "^$tmp/many.topo:60:" <<<"$out"; then
	fail error_cap "the 60th error should not be shown"
elif [ "$n" -eq 50 ] && grep -q "10 more errors not shown (60 in all)" <<<"$out"; then
	ok error_cap
else
	fail error_cap "$n errors shown"$'\n'"$(tail -3 <<<"$out")"
fi

# Usage errors exit 2, an unreadable file too.
"$tb" check >/dev/null 2>&1; rc1=$?
"$tb" check --bogus x.topo >/dev/null 2>&1; rc2=$?
"$tb" check "$tmp/does-not-exist.topo" >/dev/null 2>&1; rc3=$?
if [ "$rc1$rc2$rc3" = 222 ]; then ok check_usage; else fail check_usage "statuses $rc1 $rc2 $rc3"; fi
