/*
 * Reading and acting on a seccomp target; see target.h.
 *
 * Everything here names the target by its tid, which the kernel may hand
 * to another thread as soon as the target dies: the caller checks
 * target_valid() after each of these calls before it trusts the answer.
 * A /proc/TID entry that is gone (ENOENT) means the thread is gone, and
 * is answered -ESRCH as process_vm_readv and pidfd_open answer.
 *
 * Error convention: a negative errno, as in target.h; nothing prints.
 */
#include "front/target.h"
#include "sys/proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* linux/pidfd.h, 6.9: the Debian 12 headers predate it */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

bool target_valid(int listener, uint64_t id)
{
	int rc;

	/* a reader's kick (front/reader.h) may interrupt the wait for the listener's lock */
	do
		rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
	while (rc < 0 && errno == EINTR);
	return rc == 0;
}

/* -errno of a failed call on /proc/TID/...: a missing entry is a gone thread */
static int proc_errno(void)
{
	return errno == ENOENT ? -ESRCH : -errno;
}

/* "/proc/TID/what" in buf (64 bytes hold the longest, "/proc/-2147483648/status") */
static const char *proc_path(char *buf, size_t len, pid_t tid, const char *what)
{
	snprintf(buf, len, "/proc/%d/%s", (int)tid, what);
	return buf;
}

/*
 * One process_vm_readv or process_vm_writev of a single range: the count
 * moved, or -errno.  A range that faults part way moves what comes before
 * the fault (the kernel stops at the first page it cannot reach).
 */
static ssize_t vm_rw(pid_t tid, uint64_t addr, void *buf, size_t len, bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = write ? process_vm_writev(tid, &local, 1, &remote, 1, 0)
			  : process_vm_readv(tid, &local, 1, &remote, 1, 0);

	return n < 0 ? -errno : n;
}

/* Exactly len bytes, in as many calls as the kernel needs; a stop short is a fault. */
static int vm_rw_all(pid_t tid, uint64_t addr, void *buf, size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = vm_rw(tid, addr + done, (char *)buf + done, len - done, write);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

int target_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	return vm_rw_all(tid, addr, buf, len, false);
}

int target_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	return vm_rw_all(tid, addr, (void *)buf, len, true);
}

/*
 * Page by page, never past the page that holds the NUL: a page after the
 * string may be unmapped, or one the target can make stall (a mapping of
 * a FUSE file, a userfaultfd range), and must not cost a string that ends
 * before it.  A string that runs into an unreadable page before its NUL
 * is -EFAULT, as the kernel's own copy of a path answers.
 */
ssize_t target_read_str(pid_t tid, uint64_t addr, char *buf, size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), got = 0;
	ssize_t rc = -ENAMETOOLONG;

	while (got < cap) {
		uint64_t at = addr + got;
		size_t chunk = page - (size_t)(at & (page - 1));
		ssize_t n;
		char *nul;

		if (chunk > cap - got)
			chunk = cap - got;
		n = vm_rw(tid, at, buf + got, chunk, false);
		if (n <= 0) {
			rc = n < 0 ? n : -EFAULT;
			break;
		}
		nul = memchr(buf + got, '\0', (size_t)n);
		if (nul)
			return nul - buf;
		got += (size_t)n;
	}
	/* unread: nothing of a part read (nor of what buf held before) is left to be shown */
	if (cap)
		buf[0] = '\0';
	return rc;
}

/*
 * The whole text of the status file open at fd, NUL-terminated, in *out
 * (stack, or a malloc'ed buffer the caller frees when *out != stack): its
 * length, or -errno.  Each pread from offset 0 makes the text afresh, whole:
 * the kernel writes it in one piece and hands out as much as fits, so a
 * read shorter than the room is all of it.  It is about 1.5 kB; only a
 * long Groups: line fills the room, and is read again in twice as much.
 */
static ssize_t status_text(int fd, char *stack, size_t len, char **out)
{
	char *buf = stack;
	size_t cap = len;

	for (;;) {
		ssize_t n = pread(fd, buf, cap - 1, 0);
		int err = n < 0 ? proc_errno() : 0;

		if (n >= 0 && (size_t)n < cap - 1) {
			buf[n] = '\0';
			*out = buf;
			return n;
		}
		if (buf != stack)
			free(buf);
		if (err)
			return err;
		cap *= 2;
		buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
	}
}

