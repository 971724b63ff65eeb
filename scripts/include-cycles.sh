#!/bin/sh
# Fail when the files of helper/ include each other in a cycle (a.h includes
# b.h includes a.h, or a.c's header includes the header of a part that
# includes a.c's).  Each edge is "file -> header it includes", both named
# from helper/ (includes are written with the folder: "core/broker.h"); a
# .c file is joined to its own header, so a cycle through two .c files'
# headers is one too.  tsort(1) finds the cycle and names its members.
set -eu
cd "$(dirname "$0")/../helper"

edges=$(
	for f in */*.c */*.h; do
		node=${f%.[ch]}
		grep -h '^#include "[a-z_]*/[a-z_]*\.h"' "$f" |
			sed 's|^#include "\(.*\)\.h".*|\1|' |
			while read -r dep; do
				[ "$dep" = "$node" ] || echo "$node $dep"
			done
	done
)
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null); then
	echo "include cycle among helper/ files:" >&2
	printf '%s\n' "$out" | sed -n 's/^tsort: /  /p' >&2
	exit 1
fi
if [ -n "$out" ]; then
	echo "include cycle among helper/ files (as part.c <-> part.h):" >&2
	printf '%s\n' "$out" | sed 's/^tsort: /  /' >&2
	exit 1
fi
