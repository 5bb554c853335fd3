#!/usr/bin/env bash
# mkumlkernel.sh BUILD — testbed's UML guest kernel into BUILD/images/uml/
# (part of `make images`; docs/guests.md "The UML kernel").
#
# Debian's kernel source (linux-source-6.1, fetched by debfetch.sh with
# apt-get download into BUILD/images/dl, never installed, and only when
# the cache below misses), `make ARCH=um tinyconfig`, then
# hostimg/uml-kernel.config merged in with the kernel's own merge_config.sh;
# every option of the fragment is checked in the result.  About 8 minutes
# on 2 cores, so the result is also kept in TB_CACHE (default
# /var/cache/testbed) under a key of source version, fragment and this
# script: a fresh clone on the same machine copies it in a second.
#
#   images/uml/linux    the kernel (guest_uml.c prefers it to Debian's)
#   images/uml/config   its full .config
#   images/uml/key      what it was built from
set -euo pipefail
build=${1:?usage: mkumlkernel.sh BUILD}
mkdir -p "$build" && build=$(cd "$build" && pwd)   # the build cds into the source
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/uml-kernel.config
pkg=linux-source-6.1
out=$build/images/uml
dl=$build/images/dl
cache=${TB_CACHE:-/var/cache/testbed}/uml-kernel
mkdir -p "$out" "$dl"

# the source's name from apt's lists: a cache hit needs no download
deb=
if ! name=$("$here/debfetch.sh" --name "$pkg" 2>/dev/null); then
	deb=$("$here/debfetch.sh" "$dl" "$pkg")
	name=$(basename "$deb")
fi
key=${name%.deb}-$(cat "$frag" "$0" | sha256sum | cut -c1-16)

install_from() {  # install_from DIR: DIR/linux and DIR/config into $out
	cp "$1/linux" "$out/linux.new" && cp "$1/config" "$out/config"
	mv "$out/linux.new" "$out/linux"
	echo "$key" >"$out/key"
}
[ -x "$out/linux" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] && exit 0
if [ -x "$cache/$key/linux" ] && [ -f "$cache/$key/config" ]; then
	install_from "$cache/$key"
	echo "mkumlkernel: $out/linux from $cache/$key" >&2
	exit 0
fi

[ -n "$deb" ] || deb=$("$here/debfetch.sh" "$dl" "$pkg")
src=$(mktemp -d "$build/uml-kernel-src.XXXXXX")
trap 'rm -rf "$src"' EXIT
echo "mkumlkernel: building the UML guest kernel from $(basename "$deb") (about 8 minutes on 2 cores)" >&2
dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*/$pkg.tar.xz" | tar -xJ -C "$src"
cd "$src/$pkg"
log=$src/build.log
make ARCH=um tinyconfig >"$log" 2>&1
scripts/kconfig/merge_config.sh -m -O . .config "$frag" >>"$log" 2>&1
make ARCH=um olddefconfig >>"$log" 2>&1
bad=""
while read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" .config || bad+=" ${line%%=*}" ;;
	"# CONFIG_"*" is not set") o=${line#\# }; o=${o%% *}; grep -q "^$o=" .config && bad+=" $o" ;;
	esac
done <"$frag"
[ -z "$bad" ] || { echo "mkumlkernel: options of $frag not as asked in the result:$bad" >&2; exit 1; }
if ! make ARCH=um -j"$(nproc)" linux >>"$log" 2>&1; then
	echo "mkumlkernel: the kernel build failed; the end of its log:" >&2
	tail -20 "$log" >&2
	exit 1
fi
cp .config config
install_from .
# into the cache whole or not at all (an entry is renamed into place once
# complete): a half-written entry would fail every later build
rm -rf "$cache/$key.new" 2>/dev/null || true
if mkdir -p "$cache/$key.new" 2>/dev/null && cp linux config "$cache/$key.new/" 2>/dev/null; then
	rm -rf "$cache/$key" && mv "$cache/$key.new" "$cache/$key"
else
	rm -rf "$cache/$key.new" 2>/dev/null || true
fi
echo "mkumlkernel: $out/linux ($(du -h "$out/linux" | cut -f1))" >&2