void target_status_drop(struct target_status *keep)
{
	if (keep->fd >= 0)
		close(keep->fd);
	*keep = TARGET_STATUS_NONE;
}

/*
 * /proc/TID/status, as status_text: through keep's descriptor if it is
 * tid's, else a new one, which keep then holds.  A kept descriptor that
 * fails (its thread gone, the number another's now) is let go, and the
 * number opened again.
 */
static ssize_t status_read(pid_t tid, struct target_status *keep, char *stack, size_t len,
			   char **out)
{
	char path[64];
	ssize_t n;
	int fd;

	if (keep && keep->fd >= 0 && keep->tid == tid) {
		n = status_text(keep->fd, stack, len, out);
		if (n >= 0)
			return n;
		target_status_drop(keep);
	}
	fd = open(proc_path(path, sizeof(path), tid, "status"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_errno();
	n = status_text(fd, stack, len, out);
	if (n >= 0 && keep) {
		target_status_drop(keep);
		*keep = (struct target_status){ .tid = tid, .fd = fd };
	} else {
		close(fd);
	}
	return n;
}

/* The value of "Key:\t..." in the status text s (key with its colon), or NULL. */
static const char *status_field(const char *s, const char *key)
{
	size_t klen = strlen(key);

	for (const char *line = s; *line; ) {
		const char *end = strchr(line, '\n');

		if (!strncmp(line, key, klen))
			return line + klen + strspn(line + klen, "\t");
		if (!end)
			break;
		line = end + 1;
	}
	return NULL;
}

/*
 * n unsigned decimal numbers (base 10, or 8 for Umask) at v, separated by
 * tabs or spaces, none of them past UINT32_MAX: the next character, or NULL.
 */
static const char *parse_u32s(const char *v, int base, unsigned *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long x;
		char *end;

		v += strspn(v, "\t ");
		if (*v < '0' || *v > '9')
			return NULL;
		errno = 0;
		x = strtoul(v, &end, base);
		if (errno || x > UINT32_MAX)
			return NULL;
		out[i] = (unsigned)x;
		v = end;
	}
	return v;
}

/* CapEff: sixteen hex digits, then the newline */
static int parse_caps(const char *v, uint64_t *out)
{
	char *end;

	if (!isxdigit((unsigned char)*v))
		return -EPROTO;
	errno = 0;
	*out = strtoull(v, &end, 16);
	return errno || *end != '\n' ? -EPROTO : 0;
}

/* Groups: "G G G \n" (a trailing blank; "Groups:\t \n" when there are none) */
static int parse_groups(const char *v, struct target_cred *c)
{
	size_t n = 0, cap = 0;

	for (const char *p = v; *p && *p != '\n'; p++)
		if (*p >= '0' && *p <= '9' && (p == v || p[-1] == ' ' || p[-1] == '\t'))
			cap++;
	if (!cap)
		return 0;
	c->groups = malloc(cap * sizeof(*c->groups));
	if (!c->groups)
		return -ENOMEM;
	for (; n < cap; n++) {
		unsigned g;

		v = parse_u32s(v, 10, &g, 1);
		if (!v)
			return -EPROTO;
		c->groups[n] = g;
	}
	c->ngroups = n;
	return 0;
}

/*
 * Name:, as the kernel escaped it, cut to 16 bytes.  The kernel spells a
 * newline in the name \n (and a \ as \\), so a thread naming itself
 * "x\nUid:\t0" cannot add a line to the text parsed here.
 */
static void parse_name(const char *v, char *comm, size_t len)
{
	size_t n = strcspn(v, "\n");

	if (n > len - 1)
		n = len - 1;
	memcpy(comm, v, n);
	comm[n] = '\0';
}

static int status_parse(const char *s, struct target_cred *c)
{
	const char *tgid = status_field(s, "Tgid:"), *uid = status_field(s, "Uid:");
	const char *gid = status_field(s, "Gid:"), *groups = status_field(s, "Groups:");
	const char *umask = status_field(s, "Umask:"), *name = status_field(s, "Name:");
	const char *capeff = status_field(s, "CapEff:");
	unsigned u[4], g[4], t, m;

	/* Umask: since 4.7, like the rest older than anything fdbroker runs on */
	if (!tgid || !uid || !gid || !groups || !umask || !name || !capeff ||
	    !parse_u32s(tgid, 10, &t, 1) || !parse_u32s(uid, 10, u, 4) ||
	    !parse_u32s(gid, 10, g, 4) || !parse_u32s(umask, 8, &m, 1) ||
	    parse_caps(capeff, &c->capeff) < 0)
		return -EPROTO;
	c->tgid = (pid_t)t;
	/* real, effective, saved, fs */
	c->ruid = u[0];
	c->euid = u[1];
	c->fsuid = u[3];
	c->rgid = g[0];
	c->egid = g[1];
	c->fsgid = g[3];
	c->umask = (mode_t)m;
	parse_name(name, c->comm, sizeof(c->comm));
	return parse_groups(groups, c);
}

int target_cred_read(pid_t tid, struct target_status *keep, struct target_cred *c)
{
	char stack[4096], *text = stack;
	ssize_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	n = status_read(tid, keep, stack, sizeof(stack), &text);
	if (n < 0)
		return (int)n;
	rc = status_parse(text, c);
	if (text != stack)
		free(text);
	if (rc < 0)
		target_cred_free(c);
	return rc;
}

void target_cred_free(struct target_cred *c)
{
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
}

/*
 * The thread's own pidfd where the kernel has PIDFD_THREAD (6.9): only it
 * names the thread's descriptor table, which a thread may hold apart from
 * its group's (clone without CLONE_FILES, unshare(CLONE_FILES)), and it
 * still works when the group leader has exited.  An older kernel refuses
 * the flag with EINVAL; the group's pidfd is then the best there is.
 */
int target_pidfd(pid_t tid, pid_t tgid)
{
	int fd = proc_pidfd_open(tid, PIDFD_THREAD);

	/*
	 * Before 6.9 only the thread group's pidfd exists, and pidfd_getfd
	 * through it reads the leader's table, which another thread may have
	 * left (unshare(CLONE_FILES)): only the leader's own call may use it.
	 */
	if (fd == -EINVAL) {
		if (tid != tgid)
			return -ENOSYS;
		fd = proc_pidfd_open(tgid, 0);
	}
	return fd;
}

int target_getfd(int pidfd, int fd)
{
	int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	return copy < 0 ? -errno : copy;
}

int target_cwd(pid_t tid)
{
	char path[64];
	int fd = open(proc_path(path, sizeof(path), tid, "cwd"), O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? proc_errno() : fd;
}

/*
 * The broker's own root and mount namespace, read once: they do not change.
 * The namespace stays open: while someone holds it, the kernel keeps its
 * one nsfs inode, and each stat of a target's ns/mnt that leads to it finds
 * it instead of making and freeing one (about 3 us of each call's 7 here).
 */
static struct {
	pthread_once_t once;
	struct stat root, mnt;
	int mnt_fd;
	int err;
} own = { .once = PTHREAD_ONCE_INIT, .mnt_fd = -1 };

static void own_read(void)
{
	own.mnt_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (stat("/", &own.root) < 0 || own.mnt_fd < 0 || fstat(own.mnt_fd, &own.mnt) < 0)
		own.err = -errno;
}

int target_fs_is_ours(pid_t tid)
{
	char path[64];
	struct stat root, mnt;

	pthread_once(&own.once, own_read);
	if (own.err)
		return own.err;
	if (stat(proc_path(path, sizeof(path), tid, "root"), &root) < 0 ||
	    stat(proc_path(path, sizeof(path), tid, "ns/mnt"), &mnt) < 0)
		return proc_errno();
	return root.st_dev == own.root.st_dev && root.st_ino == own.root.st_ino &&
	       mnt.st_dev == own.mnt.st_dev && mnt.st_ino == own.mnt.st_ino;
}

int target_netns(pid_t tid)
{
	char path[64];
	int fd = open(proc_path(path, sizeof(path), tid, "ns/net"), O_RDONLY | O_CLOEXEC);

	return fd < 0 ? proc_errno() : fd;
}
