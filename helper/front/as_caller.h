/*
 * Doing something as the program would: the calling thread takes the
 * program's identity (effective, and so file-system, uid and gid,
 * supplementary groups, and its umask) with no capability in effect, runs
 * a function, and takes the broker's own back.  The seccomp front end uses it to try a call the policy could
 * grant as the kernel would for the program, before granting anything:
 * what the kernel allows the program anyway is handed over unlogged, as
 * under the shim.
 *
 * Only the calling thread changes (raw setresuid, setresgid, setgroups and
 * capset system calls, never glibc's process-wide wrappers), but for the
 * umask, which is the process's: with a umask to take, call
 * as_caller_own_fs from a thread that ends after it, never as_caller.  The broker must hold CAP_SETUID and
 * CAP_SETGID in its permitted set.
 *
 * Error convention: negative errno.
 */
#ifndef FDB_FRONT_AS_CALLER_H
#define FDB_FRONT_AS_CALLER_H

#include <stdbool.h>
#include <sys/types.h>

struct as_caller_id {
	uid_t uid; /* becomes the effective (and fs) uid; the real and saved stay */
	gid_t gid; /* the same for the gid */
	const gid_t *groups;
	size_t ngroups;
	mode_t umask; /* or AS_CALLER_UMASK_KEEP: the process's stays (any thread may call then) */
};

#define AS_CALLER_UMASK_KEEP ((mode_t)-1)

/*
 * fn(arg) under id: fn's return value, or -errno if the identity could not
 * be taken (fn not called).  If the broker's own identity cannot be taken
 * back the process aborts: nothing may run on with a program's identity.
 */
int as_caller(const struct as_caller_id *id, int (*fn)(void *arg), void *arg);

/*
 * as_caller on a thread that ends after it (a sockjob's, once): where id
 * has a umask to take, the thread's working directory and umask are first
 * made its own (unshare CLONE_FS), so that no other thread's changes.
 */
int as_caller_own_fs(const struct as_caller_id *id, int (*fn)(void *arg), void *arg);

#endif
