/*
 * The privileged open.
 *
 * The object checked must be the object opened, whatever races the client
 * runs against us (renames, symlink swaps, /proc tricks, mounts of its own),
 * and no request may make the broker wait.  The order of the steps, and why
 * each is safe:
 *
 *   1. Where the walk starts.  An absolute path starts at the broker's root,
 *      whatever descriptor came along.  A relative one starts at the
 *      program's directory descriptor, and only if that descriptor's mount is
 *      one of the broker's (mount_is_ours: statx STATX_MNT_ID_UNIQUE, then
 *      statmount).  A directory on a mount of the client's own namespace
 *      would make every name below read back (/proc/self/fd/N) as the
 *      client's namespace spells it, not as the policy means it: refused,
 *      reason=foreign-mount.
 *   2. The short road.  An absolute path in canonical form (no ".", "..",
 *      "//", trailing "/") that the policy allows as written is resolved
 *      with openat2(O_PATH, RESOLVE_NO_SYMLINKS): no symlink, magic or not,
 *      is followed anywhere, so the object reached is the one at that very
 *      path, from the broker's root, through the broker's mounts only (a
 *      walk crosses into the children of the mount it is on, which belong to
 *      the same namespace).  Nothing more to check, so no mount check and no
 *      name read back: it goes on to step 5.
 *   3. The long road resolves the name as O_PATH, first with
 *      RESOLVE_NO_SYMLINKS.  If that fails for another reason than a
 *      symlink (ELOOP), no symlink was followed before the failure, so the
 *      error belongs to the path as written: it is told iff that path
 *      (folded, and without ".." which a concurrent rename can make land
 *      elsewhere) is allowed.  On ELOOP it resolves again with
 *      RESOLVE_NO_MAGICLINKS, following ordinary symlinks but never
 *      /proc/self/fd/N, /proc/PID/root and the like; if that fails, the
 *      failure is somewhere the symlinks led, perhaps outside the policy,
 *      and is never told (EACCES: the program keeps its own errno).  No
 *      error is ever told from comparing two walks.
 *   4. The object resolved is judged by its canonical path (/proc/self/fd/N)
 *      after checking that its mount is the broker's.  A walk that starts on
 *      a broker mount without magic links cannot leave the broker's mounts,
 *      so this check only guards that reasoning (two syscalls, long road
 *      only).
 *   5. The very same inode is re-opened through /proc/self/fd/N, by the
 *      loop if it is a directory or a regular file without O_TRUNC, and
 *      otherwise off the loop (below).
 *      A creation resolves the parent directory as in 3 and 4 and creates the
 *      last component with O_EXCL | O_NOFOLLOW relative to it; the new file
 *      never gets set-id bits, and an owner=root file is never group- or
 *      world-writable.
 *
 * Every open (re-open, creation) is made with O_NONBLOCK, so a device
 * waiting for its carrier or a file under a lease cannot hold the broker;
 * O_NONBLOCK is cleared afterwards unless the program asked for it.  The
 * O_PATH walks open nothing, so no FIFO, device or lease can make them
 * wait (a file system whose lookups stall, a hung FUSE or NFS mount of the
 * broker's own namespace, still can).  Some opens wait for a lock whatever
 * the flags, and a program can hold it: a creation its directory's, an
 * O_TRUNC its file's, a FIFO's open the pipe's, a terminal's the tty's.
 * Those run off the loop, with a deadline (open_job.h); the fstat of step 5
 * tells which, on the very object to be opened.
 */
#include "grant/open.h"
#include "grant/mounts.h"
#include "grant/open_job.h"
#include "grant/path.h"
#include "policy/str.h"
#include "sys/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Flags that make no sense from the broker, or that it always chooses itself. */
#define BROKER_CHOOSES (O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_PATH)

/* The flags every open of the broker uses, from the program's. */
int open_broker_flags(unsigned flags)
{
	return (int)(flags & ~(unsigned)BROKER_CHOOSES) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
}

