# bench_tbgen — keeps the benchmark's traffic generator honest: tbgen's UDP
# mode between two namespaces over a veth pair (every frame arrives, counts
# and one-way delays are sane) and its vdeplug mode over a vde_switch.
. "$TB_ROOT/tests/lib.sh"
need_root
TBGEN=$TB_ASAN_BIN/tbgen
[ -x "$TBGEN" ] || TBGEN=$TB_BIN/tbgen
# libvdeplug dlopens its modules with RTLD_DEEPBIND, which AddressSanitizer
# refuses, so the vdeplug part runs the release build
TBGEN_VDE=$TB_BIN/tbgen

u=$(tb_unique tbg)
nsa=${u}a nsb=${u}b
dir=$(mktemp -d /tmp/tbgen.XXXXXX)
on_exit rm -rf "$dir"
ip netns add "$nsa" && on_exit ip netns del "$nsa"
ip netns add "$nsb" && on_exit ip netns del "$nsb"
ip -n "$nsa" link add veth0 type veth peer name veth1 netns "$nsb"
ip -n "$nsa" addr add 10.77.0.1/24 dev veth0
ip -n "$nsb" addr add 10.77.0.2/24 dev veth1
ip -n "$nsa" link set veth0 up
ip -n "$nsb" link set veth1 up
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up

# start_sink OUTFILE NETNS-OR-"" ARGS...: a sink in the background, waited
# on until it says it is ready (--ready-fd)
sink_pid=
start_sink() {
	local out=$1 ns=$2; shift 2
	rm -f "$out.ready"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$TBGEN" recv "$@" --ready-fd 3 >"$out" 2>"$out.err" 3>"$out.ready" &
	else
		"$TBGEN" recv "$@" --ready-fd 3 >"$out" 2>"$out.err" 3>"$out.ready" &
	fi
	sink_pid=$!
	on_exit kill "$sink_pid"
	wait_for 10 test -s "$out.ready"
}

# jget FILE KEY: a value from tbgen's one-line JSON
jget() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$1" "$2"; }

# 1. UDP, paced: 5000 frames at 5000/s; all must arrive in order, once.
start_sink "$dir/udp" "$nsb" udp://10.77.0.2:7001 --idle 2s --timeout 20s --expect 0
ip netns exec "$nsa" "$TBGEN" send udp://10.77.0.2:7001 --count 5000 --rate 5000 >"$dir/udp.send" 2>&1
wait "$sink_pid"
if [ "$(jget "$dir/udp" unique)" = 5000 ] && [ "$(jget "$dir/udp" lost)" = 0 ] &&
   [ "$(jget "$dir/udp" dups)" = 0 ] && [ "$(jget "$dir/udp" end_seen)" = True ]; then
	ok tbgen_udp_all_frames_arrive
else
	fail tbgen_udp_all_frames_arrive "$(cat "$dir/udp" "$dir/udp.err" "$dir/udp.send")"
fi
# delays: positive, ordered, and a veth hop is far below a second; the rate
# seen by the sink matches the pacing within 10%
if python3 - "$dir/udp" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
d = [r[k] for k in ("delay_min_us", "delay_p50_us", "delay_p90_us", "delay_p99_us", "delay_max_us")]
assert 0 < d[0] <= d[1] <= d[2] <= d[3] <= d[4] < 1e6, d
assert abs(r["fps"] - 5000) < 500, r["fps"]
assert r["err_p50_us"] == r["delay_p50_us"]
PY
then ok tbgen_udp_delays_sane; else fail tbgen_udp_delays_sane "$(cat "$dir/udp")"; fi

# 2. UDP, as fast as possible: the sender reports a rate and the sink's
# counts add up (sent = unique + lost)
start_sink "$dir/fast" "$nsb" udp://10.77.0.2:7002 --idle 1s --timeout 20s
ip netns exec "$nsa" "$TBGEN" send udp://10.77.0.2:7002 --count 50000 >"$dir/fast.send" 2>&1
wait "$sink_pid"
if python3 - "$dir/fast" "$dir/fast.send" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
s = json.loads(open(sys.argv[2]).readline())
assert s["sent"] == 50000 and s["fps"] > 0
assert r["sent"] == 50000 and r["unique"] + r["lost"] == 50000, r
assert r["unique"] > 0 and r["fps"] > 0
PY
then ok tbgen_udp_fast_counts_add_up; else fail tbgen_udp_fast_counts_add_up "$(cat "$dir/fast" "$dir/fast.send")"; fi

# 3. vdeplug mode through a vde_switch: raw Ethernet frames, paced so the
# switch drops nothing
vde_switch -s "$dir/sw" -d -p "$dir/sw.pid" </dev/null >/dev/null 2>&1
wait_for 10 test -s "$dir/sw.pid"
on_exit kill "$(cat "$dir/sw.pid")"
wait_for 10 test -S "$dir/sw/ctl"
TBGEN=$TBGEN_VDE
start_sink "$dir/vde" "" "vde://$dir/sw" --idle 2s --timeout 20s
"$TBGEN" send "vde://$dir/sw" --count 2000 --rate 4000 --size 128 >"$dir/vde.send" 2>&1
wait "$sink_pid"
if python3 - "$dir/vde" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["port"] == "vde" and r["unique"] == 2000 and r["lost"] == 0, r
assert r["end_seen"] and r["foreign"] == 0, r
assert 0 < r["delay_p50_us"] <= r["delay_p99_us"] < 1e6, r
# 124 bytes per frame handed to the switch (128 minus FCS)
assert abs(r["l2_bps"] / r["fps"] - 124 * 8) < 1, r
PY
then ok tbgen_vdeplug_over_switch; else fail tbgen_vdeplug_over_switch "$(cat "$dir/vde" "$dir/vde.err" "$dir/vde.send")"; fi

# 4. bad options are refused with a message, not run
if ! "$TBGEN" send udp://10.77.0.2:7003 --count 0 >/dev/null 2>"$dir/bad.err" &&
   grep -q -- '--count' "$dir/bad.err" &&
   ! "$TBGEN" send udp://nohost --count 1 >/dev/null 2>&1 &&
   ! "$TBGEN" send udp://10.77.0.2:7003 --size 63 >/dev/null 2>&1; then
	ok tbgen_rejects_bad_options
else
	fail tbgen_rejects_bad_options "$(cat "$dir/bad.err")"
fi
