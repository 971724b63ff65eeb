/*
 * The open family: open open64 openat openat64 __open_2 __open64_2
 * __openat_2 __openat64_2 creat creat64.
 *
 * Each exported symbol calls its own real libc function first; only a
 * failure with EACCES or EPERM goes to the broker (shim_broker_open), and
 * when the broker does not help the program sees the real call's errno.
 * A name of one of the program's own descriptors (/dev/stderr,
 * /proc/self/fd/N) asks for a reopen of that descriptor instead (reopen.c).
 */
#include "shim.h"
#include "wire.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The fortified entry points; <fcntl.h> declares them only under fortify. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static bool needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/*
 * Read from /proc/self/status because umask() can only be read by changing
 * it, which races with other threads.
 */
mode_t shim_umask(void)
{
	char buf[2048], *p;
	mode_t mask = 022;
	ssize_t n;
	int fd;

	fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mask;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return mask;
	buf[n] = '\0';
	p = strstr(buf, "\nUmask:");
	if (p)
		mask = (mode_t)strtoul(p + 7, NULL, 8) & 0777;
	return mask;
}

int shim_broker_open(int dirfd, const char *path, int flags, mode_t mode, int orig_errno)
{
	unsigned char req[FDB_MSG_MAX];
	struct fdb_open_req r;
	int len, sendfd = -1, fd;
	bool own_sendfd = false;
	struct fdb_reply rep;

	/* O_PATH and O_TMPFILE ask for no access the broker could grant */
	if (!path || (flags & O_PATH) || (flags & O_TMPFILE) == O_TMPFILE)
		goto refuse;
	/* a name of one of the program's own descriptors: see reopen.c */
	if (path[0] == '/' && (fd = shim_fdname(path)) >= 0) {
		bool policy_road;

		fd = shim_broker_reopen(fd, fd, path, flags, orig_errno, &policy_road);
		if (!policy_road)
			return fd;
	}
	r.flags = (uint32_t)flags;
	r.mode = (flags & O_CREAT) ? (uint32_t)(mode & 07777 & ~shim_umask()) : 0;
	r.path = path;
	r.has_dirfd = path[0] != '/';
	len = wire_encode_open(req, sizeof(req), 0, &r);
	if (len < 0)
		goto refuse;
	/* the broker resolves a relative path from the program's own directory */
	sendfd = shim_start_dir(dirfd, path, &own_sendfd);
	if (r.has_dirfd && sendfd < 0)
		goto refuse;
	if (shim_call(req, (size_t)len, sendfd, own_sendfd,
		      (flags & O_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0, &rep, &fd) < 0)
		goto refuse;
	if (rep.status == 0) {
		shim_debug("open %s: brokered, fd %d", path, fd);
		return fd;
	}
	if (rep.rflags & FDB_REPLY_DENIED) {
		shim_debug("open %s: denied by the broker", path);
		errno = orig_errno;
	} else {
		shim_debug("open %s: allowed, failed in the broker: %s", path,
			   strerror(rep.status));
		errno = rep.status;
	}
	return -1;
refuse:
	errno = orig_errno;
	return -1;
}

/* Decide after the real call: the common case returns at once. */
static int after_real(int rc, int dirfd, const char *path, int flags, mode_t mode)
{
	if (!shim_should_ask(rc < 0, errno))
		return rc;
	return shim_broker_open(dirfd, path, flags, mode, errno);
}

/* Before the lookup is done (only inside dlsym), talk to the kernel directly. */
static int early_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

#define READ_MODE(flags, last)                                   \
	({                                                       \
		mode_t m_ = 0;                                   \
		if (needs_mode(flags)) {                         \
			va_list ap_;                             \
			va_start(ap_, last);                     \
			m_ = (mode_t)va_arg(ap_, int);           \
			va_end(ap_);                             \
		}                                                \
		m_;                                              \
	})

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = READ_MODE(flags, flags);

	shim_init();
	if (!shim_real.open)
		return early_openat(AT_FDCWD, path, flags, mode);
	return after_real(shim_real.open(path, flags, mode), AT_FDCWD, path, flags, mode);
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = READ_MODE(flags, flags);

	shim_init();
	if (!shim_real.open64)
		return early_openat(AT_FDCWD, path, flags | O_LARGEFILE, mode);
	return after_real(shim_real.open64(path, flags, mode), AT_FDCWD, path, flags, mode);
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = READ_MODE(flags, flags);

	shim_init();
	if (!shim_real.openat)
		return early_openat(dirfd, path, flags, mode);
	return after_real(shim_real.openat(dirfd, path, flags, mode), dirfd, path, flags, mode);
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = READ_MODE(flags, flags);

	shim_init();
	if (!shim_real.openat64)
		return early_openat(dirfd, path, flags | O_LARGEFILE, mode);
	return after_real(shim_real.openat64(dirfd, path, flags, mode), dirfd, path, flags,
			  mode);
}

/*
 * The _2 variants are what _FORTIFY_SOURCE builds call when no mode is
 * passed; glibc's own versions abort on O_CREAT without a mode, so the real
 * call happens first and the broker only sees flags without O_CREAT.
 */
SHIM_EXPORT int __open_2(const char *path, int flags)
{
	shim_init();
	if (!shim_real.open_2)
		return early_openat(AT_FDCWD, path, flags, 0);
	return after_real(shim_real.open_2(path, flags), AT_FDCWD, path, flags, 0);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	shim_init();
	if (!shim_real.open64_2)
		return early_openat(AT_FDCWD, path, flags | O_LARGEFILE, 0);
	return after_real(shim_real.open64_2(path, flags), AT_FDCWD, path, flags, 0);
}

SHIM_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	shim_init();
	if (!shim_real.openat_2)
		return early_openat(dirfd, path, flags, 0);
	return after_real(shim_real.openat_2(dirfd, path, flags), dirfd, path, flags, 0);
}

SHIM_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	shim_init();
	if (!shim_real.openat64_2)
		return early_openat(dirfd, path, flags | O_LARGEFILE, 0);
	return after_real(shim_real.openat64_2(dirfd, path, flags), dirfd, path, flags, 0);
}

#define CREAT_FLAGS (O_CREAT | O_WRONLY | O_TRUNC)

SHIM_EXPORT int creat(const char *path, mode_t mode)
{
	shim_init();
	if (!shim_real.creat)
		return early_openat(AT_FDCWD, path, CREAT_FLAGS, mode);
	return after_real(shim_real.creat(path, mode), AT_FDCWD, path, CREAT_FLAGS, mode);
}

SHIM_EXPORT int creat64(const char *path, mode_t mode)
{
	shim_init();
	if (!shim_real.creat64)
		return early_openat(AT_FDCWD, path, CREAT_FLAGS | O_LARGEFILE, mode);
	return after_real(shim_real.creat64(path, mode), AT_FDCWD, path, CREAT_FLAGS, mode);
}
