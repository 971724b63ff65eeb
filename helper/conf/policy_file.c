/*
 * Reading a policy file: only one that nobody but root (or the broker's
 * own user) can change, nor anything on the way to it, whole, bounded in
 * size.  The text itself is parsed by the policy (policy/grammar.c).
 */
#include "conf/policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define FILE_MAX_BYTES (16u << 20)

/* Where errors about the file as a whole go: "FILE: message". */
struct ferr {
	const char *file;
	policy_error_fn err;
	void *ctx;
	int nerr;
};

__attribute__((format(printf, 2, 3)))
static void perr(struct ferr *ps, const char *fmt, ...)
{
	char msg[512], out[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s: %s", ps->file, msg);
	ps->nerr++;
	if (ps->err)
		ps->err(ps->ctx, out);
}

/* Up to size bytes (what fstat said); a file that grows meanwhile is cut there. */
static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/*
 * Whoever can change a policy decides what the broker grants, so a policy
 * is read only when nobody but root, or the user the broker runs as, can
 * change it: as sudo refuses a sudoers file and sshd a key file that others
 * may write.  The broker's own user is trusted because it chose to start
 * the broker and could grant itself the same with `run -a` anyway.
 */
static bool trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* "uid 1000 (user alice)", or "uid 1000" for an id without a name. */
static void describe_uid(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "uid %u (user %s)", (unsigned)uid, pw.pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

/* Whom a policy must belong to: "root", or root and the broker's user. */
static void describe_trusted(char *buf, size_t len)
{
	char who[320];
	uid_t euid = geteuid();

	if (euid == 0) {
		snprintf(buf, len, "root");
		return;
	}
	describe_uid(euid, who, sizeof(who));
	snprintf(buf, len, "root or to the user fdbroker runs as, %s", who);
}

/*
 * With a POSIX ACL, the group bits of st_mode are the ACL mask: the most
 * that the owning group or any named user or group entry may get.  So
 * S_IWGRP covers ACLs too; the ACL is looked at only to name the writers
 * right.  An O_PATH descriptor takes no fgetxattr, so it is named through
 * /proc/self/fd, which reaches the very same inode.
 */
static bool has_acl(int fd)
{
	const char *name = "system.posix_acl_access";
	char proc[64];
	ssize_t n = fgetxattr(fd, name, NULL, 0);

	if (n < 0 && errno == EBADF) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		n = getxattr(proc, name, NULL, 0);
	}
	return n > 0;
}

/* Who besides the owner may write: "anyone", "group staff", ... */
static void describe_writers(const struct stat *st, bool acl, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	char tmp[4096], grp[300];

	if (st->st_mode & S_IWOTH) {
		snprintf(buf, len, "anyone");
		return;
	}
	if (getgrgid_r(st->st_gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(grp, sizeof(grp), "group %s", gr.gr_name);
	else
		snprintf(grp, sizeof(grp), "group %u", (unsigned)st->st_gid);
	snprintf(buf, len, "%s%s", grp, acl ? " or its ACL entries" : "");
}

static bool others_write(const struct stat *st)
{
	return st->st_mode & (S_IWGRP | S_IWOTH);
}

/* /tmp: others may add entries, but only an entry's owner (or the directory's) may replace it. */
static bool shared_sticky(const struct stat *st)
{
	return others_write(st) && (st->st_mode & S_ISVTX);
}

/* The file itself, judged on the descriptor that is read: no swap in between. */
static void check_file_trust(struct ferr *ps, int fd, const struct stat *st)
{
	char who[320], trusted[400];

	if (!trusted_uid(st->st_uid)) {
		describe_uid(st->st_uid, who, sizeof(who));
		describe_trusted(trusted, sizeof(trusted));
		perr(ps, "owned by %s; a policy must belong to %s", who, trusted);
	}
	if (others_write(st)) {
		describe_writers(st, has_acl(fd), who, sizeof(who));
		perr(ps, "writable by %s (mode %04o); chmod go-w %s", who,
		     (unsigned)(st->st_mode & 07777), ps->file);
	}
}

/*
 * The way to the file, walked by the broker itself from "/", one
 * component at a time with O_PATH | O_NOFOLLOW, symlinks followed by hand
 * (at most MAX_LINKS).  Whoever may write a directory on the way may
 * rename something else into its place, and whoever may replace a symlink
 * decides where it leads; so every directory reached must belong to root
 * (or the broker's user) and be writable by no one else unless it is
 * sticky (/tmp), and a symlink in a sticky directory must belong to root
 * (or the broker's user) too.  The file is then opened relative to the
 * last directory's descriptor, without following a link: what is read is
 * what was judged.
 */
#define MAX_LINKS 40
#define WALK_MAX 8192

struct walk {
	struct ferr *ps;
	int dir;                 /* O_PATH: the directory reached */
	struct stat dst;         /* its stat */
	char where[PATH_MAX];    /* its path, links resolved, for messages */
	char via[PATH_MAX + 40]; /* " (reached through symlink L)", or "" */
	char rest[WALK_MAX];     /* what is left to walk */
	unsigned links;
};

/* where/name, or /name at the root; a name too long for messages is cut with "...". */
static void join(char *out, size_t len, const char *where, const char *name)
{
	int n = snprintf(out, len, "%s%s%s", where, strcmp(where, "/") ? "/" : "", name);

	if (n < 0 || (size_t)n >= len)
		snprintf(out + len - 4, 4, "...");
}

/* Judge the directory w->dir is now; false (reported) if it is not to be trusted. */
static bool dir_trusted(struct walk *w)
{
	char who[320], trusted[400];
	bool ok = true;

	if (!trusted_uid(w->dst.st_uid)) {
		describe_uid(w->dst.st_uid, who, sizeof(who));
		describe_trusted(trusted, sizeof(trusted));
		perr(w->ps, "directory %s%s is owned by %s, who could replace the policy; "
		     "it must belong to %s", w->where, w->via, who, trusted);
		ok = false;
	}
	if (others_write(&w->dst) && !(w->dst.st_mode & S_ISVTX)) {
		describe_writers(&w->dst, has_acl(w->dir), who, sizeof(who));
		perr(w->ps, "directory %s%s is writable by %s (mode %04o), who could replace "
		     "the policy; chmod go-w %s", w->where, w->via, who,
		     (unsigned)(w->dst.st_mode & 07777), w->where);
		ok = false;
	}
	return ok;
}

/* Make fd (O_PATH, a directory at path where) the current one and judge it. */
static bool enter(struct walk *w, int fd, const char *where)
{
	if (fstat(fd, &w->dst) < 0) {
		perr(w->ps, "cannot check directory %s: %s", where, strerror(errno));
		close(fd);
		return false;
	}
	if (w->dir >= 0)
		close(w->dir);
	w->dir = fd;
	snprintf(w->where, sizeof(w->where), "%s", where);
	return dir_trusted(w);
}

static bool enter_root(struct walk *w)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		perr(w->ps, "cannot check directory /: %s", strerror(errno));
		return false;
	}
	return enter(w, fd, "/");
}

/* The symlink name (fd: O_PATH on it) in w->dir: its target goes in front of what is left. */
static bool follow(struct walk *w, int fd, const struct stat *st, const char *name,
		   const char *left)
{
	char link[PATH_MAX], target[PATH_MAX], who[320], trusted[400];
	ssize_t n;

	join(link, sizeof(link), w->where, name);
	if (++w->links > MAX_LINKS) {
		perr(w->ps, "cannot read: more than %d symbolic links on the way", MAX_LINKS);
		return false;
	}
	if (shared_sticky(&w->dst) && !trusted_uid(st->st_uid)) {
		describe_uid(st->st_uid, who, sizeof(who));
		describe_trusted(trusted, sizeof(trusted));
		perr(w->ps, "symlink %s is owned by %s in the shared directory %s, so its owner "
		     "could point it elsewhere; it must belong to %s, or name the policy by its "
		     "own path", link, who, w->where, trusted);
		return false;
	}
	n = readlinkat(fd, "", target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target)) {
		perr(w->ps, "cannot read symlink %s: %s", link,
		     strerror(n < 0 ? errno : ENAMETOOLONG));
		return false;
	}
	target[n] = '\0';
	if (strlen(target) + 1 + strlen(left) >= sizeof(w->rest)) {
		perr(w->ps, "cannot read: %s", strerror(ENAMETOOLONG));
		return false;
	}
	/* left points into w->rest: move it up, then put the target in front */
	memmove(w->rest + n + 1, left, strlen(left) + 1);
	memcpy(w->rest, target, (size_t)n);
	w->rest[n] = '/';
	snprintf(w->via, sizeof(w->via), " (reached through symlink %s)", link);
	return target[0] == '/' ? enter_root(w) : true;
}

