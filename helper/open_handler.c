/*
 * The privileged open.
 *
 * The object checked must be the object opened, whatever races the client
 * runs against us (renames, symlink swaps, /proc tricks).  So the broker
 * never opens by name after deciding:
 *   1. resolve the name once, as O_PATH, with openat2(RESOLVE_NO_MAGICLINKS)
 *      so /proc/self/fd/N, /proc/PID/root and the like cannot jump elsewhere;
 *   2. ask the kernel what that descriptor is (/proc/self/fd/N) and judge
 *      that canonical path;
 *   3. re-open the very same inode through /proc/self/fd/N with the access
 *      the program asked for.
 * A creation resolves the parent directory the same way and creates the last
 * component with O_EXCL | O_NOFOLLOW relative to it.
 *
 * The common case takes a shorter road with the same outcome: an absolute
 * path already in canonical form (no ".", "..", "//" or trailing "/") that
 * the policy allows as written is opened directly with openat2(
 * RESOLVE_NO_SYMLINKS), which refuses to follow any symlink, magic or not,
 * anywhere in the path.  So the object reached is the one at the path as
 * written: the path judged is the canonical path, without asking the kernel
 * for it.  A symlink on the way (ELOOP), a creation, a relative path or a
 * denial take the three steps above.
 *
 * When resolution fails (ENOENT, ENOTDIR...), the program is told the
 * kernel's errno only if the path as written is one the policy allows;
 * otherwise it keeps its own errno, so the broker never reveals what exists
 * in places the program may not look.
 */
#include "open_handler.h"
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Flags that make no sense from the broker, or that it always chooses itself. */
#define BROKER_CHOOSES (O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_PATH)

