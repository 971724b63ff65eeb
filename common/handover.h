/*
 * The client's side of the seccomp hand-over (wire.h: ADMIT, HANDOVER and
 * the marker), shared by fdbroker exec and the shim's exec path: the
 * calling process asks a broker to supervise it, installs the filter on the
 * calling thread, hands the listener over and proves, with the marker call,
 * that the listener is its own.  Only the calling thread is filtered (no
 * TSYNC): the caller is about to exec, which ends every other thread, and
 * what it execs inherits the filter, as does everything that image forks.
 *
 * no_new_privs is set first unless the caller holds CAP_SYS_ADMIN (the
 * kernel's condition for a filter): from then on no setuid, setgid or file
 * capability bit of the tree takes effect.
 *
 * Makes no call the filter traps between the installation and the marker.
 * Uses no stdio and allocates nothing: the shim may call it in any state.
 */
#ifndef FDB_HANDOVER_H
#define FDB_HANDOVER_H

#include <stddef.h>

enum handover_result {
	HANDOVER_DONE = 0,    /* the broker supervises the caller from now on */
	HANDOVER_SKIPPED = 1, /* refused before the filter: nothing changed but no_new_privs, maybe */
	HANDOVER_BROKEN = -1, /* the filter is in place and nobody serves it: do not exec */
};

/*
 * Hand the calling process to the broker listening on sockpath.  why gets a
 * sentence for the user on SKIPPED and BROKEN ("the broker supervises as
 * many trees as it may", ...); errno is left as it was.
 */
enum handover_result handover_run(const char *sockpath, char *why, size_t cap);

#endif
