#!/usr/bin/env bash
# mkimages.sh BUILD — build the guest images into BUILD/images/ (make images).
#
#   images/root/            UML root: busybox, tbinit as /sbin/init, the agents
#                           of BUILD/bin with their shared libraries, the UML
#                           kernel's modules that networking needs. Mounted
#                           read-only through hostfs by every UML guest.
#   images/qemu/vmlinuz     Debian cloud kernel (apt-get download, unpacked
#   images/qemu/initrd.cpio here, never installed on the host) and an
#                           initramfs with the same content plus its modules.
#   images/dl/              the downloaded .deb (kept: no download next time)
#
# Each image is built beside the old one and renamed into place. Idempotent;
# a second run without changes takes about a second.
set -euo pipefail
build=${1:?usage: mkimages.sh BUILD}
out=$build/images
bin=$build/bin
mkdir -p "$out/dl"

uml_kver=$(ls /usr/lib/uml/modules | sort -V | tail -1)
uml_mods=/usr/lib/uml/modules/$uml_kver

# modules (with dependencies, in load order) that the guests' networking needs
UML_MODULES="ipv6 mip6"
QEMU_MODULES="virtio_pci virtio_net virtio_console mip6 qemu_fw_cfg"

# resolve MODDIR NAME...: print paths (relative to MODDIR) in load order
resolve() {
	local dir=$1; shift
	local -A seen=()
	local order=()
	visit() {
		local name=${1//-/_} f dep
		[ -n "${seen[$name]:-}" ] && return 0
		seen[$name]=1
		f=$(find "$dir/kernel" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
		if [ -z "$f" ]; then
			# built in: nothing to load
			grep -qE "/${name}.ko$|/${name//_/-}.ko$" "$dir/modules.builtin" 2>/dev/null || \
				echo "mkimages: note: module $name not found for $(basename "$dir"), skipped" >&2
			return 0
		fi
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
			visit "$dep"
		done
		order+=("${f#$dir/}")
	}
	local m
	for m in "$@"; do visit "$m"; done
	printf '%s\n' "${order[@]}"
}

# common_tree DIR: busybox, tbinit, agents, libraries, directories
common_tree() {
	local t=$1 b
	mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,lib,etc,proc,sys,dev,tmp,run,var,host,data,root}
	cp /bin/busybox "$t/bin/busybox"
	for b in $(/bin/busybox --list-full); do
		[ -e "$t/$b" ] || ln -s /bin/busybox "$t/$b"
	done
	cp "$bin/tbinit" "$t/sbin/tbinit"
	ln -sf tbinit "$t/sbin/init"
	ln -sf sbin/tbinit "$t/init"
	# agents: every program of the build but the host-side tools
	for b in "$bin"/*; do
		case $(basename "$b") in testbed|tbinit|tbgen|testbed-*) continue ;; esac
		[ -f "$b" ] && [ -x "$b" ] || continue
		# without debug information: a guest reads its programs into its own
		# page cache (hostfs, initramfs), which is guest memory (issue 4)
		strip --strip-debug -o "$t/usr/local/bin/$(basename "$b")" "$b"
		# and the shared libraries it needs, at the same paths
		ldd "$b" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r l; do
			mkdir -p "$t$(dirname "$l")"
			cp -L "$l" "$t$l"
		done
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$t/etc/passwd"
	printf 'root:x:0:\n' > "$t/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' > "$t/etc/hosts"
}

# add_modules TREE SRCDIR KVER STRIP NAMES...
#   STRIP=yes drops the debug sections.  finit_module reads the whole file
#   into a kernel buffer, and through hostfs also into the page cache: with
#   Debian's UML ipv6.ko (2.7 MB, 0.7 MB stripped) a UML guest's RAM
#   touched by the boot went from 12.5 to 10.5 MiB (PSS of its shared-memory
#   file, mean of 4 boots each), and touched pages stay resident on the host
#   (UML never gives guest pages back).  The
#   UML kernel does not check module signatures (CONFIG_MODULE_SIG unset);
#   the cloud kernel's modules are signed (CONFIG_MODULE_SIG=y), so they are
#   copied as they are.
add_modules() {
	local t=$1 src=$2 kver=$3 strip=$4 m; shift 4
	local dst=$t/lib/modules/$kver
	mkdir -p "$dst"
	resolve "$src" "$@" > "$dst/tbinit.list"
	while read -r m; do
		mkdir -p "$dst/$(dirname "$m")"
		if [ "$strip" = yes ]; then
			strip --strip-debug -o "$dst/$m" "$src/$m"
		else
			cp "$src/$m" "$dst/$m"
		fi
	done < "$dst/tbinit.list"
}

# --- UML root tree
new=$out/root.new
rm -rf "$new"
common_tree "$new"
add_modules "$new" "$uml_mods" "$uml_kver" yes $UML_MODULES
rm -rf "$out/root.old"
[ -d "$out/root" ] && mv "$out/root" "$out/root.old"
mv "$new" "$out/root"
rm -rf "$out/root.old"

# --- QEMU kernel and initramfs
if ! ls "$out"/dl/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || { echo "mkimages: cannot find the Debian cloud kernel package (apt-get update?)" >&2; exit 1; }
	"$(dirname "$0")/debfetch.sh" "$out/dl" "$pkg" >/dev/null
fi
deb=$(ls "$out"/dl/linux-image-*-cloud-amd64_*.deb | sort -V | tail -1)
kx=$out/dl/kernel
if [ ! -f "$kx/.from" ] || [ "$(cat "$kx/.from")" != "$(basename "$deb")" ]; then
	rm -rf "$kx"
	dpkg-deb -x "$deb" "$kx"
	basename "$deb" > "$kx/.from"
fi
qkver=$(ls "$kx/lib/modules" | head -1)
qt=$out/qemu.new
rm -rf "$qt"
mkdir -p "$qt/tree"
common_tree "$qt/tree"
add_modules "$qt/tree" "$kx/lib/modules/$qkver" "$qkver" no $QEMU_MODULES
cp "$kx/boot/vmlinuz-$qkver" "$qt/vmlinuz"
(cd "$qt/tree" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) > "$qt/initrd.cpio"
rm -rf "$qt/tree"
echo "$qkver" > "$qt/kernel-release"
rm -rf "$out/qemu.old"
[ -d "$out/qemu" ] && mv "$out/qemu" "$out/qemu.old"
mv "$qt" "$out/qemu"
rm -rf "$out/qemu.old"
echo "images: $out/root (UML $uml_kver, $(wc -l < "$out/root/lib/modules/$uml_kver/tbinit.list") modules), $out/qemu (kernel $qkver, initramfs $(du -h "$out/qemu/initrd.cpio" | cut -f1))"
