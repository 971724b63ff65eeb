/*
 * A call made as the program would make it; see as_caller.h.
 *
 * Credentials are per thread in the kernel; glibc's setresuid, setgroups and
 * libcap's cap_set_proc may apply to every thread of the process (glibc's
 * setxid broadcast), so only the raw system calls are used here.
 *
 * The thread takes the program's uid and gid as its effective ones (and so
 * as its fs ones), keeping the broker's real and saved ids for the way
 * back: an effective uid of 0 would still own every user namespace root
 * made, and descriptors opened record the opener's effective ids.
 *
 * Two rules of the kernel shape the order of the steps:
 *   - a thread's effective uid going from 0 to another clears its effective
 *     capabilities, and going back to 0 makes them its permitted set; so
 *     the saved effective set is put back last, after the uid, or the
 *     thread would come out with more in effect than it went in with.
 *   - CAP_SETGID must be in effect for setgroups, CAP_SETUID and CAP_SETGID
 *     for an effective id that is none of the thread's real or saved ones:
 *     they are raised from the permitted set where they are not in effect.
 *
 * Each capset, setgroups and set*id call makes the thread new credentials
 * (some 1.5 us each on a small VM; the try is a sixth of a brokered open's
 * cost under seccomp), so where the kernel's fix-up of the first rule
 * already gives the sets wanted no capset is made; capget, which makes
 * nothing, reads back what the thread has at each end either way.
 *
 * The umask is the process's (threads share it), not the thread's: it is
 * set to the program's for the call and put back, which is safe only
 * because the event loop's thread is the one that creates files (worker
 * threads only read and write a program's memory).
 *
 * Error convention: negative errno, as in as_caller.h.
 */
#include "front/as_caller.h"
#include "sys/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct caps {
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
};

/* The calling thread's sets (sys/caps.h), in this layer's convention */
static int caps_get(struct caps *c)
{
	return caps_thread(c->d, false) < 0 ? -errno : 0;
}

static int caps_set(const struct caps *c)
{
	struct caps copy = *c; /* capset reads the sets only, but takes them unqualified */

	return caps_thread(copy.d, true) < 0 ? -errno : 0;
}

/* c, but with effective in effect in place of c's effective set */
static int caps_effective(const struct caps *c, const uint32_t effective[_LINUX_CAPABILITY_U32S_3])
{
	struct caps e = *c;

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		e.d[i].effective = effective[i];
	return caps_set(&e);
}

/* c's effective set and CAP_SETUID, CAP_SETGID (both below 32) from its permitted one */
static int caps_with_setid(const struct caps *c)
{
	const uint32_t eff[_LINUX_CAPABILITY_U32S_3] = {
		c->d[0].effective | (1U << CAP_SETUID) | (1U << CAP_SETGID), c->d[1].effective,
	};

	return caps_effective(c, eff);
}

static int caps_none(const struct caps *c)
{
	const uint32_t eff[_LINUX_CAPABILITY_U32S_3] = { 0 };

	return caps_effective(c, eff);
}

/* Read back: the thread's effective uid and gid (raw: glibc may cache nothing, but be sure). */
static uid_t euid_now(void)
{
	uid_t r, e, s;

	return syscall(SYS_getresuid, &r, &e, &s) < 0 ? (uid_t)-1 : e;
}

static gid_t egid_now(void)
{
	gid_t r, e, s;

	return syscall(SYS_getresgid, &r, &e, &s) < 0 ? (gid_t)-1 : e;
}

/* The broker's own identity, read once: it is set before the broker serves. */
static struct {
	pthread_once_t once;
	uid_t euid;
	gid_t egid;
	gid_t *groups;
	size_t ngroups;
	int err;
} own = { .once = PTHREAD_ONCE_INIT };

static void own_read(void)
{
	long n = syscall(SYS_getgroups, 0, NULL);

	own.euid = euid_now();
	own.egid = egid_now();
	if (n > 0) {
		own.groups = malloc((size_t)n * sizeof(*own.groups));
		if (!own.groups) {
			own.err = -ENOMEM;
			return;
		}
		n = syscall(SYS_getgroups, n, own.groups);
	}
	if (n < 0)
		own.err = -errno;
	else
		own.ngroups = (size_t)n;
}

