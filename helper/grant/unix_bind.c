/*
 * A unix socket path is judged by its real directory: the broker resolves the
 * parent as the open handler does (openat2, no magic links) and judges the
 * canonical name of the directory it holds plus the last component.  From
 * then on every operation goes through that directory descriptor, never the
 * name: a client that swaps a directory of its own with a symlink
 * (renameat2 RENAME_EXCHANGE) can at most make the broker bind in the
 * directory it judged.
 *
 * bind(2) has no *at form, so the name the kernel records (what getsockname
 * and the peers' getpeername report) is the string passed to bind, resolved
 * from the broker's root and working directory:
 *   - when no directory from / down to the judged one can be changed by
 *     anyone but root or the broker's own user (path_locked), nothing can
 *     swap a component, and the broker binds the canonical absolute path:
 *     the program's own path whenever it spelt it canonically;
 *   - otherwise it binds the last component relative to the judged directory
 *     (fchdir to it, bind, fchdir back), which cannot land anywhere else;
 *     getsockname then shows only the last component.
 * Either way the socket file is confirmed afterwards in the judged directory
 * (by descriptor, and by the kernel's own account of where the socket is
 * bound when sock_diag can say) before it is given to the program's user,
 * and nothing is ever unlinked by name outside that directory.
 */
#include "grant/unix_bind.h"
#include "grant/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int unix_resolve(const struct sockaddr_un *sun, socklen_t salen, struct unix_target *t)
{
	char path[sizeof(sun->sun_path) + 1], dir[PATH_MAX];
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS };
	size_t n = salen - offsetof(struct sockaddr_un, sun_path);
	char *slash;
	long fd;

	t->dirfd = -1;
	t->canon[0] = t->base[0] = '\0';
	t->relative = t->replaced = false;
	if (salen <= offsetof(struct sockaddr_un, sun_path) || n > sizeof(sun->sun_path))
		return -EINVAL;
	memcpy(path, sun->sun_path, n);
	path[n] = '\0';
	/* until resolved, what the audit line names is the path as asked */
	snprintf(t->canon, sizeof(t->canon), "%.*s", (int)sizeof(t->canon) - 1, path);
	if (path[0] != '/')
		return -EACCES; /* relative or abstract: not the broker's to bind */
	slash = strrchr(path, '/');
	*slash = '\0';
	if (!slash[1])
		return -EINVAL;
	snprintf(t->base, sizeof(t->base), "%s", slash + 1);
	fd = syscall(SYS_openat2, AT_FDCWD, path[0] ? path : "/", &how, sizeof(how));
	if (fd < 0)
		return -errno;
	if (path_of_fd((int)fd, dir, sizeof(dir)) < 0) {
		close((int)fd);
		return -EACCES;
	}
	n = (size_t)snprintf(t->canon, sizeof(t->canon), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			     t->base);
	if (n >= sizeof(t->canon)) {
		close((int)fd);
		return -ENAMETOOLONG;
	}
	t->dirfd = (int)fd;
	return 0;
}

void unix_target_close(struct unix_target *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->dirfd = -1;
}

/*
 * Only root or the broker's own user can change which directory a name in
 * this one leads to: it is theirs, and no one else may write it, or it is
 * sticky (as /tmp), where only an entry's owner may rename or remove the
 * entry -- and the next directory on the walk must be theirs in turn.  The
 * group and other write bits also stand for any ACL granting write (the ACL
 * mask shows in the group bits).
 */
static bool dir_locked(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	return !(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX);
}

/*
 * Walk dir (canonical, absolute) from / one component at a time, without
 * following symlinks: true when every directory on the way is locked and
 * the walk ends at the directory dirfd holds.
 */
static bool path_locked(const char *dir, int dirfd)
{
	char buf[FDB_UNIX_PATH_MAX], *save = NULL, *comp;
	struct stat st, want;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (comp = strtok_r(buf, "/", &save); ok && comp; comp = strtok_r(NULL, "/", &save)) {
		int next;

		if (fstat(fd, &st) < 0 || !dir_locked(&st)) {
			ok = false;
			break;
		}
		next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
		ok = fd >= 0;
	}
	ok = ok && fstat(fd, &st) == 0 && dir_locked(&st) && fstat(dirfd, &want) == 0 &&
	     st.st_dev == want.st_dev && st.st_ino == want.st_ino;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int bind_path(int sock, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	return bind(sock, (struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1)) < 0
		       ? -errno
		       : 0;
}

/* bind sock to base from the directory dirfd holds, as the broker's cwd for the call. */
static int bind_at(int sock, int dirfd, const char *base)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), err;

	if (fchdir(dirfd) < 0) {
		err = -errno;
		if (cwd >= 0)
			close(cwd);
		return err;
	}
	err = bind_path(sock, base);
	/* back where the broker was: a relative policy path is reloaded from there */
	if (cwd < 0 || fchdir(cwd) < 0)
		(void)!chdir("/");
	if (cwd >= 0)
		close(cwd);
	return err;
}


/* One bind, with the program's umask: the broker runs with umask 0, and only its loop thread makes files. */
static int bind_once(int sock, const struct unix_target *t, mode_t mask)
{
	mode_t old = umask(mask & 0777);
	int err = t->relative ? bind_at(sock, t->dirfd, t->base) : bind_path(sock, t->canon);

	umask(old);
	return err;
}

