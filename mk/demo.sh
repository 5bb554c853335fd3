#!/bin/sh
# make demo — the main job.  For now: check and print the plan of the
# paper-004 scenario.  Later it brings the network up and runs the experiment.
set -eu
cd "$(dirname "$0")/.."
exec build/bin/testbed check topologies/home-appliance.topo
