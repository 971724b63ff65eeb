/*
 * The open family under seccomp: open, openat, openat2, creat, and the
 * program's own descriptors by name (see notif.c for what the program sees).
 */
#include "front/notif_call.h"
#include "audit/audit.h"
#include "core/dispatch.h"
#include "sys/sockjob.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef O_LARGEFILE
#define O_LARGEFILE 0
#endif

struct try_open {
	int dirfd; /* where a relative path starts; a reopen's: the descriptor path names */
	const char *path;
	unsigned flags, mode;
	bool reopen; /* path is /proc/TID/fd/N: a magic link, on purpose */
	bool off_loop; /* the try runs on a thread of its own: it may wait (try_off_loop) */
	bool waits;    /* the object's open may wait for a lock: try it off the loop */
	bool created;
};

/*
 * One open of the try, with the walk's resolve.  The walk finds the object
 * (O_PATH), which is then opened through its descriptor, so that what it
 * is decides how.  A FIFO's open waits for the pipe's lock, a terminal's
 * for the tty's, a device's for its driver, and the program can hold them
 * (grant/open_job.h): on the loop, such an object is not opened, t->waits
 * says so.  An O_TRUNC that is still in base (access mode O_RDONLY: the
 * truncation is what asks for write, build_open_flags) is not made either:
 * it would wait for the file's lock, and would cut a file the program's own
 * call may yet be refused (its Landlock domain).  A regular file is opened
 * O_RDWR instead, which asks the caller for the same access and truncates
 * nothing; anything else as asked (the kernel truncates only a regular
 * file).
 */
static int try_one(struct try_open *t, unsigned base, uint64_t resolve)
{
	unsigned again = base & ~(unsigned)O_NOFOLLOW;
	char proc[64];
	struct stat st;
	int opath, fd;

	opath = openat2_fd(t->dirfd, t->path,
			   O_PATH | O_CLOEXEC | (base & (O_NOFOLLOW | O_DIRECTORY)), 0, resolve);
	if (opath < 0)
		return opath;
	if (fstat(opath, &st) < 0) {
		fd = -errno;
	} else if (S_ISLNK(st.st_mode)) {
		fd = -ELOOP; /* O_NOFOLLOW, and the name is a symbolic link */
	} else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !t->off_loop) {
		t->waits = true;
		fd = -EAGAIN;
	} else {
		if (S_ISREG(st.st_mode) && (base & O_TRUNC))
			again = (again & ~(unsigned)(O_ACCMODE | O_TRUNC)) | O_RDWR;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath);
		fd = openat2_fd(AT_FDCWD, proc, again, 0, 0);
	}
	close(opath);
	return fd;
}

/*
 * The try: whether the program could make the call itself.  It makes no
 * change it need not: O_TRUNC goes (the write access it asks for is the
 * access mode's, unless that is O_RDONLY: try_one), since a try that
 * succeeds ends in the kernel's own call (see give_own); only a file it
 * creates stays.
 */