/*
 * The kernel's own account of the file sock is bound to (sock_diag with
 * UDIAG_SHOW_VFS, CONFIG_UNIX_DIAG): 1 with its device and inode, 0 when
 * the kernel cannot say (no unix_diag), -1 when it says the socket has no
 * file.  The lookup is in the broker's network namespace, which is the
 * socket's (grant_bind refuses others).
 */
static int bound_file(int sock, uint32_t *dev, uint32_t *ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = AF_UNIX, .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_VFS,
		       .udiag_cookie = { ~0u, ~0u } },
	};
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} ans;
	struct stat st;
	ssize_t n;
	size_t off;
	int nl;

	if (fstat(sock, &st) < 0)
		return 0;
	req.r.udiag_ino = (uint32_t)st.st_ino;
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return 0;
	n = send(nl, &req, sizeof(req), 0) == (ssize_t)sizeof(req)
		    ? recv(nl, &ans, sizeof(ans), MSG_DONTWAIT)
		    : -1;
	close(nl);
	if (n < (ssize_t)sizeof(struct nlmsghdr) || !NLMSG_OK(&ans.nlh, (size_t)n) ||
	    ans.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0; /* NLMSG_ERROR: no unix_diag here */
	off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct unix_diag_msg)));
	while (off + sizeof(struct nlattr) <= ans.nlh.nlmsg_len) {
		struct nlattr a;

		memcpy(&a, ans.buf + off, sizeof(a));
		if (a.nla_len < sizeof(a) || off + a.nla_len > ans.nlh.nlmsg_len)
			break;
		if (a.nla_type == UNIX_DIAG_VFS && a.nla_len >= NLA_HDRLEN +
							     sizeof(struct unix_diag_vfs)) {
			struct unix_diag_vfs v;

			memcpy(&v, ans.buf + off + NLA_HDRLEN, sizeof(v));
			*dev = v.udiag_vfs_dev;
			*ino = v.udiag_vfs_ino;
			return 1;
		}
		off += NLA_ALIGN(a.nla_len);
	}
	return -1;
}

/*
 * Is the file at base in the judged directory the one sock was just bound
 * to?  pfd gets an O_PATH descriptor for it (the chown goes through that,
 * not the name).  Without sock_diag: a socket file the broker's user owns
 * with one link, which is what bind just made unless a client able to write
 * the directory put another there, and it could only be one the broker made.
 */
static bool is_ours(int sock, const struct unix_target *t, int *pfd)
{
	struct stat st;
	uint32_t dev, ino;
	int how;

	*pfd = openat(t->dirfd, t->base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*pfd < 0 || fstat(*pfd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	how = bound_file(sock, &dev, &ino);
	if (how > 0)
		/* the kernel's dev_t: 12 bits of major above 20 of minor */
		return ino == (uint32_t)st.st_ino && dev >> 20 == major(st.st_dev) &&
		       (dev & 0xfffff) == minor(st.st_dev);
	return how == 0 && st.st_uid == geteuid() && st.st_nlink == 1;
}

/*
 * A socket file of the program's user at base that no socket is bound to
 * (a connect to it, through a descriptor for that very file, is refused):
 * left by an earlier run, safe to replace.  A live socket of any type
 * answers the stream probe otherwise (connected, EAGAIN, or EPROTOTYPE).
 */
static bool stale(const struct unix_target *t, uid_t uid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int pfd = openat(t->dirfd, t->base, O_PATH | O_NOFOLLOW | O_CLOEXEC), probe;
	bool refused = false;

	if (pfd < 0)
		return false;
	if (fstat(pfd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == uid) {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "/proc/self/fd/%d", pfd);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		refused = probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) < 0 &&
			  errno == ECONNREFUSED;
		if (probe >= 0)
			close(probe);
	}
	close(pfd);
	return refused;
}

int unix_bind(int sock, struct unix_target *t, uid_t uid, gid_t gid, mode_t umask_)
{
	char dir[FDB_UNIX_PATH_MAX];
	int err, pfd;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(t->canon, '/') - t->canon), t->canon);
	t->relative = !path_locked(dir, t->dirfd);
	err = bind_once(sock, t, umask_);
	if (err == -EADDRINUSE && stale(t, uid)) {
		/*
		 * By name, but only in the judged directory, and only what the
		 * program's user could have put there: a socket of its own.
		 */
		if (unlinkat(t->dirfd, t->base, 0) == 0) {
			t->replaced = true;
			err = bind_once(sock, t, umask_);
		}
	}
	if (err)
		return err;
	if (!is_ours(sock, t, &pfd)) {
		/*
		 * Bound, but its file is no longer the one in the judged directory
		 * (renamed by someone who may write there): refuse.  The socket
		 * stays bound to that file, wherever its mover put it; it is not
		 * chowned, so it stays root's.
		 */
		if (pfd >= 0)
			close(pfd);
		return -EACCES;
	}
	/* the socket file is the program's, like a file it creates */
	err = fchownat(pfd, "", uid, gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
	close(pfd);
	return err;
}
