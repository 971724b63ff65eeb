/*
 * One notification, read, decided and delivered (see front/notif.h for its
 * life).  What the program sees is what it would see under the shim:
 *
 *   - a call no rule could grant (dispatch_would) goes on to the kernel
 *     untouched (CONTINUE): the program gets its own result and errno, and
 *     nothing is logged; a call by name that no rule names, spelled and
 *     resolving without a symlink, goes on as soon as its name is read, on
 *     the worker (front/prefilter.h);
 *   - a call a rule could grant is first made as the program would make it
 *     (front/as_caller.h: its fsuid, fsgid and groups, no capability), in
 *     the broker's namespaces, from the program's own directory: what the
 *     kernel allows it anyway is handed over with no audit line, as under
 *     the shim, where the program's own call succeeds and nothing is asked;
 *   - only EACCES or EPERM there makes it a request for the core
 *     (dispatch): judged, logged (via=seccomp), granted or refused, and a
 *     refusal goes on to the kernel, so the program keeps its own errno.
 *
 * The arguments were read from the target by a worker, then the
 * notification re-validated (notif_fetch); the decision is made on the
 * broker's copy.  Each descriptor taken from the target (its directory,
 * its socket) is taken through a pidfd and followed by another validation:
 * the thread is still stopped in this very call, so its tid was not
 * reused.  A side effect whose answer fails (the call was interrupted or
 * the target killed) is undone where it can be: a file created for it is
 * removed; a socket bound for it stays bound, and the bind the program
 * makes again after the signal is answered 0.
 *
 * The try as the caller walks without magic links (RESOLVE_NO_MAGICLINKS)
 * and never hands over an object of /proc: the broker's /proc/self is not
 * the program's.  The program's own descriptors by name (/dev/stdin,
 * /proc/self/fd/N) are reopened through /proc/TID/fd/N instead.
 */
#include "front/notif_call.h"
#include "audit/audit.h"
#include "core/dispatch.h"
#include "fdname.h"
#include "sys/closer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef O_LARGEFILE
#define O_LARGEFILE 0
#endif

static struct args args_of(const struct notif *n)
{
	const __u64 *a = n->n.data.args;
	struct args r = { .dirfd = AT_FDCWD };

	switch (n->call) {
	case SC_OPEN:
		r = (struct args){ AT_FDCWD, a[0], (unsigned)a[1], (unsigned)a[2], 0, 0, 0 };
		break;
	case SC_OPENAT:
		r = (struct args){ (int)a[0], a[1], (unsigned)a[2], (unsigned)a[3], 0, 0, 0 };
		break;
	case SC_OPENAT2:
		r = (struct args){ (int)a[0], a[1], 0, 0, a[2], a[3], 0 };
		break;
	case SC_CREAT:
		r = (struct args){ AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (unsigned)a[1], 0, 0, 0 };
		break;
	case SC_STAT:
		r = (struct args){ AT_FDCWD, a[0], 0, 0, a[1], 0, 0 };
		break;
	case SC_LSTAT:
		r = (struct args){ AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, 0, a[1], 0, 0 };
		break;
	case SC_NEWFSTATAT:
		r = (struct args){ (int)a[0], a[1], (unsigned)a[3], 0, a[2], 0, 0 };
		break;
	case SC_STATX:
		r = (struct args){ (int)a[0], a[1], (unsigned)a[2], 0, a[4], 0, (unsigned)a[3] };
		break;
	case SC_ACCESS:
		r = (struct args){ AT_FDCWD, a[0], 0, (unsigned)a[1], 0, 0, 0 };
		break;
	case SC_FACCESSAT:
		r = (struct args){ (int)a[0], a[1], 0, (unsigned)a[2], 0, 0, 0 };
		break;
	case SC_FACCESSAT2:
		r = (struct args){ (int)a[0], a[1], (unsigned)a[3], (unsigned)a[2], 0, 0, 0 };
		break;
	case SC_BIND:
		r = (struct args){ (int)a[0], 0, 0, 0, a[1], a[2], 0 };
		break;
	case SC_SOCKET:
	case SC_NONE:
	case SC_NCALLS:
		break;
	}
	return r;
}

_Static_assert(sizeof(struct notif) - offsetof(struct notif, path) -
		       sizeof(((struct notif *)0)->path) < _Alignof(struct notif),
	       "notif: a field after path");

void notif_clear(struct notif *n)
{
	memset(n, 0, offsetof(struct notif, path));
	n->path[0] = '\0';
}

void notif_init(struct notif *n)
{
	n->fds = (struct notif_fds){ -1, -1, -1, -1, -1 };
	n->fdnum = -1;
	n->wq_place = -1;
}

/*
 * The target's own descriptors (dirfd, held, sock) may be anything it
 * chose, a file on a FUSE mount of its own among them, whose close waits
 * for a flush it need never answer: closer_close.  The pidfd and the nsfs
 * descriptor are the broker's opens, closed here.
 */
void notif_release(struct notif *n)
{
	int own[] = { n->fds.pidfd, n->fds.netns };
	int target[] = { n->fds.dirfd, n->fds.held, n->fds.sock };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i] >= 0)
			close(own[i]);
	for (size_t i = 0; i < sizeof(target) / sizeof(target[0]); i++)
		closer_close(n->account, target[i]);
	target_cred_free(&n->cred);
	prefilter_drop(n->prefilter);
	n->prefilter = NULL;
	for (int i = 0; i < 2; i++)
		if (n->held[i])
			__atomic_sub_fetch(n->held[i], 1, __ATOMIC_RELAXED);
	n->held[0] = n->held[1] = NULL;
}

