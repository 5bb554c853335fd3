#!/usr/bin/env bash
# debfetch.sh DIR PKG — print the path of PKG's .deb in DIR, fetched with
# `apt-get download` (never installed) unless DIR already holds the version
# apt would fetch.  A fetched .deb is also kept in TB_CACHE (default
# /var/cache/testbed/debs), where the next clone on the machine takes it
# from.  With no package lists, the newest .deb of PKG already in DIR is
# used.
# debfetch.sh --name PKG — print only that .deb's file name, fetching
# nothing (a cache key that needs no download).
set -euo pipefail
cache=${TB_CACHE:-/var/cache/testbed}/debs
candidate() { { apt-cache show --no-all-versions "$1" 2>/dev/null || true; } | sed -n 's|^Filename: .*/||p' | head -1; }

if [ "${1:-}" = --name ]; then
	pkg=${2:?usage: debfetch.sh --name PKG}
	name=$(candidate "$pkg")
	[ -n "$name" ] || { echo "debfetch: apt knows no $pkg (apt-get update?)" >&2; exit 1; }
	echo "$name"
	exit 0
fi
dir=${1:?usage: debfetch.sh DIR PKG}
pkg=${2:?usage: debfetch.sh DIR PKG}
mkdir -p "$dir"
name=$(candidate "$pkg")
if [ -n "$name" ] && [ -f "$dir/$name" ]; then
	echo "$dir/$name"
	exit 0
fi
if [ -n "$name" ] && [ -f "$cache/$name" ]; then
	ln -f "$cache/$name" "$dir/$name" 2>/dev/null || cp "$cache/$name" "$dir/$name"
	echo "$dir/$name"
	exit 0
fi
if [ -n "$name" ]; then
	echo "debfetch: fetching $name" >&2
	# apt warns that root downloads unsandboxed; that is expected here
	(cd "$dir" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
fi
deb=$(ls "$dir/${pkg}_"*.deb 2>/dev/null | sort -V | tail -1 || true)
[ -n "$deb" ] || { echo "debfetch: cannot fetch $pkg (is the package list current? make deps)" >&2; exit 1; }
if [ -n "$name" ] && [ "$(basename "$deb")" = "$name" ]; then
	# best effort: a cache that cannot be written costs the next clone a download
	mkdir -p "$cache" 2>/dev/null && { ln -f "$deb" "$cache/$name.new" 2>/dev/null || cp "$deb" "$cache/$name.new" 2>/dev/null; } &&
		mv "$cache/$name.new" "$cache/$name" 2>/dev/null || rm -f "$cache/$name.new"
fi
echo "$deb"
