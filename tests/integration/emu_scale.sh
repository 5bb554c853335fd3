#!/usr/bin/env bash
# emu_scale — one daemon carries a thousand wires added and removed at run
# time over the control socket (2000 vde ports on one switch; the wires are
# down so that they form no loop), spread over its threads.
. "$TB_ROOT/tests/lib.sh"
need_root

EMU=$TB_BIN/testbed-emu    # release build: see emu_basic.sh (RTLD_DEEPBIND)
N=1000
dir=$(mktemp -d /tmp/tb-emu.XXXXXX)
on_exit rm -rf "$dir"
killpid() { [ -s "$1" ] && kill "$(cat "$1")" 2>/dev/null; }

on_exit killpid "$dir/sw.pid"
vde_switch -s "$dir/sw" -n $((2 * N + 10)) -d -p "$dir/sw.pid" </dev/null >/dev/null 2>&1
wait_for 5 test -S "$dir/sw/ctl" || { fail emu_scale_setup "no switch"; exit 1; }

"$EMU" --ctl "$dir/ctl" --seed 3 --threads 2 --log "$dir/emu.log" --ready-fd 3 3>"$dir/ready" &
emu_pid=$!
on_exit kill "$emu_pid"
wait_for 10 grep -q ready "$dir/ready" || { fail emu_scale_setup "no ready line: $(cat "$dir/emu.log")"; exit 1; }

# one connection per command, as the ctl client does, without a process each
send() {
	python3 - "$dir/ctl" "$@" <<'PY'
import socket, sys
path, verb, n, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
bad = 0
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    if verb == "add":
        line = f"wire add s{i} {url} {url} up=no delay={i % 50}ms\n"
    else:
        line = f"wire del s{i}\n"
    s.sendall(line.encode())
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        reply += b
    s.close()
    if not reply.startswith(b"ok\n"):
        bad += 1
        if bad < 3:
            print("  ", line.strip(), "->", reply.decode(errors="replace").strip())
sys.exit(1 if bad else 0)
PY
}

if send add $N "vde://$dir/sw"; then ok emu_scale_add; else fail emu_scale_add "some wire add failed"; fi
n=$("$EMU" ctl "$dir/ctl" list | grep -c '^wire s')
t1=$("$EMU" ctl "$dir/ctl" list | grep -c '^wire s.* thread=1 ')
[ "$n" = $N ] && [ "$t1" -ge $((N / 2 - 1)) ] && ok emu_scale_list || fail emu_scale_list "listed $n wires, $t1 on thread 1"
nst=$("$EMU" ctl "$dir/ctl" --json stats | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["wires"]))')
[ "$nst" = $N ] && ok emu_scale_stats || fail emu_scale_stats "stats for $nst wires"
if send del $N x; then ok emu_scale_del; else fail emu_scale_del "some wire del failed"; fi
n=$("$EMU" ctl "$dir/ctl" list | grep -c '^wire ')
[ "$n" = 0 ] && kill -0 "$emu_pid" && ok emu_scale_empty || fail emu_scale_empty "$n wires left or daemon dead"
# the descriptors went with the wires
fds=$(ls /proc/$emu_pid/fd | wc -l)
[ "$fds" -lt 50 ] && ok emu_scale_fds_closed || fail emu_scale_fds_closed "$fds descriptors still open"
