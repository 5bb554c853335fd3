#!/bin/sh
# make demo — the main job, as far as the testbed goes today:
#  1. check and print the plan of paper 004's scenario (8 appliance hosts);
#  2. bring up a small emulated network (topologies/impaired-link.topo: two
#     hosts, a 20 ms / 1% loss / 10 mbit link), show its state, measure it
#     with ping through the emulator, change the link while it runs, and
#     take everything down again.
# The appliance experiment itself (`testbed run`) is not wired up yet.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tb=$BUILD/bin/testbed

echo "== 1. the plan of topologies/home-appliance.topo hosts=8"
"$tb" check topologies/home-appliance.topo hosts=8

echo
echo "== 2. an emulated link: topologies/impaired-link.topo"
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
