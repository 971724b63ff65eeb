/*
 * Reading a policy file: only one that nobody but root (or the broker's
 * own user) can change, whole, bounded in size.  The text itself is
 * parsed by policy.c.
 */
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
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
 * right.  path is used when fd cannot be (an O_PATH descriptor).
 */
static bool has_acl(int fd, const char *path)
{
	const char *name = "system.posix_acl_access";

	return (fd >= 0 ? fgetxattr(fd, name, NULL, 0) : getxattr(path, name, NULL, 0)) > 0;
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
		describe_writers(st, has_acl(fd, NULL), who, sizeof(who));
		perr(ps, "writable by %s (mode %04o); chmod go-w %s", who,
		     (unsigned)(st->st_mode & 07777), ps->file);
	}
}

/*
 * The directory the file is named in: whoever may write it may rename
 * another file over the policy.  A sticky directory (/tmp) is fine, as
 * there only a file's owner (checked above) or the directory's may rename
 * or remove it.  Only this directory is looked at, not its ancestors.
 */
static void check_dir_trust(struct ferr *ps)
{
	char *copy = strdup(ps->file), *dir, who[320], trusted[400];
	struct stat st;
	int fd;

	if (!copy) {
		perr(ps, "out of memory");
		return;
	}
	dir = dirname(copy);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perr(ps, "cannot check directory %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!trusted_uid(st.st_uid)) {
		describe_uid(st.st_uid, who, sizeof(who));
		describe_trusted(trusted, sizeof(trusted));
		perr(ps, "directory %s is owned by %s, who could replace the policy; "
		     "it must belong to %s", dir, who, trusted);
	}
	if (others_write(&st) && !(st.st_mode & S_ISVTX)) {
		describe_writers(&st, has_acl(-1, dir), who, sizeof(who));
		perr(ps, "directory %s is writable by %s (mode %04o), who could replace "
		     "the policy; chmod go-w %s", dir, who, (unsigned)(st.st_mode & 07777), dir);
	}
out:
	if (fd >= 0)
		close(fd);
	free(copy);
}

int policy_parse_file(struct policy *p, const char *file, policy_error_fn err, void *ctx)
{
	struct ferr ps = { file, err, ctx, 0 };
	struct stat st;
	char *buf = NULL;
	ssize_t n = -1;
	int fd, rc;

	/* O_NONBLOCK: a FIFO named as the policy must not hang the broker. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		perr(&ps, "cannot read: %s", strerror(errno));
		return ps.nerr;
	}
	if (fstat(fd, &st) < 0)
		perr(&ps, "cannot read: %s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		perr(&ps, "cannot read: %s", strerror(EISDIR));
	else if (!S_ISREG(st.st_mode))
		perr(&ps, "cannot read: not a regular file");
	if (!ps.nerr) {
		check_file_trust(&ps, fd, &st);
		check_dir_trust(&ps);
	}
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
