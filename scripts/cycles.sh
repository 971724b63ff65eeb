#!/bin/sh
# cycles.sh OBJDIR: fail when the parts of helper/ depend on each other in a
# cycle.  Two graphs, each sorted with tsort(1), which names a cycle's
# members:
#   - includes: header -> header it includes (a .c file is never included,
#     so only headers can close a loop);
#   - calls: object -> object defining a function or variable it uses
#     (nm -u against nm --defined-only), for every object of helper/ under
#     OBJDIR.  This is the dependency an include line stands for: x.c
#     including y.h to call y.c, and y.c calling back into x.c, is a cycle
#     here even though no header includes itself.
# Run from the top of the tree.
set -eu
objdir=$1
status=0

check() { # NAME: the edges on stdin
	if ! out=$(tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
		echo "cycles: $1 in a cycle:" >&2
		printf '%s\n' "$out" | sed -n 's/^tsort: -: input contains a loop:$/  a loop of:/p; /^tsort: [^-]/s/^tsort: /    /p' >&2
		return 1
	fi
}

for h in helper/*/*.h; do
	grep -h '^#include "[a-z_]*/[a-z_]*\.h"' "$h" |
		sed "s|^#include \"\(.*\)\".*|${h#helper/} \1|"
	echo "${h#helper/} ${h#helper/}"
done | check "helper/ headers include each other" || status=1

defs=$(for o in "$objdir"/helper/*/*.o; do
	nm --defined-only "$o" | awk -v o="${o#"$objdir"/helper/}" '$2 ~ /^[TDBR]$/ { print $3, o }'
done)
for o in "$objdir"/helper/*/*.o; do
	part=${o#"$objdir"/helper/}
	echo "$part $part"
	nm -u "$o" | awk '{ print $2 }' |
		awk -v part="$part" 'NR == FNR { def[$1] = $2; next } ($1 in def) && def[$1] != part { print part, def[$1] }' \
			/dev/fd/3 - 3<<EOF_DEFS
$defs
EOF_DEFS
done | sort -u | check "helper/ objects call each other" || status=1
exit $status
