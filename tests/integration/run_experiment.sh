# testbed run and testbed sweep on topologies/home-appliance.topo with netns
# hosts and a short duty cycle: the experiment runs end to end (fresh keys,
# per-host slices of appliances, the center's results kept with every host's
# log), counts add up, the testbed is gone afterwards, and a sweep over the
# access link's loss gives sweep.csv, a plot, and a higher failure rate at
# higher loss.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
name=$(tb_unique tbrun)
dir=$(mktemp -d)
topo=$dir/$name.topo
on_exit rm -rf "$dir"
on_exit "$TB" down "$name"
sed "s/^testbed home-appliance$/testbed $name/" "$TB_ROOT/topologies/home-appliance.topo" >"$topo"
# 2 ISPs x 2 hosts x 20 appliances, awake 1 s of every 3-4 s
short=(kind=netns server_kind=netns per_host=20 awake=1s sleep=2s-3s window=10s)

out=$("$TB" run "$topo" "${short[@]}" --rounds 2 --results "$dir/r1" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -f "$dir/r1/summary.json" ] && [ -f "$dir/r1/rounds.csv" ]; then
	ok run_done
else
	fail run_done "exit $rc: $out"
fi
# the summary table is printed: a header and one line per round
if grep -qE '^round +asked +retrieved' <<<"$out" && [ "$(grep -cE '^ +[12] +80 ' <<<"$out")" -eq 2 ] && grep -qE '^failure rate [0-9]+/160 = ' <<<"$out"; then
	ok run_prints_summary
else
	fail run_prints_summary "$out"
fi
# every round asked all 80 appliances, and asked = retrieved + failures by cause
facts=$(python3 - "$dir/r1" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/rounds.csv")))
ok = len(rows) == 2 and all(int(r["asked"]) == 80 and int(r["asked"]) == int(r["retrieved"]) +
        int(r["no_answer"]) + int(r["auth_failed"]) + int(r["lost"]) + int(r["unknown"]) for r in rows)
print("counts", "ok" if ok else "bad %s" % rows)
# per-host slices: 80 distinct devices per round, each asked once
res = list(csv.DictReader(open(d + "/results.csv")))
r1 = [r["device"] for r in res if r["round"] == "1"]
print("slices", "ok" if len(r1) == 80 and len(set(r1)) == 80 else "bad %d/%d" % (len(set(r1)), len(r1)))
# the slices were really served: most devices answered (loss is 0.1%)
got = sum(1 for r in rows for _ in [0]) and sum(int(r["retrieved"]) for r in rows)
print("retrieved", "ok" if got >= 150 else "bad %d" % got)
run = json.load(open(d + "/run.json"))
print("runjson", "ok" if run["end"] == "done" and "rounds=2" in run["overrides"] else "bad %s" % run)
PY
)
for k in counts slices retrieved runjson; do
	v=$(awk -v k=$k '$1 == k {$1 = ""; print substr($0, 2)}' <<<"$facts")
	if [ "$v" = ok ]; then ok "run_$k"; else fail "run_$k" "$v"; fi
done
# every host's log is kept, and the keys are not
n_logs=$(ls "$dir"/r1/hosts/*/console.log 2>/dev/null | wc -l)
if [ "$n_logs" -eq 8 ] && [ -f "$dir/r1/hosts/a2/prog-0.log" ] && ! ls -R "$dir/r1" | grep -q '\.keys$'; then
	ok run_keeps_logs_not_keys
else
	fail run_keeps_logs_not_keys "$(ls -R "$dir/r1" | head -40)"
fi
# the appliance host a2 took the second slice of its ISP's key file
if grep -q -- '--slice 2 ' "$dir/r1/hosts/a2/config"; then ok run_slice_in_config; else fail run_slice_in_config "$(cat "$dir/r1/hosts/a2/config")"; fi
# and the testbed is down
if [ ! -e "/run/testbed/$name" ] && ! ip netns list | grep -q "^tb-$name"; then
	ok run_down_after
else
	fail run_down_after "$(ls /run/testbed; ip netns list | head)"
fi

# QEMU appliance hosts read their keys from the data archive (fw_cfg)
out=$("$TB" run "$topo" "${short[@]}" hosts=1 kind=qemu --results "$dir/rq" 2>&1)
rc=$?
asked=$(awk -F, 'NR == 2 {print $2 "/" $3}' "$dir/rq/rounds.csv" 2>/dev/null)
if [ $rc -eq 0 ] && [ "$asked" = "40/40" ] && grep -q 'registered appliances=20' "$dir/rq/hosts/a1/prog-0.log"; then
	ok run_qemu_hosts_get_data
else
	fail run_qemu_hosts_get_data "exit $rc, asked/retrieved $asked: $(tail -5 <<<"$out")"
fi

# a run whose experiment never finishes: timeout, results kept, down anyway
sed 's/timeout=60m/timeout=3s/; s/--rounds \${rounds}/--rounds 1000/' "$topo" >"$dir/slow.topo"
sed -i "s/^testbed $name\$/testbed ${name}s/" "$dir/slow.topo"
on_exit "$TB" down "${name}s"
out=$("$TB" run "$dir/slow.topo" "${short[@]}" --results "$dir/r2" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'did not appear within 3 s' <<<"$out" && grep -q '"end": "timeout"' "$dir/r2/run.json" &&
	[ ! -e "/run/testbed/${name}s" ]; then
	ok run_timeout_takes_down
else
	fail run_timeout_takes_down "exit $rc: $out"
fi

# a topology without an experiment statement is refused with a clear sentence
printf 'testbed %s\nsegment lan subnet=10.0.0.0/24\nhost a kind=netns eth0=lan:auto\n' "${name}n" >"$dir/plain.topo"
out=$("$TB" run "$dir/plain.topo" 2>&1)
if [ $? -ne 0 ] && grep -q 'has no experiment statement' <<<"$out" && [ ! -e "/run/testbed/${name}n" ]; then
	ok run_needs_experiment
else
	fail run_needs_experiment "$out"
fi

# sweep the access link's loss: sweep.csv, the plot, and more failures at 40%
out=$("$TB" sweep "$topo" "${short[@]}" per_host=10 loss=0%,40% --out "$dir/s" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -s "$dir/s/failure-rate.svg" ] && [ -s "$dir/s/failure-rate.png" ] &&
	[ "$(wc -l <"$dir/s/sweep.csv")" -eq 3 ]; then
	ok sweep_outputs
else
	fail sweep_outputs "exit $rc: $out $(ls "$dir/s" 2>&1)"
fi
rates=$(python3 - "$dir/s/sweep.csv" <<'PY'
import csv, sys
rows = {r["loss"]: r for r in csv.DictReader(open(sys.argv[1]))}
lo, hi = float(rows["0%"]["failure_rate"]), float(rows["40%"]["failure_rate"])
ci = float(rows["40%"]["ci95_low"]) <= hi <= float(rows["40%"]["ci95_high"])
print("ok" if hi > lo and ci and rows["40%"]["asked"] == "40" else "bad 0%%=%g 40%%=%g ci=%s" % (lo, hi, ci))
PY
)
if [ "$rates" = ok ]; then ok sweep_loss_raises_failure_rate; else fail sweep_loss_raises_failure_rate "$rates"; fi
