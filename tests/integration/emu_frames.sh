#!/usr/bin/env bash
# emu_frames — exact end-to-end checks with the benchmark's traffic
# generator (tbgen, bench/) speaking to the emulator's ports directly over
# ptp sockets: tbgen -> testbed-emu -> tbgen.  (Not through vde_switch: a
# switch drops frames when a peer's datagram queue is full, which would
# blur counts that must be exact.)  Duplication doubles what arrives,
# jitter that may not reorder keeps order and jitter that may does not,
# Bernoulli loss seen by the receiver sits in its 99% interval and equals
# the emulator's count, and frames too long are counted as malformed.
. "$TB_ROOT/tests/lib.sh"
need_root

need_emu_tbgen emu_frames_tbgen

# run NAME COUNT SIZE ATTR...: a fresh emulator with ATTRs, COUNT frames of
# SIZE at 20k/s; leaves the receiver's JSON in NAME.json, stats in NAME.stats
run() {
	local name=$1 count=$2 size=$3 d=$DIR/$1
	shift 3
	# EMUOPT: extra options as words (unquoted), or none
	emu_ptp "$d" --seed 5 ${EMUOPT:-} -- "$@" || return 1
	local ep=$EP
	"$GEN" recv "ptp://$d/b" --idle 1s --timeout "${TMO:-30s}" --ready-fd 3 3>"$d/rready" >"$DIR/$name.json" 2>"$d/recv.err" &
	local rp=$!
	wait_for 5 test -s "$d/rready"
	"$GEN" send "ptp://$d/a" --count "$count" --size "$size" --rate 20000 >/dev/null 2>"$d/send.err"
	wait "$rp"
	"$EMU" ctl "$d/ctl" stats w0 >"$DIR/$name.stats"
	kill "$ep"
	wait "$ep"
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$DIR/$1.json" "$2" 2>/dev/null; }
counter() { awk -v k="$2" '/ a2b in_frames/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$DIR/$1.stats"; }

run dup 2000 64 duplicate=100%
[ "$(field dup unique)" = 2000 ] && [ "$(field dup dups)" = 2000 ] && ok emu_frames_duplicate \
	|| fail emu_frames_duplicate "unique $(field dup unique), dups $(field dup dups) of 2000 sent with duplicate=100%; $(grep 'a2b in' "$DIR/dup.stats")"

run keep 2000 64 delay=2ms jitter=1ms dist=normal
[ "$(field keep received)" = 2000 ] && [ "$(field keep reordered)" = 0 ] && ok emu_frames_jitter_keeps_order \
	|| fail emu_frames_jitter_keeps_order "received $(field keep received), reordered $(field keep reordered); $(grep 'a2b in' "$DIR/keep.stats")"

run reord 2000 64 delay=2ms jitter=1ms dist=normal jitter_reorder=yes
[ "$(field reord received)" = 2000 ] && [ "$(field reord reordered)" -gt 0 ] && ok emu_frames_jitter_reorders \
	|| fail emu_frames_jitter_reorders "received $(field reord received), reordered $(field reord reordered)"

run loss 2000 64 loss=10%
lost=$(field loss lost)
counted=$(counter loss loss)
# 99% binomial interval of 2000 x 10%: 200 +- 2.576 * sqrt(180) = 200 +- 34.6;
# the emulator may count more (tbgen's end-of-run markers can be lost too)
[ "${lost:-0}" -ge 166 ] && [ "${lost:-0}" -le 234 ] && [ "${counted:-0}" -ge "$lost" ] && ok emu_frames_loss \
	|| fail emu_frames_loss "receiver lost $lost, emulator counted $counted"

# the same seed and the same frames: the same losses, exactly
run loss2 2000 64 loss=10%
[ "$(field loss2 lost)" = "$lost" ] && [ "$(counter loss2 loss)" = "$counted" ] && ok emu_frames_seed_repeats \
	|| fail emu_frames_seed_repeats "lost $lost then $(field loss2 lost) with --seed 5"

# --pcap: what left port b is in w0-b.pcap, readable by tcpdump
mkdir "$DIR/pcapdir"
EMUOPT="--pcap $DIR/pcapdir" run cap 300 64 delay=1ms
n=$(tcpdump -nr "$DIR/pcapdir/w0-b.pcap" 2>/dev/null | wc -l)
[ "$(field cap received)" = 300 ] && [ "$n" -ge 300 ] && ok emu_frames_pcap \
	|| fail emu_frames_pcap "received $(field cap received), $n frames in w0-b.pcap"

# --spin auto (the default): when the loop may not poll (an ordinary loop
# never does; a --realtime one not when others wait for the CPU) it sends
# frames due within the typical wake-up delay at the wake-up, a little
# early, never more than the spin cap (1 ms) early; every frame written is
# counted once, in the lateness or the earliness histogram.
hist_sum() { awk -v h="$2" '$2 == "a2b" && $3 == h { for (i = 4; i <= NF; i++) { split($i, kv, "="); n += kv[2] } } END { print n + 0 }' "$DIR/$1.stats"; }
for mode in ordinary realtime; do
	opt=
	[ "$mode" = realtime ] && opt=--realtime
	EMUOPT=$opt run "early_$mode" 4000 64 delay=10ms
	early_far=$(awk '$2 == "a2b" && $3 == "early" { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] !~ /us$|^<1ms$/) n += kv[2] } } END { print n + 0 }' "$DIR/early_$mode.stats")
	recorded=$(( $(hist_sum "early_$mode" late) + $(hist_sum "early_$mode" early) ))
	min_us=$(field "early_$mode" delay_min_us)
	[ "$(field "early_$mode" received)" = 4000 ] && [ "$early_far" = 0 ] && [ "$recorded" = "$(counter "early_$mode" out_frames)" ] &&
		awk -v m="$min_us" 'BEGIN { exit !(m >= 9000) }' && ok "emu_frames_${mode}_early_bounded" \
		|| fail "emu_frames_${mode}_early_bounded" "received $(field "early_$mode" received), min delay $min_us us, $early_far frames 1 ms early or more, $recorded of $(counter "early_$mode" out_frames) in the histograms; $(grep a2b "$DIR/early_$mode.stats")"
done

TMO=2s run big 100 2000
m=$(counter big malformed)
[ "$(field big received)" = 0 ] && [ "${m:-0}" -ge 100 ] && grep -q 'dropped a frame of 1524 or more bytes' "$DIR/big/emu.log" \
	&& ok emu_frames_too_long || fail emu_frames_too_long "received $(field big received), malformed ${m:-?}"

# A receiver that is not scheduled for a while does not make the link late:
# the link hands frames over on time (its ports' send buffers are deep) and
# they wait in the receiver's queue.  The sink, in a namespace whose Unix
# datagram queues hold 8192 frames, is stopped for 300 ms while 10,000
# frames/s cross a delay=10ms link; none may leave the link 65 ms late or
# more.  (With the kernel's 208 KiB send buffer, about 300 frames, the
# frames behind the stop left up to ~270 ms late.)
ns=$(tb_unique tbq)
ip netns add "$ns" && on_exit ip netns del "$ns"
ip netns exec "$ns" sysctl -qw net.unix.max_dgram_qlen=8192
d=$DIR/stall
emu_ptp "$d" --seed 5 -- delay=10ms
ep=$EP
ip netns exec "$ns" "$GEN" recv "ptp://$d/b" --idle 1s --timeout 30s --ready-fd 3 3>"$d/rready" \
	>"$DIR/stall.json" 2>"$d/recv.err" &
rp=$!
wait_for 5 test -s "$d/rready"
"$GEN" send "ptp://$d/a" --count 6000 --size 64 --rate 10000 >/dev/null 2>"$d/send.err" &
sp=$!
sleep 0.2
kill -STOP "$rp"
sleep 0.3
kill -CONT "$rp"
wait "$sp"
wait "$rp"
"$EMU" ctl "$d/ctl" --json stats >"$d/stats.json"
kill "$ep"
wait "$ep"
late=$(python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["wires"][0]["a2b"]["late_hist"]
print(sum(v for k, v in h.items() if k in ("<131ms", "<262ms", "<524ms", "<1s", "<2s", "<4s", ">=4s")))' "$d/stats.json" 2>&1)
[ "$(field stall received)" = 6000 ] && [ "$late" = 0 ] && ok emu_frames_slow_receiver_not_late \
	|| fail emu_frames_slow_receiver_not_late "received $(field stall received) of 6000, $late frames left the link 65 ms late or more"