/* The last component: a regular file, opened for reading relative to w->dir. */
static int open_last(struct walk *w, int opath, const struct stat *st, const char *name,
		     struct stat *out)
{
	int fd;

	close(opath);
	if (S_ISDIR(st->st_mode)) {
		perr(w->ps, "cannot read: %s", strerror(EISDIR));
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		perr(w->ps, "cannot read: not a regular file");
		return -1;
	}
	/* O_NONBLOCK: should a FIFO take the file's place, it must not hang the broker */
	fd = openat(w->dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, out) < 0) {
		perr(w->ps, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (out->st_dev != st->st_dev || out->st_ino != st->st_ino || !S_ISREG(out->st_mode)) {
		perr(w->ps, "cannot read: it was replaced while it was checked; try again");
		close(fd);
		return -1;
	}
	return fd;
}

/* Walk to the policy file; its descriptor (open for reading) and stat, or -1 (reported). */
static int open_policy(struct ferr *ps, struct stat *out)
{
	struct walk *w = calloc(1, sizeof(*w));
	char cwd[PATH_MAX];
	int fd = -1;

	if (!w) {
		perr(ps, "out of memory");
		return -1;
	}
	w->ps = ps;
	w->dir = -1;
	if (ps->file[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		perr(ps, "cannot read: current directory: %s", strerror(errno));
		goto out;
	}
	if (snprintf(w->rest, sizeof(w->rest), "%s/%s", ps->file[0] == '/' ? "" : cwd,
		     ps->file) >= (int)sizeof(w->rest)) {
		perr(ps, "cannot read: %s", strerror(ENAMETOOLONG));
		goto out;
	}
	if (!enter_root(w))
		goto out;
	for (char *p = w->rest;;) {
		char name[NAME_MAX + 1], where[PATH_MAX];
		size_t n;
		struct stat st;
		int c;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n == 0) {
			/* "/etc/" or "/": the path names a directory */
			perr(ps, "cannot read: %s", strerror(EISDIR));
			goto out;
		}
		if (n > NAME_MAX) {
			perr(ps, "cannot read: %s", strerror(ENAMETOOLONG));
			goto out;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		p += strspn(p, "/");
		if (strcmp(name, ".") == 0)
			continue;
		c = openat(w->dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (c < 0 || fstat(c, &st) < 0) {
			perr(ps, "cannot read: %s", strerror(errno));
			if (c >= 0)
				close(c);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			bool ok = follow(w, c, &st, name, p);

			close(c);
			if (!ok)
				goto out;
			p = w->rest;
			continue;
		}
		if (!*p) {
			fd = open_last(w, c, &st, name, out);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(c);
			perr(ps, "cannot read: %s", strerror(ENOTDIR));
			goto out;
		}
		if (strcmp(name, "..") == 0) {
			char *slash = strrchr(w->where, '/');

			snprintf(where, sizeof(where), "%.*s",
				 slash == w->where ? 1 : (int)(slash - w->where), w->where);
		} else {
			join(where, sizeof(where), w->where, name);
		}
		if (!enter(w, c, where))
			goto out;
	}
out:
	if (w->dir >= 0)
		close(w->dir);
	free(w);
	return fd;
}

int policy_parse_file(struct policy *p, const char *file, policy_error_fn err, void *ctx)
{
	struct ferr ps = { file, err, ctx, 0 };
	struct stat st;
	char *buf = NULL;
	ssize_t n = -1;
	int fd, rc;

	fd = open_policy(&ps, &st);
	if (fd < 0)
		return ps.nerr;
	check_file_trust(&ps, fd, &st);
	if (ps.nerr) {
		close(fd);
		return ps.nerr;
	}
	if (st.st_size > FILE_MAX_BYTES)
		errno = EFBIG;
	else if ((buf = malloc((size_t)st.st_size + 1)))
		n = read_all(fd, buf, (size_t)st.st_size);
	if (n < 0)
		perr(&ps, "cannot read: %s", strerror(errno));
	close(fd);
	if (n < 0) {
		free(buf);
		return ps.nerr;
	}
	rc = policy_parse_buffer(p, file, buf, (size_t)n, err, ctx);
	free(buf);
	return rc;
}
