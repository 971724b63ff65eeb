/*
 * The seccomp filter of the seccomp front end, and its installation in the
 * child that becomes the program.
 *
 * The filter checks the architecture first (anything but the native one,
 * i386 and x32 calls included, is allowed untouched), then sends the calls
 * of common/syscalls.h to the listener with SECCOMP_RET_USER_NOTIF: the
 * open, stat and access families and bind always, socket only for the
 * families and types the kernel refuses an unprivileged caller (SOCK_RAW,
 * AF_PACKET).  Everything else is allowed.
 *
 * Error convention: negative errno.
 */
#ifndef FDB_FRONT_FILTER_H
#define FDB_FRONT_FILTER_H

#include <linux/filter.h>
#include <stddef.h>

#include "syscalls.h"

/* Most instructions filter_build writes. */
#define FILTER_MAX 64

/* The program for architecture a into prog: its length, or -E2BIG. */
int filter_build(const struct sc_arch *a, struct sock_filter *prog, size_t cap);

/*
 * Install the native filter on the calling thread with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (and WAIT_KILLABLE_RECV where the
 * kernel has it, 5.19): the listener (close-on-exec), or -errno.  Needs
 * CAP_SYS_ADMIN or no_new_privs.  Async-signal-safe (a vfork child may
 * call it); makes no call the filter traps, before or after.
 */
int filter_install(void);

#endif