/* O_PATH walk of path from start with RESOLVE_* how; fd or -errno. */
static int resolve(int start, const char *path, int extra, uint64_t how_resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(O_PATH | O_CLOEXEC | extra),
		.resolve = how_resolve,
	};
	long fd = syscall(SYS_openat2, start, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/*
 * Step 3: resolve without symlinks, then with them.  *told: on failure,
 * whether no symlink was followed before it (its error may be told).
 */
static int resolve_object(int start, const char *path, int extra, bool *told)
{
	int fd = resolve(start, path, extra, RESOLVE_NO_SYMLINKS);

	*told = fd != -ELOOP;
	if (fd != -ELOOP)
		return fd;
	return resolve(start, path, extra, RESOLVE_NO_MAGICLINKS);
}

/*
 * Undo the broker's O_NONBLOCK unless the program asked for it.  F_SETFL
 * sets all status flags at once; they are the program's minus the broker's
 * (O_ASYNC is read back, as open does not arm it and F_SETFL would).  An
 * append-only inode (chattr +a) refuses only a change of O_APPEND, and the
 * flags given keep the program's O_APPEND, so nothing changes there.
 */
static int clear_nonblock(int fd, unsigned flags)
{
	int fl = (int)(flags & (O_APPEND | O_DIRECT | O_NOATIME));

	if (flags & O_NONBLOCK)
		return 0;
	if (flags & O_ASYNC) {
		fl = fcntl(fd, F_GETFL);
		if (fl < 0)
			return -errno;
		fl &= ~O_NONBLOCK;
	}
	return fcntl(fd, F_SETFL, fl) == 0 ? 0 : -errno;
}

/* An opened descriptor to hand over: NONBLOCK as asked, or the error. */
void open_hand_over(int fd, unsigned flags, struct open_result *out)
{
	int rc = clear_nonblock(fd, flags);

	if (rc < 0) {
		close(fd);
		out->err = -rc;
		return;
	}
	out->fd = fd;
}

/*
 * O_APPEND needs write like any other write: the program can clear O_APPEND
 * with fcntl(F_SETFL) or ftruncate the descriptor, so the kernel offers no
 * append-only descriptor the policy could grant.
 */
int open_rights(int flags)
{
	int r = 0, acc = flags & O_ACCMODE;

	if (acc == O_RDONLY)
		r = RIGHT_READ;
	else if (acc == O_WRONLY)
		r = RIGHT_WRITE;
	else if (acc == O_RDWR)
		r = RIGHT_READ | RIGHT_WRITE;
	else
		return -EINVAL;
	if (flags & O_TRUNC)
		r |= RIGHT_WRITE;
	return r;
}

/*
 * Does the policy allow rights on path?  With out->any_right, any one of
 * them is enough (a stat, which reveals no more than an open and fstat of
 * the object would); out->rights then says which.
 */
static bool allowed(const struct policy *p, const struct subject *s, const char *path,
		    unsigned rights, struct open_result *out)
{
	struct request rq = { .op = OP_OPEN, .u.open = { .path = path, .rights = rights } };
	struct decision d;

	str_copy(out->object, sizeof(out->object), path);
	out->rights = rights;
	if (out->any_right) {
		for (unsigned bit = 1; bit <= rights; bit <<= 1) {
			if (!(rights & bit))
				continue;
			rq.u.open.rights = bit;
			d = policy_decide(p, s, &rq);
			out->rule = d.rule;
			if (d.verdict == VERDICT_ALLOW) {
				out->rights = bit;
				return true;
			}
		}
		return false;
	}
	d = policy_decide(p, s, &rq);
	out->rule = d.rule;
	return d.verdict == VERDICT_ALLOW;
}

static void deny(struct open_result *out)
{
	out->denied = true;
	out->err = EACCES;
}

/* A refusal before or beside the policy: no rule, and why for the log. */
static void refuse(struct open_result *out, const char *reason)
{
	out->rule = NULL;
	out->reason = reason;
	deny(out);
}

/* Refuse an object (or a starting directory) not on one of the broker's mounts. */
static bool foreign(int fd, struct open_result *out)
{
	int rc = mount_is_ours(fd);

	if (rc == 0)
		return false;
	refuse(out, rc == -EXDEV ? "foreign-mount" : "mount-unknown");
	return true;
}

/*
 * Report a failed resolution.  told: the error belongs to the path as
 * written (written[0] == '\0' when it has no such meaning); it is revealed
 * only if that path is allowed.
 */
static void resolve_failed(const struct policy *p, const struct subject *s, const char *written,
			   bool told, unsigned rights, int err, struct open_result *out)
{
	out->walk_err = err;
	if (told && written[0] && allowed(p, s, written, rights, out))
		out->err = err;
	else
		deny(out);
}

/*
 * Step 4: judge the object opath resolved to by its canonical path.  false
 * when it is refused (out says why).
 */
static bool judge(const struct policy *p, const struct subject *s, int opath, unsigned rights,
		  struct open_result *out)
{
	char canon[PATH_MAX];

	if (foreign(opath, out))
		return false;
	if (path_of_fd(opath, canon, sizeof(canon)) < 0) {
		deny(out);
		return false;
	}
	out->resolved = true;
	if (!allowed(p, s, canon, rights, out)) {
		deny(out);
		return false;
	}
	return true;
}

/*
 * Step 5: open the object of O_PATH descriptor opath anew, st its fstat.
 * A directory, or a regular file without O_TRUNC, is opened here: with
 * O_NONBLOCK nothing there waits for the program.  Anything else runs off
 * the loop (open_job.h): a FIFO's open waits for the pipe's lock even with
 * O_NONBLOCK, a terminal's for the tty's, a device's for whatever its
 * driver waits for, an O_TRUNC for the file's lock, and a program can hold
 * each of them.
 */
static void reopen_object(int opath, const struct stat *st, const struct req_open *req,
			  uid_t uid, struct open_result *out)
{
	int flags = open_broker_flags(req->flags);
	int fd;

	if (S_ISDIR(st->st_mode) || (S_ISREG(st->st_mode) && !(req->flags & O_TRUNC))) {
		fd = proc_self_fd_open(opath, flags);
	} else {
		fd = open_job_reopen(opath, flags, uid);
		if (fd == -EBUSY) {
			refuse(out, "file-busy");
			return;
		}
	}
	if (fd < 0)
		out->err = -fd;
	else
		open_hand_over(fd, req->flags, out);
}

/* The file exists: judge what it is, then re-open that inode. */
static void open_existing(const struct policy *p, const struct subject *s,
			  const struct req_open *req, int opath, unsigned rights,
			  struct open_result *out)
{
	struct stat st;

	if ((req->flags & O_CREAT) && (req->flags & O_EXCL))
		rights |= RIGHT_CREATE;
	if (!judge(p, s, opath, rights, out))
		return;
	if (fstat(opath, &st) < 0) {
		deny(out);
		return;
	}
	if ((req->flags & O_CREAT) && (req->flags & O_EXCL)) {
		out->err = EEXIST;
		return;
	}
	if (S_ISLNK(st.st_mode)) { /* O_NOFOLLOW on a symlink */
		out->err = ELOOP;
		return;
	}
	reopen_object(opath, &st, req, s->uid, out);
}

/*
 * The short road: path (absolute, canonical form) is allowed as written and
 * the kernel follows no symlink resolving it.  The object is then opened as
 * the long road's is (reopen_object), since what it is decides whether the
 * open may wait.  false: take the long road.
 */
static bool open_direct(const struct policy *p, const struct subject *s,
			const struct req_open *req, unsigned rights, struct open_result *out)
{
	struct stat st;
	int opath;

	if (!allowed(p, s, req->path, rights, out))
		return false; /* a symlink may still lead somewhere allowed */
	opath = resolve(AT_FDCWD, req->path, (int)(req->flags & O_DIRECTORY), RESOLVE_NO_SYMLINKS);
	if (opath == -ELOOP)
		return false; /* a symlink on the way */
	if (opath < 0) {
		out->err = -opath; /* inside the policy: the kernel's answer is the program's */
		return true;
	}
	out->resolved = true; /* no symlink followed: the path is the object's */
	if (fstat(opath, &st) < 0)
		deny(out);
	else
		reopen_object(opath, &st, req, s->uid, out);
	close(opath);
	return true;
}

/* The mode of a new file: the program's (its umask applied by the shim), no set-id. */
static mode_t create_mode(const struct rule *rule, unsigned mode)
{
	mode_t m = (mode_t)(mode & 0777);

	/* a file root keeps is written by whom the rule says, not by its group or the world */
	if (rule->u.open.owner_root)
		m &= (mode_t)~022;
	return m;
}

/*
 * The file does not exist and O_CREAT asks for it.  told as for
 * resolve_failed, for the path as written.  Returns 1 if another creator
 * won a race and the caller may try again (not O_EXCL); 0 when out says
 * what happened.
 */
static int create_new(const struct policy *p, const struct subject *s,
		      const struct req_open *req, int start, const char *written, bool told,
		      struct open_result *out)
{
	char dir[PATH_MAX], canon[PATH_MAX + NAME_MAX + 2];
	const char *base;
	const struct rule *rule;
	unsigned rights = (unsigned)open_rights((int)req->flags) | RIGHT_CREATE;
	bool dir_told;
	int pfd, fd = path_parent(req->path, dir, sizeof(dir), &base);

	if (fd < 0) {
		resolve_failed(p, s, written, told, rights, -fd, out);
		return 0;
	}
	pfd = resolve_object(start, dir, O_DIRECTORY, &dir_told);
	if (pfd < 0) {
		resolve_failed(p, s, written, told && dir_told, rights, -pfd, out);
		return 0;
	}
	if (foreign(pfd, out)) {
		close(pfd);
		return 0;
	}
	if (path_of_fd(pfd, dir, sizeof(dir)) < 0) {
		close(pfd);
		deny(out);
		return 0;
	}
	snprintf(canon, sizeof(canon), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
	out->resolved = true;
	if (!allowed(p, s, canon, rights, out)) {
		close(pfd);
		deny(out);
		return 0;
	}
	/* from here on the canonical name is allowed: its errors are the program's */
	rule = out->rule;
	/* the program's file, unless the rule keeps it root's; made off the loop (open_job.h) */
	fd = open_job_create(pfd, base, open_broker_flags(req->flags), create_mode(rule, req->mode),
			     !rule->u.open.owner_root, s->uid, s->gid);
	close(pfd);
	if (fd == -EBUSY) {
		refuse(out, "directory-busy");
		return 0;
	}
	if (fd < 0) {
		if (fd == -EEXIST && !(req->flags & O_EXCL))
			return 1;
		out->err = -fd;
		return 0;
	}
	out->created = true;
	open_hand_over(fd, req->flags, out);
	return 0;
}

/*
 * Step 1, and the path as written, folded, for reporting resolution errors
 * (written[0] == '\0' when it has no such meaning).  false when refused.
 */
static bool walk_start(const char *path, int dirfd, int *start, char *written,
		       struct open_result *out)
{
	char base[PATH_MAX];

	*start = AT_FDCWD; /* an absolute path: the broker's root */
	written[0] = '\0';
	if (path[0] != '/') {
		if (dirfd < 0) {
			deny(out);
			return false;
		}
		/* the log names the path as written */
		if (foreign(dirfd, out))
			return false;
		*start = dirfd;
	}
	if (path[0] == '/')
		path_fold(path, written, PATH_MAX);
	else if (path_of_fd(dirfd, base, sizeof(base)) < 0 ||
		 path_join_fold(base, path, written, PATH_MAX) < 0)
		written[0] = '\0';
	return true;
}

_Static_assert(sizeof(struct open_result) - offsetof(struct open_result, object) -
		       sizeof(((struct open_result *)0)->object) < _Alignof(struct open_result),
	       "open_result: a field after object");

static void result_init(struct open_result *out, const char *path, unsigned rights)
{
	memset(out, 0, offsetof(struct open_result, object));
	out->fd = -1;
	out->rights = rights; /* what the log says was asked */
	str_copy(out->object, sizeof(out->object), path);
}

int object_resolve(const struct policy *p, const struct subject *s, const char *path, int dirfd,
		   int extra, unsigned rights, bool any, struct open_result *out)
{
	char written[PATH_MAX];
	int start, opath;
	bool walk_told;

	result_init(out, path, rights);
	out->any_right = any;
	if (!walk_start(path, dirfd, &start, written, out))
		return -1;
	opath = resolve_object(start, path, extra, &walk_told);
	if (opath < 0) {
		out->unresolved = true;
		resolve_failed(p, s, written, !path_has_dotdot(path) && walk_told, rights, -opath,
			       out);
		return -1;
	}
	if (!judge(p, s, opath, rights, out)) {
		close(opath);
		return -1;
	}
	return opath;
}

void open_serve(const struct policy *p, const struct subject *s, const struct req_open *req,
		struct open_result *out)
{
	char written[PATH_MAX];
	int rights = open_rights((int)req->flags);
	int extra = (int)(req->flags & (O_NOFOLLOW | O_DIRECTORY));
	int start;
	bool told;

	result_init(out, req->path, rights > 0 ? (unsigned)rights : 0);
	if (rights < 0 || (req->flags & O_PATH) || (req->flags & O_TMPFILE) == O_TMPFILE) {
		deny(out);
		return;
	}
	if (!walk_start(req->path, req->dirfd, &start, written, out))
		return;
	if (req->path[0] == '/' && !(req->flags & O_CREAT) && strcmp(written, req->path) == 0 &&
	    open_direct(p, s, req, (unsigned)rights, out))
		return;
	/* what the path as written was granted does not speak for where it leads */
	out->rule = NULL;

	told = !path_has_dotdot(req->path);
	/* a creation that loses a race with another creator tries again */
	for (int attempt = 0; attempt < 3; attempt++) {
		bool walk_told;
		int opath = resolve_object(start, req->path, extra, &walk_told);

		if (opath >= 0) {
			open_existing(p, s, req, opath, (unsigned)rights, out);
			close(opath);
			return;
		}
		if (opath != -ENOENT || !(req->flags & O_CREAT)) {
			resolve_failed(p, s, written, told && walk_told, (unsigned)rights, -opath,
				       out);
			return;
		}
		if (create_new(p, s, req, start, written, told && walk_told, out) == 0)
			return;
	}
	deny(out);
}

/*
 * Could open_serve grant req, or tell an error of an object the policy
 * names?  The same start, walk and judgement, with nothing opened or
 * created: the seccomp front end's question before it involves the broker
 * at all.  A symlink leads where the walk leads, as for open_serve.
 */
bool open_would(const struct policy *p, const struct subject *s, const struct req_open *req)
{
	struct open_result out;
	char dir[PATH_MAX], canon[PATH_MAX + NAME_MAX + 2];
	int rights = open_rights((int)req->flags);
	int extra = (int)(req->flags & (O_NOFOLLOW | O_DIRECTORY));
	int opath, pfd;
	const char *base;
	bool told, ok;

	if (rights < 0 || (req->flags & O_PATH) || (req->flags & O_TMPFILE) == O_TMPFILE)
		return false;
	if ((req->flags & O_CREAT) && (req->flags & O_EXCL))
		rights |= RIGHT_CREATE;
	/*
	 * open_serve's short road: a canonical absolute name a rule allows as
	 * written is a yes with nothing resolved (the grant still walks it).
	 */
	if (req->path[0] == '/' && !(req->flags & O_CREAT) &&
	    path_fold(req->path, dir, sizeof(dir)) == 0 && strcmp(dir, req->path) == 0) {
		result_init(&out, req->path, (unsigned)rights);
		if (allowed(p, s, req->path, (unsigned)rights, &out))
			return true;
	}
	opath = object_resolve(p, s, req->path, req->dirfd, extra, (unsigned)rights, false, &out);
	if (opath >= 0) {
		close(opath);
		return true;
	}
	if (!out.denied)
		return true; /* an error inside the policy: the program is told it */
	if (!(req->flags & O_CREAT) || !out.unresolved || out.walk_err != ENOENT)
		return false;
	/* a creation: the directory resolved and judged, the name in it */
	if (path_parent(req->path, dir, sizeof(dir), &base) < 0 ||
	    (req->path[0] != '/' && req->dirfd < 0))
		return false;
	pfd = resolve_object(req->path[0] == '/' ? AT_FDCWD : req->dirfd, dir, O_DIRECTORY, &told);
	if (pfd < 0)
		return false;
	ok = !foreign(pfd, &out) && path_of_fd(pfd, dir, sizeof(dir)) == 0;
	close(pfd);
	if (!ok)
		return false;
	snprintf(canon, sizeof(canon), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
	return allowed(p, s, canon, (unsigned)(open_rights((int)req->flags) | RIGHT_CREATE), &out);
}

/* The object fd stands for, by its canonical name, if it is on our mounts. */
static int judged_name(int fd, const char *base, char *out, size_t cap)
{
	char canon[PATH_MAX];
	int rc = mount_is_ours(fd);

	if (rc == 0)
		rc = path_of_fd(fd, canon, sizeof(canon));
	close(fd);
	if (rc < 0)
		return rc;
	if (!base)
		return snprintf(out, cap, "%s", canon) < (int)cap ? 0 : -ENAMETOOLONG;
	if (snprintf(out, cap, "%s%s%s", canon, strcmp(canon, "/") ? "/" : "", base) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

int open_judged_path(const char *path, bool create, char *out, size_t cap)
{
	char written[PATH_MAX], dir[PATH_MAX];
	const char *slash;
	bool told, dir_told;
	int fd;

	if (path[0] != '/' || path_fold(path, written, sizeof(written)) < 0)
		return -EINVAL;
	fd = resolve_object(AT_FDCWD, path, 0, &told);
	if (fd >= 0)
		return judged_name(fd, NULL, out, cap);
	/* a creation: the directory is resolved, the last component is created in it */
	slash = strrchr(written, '/');
	if (fd == -ENOENT && create && slash[1]) {
		snprintf(dir, sizeof(dir), "%.*s", slash == written ? 1 : (int)(slash - written),
			 written);
		fd = resolve_object(AT_FDCWD, dir, O_DIRECTORY, &dir_told);
		if (fd >= 0)
			return judged_name(fd, slash + 1, out, cap);
		told = told && dir_told;
	}
	if (!told || path_has_dotdot(path))
		return fd;
	snprintf(out, cap, "%s", written);
	return 1;
}
