# uml_kernels — UML guests boot testbed's own kernel (BUILD/images/uml/linux,
# hostimg/mkumlkernel.sh) when `make images` built it, and Debian's `linux`
# when an image directory has none; both reach each other over IPv4 and
# IPv6 (built into ours, a module in Debian's), and nothing is left after down.
. "$TB_ROOT/tests/lib.sh"
need_root

TB=$TB_BIN/testbed
need_images uml_kernel_images
images=$TB_IMAGES
tb_testbed name tbuk
tb_testbed deb tbud
dir=$(mktemp -d)
on_exit rm -rf "$dir"
trap "exit 143" TERM INT

# an image directory without our kernel: the same root, nothing else
mkdir "$dir/images"
ln -s "$images/root" "$dir/images/root"

for t in "$name" "$deb"; do
	cat >"$dir/$t.topo" <<EOT
testbed $t
segment lan subnet=10.41.0.0/24 subnet6=fd41::/64
host a kind=uml eth0=lan:10.41.0.1
host b kind=uml eth0=lan:10.41.0.2
EOT
done

# kernel_of TESTBED HOST: the executable of the host's UML kernel process
kernel_of() {
	local pid
	pid=$(pgrep -f "uml_dir=/run/testbed/$1/hosts/$2 " | head -1)
	[ -n "$pid" ] && readlink -f "/proc/$pid/exe"
}

# check_kernel TESTBED EXE RELEASE TAG: host a runs EXE, whose release is
# RELEASE, and reaches host b over IPv4 and IPv6
check_kernel() {
	local t=$1 exe=$2 rel=$3 tag=$4 got r
	got=$(kernel_of "$t" a)
	[ "$got" = "$exe" ] && ok "${tag}_kernel_used" || fail "${tag}_kernel_used" "host a runs '$got', want $exe"
	r=$("$TB" exec "$t" a -- uname -r 2>&1)
	[ "$r" = "$rel" ] && ok "${tag}_kernel_release" || fail "${tag}_kernel_release" "uname -r: '$r', want $rel"
	"$TB" exec "$t" a -- ping -c 2 -i 0.3 -W 5 10.41.0.2 >/dev/null 2>&1 &&
		ok "${tag}_kernel_ping_v4" || fail "${tag}_kernel_ping_v4" "no answer"
	"$TB" exec "$t" a -- ping -c 2 -i 0.3 -W 5 fd41::2 >/dev/null 2>&1 &&
		ok "${tag}_kernel_ping_v6" || fail "${tag}_kernel_ping_v6" "no answer"
}

own_rel=$(sed -n 's|^# Linux/um \([^ ]*\) Kernel Configuration|\1|p' "$images/uml/config")
out=$("$TB" up "$dir/$name.topo" 2>&1)
if [ $? -eq 0 ]; then
	ok own_kernel_up
	check_kernel "$name" "$images/uml/linux" "$own_rel" own
else
	fail own_kernel_up "$out"
fi
"$TB" down "$name" >/dev/null 2>&1

deb_rel=$(ls /usr/lib/uml/modules | sort -V | tail -1)
out=$(TB_IMAGES=$dir/images "$TB" up "$dir/$deb.topo" 2>&1)
if [ $? -eq 0 ]; then
	ok debian_kernel_up
	check_kernel "$deb" "$(readlink -f "$(command -v linux)")" "$deb_rel" debian
else
	fail debian_kernel_up "$out"
fi
"$TB" down "$deb" >/dev/null 2>&1

left=$(ip netns list | grep -e "$name" -e "$deb")
procs=$(pgrep -f "/run/testbed/($name|$deb)/")
[ -z "$left$procs" ] && [ ! -e "/run/testbed/$name" ] && [ ! -e "/run/testbed/$deb" ] &&
	ok uml_kernels_nothing_left || fail uml_kernels_nothing_left "namespaces: $left processes: $procs"
