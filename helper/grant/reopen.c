/*
 * The reopen request (FDB_OP_REOPEN): the program names one of its own
 * descriptors (/dev/stderr, /proc/self/fd/N, ...; common/fdname.h), its own
 * open of that name failed with EACCES after the user switch, and the shim
 * sends the descriptor itself.  The broker reopens it through
 * /proc/self/fd/M, which gives a new open file of the very same object:
 * its own offset and status flags, as a reopen without the user switch.
 *
 * Why this never widens access.  A magic-link open re-checks the inode's
 * permissions, but as the broker (uid 0, with what capabilities it kept),
 * so the kernel's check says nothing about the program.  What keeps the
 * result within the program's rights is the broker's own check, made first:
 * the access mode asked must be within the access mode of the descriptor
 * the program passed (F_GETFL), which the kernel granted the program when
 * that descriptor was opened.  A write-only descriptor never becomes
 * readable, a read-only one never writable, an O_PATH one gives nothing.
 *
 * What else a reopen as root could give, and is refused:
 *   - a socket: the kernel answers ENXIO anyway; refused first.
 *   - a block or character device other than a terminal: opening a device
 *     runs its driver's open as root, and some drivers grant at open what
 *     the opener's capabilities allow (DRM authentication, /dev/mem);
 *     /dev/tty, /dev/console and /dev/ptmx (major 5) and /dev/tty0 name no
 *     fixed terminal: opened by the broker they would give the broker's
 *     terminal, the console, a new pty or the foreground VT.
 *   - anything whose mount is not one of the broker's (another mount
 *     namespace, a detached tree, an internal mount: memfd, anon inodes
 *     such as eventfd or epoll), except an anonymous pipe, which lives on
 *     the kernel's pipefs and is reached through no namespace's names.
 *   - regular files of the kernel's own file systems (proc, sysfs, debugfs,
 *     tracefs, securityfs, cgroup, bpf, configfs, efivarfs): what such a
 *     file shows can depend on who opened it (/proc/kallsyms shows
 *     addresses to an opener with CAP_SYSLOG).
 *   - O_TRUNC on a regular file: a write that changes the file, not a
 *     reopen; the shim sends it to the policy as an ordinary open.
 *   - O_TMPFILE, O_PATH asked; O_CREAT|O_EXCL is EEXIST (the object
 *     exists), O_DIRECTORY on a non-directory ENOTDIR, as open would say.
 *     A directory is never opened for write: a directory descriptor is
 *     read-only, so the access check refuses it.
 * After the open, the new descriptor must be the same inode (st_dev,
 * st_ino) as the program's, or it is closed.
 *
 * As every open of the broker, it is made with O_NONBLOCK (a FIFO without
 * a writer, a terminal with carrier wait, cannot hold the broker),
 * O_NONBLOCK cleared afterwards unless asked; O_NOCTTY and O_CLOEXEC always.
 * O_NOATIME is dropped (below).  And it is made off the loop
 * (grant/open_job.h): O_NONBLOCK does not keep an open from waiting for a
 * pipe's lock or a terminal's, which the program can hold; after
 * SOCKJOB_MS the reopen is refused (reason=file-busy).
 */
#include "grant/reopen.h"
#include "grant/open_job.h"
#include "grant/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The kernel file systems whose files may read differently for root (linux/magic.h). */
static const uint64_t kernel_fs[] = {
	0x9fa0,     /* proc */
	0x62656572, /* sysfs */
	0x64626720, /* debugfs */
	0x74726163, /* tracefs */
	0x73636673, /* securityfs */
	0x27e0eb,   /* cgroup */
	0x63677270, /* cgroup2 */
	0xcafe4a11, /* bpf */
	0x62656570, /* configfs */
	0xde5e81e4, /* efivarfs */
};

static bool is_kernel_fs(uint64_t magic)
{
	for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if (magic == kernel_fs[i])
			return true;
	return false;
}

/*
 * The device number of pipefs, from a pipe of the broker's own: an
 * anonymous pipe is told by its st_dev, without asking any file system.
 */
static bool on_pipefs(const struct stat *st)
{
	static dev_t pipefs;
	static bool known;

	if (!known) {
		struct stat p;
		int fds[2];

		if (pipe2(fds, O_CLOEXEC) < 0)
			return false;
		known = fstat(fds[0], &p) == 0;
		pipefs = p.st_dev;
		close(fds[0]);
		close(fds[1]);
		if (!known)
			return false;
	}
	return st->st_dev == pipefs;
}

/* Unix98 pty slaves (/dev/pts/N): majors 136 to 143, with no sysfs device. */
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

/*
 * A character device that is one fixed terminal: a pty slave, or a device
 * whose class is tty (/sys/dev/char/MAJ:MIN/subsystem), asked of sysfs,
 * not of the device (an ioctl would run the driver of whatever it is).
 */
