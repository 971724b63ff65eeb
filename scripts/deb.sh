#!/bin/sh
# Build the Debian package (debian/) from a clean copy of this tree, so that
# build/ and the tree itself are left alone, then run lintian on it.
#
#   scripts/deb.sh [OUTDIR]        (default: build-deb/ in the tree)
#
# OUTDIR gets fdbroker_VERSION_ARCH.deb (and its -dbgsym, .buildinfo and
# .changes).  Install it with: apt-get install ./build-deb/fdbroker_*_*.deb
# Needs dpkg-dev and debhelper (and lintian for the check); as
# root, missing ones are installed with apt-get.  Root is not needed to build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-deb}

"$top/scripts/deps.sh" dpkg-dev debhelper gcc make lintian

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
upstream=${version%-*}
work=$(mktemp -d "${TMPDIR:-/tmp}/fdbroker-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# the tools' own temporary files too (lintian leaves its mldbm-elf-* caches)
mkdir "$work/tmp"
TMPDIR=$work/tmp
export TMPDIR
src="$work/fdbroker-$upstream"
mkdir "$src"

# The tree as it is, without git's data or any build directory.
tar -C "$top" --exclude=./.git --exclude='./build*' -cf - . | tar -C "$src" -xf -

(cd "$src" && dpkg-buildpackage -us -uc -b)

mkdir -p "$out"
for f in "$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && cp "$f" "$out/"
done
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
changes="$out/fdbroker_${version}_$arch.changes"
echo "deb: built in $out:"
ls -l "$out"

echo "deb: lintian $changes"
# lintian exits non-zero on errors; print everything it says (warnings and
# info included), and fail on errors only.
lintian --info --display-info --pedantic "$changes" || {
	echo "deb: lintian reports errors" >&2
	exit 1
}
