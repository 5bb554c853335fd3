# tests/lib.sh — helpers for integration tests (bash).  Source it first:
#   . "$TB_ROOT/tests/lib.sh"
#
#   ok NAME / fail NAME WHY      print the lines tests/run counts
#   check NAME CMD...            ok if CMD exits 0, else fail with its output
#   wait_for SECONDS CMD...      poll CMD every 50 ms until it succeeds
#   tb_unique PREFIX             a short unique name (netns, interface <= 15)
#   on_exit CMD...               run CMD at exit (cleanup), last added first
#   need_emu_tbgen TAG           EMU, GEN and a work dir DIR, or FAIL TAG
#   emu_ptp D OPT... [-- ATTR...] testbed-emu between ptp://D/a and D/b
#
# Rules: unique names, conditions waited on with deadlines (never fixed
# sleeps), every test removes what it made, and the last test
# (zz_leftovers.sh) checks that nothing is left.
set -u
: "${TB_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${TB_BIN:=$TB_ROOT/build/bin}"
: "${TB_ASAN_BIN:=$TB_BIN}"

ok()   { echo "ok $1"; }
fail() { local n=$1; shift; echo "  $*"; echo "FAIL $n"; }

check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "command failed: $*"$'\n'"$out"; fi
}

wait_for() {
	local secs=$1; shift
	local deadline=$((SECONDS + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
	return 0
}

tb_unique() { echo "$1$(printf '%x' $$)$RANDOM" | cut -c1-12; }

_tb_exit_cmds=()
on_exit() { _tb_exit_cmds=("$(printf '%q ' "$@")" "${_tb_exit_cmds[@]}"); }
_tb_run_exit() { local c; for c in "${_tb_exit_cmds[@]}"; do eval "$c" >/dev/null 2>&1; done; }
trap _tb_run_exit EXIT

need_root() { [ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 0; }; }

# need_images TAG: build the guest images (make images), or FAIL TAG and end
# the test; exports TB_IMAGES
need_images() {
	local out
	export TB_IMAGES=$TB_ROOT/$TB_BUILD/images
	out=$(make -s -C "$TB_ROOT" BUILD="$TB_BUILD" images 2>&1) || { fail "$1" "make images failed: $out"; exit 1; }
}

# need_emu_tbgen TAG: EMU (testbed-emu) and GEN (tbgen), release builds
# (libvdeplug dlopen()s its plugins with RTLD_DEEPBIND, which
# AddressSanitizer refuses: google/sanitizers#611), and DIR, a work
# directory removed at exit; FAIL TAG and end the test without tbgen
need_emu_tbgen() {
	EMU=$TB_BIN/testbed-emu
	GEN=$TB_BIN/tbgen
	[ -x "$GEN" ] || { fail "$1" "tbgen not built ($GEN)"; exit 1; }
	DIR=$(mktemp -d /tmp/tb-emu.XXXXXX)
	on_exit rm -rf "$DIR"
}

# emu_ptp D OPT... [-- ATTR...]: testbed-emu with OPTs between ptp://D/a
# and ptp://D/b (D is made), control socket D/ctl, log D/emu.log, one
# thread; its PID in EP, stopped at exit; fails unless it becomes ready
emu_ptp() {
	local d=$1 opts=() attrs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	attrs=("$@")
	mkdir "$d"
	"$EMU" --ctl "$d/ctl" --threads 1 --log "$d/emu.log" --ready-fd 3 "${opts[@]}" \
		"ptp://$d/a" "ptp://$d/b" "${attrs[@]}" 3>"$d/ready" &
	EP=$!
	on_exit kill "$EP"
	wait_for 10 grep -q ready "$d/ready"
}

# tb_testbed VAR PREFIX: a unique testbed name in VAR, brought down on exit
# ($TB down, so set TB first)
tb_testbed() {
	printf -v "$1" '%s' "$(tb_unique "$2")"
	on_exit "$TB" down "${!1}"
}