static bool fixed_terminal(dev_t rdev)
{
	char link[64], target[256];
	ssize_t n;

	if (major(rdev) == 5 || (major(rdev) == 4 && minor(rdev) == 0))
		return false;
	if (major(rdev) >= PTS_MAJOR_FIRST && major(rdev) <= PTS_MAJOR_LAST)
		return true;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem", major(rdev), minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	n = (ssize_t)strlen(target);
	return n >= 10 && strcmp(target + n - 10, "/class/tty") == 0;
}

/*
 * What fstat says, from the attributes the kernel holds: a FUSE or network
 * file system is not asked (a client's FUSE server could stall the reply).
 */
static int stat_cached(int fd, struct stat *st)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MODE | STATX_INO,
		  &stx) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = stx.stx_mode;
	st->st_ino = stx.stx_ino;
	st->st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	st->st_rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
	return 0;
}

static void refuse(struct reopen_result *out, const char *reason)
{
	out->o.denied = true;
	out->o.err = EACCES;
	out->o.reason = reason;
}

/* Does the descriptor's access mode (F_GETFL) cover the one asked? */
static bool access_within(int held, int asked)
{
	held &= O_ACCMODE;
	asked &= O_ACCMODE;
	return held == asked || held == O_RDWR;
}

/* What the object is, for the log and the checks; NULL: nothing a reopen serves. */
static const char *object_kind(const struct stat *st, const char **reason)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFIFO:
		return on_pipefs(st) ? "pipe" : "fifo";
	case S_IFCHR:
		if (fixed_terminal(st->st_rdev))
			return "tty";
		*reason = "device";
		return NULL;
	case S_IFBLK:
		*reason = "device";
		return NULL;
	case S_IFSOCK:
		*reason = "socket";
		return NULL;
	default:
		*reason = "kind";
		return NULL;
	}
}

/* Is the object's mount one whose objects the broker may reopen? */
static bool mount_fits(int fd, const char *kind, struct reopen_result *out)
{
	uint64_t magic = 0;
	int rc;

	if (strcmp(kind, "pipe") == 0)
		return true;
	rc = mount_is_ours_magic(fd, &magic);
	if (rc < 0) {
		refuse(out, rc == -EXDEV ? "foreign-mount" : "mount-unknown");
		return false;
	}
	if (is_kernel_fs(magic)) {
		refuse(out, "kernel-fs");
		return false;
	}
	return true;
}

void reopen_serve(const struct req_reopen *req, uid_t uid, struct reopen_result *out)
{
	int fd = req->held;
	int asked = (int)req->flags, rights = open_rights(asked), held, nfd;
	const char *reason = NULL;
	struct stat st, now;
	unsigned flags;

	memset(out, 0, sizeof(*out));
	out->o.fd = -1;
	out->o.rights = rights > 0 ? (unsigned)rights : 0;
	snprintf(out->o.object, sizeof(out->o.object), "%s", req->name);
	if (rights < 0 || (asked & O_PATH) || (asked & O_TMPFILE) == O_TMPFILE) {
		refuse(out, "flags");
		return;
	}
	held = fcntl(fd, F_GETFL);
	if (held < 0 || (held & O_PATH)) {
		refuse(out, "o-path");
		return;
	}
	if (stat_cached(fd, &st) < 0) {
		refuse(out, "kind");
		return;
	}
	out->kind = object_kind(&st, &reason);
	if (!out->kind) {
		refuse(out, reason);
		return;
	}
	if (!access_within(held, asked)) {
		refuse(out, "access");
		return;
	}
	if (!mount_fits(fd, out->kind, out))
		return;
	if (S_ISREG(st.st_mode) && (asked & O_TRUNC)) {
		refuse(out, "truncate");
		return;
	}
	if ((asked & O_CREAT) && (asked & O_EXCL)) {
		out->o.err = EEXIST;
		return;
	}
	if ((asked & O_DIRECTORY) && !S_ISDIR(st.st_mode)) {
		out->o.err = ENOTDIR;
		return;
	}
	/* O_NOATIME is the owner's privilege: the broker, which may own the file, lends it not */
	flags = req->flags & ~(unsigned)O_NOATIME;
	/*
	 * Off the loop: opening a pipe waits for its lock, a terminal for its
	 * own, and a program can hold either (a write to the pipe, a read from
	 * the terminal, from a page that faults to a FUSE file system of its
	 * own that never answers).
	 */
	nfd = open_job_reopen(fd, open_broker_flags(flags), uid);
	if (nfd == -EBUSY) {
		refuse(out, "file-busy");
		return;
	}
	if (nfd < 0) {
		out->o.err = -nfd;
		return;
	}
	if (stat_cached(nfd, &now) < 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		close(nfd);
		refuse(out, "changed");
		return;
	}
	open_hand_over(nfd, flags, &out->o);
}
