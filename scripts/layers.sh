#!/bin/sh
# The layering of helper/ (README, Layout), checked on what the compiler
# made rather than on include lines, which `#include "../core/x.h"` or a
# prototype written by hand would get past.  Each layer is an archive
# LIBDIR/LAYER.a; every symbol an archive leaves undefined (nm -u) must be
# defined by the archive itself, by a layer it may use, or by none of ours
# (libc).  The policy layer may not call the system's I/O either,
# and a file of helper/ may include only headers of those layers.
#
#   scripts/layers.sh LIBDIR [LAYER:SYMBOL]...
#   scripts/layers.sh --layers     (the layers of the table, for the Makefile)
#
# LAYER:SYMBOL and LAYER:INCLUDE arguments are known violations let through
# (the Makefile's LAYER_EXCEPTIONS); one no longer used is reported, so it
# can go.  Run from the top of the tree.
# Exits 1 on any other violation.
set -eu

# LAYER: the layers it may use ("*": any).  The one copy of the table.
table='
common:
policy:
conf: policy
audit:
learn: policy audit
sys: policy common
request: policy
grant: request policy sys common
core: request grant policy audit learn sys common
front: core request policy audit sys common
cli: *
'

# What the policy layer may not call: descriptors and I/O.  Names are
# compared after fortify's and glibc's spellings are undone (__open_2,
# __read_chk, open64 are open and read).
policy_io='open openat creat close dup dup2 dup3 pipe pipe2 fcntl ioctl
read pread readv preadv write pwrite writev pwritev sendfile splice
socket socketpair bind connect listen accept accept4 shutdown getsockopt setsockopt
send sendto sendmsg recv recvfrom recvmsg
epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2
poll ppoll select pselect signalfd eventfd timerfd_create inotify_init inotify_init1
mmap mount umount umount2 syscall
stat fstat lstat fstatat statx statfs fstatvfs statvfs access faccessat readlink readlinkat
mkdir mkdirat unlink unlinkat rename renameat renameat2 chmod fchmod chown fchown fchownat
opendir fdopendir readdir scandir
fopen fdopen freopen fclose fread fwrite fgets fputs fputc fgetc getc putc puts putchar
printf fprintf vprintf vfprintf dprintf vdprintf getline getdelim fflush
syslog vsyslog openlog'

layers=$(printf '%s\n' "$table" | sed -n 's/^\([a-z]*\):.*/\1/p')
if [ "${1:-}" = --layers ]; then
	echo "$layers" | tr '\n' ' '
	exit 0
fi
[ $# -ge 1 ] || { echo "usage: layers.sh LIBDIR [LAYER:SYMBOL]..." >&2; exit 2; }
lib=$1
shift
exceptions=" $* "

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# LAYER SYMBOL: what each present archive defines (a folder not there yet
# has no archive and is skipped).
present=""
for l in $layers; do
	[ -f "$lib/$l.a" ] || continue
	present="$present $l"
	nm -P -g --defined-only "$lib/$l.a" |
		awk -v l="$l" 'NF >= 2 && $2 ~ /^[A-Za-z]$/ { print l, $1 }' >>"$tmp/defs"
done
touch "$tmp/defs"

allowed() {
	printf '%s\n' "$table" | sed -n "s/^$1:[ ]*//p"
}

# LAYER:WHAT is a known violation: let it through, and note it was needed.
excepted() {
	case "$exceptions" in
	*" $1 "*) echo "$1" >>"$tmp/used" ;;
	*) return 1 ;;
	esac
}

bad=0
for l in $present; do
	may=$(allowed "$l")
	[ "$may" = "*" ] && continue
	# MEMBER SYMBOL for each undefined reference of the archive
	nm -A -P -u "$lib/$l.a" |
		sed -n 's/^[^[]*\[\([^]]*\)\]: \([^ ]*\) U.*/\1 \2/p' | sort -u >"$tmp/undef"
	while read -r member sym; do
		owners=$(awk -v s="$sym" '$2 == s { print $1 }' "$tmp/defs" | sort -u)
		case " $owners " in *" $l "*) continue ;; esac
		if [ -z "$owners" ]; then
			[ "$l" = policy ] || continue
			base=$(printf '%s' "$sym" | sed 's/^__//; s/_chk$//; s/_2$//; s/64$//')
			# shellcheck disable=SC2086 # the list, a word a line
			if printf '%s\n' $policy_io | grep -qx "$base"; then
				echo "layers: $l.a ($member) calls $sym: the policy layer does no I/O" >&2
				bad=1
			fi
			continue
		fi
		for o in $owners; do
			case " $may " in *" $o "*) continue ;; esac
			excepted "$l:$sym" && continue
			echo "layers: $l.a ($member) uses $sym, defined by layer $o ($o.a); $l may use only: ${may:-nothing of ours}" >&2
			bad=1
		done
	done <"$tmp/undef"
done

# The include lines too (a header gives away struct layouts and macros that
# nm never sees): each "FILE" is found as the compiler finds it (beside the
# includer, then -Icommon, then -Ihelper) and belongs to the layer of its
# folder; common/ is the layer common.  Not found (gen/, the system): fine.
layer_of() {
	case $1 in
	common/*) echo common ;;
	helper/*/*) echo "$1" | cut -d/ -f2 ;;
	esac
}
for l in $present; do
	may=$(allowed "$l")
	[ "$may" = "*" ] || [ "$l" = common ] && continue
	for f in helper/"$l"/*.[ch]; do
		[ -f "$f" ] || continue
		# shellcheck disable=SC2013 # a name has no blank
		for inc in $(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
			to=""
			for c in "$(dirname "$f")/$inc" "common/$inc" "helper/$inc"; do
				[ -f "$c" ] && { to=$(realpath -m --relative-to=. "$c"); break; }
			done
			o=$(layer_of "$to")
			[ -z "$o" ] || [ "$o" = "$l" ] && continue
			case " $may " in *" $o "*) continue ;; esac
			excepted "$l:$inc" && continue
			echo "layers: $f includes $inc, of layer $o; $l may use only: ${may:-nothing of ours}" >&2
			bad=1
		done
	done
done

touch "$tmp/used"
for e in $exceptions; do
	grep -qx "$e" "$tmp/used" ||
		echo "layers: exception $e is no longer needed: remove it from LAYER_EXCEPTIONS" >&2
done
exit $bad
