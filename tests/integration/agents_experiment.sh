# The appliance experiment end to end on one network namespace's loopback
# (IPv4 and IPv6): keygen, centerd, ispd, appliance (and agents-relay for
# replays and loss), short duty cycles and fixed seeds.  Checks that every
# round's counts add up, wrong keys fail exactly their devices, replays are
# rejected, loss raises the failure rate, and garbage is counted, not fatal.
. "$TB_ROOT/tests/lib.sh"
need_root
BIN=$TB_ASAN_BIN
for p in centerd ispd appliance agents-keygen agents-relay; do
	[ -x "$BIN/$p" ] || { fail agents_programs_built "missing $BIN/$p"; exit 1; }
done

ns=$(tb_unique tbag)
tmp=$(mktemp -d /tmp/tbagents.XXXXXX)
pids=()
[ -n "${KEEP:-}" ] || on_exit rm -rf "$tmp"
on_exit ip netns del "$ns"
stop_all() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; pids=(); }
on_exit stop_all
ip netns add "$ns" || { fail agents_netns "cannot create namespace"; exit 1; }
ip -n "$ns" link set lo up
inns() { ip netns exec "$ns" "$@"; }   # foreground only: in the background $! would be a subshell

N=200
AWAKE=300ms SLEEP=1s-2s
"$BIN/agents-keygen" --devices $N --isps 1 --out "$tmp/keys" >/dev/null

# run NAME HOST AUTH ROUNDS APPL_KEYS ISP_FOR_APPLIANCES [relay args...]
# leaves logs and results in $tmp/NAME
run() {
	local name=$1 host=$2 auth=$3 rounds=$4 akeys=$5 via=$6; shift 6
	local d=$tmp/$name ispaddr="$host:17001"
	mkdir -p "$d"
	ip netns exec "$ns" "$BIN/centerd" --registry "$tmp/keys/registry.csv" --listen "$host:17000" --out "$d/out" \
		--rounds "$rounds" --round-timeout 3s --start-timeout 20s >"$d/center.out" 2>"$d/center.log" &
	local cpid=$!
	pids+=($cpid)
	ip netns exec "$ns" "$BIN/ispd" --keys "$tmp/keys/isp-0.keys" --isp-id 0 --listen "$ispaddr" --center "$host:17000" \
		--poll 100ms --retry 100ms --auth "$auth" >"$d/isp.out" 2>"$d/isp.log" &
	local ipid=$!
	pids+=($ipid)
	local target=$ispaddr
	if [ "$via" = relay ]; then
		ip netns exec "$ns" "$BIN/agents-relay" --listen "$host:17002" --to "$ispaddr" "$@" >"$d/relay.out" 2>"$d/relay.log" &
		pids+=($!)
		target="$host:17002"
		wait_for 10 grep -q '^ready' "$d/relay.out"
	fi
	ip netns exec "$ns" "$BIN/appliance" --keys "$akeys" --isp "$target" --port 17100 --threads 2 --awake $AWAKE \
		--sleep $SLEEP --seed 7 --auth "$auth" >"$d/appl.out" 2>"$d/appl.log" &
	local apid=$!
	pids+=($apid)
	wait_for 10 grep -q '^ready' "$d/isp.out" && wait_for 10 grep -q '^ready' "$d/appl.out" || return 1
	if [ "$name" = base ]; then   # garbage to every server while it works
		for i in 1 2 3 4 5; do
			inns bash -c "printf 'garbage%.0s' {1..$i} >/dev/udp/${host}/17001; printf 'xx' >/dev/udp/${host}/17100; printf 'TB\x01\x03' >/dev/udp/${host}/17101"
		done
		inns bash -c "exec 3<>/dev/tcp/${host}/17000; printf 'not a message of ours at all' >&3; sleep 0.2; exec 3>&-"
	fi
	# the center ends after its rounds; the ISP server follows it
	wait_for 60 bash -c "! kill -0 $cpid 2>/dev/null"
	wait_for 10 bash -c "! kill -0 $ipid 2>/dev/null"
	stop_all
	[ -f "$d/out/summary.json" ]
}

# every round: asked = retrieved + no_answer + auth_failed + lost + unknown, failed = asked - retrieved
sums_ok() {
	awk -F, 'NR > 1 { if ($2 != $3 + $5 + $6 + $7 + $8 || $4 != $2 - $3 || $2 != '"$N"') bad = 1; n++ }
		 END { exit (bad || n == 0) }' "$1/out/rounds.csv"
}
fail_rate() { awk -F, 'NR > 1 { a += $2; f += $4 } END { printf "%.4f", a ? f / a : 1 }' "$1/out/rounds.csv"; }
stat_of() { grep -o " $2=[0-9]*" "$1" | tail -1 | cut -d= -f2; }