bool is_open_call(enum sc_call c)
{
	return c == SC_OPEN || c == SC_OPENAT || c == SC_OPENAT2 || c == SC_CREAT;
}

static bool given_up(const struct notif *n)
{
	return __atomic_load_n(&n->job.abandoned, __ATOMIC_ACQUIRE);
}

/* A copy of the target's descriptor fd, or its cwd for AT_FDCWD: fd or -errno. */
static int take(struct notif *n, int fd)
{
	pid_t tid = (pid_t)n->n.pid;

	if (fd == AT_FDCWD)
		return target_cwd(tid);
	if (fd < 0)
		return -EBADF;
	if (n->fds.pidfd < 0)
		n->fds.pidfd = target_pidfd(tid, n->cred.tgid);
	return n->fds.pidfd < 0 ? n->fds.pidfd : target_getfd(n->fds.pidfd, fd);
}

/* Does n's call name a file (every call but socket, and but a bind off the unix file names)? */
static bool names_a_file(const struct notif *n)
{
	if (n->call == SC_SOCKET)
		return false;
	return n->call != SC_BIND || unix_path_name(n);
}

/* The descriptors the call needs (before the last validation, which covers them). */
static void take_fds(struct notif *n, const struct args *a)
{
	if (n->call == SC_BIND) {
		n->fds.sock = take(n, a->dirfd);
	} else if (n->call == SC_SOCKET) {
		n->fds.netns = target_netns((pid_t)n->n.pid);
	} else {
		n->fdnum = is_open_call(n->call) ? fdname_parse(n->path, n->cred.tgid) : -1;
		if (n->fdnum >= 0)
			n->fds.held = take(n, n->fdnum);
		else if (n->path[0] != '/')
			n->fds.dirfd = take(n, a->dirfd);
	}
}

void notif_fetch(struct worker_job *j)
{
	struct notif *n = (struct notif *)j;
	struct args a = args_of(n);
	pid_t tid = (pid_t)n->n.pid;
	ssize_t len;
	int rc = 0;

	if (given_up(n))
		return;

	/* a NULL name is the kernel's EFAULT to give, as any other unreadable one */
	if (n->call != SC_SOCKET && n->call != SC_BIND) {
		len = target_read_str(tid, a.path, n->path, sizeof(n->path));
		rc = len < 0 ? (int)len : 0;
		/* CONTINUE is safe for anyone: nothing else need be read (prefilter.h) */
		if (!rc && n->prefilter && prefilter_passes(n->prefilter, n->path)) {
			n->passed = true;
			j->quiet = true; /* the loop only frees it: no need to wake it */
			notif_send(n->listener, n->n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
			return;
		}
	}
	/* openat2: the first version of open_how; a larger one is the kernel's to check */
	if (!rc && n->call == SC_OPENAT2)
		rc = a.size == sizeof(n->how) ? target_read(tid, a.buf, &n->how, sizeof(n->how))
					      : -EINVAL;
	if (!rc && n->call == SC_BIND) {
		if (a.size < sizeof(sa_family_t) || a.size > sizeof(n->sa))
			rc = -EINVAL;
		else
			rc = target_read(tid, a.buf, &n->sa, (size_t)a.size);
		n->salen = (socklen_t)a.size;
	}
	if (!rc)
		rc = target_cred_read(tid, n->status, &n->cred);
	/*
	 * a name means what it means in the broker's root and mounts only (a
	 * unix bind's absolute one too: its try and its grant make the file)
	 */
	if (!rc && names_a_file(n) && target_fs_is_ours(tid) != 1)
		rc = -EXDEV;
	if (!rc)
		take_fds(n, &a);
	/* the thread is still stopped in this call: nothing read or taken was another's */
	if (!target_valid(n->listener, n->n.id))
		rc = -ENOENT;
	n->fetch_err = rc;
}

void notif_write(struct worker_job *j)
{
	struct notif *n = (struct notif *)j;
	int rc;

	/* given up on (answered CONTINUE), or gone: the tid may be another's by now */
	if (given_up(n) || !target_valid(n->listener, n->n.id))
		return;
	rc = target_write((pid_t)n->n.pid, n->out_addr, &n->out, n->out_len);
	if (rc == 0)
		notif_send(n->listener, n->n.id, 0, 0, 0);
	else
		notif_send(n->listener, n->n.id, -1, rc == -EFAULT ? EFAULT : -rc, 0);
}

bool notif_decide(struct broker *b, struct notif *n)
{
	struct args a = args_of(n);
	bool reposted = false;

	if (n->passed) {
		n->answered = true;
		debug(n, "no rule names it: the kernel answers (prefilter)");
		return false;
	}
	if (n->fetch_err == -ENOENT) {
		n->answered = true; /* gone: nothing to answer */
		return false;
	}
	if (n->fetch_err)
		return kernel(n, "unread: the kernel answers");
	switch (n->call) {
	case SC_OPEN:
	case SC_OPENAT:
	case SC_OPENAT2:
	case SC_CREAT:
		reposted = decide_open(b, n, &a);
		break;
	case SC_STAT:
	case SC_LSTAT:
	case SC_NEWFSTATAT:
	case SC_STATX:
	case SC_ACCESS:
	case SC_FACCESSAT:
	case SC_FACCESSAT2:
		reposted = decide_stat(b, n, &a);
		break;
	case SC_SOCKET:
		reposted = decide_socket(b, n);
		break;
	case SC_BIND:
		reposted = decide_bind(b, n);
		break;
	case SC_NONE:
	case SC_NCALLS:
		kernel(n, "not ours");
		break;
	}
	return reposted;
}