/*
 * What the thread has now, read back (capget makes no new credentials,
 * capset does): want's three sets exactly, or (want NULL) none in effect.
 */
static bool caps_now(const struct caps *want)
{
	struct caps now;

	if (caps_get(&now) < 0)
		return false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (!want && now.d[i].effective)
			return false;
		if (want && (now.d[i].effective != want->d[i].effective ||
			     now.d[i].permitted != want->d[i].permitted ||
			     now.d[i].inheritable != want->d[i].inheritable))
			return false;
	}
	return true;
}

/*
 * The program's identity, with no capability in effect at the end; saved
 * holds the thread's capabilities from before, and CAP_SETUID and
 * CAP_SETGID are in effect already.  0 or -errno: the thread is then
 * somewhere between, and only back_to_own may follow.  The uid's step from
 * 0 to another empties the effective set (the kernel's setuid fix-up); only
 * a program of uid 0, or a SECBIT_NO_SETUID_FIXUP the broker never sets,
 * leaves it to the capset, and the read back tells which.
 */
static int take(const struct as_caller_id *id, const struct caps *saved)
{
	if (syscall(SYS_setgroups, id->ngroups, id->groups) < 0 ||
	    syscall(SYS_setresgid, (gid_t)-1, id->gid, (gid_t)-1) < 0 ||
	    syscall(SYS_setresuid, (uid_t)-1, id->uid, (uid_t)-1) < 0)
		return -errno;
	if (egid_now() != id->gid || euid_now() != id->uid)
		return -EPERM;
	return caps_now(NULL) ? 0 : caps_none(saved);
}

/* One step of the way back: again with CAP_SETUID and CAP_SETGID in effect if it lacked them. */
static bool back_step(const struct caps *saved, long nr, long a1, long a2, long a3)
{
	if (syscall(nr, a1, a2, a3) == 0)
		return true;
	return errno == EPERM && caps_with_setid(saved) == 0 && syscall(nr, a1, a2, a3) == 0;
}

/*
 * The broker's identity and capabilities as before take(); nothing may run
 * on without them.  The real and saved uids are still the broker's own, so
 * the effective one may go back with no capability in effect, and its step
 * back to 0 puts the permitted set in effect (the fix-up again), which
 * setgroups needs.  A step the kernel refuses is made again with
 * CAP_SETUID and CAP_SETGID raised; the saved sets are put back only
 * where they differ, and read back either way.
 */
static void back_to_own(const struct caps *saved)
{
	if (!back_step(saved, SYS_setresuid, -1, (long)own.euid, -1) ||
	    !back_step(saved, SYS_setresgid, -1, (long)own.egid, -1) ||
	    !back_step(saved, SYS_setgroups, (long)own.ngroups, (long)(uintptr_t)own.groups, 0))
		abort();
	if (!caps_now(saved) && (caps_set(saved) < 0 || !caps_now(saved)))
		abort();
	if (euid_now() != own.euid || egid_now() != own.egid)
		abort();
}

/* Are CAP_SETUID and CAP_SETGID in c's effective set? */
static bool has_setid(const struct caps *c)
{
	const uint32_t both = (1U << CAP_SETUID) | (1U << CAP_SETGID);

	return (c->d[0].effective & both) == both;
}

int as_caller(const struct as_caller_id *id, int (*fn)(void *arg), void *arg)
{
	struct caps saved;
	int rc;

	pthread_once(&own.once, own_read);
	if (own.err)
		return own.err;
	rc = caps_get(&saved);
	if (rc == 0 && !has_setid(&saved))
		rc = caps_with_setid(&saved);
	/* nothing changed yet: without CAP_SETUID and CAP_SETGID permitted, -EPERM */
	if (rc < 0)
		return rc;
	rc = take(id, &saved);
	if (rc == 0 && id->umask == AS_CALLER_UMASK_KEEP) {
		rc = fn(arg);
	} else if (rc == 0) {
		mode_t mask = umask(id->umask);

		rc = fn(arg);
		umask(mask);
	}
	back_to_own(&saved);
	return rc;
}

int as_caller_own_fs(const struct as_caller_id *id, int (*fn)(void *arg), void *arg)
{
	if (id->umask != AS_CALLER_UMASK_KEEP && unshare(CLONE_FS) < 0)
		return -errno;
	return as_caller(id, fn, arg);
}