# 1. baseline, IPv4, XOR, 2 rounds, with garbage thrown at every server
if run base 127.0.0.1 xor 2 "$tmp/keys/appliances-0.keys" direct; then
	check agents_rounds_add_up sums_ok "$tmp/base"
	fr=$(fail_rate "$tmp/base")
	awk -v f="$fr" 'BEGIN { exit !(f < 0.05) }' && ok agents_baseline_retrieves_all \
		|| fail agents_baseline_retrieves_all "failure rate $fr without impairment: $(cat "$tmp/base/out/rounds.csv")"
	m=$(stat_of "$tmp/base/isp.log" malformed)
	[ "${m:-0}" -ge 5 ] && ok agents_isp_counts_garbage || fail agents_isp_counts_garbage "ispd malformed=${m:-none}"
	m=$(stat_of "$tmp/base/appl.log" malformed)
	[ "${m:-0}" -ge 10 ] && ok agents_appliance_counts_garbage || fail agents_appliance_counts_garbage "appliance malformed=${m:-none}"
	grep -q '"center_malformed": [1-9]' "$tmp/base/out/summary.json" && ok agents_center_counts_garbage \
		|| fail agents_center_counts_garbage "$(grep malformed "$tmp/base/out/summary.json")"
	grep -q '^centerd: round=2 asked=200 retrieved=' "$tmp/base/center.log" && ok agents_center_logs_rounds \
		|| fail agents_center_logs_rounds "$(cat "$tmp/base/center.log")"
else
	fail agents_baseline_run "$(tail -n 5 "$tmp"/base/*.log)"
fi

# 2. wrong keys for three appliances, IPv6, HMAC: exactly those fail authentication
bad_ids="5 17 33"
awk -v bad=" $bad_ids " '/^#/ { print; next } index(bad, " " $1 " ") { $3 = "00000000000000000000000000000000" } { print }' \
	"$tmp/keys/appliances-0.keys" >"$tmp/wrong.keys"
if run wrong '[::1]' hmac 1 "$tmp/wrong.keys" direct; then
	check agents_wrong_keys_rounds_add_up sums_ok "$tmp/wrong"
	got=$(awk -F, '$4 == "auth_failed" { print $2 }' "$tmp/wrong/out/results.csv" | sort -n | tr '\n' ' ')
	[ "$got" = "$bad_ids " ] && ok agents_wrong_keys_fail_exactly_those || fail agents_wrong_keys_fail_exactly_those "auth_failed devices: '$got', expected '$bad_ids '"
	a=$(stat_of "$tmp/wrong/isp.log" auth_failed)
	[ "${a:-0}" -eq 3 ] && ok agents_isp_counts_auth_failures || fail agents_isp_counts_auth_failures "ispd auth_failed=${a:-none}"
else
	fail agents_wrong_keys_run "$(tail -n 5 "$tmp"/wrong/*.log)"
fi

# 3. every datagram replayed 2.5 s later by a relay in the middle (so into
# later rounds and awake periods): rejected on both sides, rounds still complete
if run replay 127.0.0.1 xor 3 "$tmp/keys/appliances-0.keys" relay --replay-after 2500ms; then
	check agents_replay_rounds_add_up sums_ok "$tmp/replay"
	r1=$(stat_of "$tmp/replay/isp.log" replayed) r2=$(stat_of "$tmp/replay/appl.log" replayed)
	[ "${r1:-0}" -gt 0 ] && [ "${r2:-0}" -gt 0 ] && ok agents_replays_rejected \
		|| fail agents_replays_rejected "ispd replayed=${r1:-none} appliance replayed=${r2:-none}"
	fr=$(fail_rate "$tmp/replay")
	awk -v f="$fr" 'BEGIN { exit !(f < 0.05) }' && ok agents_replays_do_not_break_rounds \
		|| fail agents_replays_do_not_break_rounds "failure rate $fr"
else
	fail agents_replay_run "$(tail -n 5 "$tmp"/replay/*.log)"
fi

# 4. 50% loss each way through the relay: the failure rate rises
if run lossy 127.0.0.1 xor 1 "$tmp/keys/appliances-0.keys" relay --drop-rate 50% --seed 3; then
	check agents_loss_rounds_add_up sums_ok "$tmp/lossy"
	f0=$(fail_rate "$tmp/base") f1=$(fail_rate "$tmp/lossy")
	awk -v a="$f0" -v b="$f1" 'BEGIN { exit !(b > a + 0.2) }' && ok agents_loss_raises_failure_rate \
		|| fail agents_loss_raises_failure_rate "failure rate without loss $f0, with 50% loss $f1"
else
	fail agents_loss_run "$(tail -n 5 "$tmp"/lossy/*.log)"
fi