static int resolve(int dirfd, const char *path, int extra)
{
	struct open_how how = {
		.flags = (uint64_t)(O_PATH | O_CLOEXEC | extra),
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd < 0 ? AT_FDCWD : dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
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
		return -1;
	if (flags & O_TRUNC)
		r |= RIGHT_WRITE;
	return r;
}

static bool allowed(const struct policy *p, const struct subject *s, const char *path,
		    unsigned rights, struct open_result *out)
{
	struct request rq = { .op = OP_OPEN, .u.open = { .path = path, .rights = rights } };
	struct decision d = policy_decide(p, s, &rq);

	out->rule = d.rule;
	out->rights = rights;
	snprintf(out->object, sizeof(out->object), "%s", path);
	return d.verdict == VERDICT_ALLOW;
}

static void deny(struct open_result *out)
{
	out->denied = true;
	out->err = EACCES;
}

/* Report a failed resolution, revealing its errno only inside the policy. */
static void resolve_failed(const struct policy *p, const struct subject *s, const char *written,
			   unsigned rights, int err, struct open_result *out)
{
	if (written[0] && allowed(p, s, written, rights, out))
		out->err = err;
	else
		deny(out);
}

/* The file exists: judge what it is, then re-open that inode. */
static void open_existing(const struct policy *p, const struct subject *s,
			  const struct fdb_open_req *req, int opath, unsigned rights,
			  struct open_result *out)
{
	char canon[PATH_MAX], proc[64];
	struct stat st;
	int fd;

	if (path_of_fd(opath, canon, sizeof(canon)) < 0 || fstat(opath, &st) < 0) {
		deny(out);
		return;
	}
	if ((req->flags & O_CREAT) && (req->flags & O_EXCL))
		rights |= RIGHT_CREATE;
	if (!allowed(p, s, canon, rights, out)) {
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
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath);
	fd = open(proc, (int)(req->flags & ~(unsigned)BROKER_CHOOSES) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		out->err = errno;
	else
		out->fd = fd;
}

/*
 * The short road: path (absolute, canonical form) is allowed as written and
 * the kernel follows no symlink opening it.  false: take the long road.
 */
static bool open_direct(const struct policy *p, const struct subject *s,
			const struct fdb_open_req *req, unsigned rights, struct open_result *out)
{
	struct open_how how = {
		.flags = (req->flags & ~(uint64_t)BROKER_CHOOSES) | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_NO_SYMLINKS,
	};
	long fd;

	if (!allowed(p, s, req->path, rights, out))
		return false; /* a symlink may still lead somewhere allowed */
	fd = syscall(SYS_openat2, AT_FDCWD, req->path, &how, sizeof(how));
	if (fd >= 0) {
		out->fd = (int)fd;
		return true;
	}
	/* a symlink on the way, or flags openat2 is stricter about than open */
	if (errno == ELOOP || errno == EINVAL || errno == EXDEV || errno == EAGAIN)
		return false;
	out->err = errno; /* inside the policy: the kernel's answer is the program's */
	return true;
}

/* The file does not exist and O_CREAT asks for it. */
static int create_new(const struct policy *p, const struct subject *s,
		      const struct fdb_open_req *req, int dirfd, struct open_result *out)
{
	char dir[PATH_MAX], canon[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(req->path, '/'), *base;
	const struct rule *rule;
	int pfd, fd, rights = open_rights((int)req->flags);

	if (slash) {
		size_t n = (size_t)(slash - req->path);

		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, req->path, n);
		dir[n] = '\0';
		if (n == 0)
			strcpy(dir, "/");
		base = slash + 1;
	} else {
		strcpy(dir, ".");
		base = req->path;
	}
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EISDIR;
	pfd = resolve(dirfd, dir, O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	if (path_of_fd(pfd, dir, sizeof(dir)) < 0) {
		close(pfd);
		return -EACCES;
	}
	snprintf(canon, sizeof(canon), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
	if (!allowed(p, s, canon, (unsigned)rights | RIGHT_CREATE, out)) {
		close(pfd);
		deny(out);
		return 0;
	}
	rule = out->rule;
	fd = openat(pfd, base,
		    (int)(req->flags & ~(unsigned)BROKER_CHOOSES) | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC | O_NOCTTY,
		    (mode_t)(req->mode & 07777));
	if (fd < 0) {
		int e = errno;

		close(pfd);
		return -e;
	}
	/* the program's file, unless the rule keeps it root's */
	if (!rule->u.open.owner_root && fchown(fd, s->uid, s->gid) < 0) {
		int e = errno;

		unlinkat(pfd, base, 0);
		close(fd);
		close(pfd);
		return -e;
	}
	close(pfd);
	out->fd = fd;
	return 0;
}

void open_serve(const struct policy *p, const struct subject *s, const struct fdb_open_req *req,
		int dirfd, struct open_result *out)
{
	char written[PATH_MAX], base[PATH_MAX];
	int rights = open_rights((int)req->flags);
	int extra = (int)(req->flags & (O_NOFOLLOW | O_DIRECTORY));

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->rights = rights > 0 ? (unsigned)rights : 0; /* what the log says was asked */
	snprintf(out->object, sizeof(out->object), "%s", req->path);
	written[0] = '\0';
	if (rights < 0 || (req->flags & O_PATH) || (req->flags & O_TMPFILE) == O_TMPFILE) {
		deny(out);
		return;
	}
	/* the path as written, folded, for reporting resolution errors */
	if (req->path[0] == '/')
		path_fold(req->path, written, sizeof(written));
	else if (dirfd >= 0 && path_of_fd(dirfd, base, sizeof(base)) == 0)
		path_join_fold(base, req->path, written, sizeof(written));
	else
		written[0] = '\0';
	if (req->path[0] != '/' && dirfd < 0) {
		deny(out);
		return;
	}
	if (req->path[0] == '/' && !(req->flags & O_CREAT) && strcmp(written, req->path) == 0 &&
	    open_direct(p, s, req, (unsigned)rights, out))
		return;

	/* a creation that loses a race with another creator tries again */
	for (int attempt = 0; attempt < 3; attempt++) {
		int opath = resolve(dirfd, req->path, extra), rc;

		if (opath >= 0) {
			open_existing(p, s, req, opath, (unsigned)rights, out);
			close(opath);
			return;
		}
		if (opath != -ENOENT || !(req->flags & O_CREAT)) {
			resolve_failed(p, s, written, (unsigned)rights, -opath, out);
			return;
		}
		rc = create_new(p, s, req, dirfd, out);
		if (rc == 0)
			return;
		if (rc != -EEXIST || (req->flags & O_EXCL)) {
			resolve_failed(p, s, written, (unsigned)rights | RIGHT_CREATE, -rc, out);
			return;
		}
	}
	deny(out);
}
