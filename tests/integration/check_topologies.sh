#!/usr/bin/env bash
# check_topologies — every topologies/*.topo is valid (exit 0) in text and
# JSON (JSON parsed back with python3), and concrete facts of the
# home-appliance plan with hosts=8 (addresses, routes, wires) hold.
. "$TB_ROOT/tests/lib.sh"
cd "$TB_ROOT" || exit 1
tb=$TB_ASAN_BIN/testbed

for topo in topologies/*.topo; do
	name=$(basename "$topo" .topo)
	if ! out=$("$tb" check "$topo" 2>&1); then
		fail "topology_$name" "$out"
		continue
	fi
	if ! "$tb" check "$topo" --json | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; then
		fail "topology_$name" "--json output is not valid JSON"
		continue
	fi
	ok "topology_$name"
done

# hosts=8: 8 appliance hosts per ISP server -> a1..a8, b1..b8 (20 hosts).
json=$("$tb" check topologies/home-appliance.topo hosts=8 --json)
facts=$(python3 - "$json" <<'PY'
import json, sys
p = json.loads(sys.argv[1])
h = {x["name"]: x for x in p["hosts"]}
w = {x["name"]: x for x in p["wires"]}
def check(name, cond):
    print(("ok " if cond else "FAIL ") + name)
check("ha_host_count", len(p["hosts"]) == 20 and "a8" in h and "b8" in h and "a9" not in h)
# auto addresses in declaration order after the explicit router (10.2.0.1)
check("ha_auto_v4", h["a1"]["interfaces"][0]["ipv4"] == "10.2.0.2/16"
      and h["a8"]["interfaces"][0]["ipv4"] == "10.2.0.9/16"
      and h["b1"]["interfaces"][0]["ipv4"] == "10.2.0.10/16"
      and h["b8"]["interfaces"][0]["ipv4"] == "10.2.0.17/16")
check("ha_auto_v6_same_host_number", h["b8"]["interfaces"][0]["ipv6"] == "fd00:0:0:2::11/64"
      and h["isp1"]["interfaces"][0]["ipv6"] == "fd00:0:0:1::b/64")
r = {(x["dst"]): x for x in h["a3"]["routes"]}
check("ha_routes_appliance", r.get("10.0.0.0/24", {}).get("via") == "10.2.0.1"
      and r.get("10.1.0.0/24", {}).get("via") == "10.2.0.1"
      and r.get("fd00::/64", {}).get("via") == "fd00:0:0:2::1"
      and len(r) == 4 and all(x["dev"] == "eth0" for x in r.values()))
rc = {(x["dst"]): x["via"] for x in h["center"]["routes"]}
check("ha_routes_center", rc == {"10.1.0.0/24": "10.0.0.1", "10.2.0.0/16": "10.0.0.1",
      "fd00:0:0:1::/64": "fd00::1", "fd00:0:0:2::/64": "fd00::1"})
check("ha_router_no_routes", h["router"]["routes"] == [] and h["router"]["forward"])
check("ha_wires", sorted(w) == ["router.eth0", "router.eth2"]
      and w["router.eth2"]["out"]["delay_ns"] == 10000000
      and abs(w["router.eth2"]["in"]["loss"] - 0.001) < 1e-12
      and w["router.eth0"]["in"]["delay_ns"] == 10000000
      and h["router"]["interfaces"][2]["wire"] == "router.eth2")
check("ha_kinds_mem", h["a1"]["kind"] == "uml" and h["a1"]["mem_bytes"] == 48 << 20
      and h["router"]["kind"] == "netns" and h["router"]["mem_bytes"] == 0)
check("ha_run_argv", h["b2"]["run"][0][:3] == ["appliance", "--keys", "${data}/keys/appliances-1.keys"]
      and "100" in h["b2"]["run"][0])
# ${index}: each host of a range takes its own slice of its ISP's appliances
r1, r2 = h["a1"]["run"][0], h["a2"]["run"][0]
check("ha_run_slice_per_host", r1[r1.index("--slice") + 1] == "1" and r2[r2.index("--slice") + 1] == "2")
e = p.get("experiment", {})
check("ha_experiment", e.get("done") == "results/summary.json" and e.get("results") == "results"
      and e.get("prepare", [None])[0] == "agents-keygen" and "${data}/keys" in e.get("prepare", []))
macs = [i["mac"] for x in p["hosts"] for i in x["interfaces"]]
check("ha_macs_unique_local", len(set(macs)) == len(macs) and all(m.startswith("02:") for m in macs))
PY
)
echo "$facts"

# The default (no override) stays small for a 2-core machine: 8 hosts.
n=$("$tb" check topologies/home-appliance.topo --quiet)
if grep -q ", 8 hosts," <<<"$n"; then ok ha_default_small; else fail ha_default_small "$n"; fi

# make demo's command prints a plan
if "$tb" check topologies/home-appliance.topo | grep -q "^  router  kind netns forward"; then
	ok demo_plan
else
	fail demo_plan "no router line in the plan"
fi
