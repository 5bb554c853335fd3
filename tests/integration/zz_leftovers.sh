# Runs last: nothing that a test or a testbed made may still be here.
. "$TB_ROOT/tests/lib.sh"

ns=$(ip netns list 2>/dev/null | awk '$1 ~ /^tb/ {print $1}' | tr "\n" " ")
[ -z "$ns" ] && ok no_leftover_namespaces || fail no_leftover_namespaces "namespaces left: $ns"

# processes of the last test may still be on their way out (a UML guest
# takes a moment to exit after its halt): give them a deadline
leftover_procs() {
	ps -eo pid=,comm= | awk '$2 ~ /^(vde_switch|vde_plug|vde_plug2tap|wirefilter|linux|qemu-system-x86|testbed|testbed-emu|testbed-monitor|appliance|ispd|centerd|agents-relay|tbgen|tbinit)$/ {print $1"("$2")"}' | tr '\n' ' '
}
no_procs_left() { [ -z "$(leftover_procs)" ]; }
wait_for 15 no_procs_left
procs=$(leftover_procs)
[ -z "$procs" ] && ok no_leftover_processes || fail no_leftover_processes "processes left: $procs"

devs=$(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^(tb|tap|veth|vde)/ {print $2}' | cut -d@ -f1 | tr '\n' ' ')
[ -z "$devs" ] && ok no_leftover_devices || fail no_leftover_devices "devices left: $devs"

state=$(ls /run/testbed 2>/dev/null | tr '\n' ' ')
[ -z "$state" ] && ok no_leftover_state || fail no_leftover_state "state left in /run/testbed: $state"
