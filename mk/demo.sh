#!/bin/sh
# make demo — the main job: paper 004's appliance experiment, end to end.
#  1. an emulated link (topologies/impaired-link.topo): up, ping through the
#     emulator, the link cut and restored while it runs, status, down;
#  2. `testbed run topologies/home-appliance.topo`: 7 UML guests and a netns
#     router (a center server, two ISP servers, four hosts of 100
#     duty-cycled appliances each behind a 10 ms, 0.1% loss access link),
#     fresh keys, one collection round, the results kept in results/, the
#     summary printed, everything taken down.  About two minutes here.
# DEMO_ARGS adds NAME=VALUE settings to the run (e.g. DEMO_ARGS="hosts=8").
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tb=$BUILD/bin/testbed

echo "== 1. an emulated link: topologies/impaired-link.topo"
trap '"$tb" down impaired-link >/dev/null 2>&1 || true' EXIT INT TERM
"$tb" up topologies/impaired-link.topo
echo
echo "-- ping through the link (20 ms each way, 5 ms jitter, loss, 10 mbit shared with the iperf3 the hosts run):"
"$tb" exec impaired-link client -- ping -n -q -c 20 -i 0.1 10.9.0.2
echo
echo "-- the link cut while it runs (testbed link impaired-link near far up=no):"
"$tb" link impaired-link near far up=no
"$tb" exec impaired-link client -- ping -n -q -c 3 -i 0.2 -W 1 10.9.0.2 || true
"$tb" link impaired-link near far up=yes delay=1ms jitter=0
echo
echo "-- and restored with 1 ms:"
"$tb" exec impaired-link client -- ping -n -q -c 5 -i 0.1 10.9.0.2
echo
"$tb" status impaired-link
echo
"$tb" down impaired-link
trap - EXIT INT TERM

echo
echo "== 2. the appliance experiment: testbed run topologies/home-appliance.topo ${DEMO_ARGS:-}"
# shellcheck disable=SC2086 # DEMO_ARGS is a list of NAME=VALUE words
"$tb" run topologies/home-appliance.topo ${DEMO_ARGS:-}