static int try_open_fn(void *arg)
{
	struct try_open *t = arg;
	unsigned drop = O_CLOEXEC | O_CREAT | O_EXCL |
			((t->flags & O_ACCMODE) != O_RDONLY ? (unsigned)O_TRUNC : 0);
	unsigned base = (t->flags & ~drop) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	uint64_t resolve = t->reopen ? 0 : RESOLVE_NO_MAGICLINKS;
	int fd;

	if (!(t->flags & O_CREAT)) {
		fd = try_one(t, base, resolve);
	} else {
		/* O_EXCL first, so that what this call created is known */
		fd = (t->flags & O_EXCL) ? -ENOENT : try_one(t, base, resolve);
		if (fd == -ENOENT) {
			/* a file made now is not truncated (O_TRUNC stays for its access check) */
			fd = openat2_fd(t->dirfd, t->path, base | O_CREAT | O_EXCL, t->mode, resolve);
			t->created = fd >= 0;
			if (fd == -EEXIST && !(t->flags & O_EXCL))
				fd = try_one(t, base, resolve);
		}
	}
	if (fd < 0)
		return fd;
	if (!t->reopen && on_proc(fd)) {
		close(fd);
		return -EXDEV;
	}
	/* the broker's O_NONBLOCK, unless the program asked for it */
	if (!(t->flags & O_NONBLOCK) && fcntl(fd, F_SETFL, (int)(t->flags & (O_APPEND | O_DIRECT |
		O_NOATIME | O_ASYNC))) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * A try that may wait for a lock: an O_CREAT takes its directory's, the
 * open of a FIFO, a terminal or a device (a reopen, or try_one found one)
 * its own, and a program can hold either (grant/open_job.h; the try
 * truncates nothing, try_one).  On a sockjob thread of its own (once: it
 * took the caller's identity, and its umask: as_caller_own_fs), with
 * copies of all it needs.
 * -EBUSY: the lock was not had in time (or too many of the uid's jobs are
 * stuck): the call goes on to the kernel, whose own call then waits in the
 * program's thread, not in the broker's.  A job left to its thread closes
 * what it opened; a file it created stays, the program's own, made with its
 * identity and umask as the kernel's call would have made it.
 */
struct try_job {
	struct sockjob job;
	struct try_open t;
	char path[PATH_MAX];
	struct as_caller_id id;
	gid_t *groups; /* id's, the job's own */
	int fd;        /* the try's: a descriptor or -errno */
};

static void try_job_fn(struct sockjob *j)
{
	struct try_job *tj = (struct try_job *)j;

	if (sockjob_left(j))
		return;
	tj->fd = as_caller_own_fs(&tj->id, try_open_fn, &tj->t);
}

static void try_job_release(struct sockjob *j)
{
	struct try_job *tj = (struct try_job *)j;

	if (tj->fd >= 0)
		close(tj->fd);
	if (tj->t.dirfd >= 0)
		close(tj->t.dirfd);
	free(tj->groups);
	free(tj);
}

/* try_open_fn(t) as id off the loop: its result, t->created set; -EBUSY as above. */
static int try_off_loop(const struct notif *n, const struct as_caller_id *id, struct try_open *t)
{
	struct try_job *tj = calloc(1, sizeof(*tj));
	int rc;

	if (!tj)
		return -ENOMEM;
	*tj = (struct try_job){ .job = { .fn = try_job_fn, .release = try_job_release,
					 .uid = n->cred.fsuid, .once = true },
				.t = *t, .id = *id, .fd = -EBUSY };
	tj->t.dirfd = -1;
	tj->t.off_loop = true;
	tj->t.path = tj->path;
	if (caller_id_keep(&tj->id, &tj->groups) < 0) {
		free(tj);
		return -ENOMEM;
	}
	tj->t.dirfd = t->dirfd == AT_FDCWD ? AT_FDCWD : fcntl(t->dirfd, F_DUPFD_CLOEXEC, 3);
	if (tj->t.dirfd == -1) {
		rc = -errno;
		try_job_release(&tj->job);
		return rc;
	}
	/*
	 * A reopen's path names the program's descriptor, its dirfd: the job
	 * names its own copy, whose number no one else can take while it runs,
	 * however late
	 */
	if (t->reopen)
		snprintf(tj->path, sizeof(tj->path), "/proc/self/fd/%d", tj->t.dirfd);
	else
		snprintf(tj->path, sizeof(tj->path), "%s", t->path);
	rc = sockjob_call(&tj->job);
	if (rc < 0)
		return rc;
	rc = tj->fd;
	t->created = tj->t.created;
	tj->fd = -1; /* the caller's now */
	try_job_release(&tj->job);
	return rc;
}

/*
 * Would the program's own open surely fail for want of permission, by the
 * object's mode bits alone?  Then the try is not needed: its fourteen
 * system calls (thirteen to take the caller's identity and give it back,
 * and its open) become three (B8 of make bench).  Only where nothing but
 * those bits can decide: an existing regular file, opened without O_CREAT
 * or O_PATH, by a thread with neither CAP_DAC_OVERRIDE nor
 * CAP_DAC_READ_SEARCH in effect.  Its owner, if that is the thread's
 * file-system uid, is judged by the owner bits; anyone else by the group
 * bits and the other bits together, which leaves the thread's groups and
 * any ACL out of it (with an ACL, the group bits are its mask, the most a
 * named user or group is given).  The file is the one the try would meet:
 * the same walk from the same place.  An LSM or the rest of the walk can
 * only refuse more.  false: the try decides.
 */
static bool surely_denied(const struct notif *n, const struct try_open *t)
{
	const uint64_t dac = 1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_DAC_READ_SEARCH;
	unsigned acc = t->flags & O_ACCMODE, want = 0;
	struct stat st;
	int fd, rc;

	if ((t->flags & (O_CREAT | O_PATH)) || acc == O_ACCMODE || (n->cred.capeff & dac))
		return false;
	if (acc != O_WRONLY)
		want |= S_IROTH;
	if (acc != O_RDONLY || (t->flags & O_TRUNC)) /* O_TRUNC asks for write (build_open_flags) */
		want |= S_IWOTH;
	fd = openat2_fd(t->dirfd, t->path,
			O_PATH | O_CLOEXEC | (t->flags & (O_NOFOLLOW | O_DIRECTORY)), 0,
			RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return false;
	rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_uid == n->cred.fsuid)
		return ((st.st_mode >> 6) & want) != want;
	return ((st.st_mode >> 3) & want) != want && (st.st_mode & want) != want;
}

/*
 * The try succeeded: the program has the right itself.  The kernel then
 * makes the call as the program, with what the try as the broker cannot
 * apply (its Landlock domain, its LSM label, its device cgroup; for an
 * O_CREAT of a file that exists, EISDIR and fs.protected_regular), so it
 * answers, and the try's descriptor goes.  Only a file the try created is
 * handed over: the program's own call would now find it there (O_EXCL:
 * EEXIST).
 */
static bool give_own(struct notif *n, int fd, const struct try_open *t, unsigned flags)
{
	if (!t->created) {
		close(fd);
		return kernel(n, "the program's own right: the kernel answers");
	}
	give_fd(n, fd, flags & O_CLOEXEC, t->dirfd, n->path, "the program's own right");
	return false;
}

/*
 * The program's own descriptor by name (/dev/stdin, /proc/self/fd/N):
 * first reopened as the program would, through the broker's copy of it
 * (/proc/self/fd/COPY stands for the very same object as the program's
 * /proc/self/fd/N); an object of /proc stays the kernel's to answer, since
 * the broker's /proc/self/... is not the program's.  Refused as the
 * program: the reopen grant, as under the shim.
 */
static bool decide_reopen(struct broker *b, struct notif *n, unsigned flags, unsigned mode)
{
	struct as_caller_id id = caller_id(n, CALLER_FS); /* O_CREAT is taken off */
	/* the held descriptor; try_off_loop names its own copy of it, as the path */
	struct try_open t = { .dirfd = n->fds.held, .flags = flags & ~(unsigned)O_CREAT,
			      .mode = mode, .reopen = true };
	struct req r = { .op = REQ_REOPEN, .who = who_of(n) };
	struct outcome o;
	int fd;

	if (n->fds.held < 0)
		return kernel(n, "no such descriptor: the kernel answers");
	if (on_proc(n->fds.held))
		return kernel(n, "an object of /proc: the kernel answers");
	/* a pipe's open waits for its lock, a terminal's for its own: the program's to hold */
	fd = try_off_loop(n, &id, &t);
	if (fd == -EBUSY)
		return kernel(n, "the object's lock is held: the kernel answers");
	if (fd >= 0)
		return give_own(n, fd, &t, flags);
	if (fd != -EACCES && fd != -EPERM)
		return kernel(n, "the kernel answers");
	r.u.reopen = (struct req_reopen){ .name = n->path, .fd = (unsigned)n->fdnum,
					  .flags = flags, .held = n->fds.held };
	outcome_init(&o, "reopen");
	dispatch(b, NULL, &r, &o);
	give_outcome_fd(b, n, &o, flags & O_CLOEXEC);
	return false;
}

bool decide_open(struct broker *b, struct notif *n, const struct args *a)
{
	unsigned flags = a->flags, mode = a->mode;
	struct req r = { .op = REQ_OPEN, .who = who_of(n) };
	struct as_caller_id id;
	struct try_open t;
	struct outcome o;
	int fd;

	if (n->call == SC_OPENAT2) {
		/* resolve restrictions are the kernel's to honour: not judged here */
		if (n->how.resolve || n->how.flags >> 32)
			return kernel(n, "openat2 with RESOLVE_*: the kernel answers");
		flags = (unsigned)n->how.flags;
		mode = (unsigned)n->how.mode;
	}
	flags &= ~(unsigned)O_LARGEFILE;
	mode &= 07777;
	if (n->fdnum >= 0)
		return decide_reopen(b, n, flags, mode);
	if (n->path[0] != '/' && n->fds.dirfd < 0)
		return kernel(n, "its directory: the kernel answers");
	/* the core's request carries the mode with the program's umask applied, as the shim's */
	r.u.open = (struct req_open){ .path = n->path, .dirfd = n->fds.dirfd, .flags = flags,
				      .mode = mode & ~(unsigned)n->cred.umask };
	if (!dispatch_would(b, &r))
		return kernel(n, "no rule: the kernel answers");
	/* the try creates as the kernel would: the program's umask (or a default ACL) applies */
	id = caller_id(n, flags & O_CREAT ? CALLER_CREATES : CALLER_FS);
	t = (struct try_open){ .dirfd = n->fds.dirfd >= 0 ? n->fds.dirfd : AT_FDCWD,
			       .path = n->path, .flags = flags, .mode = mode };
	if (surely_denied(n, &t))
		fd = -EACCES;
	else if (flags & O_CREAT)
		fd = try_off_loop(n, &id, &t);
	else
		fd = as_caller(&id, try_open_fn, &t);
	if (t.waits) /* a FIFO, a terminal, a device: the try may wait, off the loop */
		fd = try_off_loop(n, &id, &t);
	if (fd == -EBUSY)
		return kernel(n, "an inode's lock is held: the kernel answers");
	if (fd >= 0)
		return give_own(n, fd, &t, flags);
	if (fd != -EACCES && fd != -EPERM)
		return kernel(n, "the kernel answers");
	outcome_init(&o, "open");
	dispatch(b, NULL, &r, &o);
	give_outcome_fd(b, n, &o, flags & O_CLOEXEC);
	return false;
}
