/*
 * The stat family: stat stat64 lstat lstat64 fstatat fstatat64 statx, and
 * the __xstat __xstat64 __lxstat __lxstat64 __fxstatat __fxstatat64 that
 * binaries built against glibc before 2.33 call instead.
 *
 * Each exported symbol calls its own real libc function first; only a
 * failure with EACCES or EPERM goes to the broker, which resolves and
 * judges the object as it would for an open and hands back an O_PATH
 * descriptor of it.  The answer then comes from the kernel, from that
 * descriptor, through the same real function family the program called
 * (fstatat(fd, "", AT_EMPTY_PATH), statx(fd, "", AT_EMPTY_PATH, ...)), so
 * the program sees exactly the structure root would; the descriptor is
 * closed at once.  O_PATH carries no access (read and write on it give
 * EBADF; reopening it through /proc/self/fd checks the caller's own
 * permissions again), so borrowing it gives the program the metadata and
 * nothing else.  When the broker does not help the program sees the real
 * call's errno.
 */
#include "shim.h"
#include "wire.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Declared by glibc's headers only before 2.33; still exported (GLIBC_2.2.5, 2.4). */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

/*
 * The real call failed: worth asking, and did the broker hand over the
 * object?  Its O_PATH descriptor, or -1 with errno for the program.
 */
static int ask(int rc, int dirfd, const char *path, int flags)
{
	if (!shim_should_ask(rc < 0, errno))
		return -1;
	return shim_broker_object(dirfd, path, flags, FDB_AMODE_STAT, errno);
}

/* The answer read from the brokered descriptor; the descriptor goes. */
static int answered(int rc, int fd)
{
	int saved = errno;

	close(fd);
	if (rc == 0)
		errno = saved;
	return rc;
}

/* Before the lookup is done (only inside dlsym), talk to the kernel directly. */
static int early_fstatat(int dirfd, const char *path, void *st, int flags)
{
	return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

/* stat, lstat, fstatat and their 64 forms: one struct on x86_64, one answer. */
static int after_real(int rc, int dirfd, const char *path, struct stat *st, int flags)
{
	int fd;

	if (rc == 0)
		return 0;
	fd = ask(rc, dirfd, path, flags);
	if (fd < 0)
		return -1;
	return answered(shim_real.fstatat(fd, "", st, AT_EMPTY_PATH), fd);
}

/* The __xstat forms answer through __fxstatat, with the version the program asked for. */
static int after_real_x(int rc, int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	int fd;

	if (rc == 0)
		return 0;
	fd = ask(rc, dirfd, path, flags);
	if (fd < 0)
		return -1;
	return answered(shim_real.fxstatat(ver, fd, "", st, AT_EMPTY_PATH), fd);
}

SHIM_EXPORT int stat(const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.stat || !shim_real.fstatat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.stat(path, st), AT_FDCWD, path, st, 0);
}

SHIM_EXPORT int stat64(const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.stat64 || !shim_real.fstatat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.stat64(path, st), AT_FDCWD, path, (struct stat *)st, 0);
}

SHIM_EXPORT int lstat(const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.lstat || !shim_real.fstatat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real(shim_real.lstat(path, st), AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.lstat64 || !shim_real.fstatat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real(shim_real.lstat64(path, st), AT_FDCWD, path, (struct stat *)st,
			  AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	shim_init();
	if (!shim_real.fstatat)
		return early_fstatat(dirfd, path, st, flags);
	return after_real(shim_real.fstatat(dirfd, path, st, flags), dirfd, path, st, flags);
}

SHIM_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	shim_init();
	if (!shim_real.fstatat64 || !shim_real.fstatat)
		return early_fstatat(dirfd, path, st, flags);
	return after_real(shim_real.fstatat64(dirfd, path, st, flags), dirfd, path,
			  (struct stat *)st, flags);
}

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	int rc, fd;

	shim_init();
	if (!shim_real.statx)
		return (int)syscall(SYS_statx, dirfd, path, flags, mask, stx);
	rc = shim_real.statx(dirfd, path, flags, mask, stx);
	if (rc == 0)
		return 0;
	fd = ask(rc, dirfd, path, flags);
	if (fd < 0)
		return -1;
	/* the program's sync choice still applies to the object */
	return answered(shim_real.statx(fd, "", AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), mask,
					stx),
			fd);
}

SHIM_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.xstat || !shim_real.fxstatat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real_x(shim_real.xstat(ver, path, st), ver, AT_FDCWD, path, st, 0);
}

SHIM_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.xstat64 || !shim_real.fxstatat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real_x(shim_real.xstat64(ver, path, st), ver, AT_FDCWD, path,
			    (struct stat *)st, 0);
}

SHIM_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.lxstat || !shim_real.fxstatat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real_x(shim_real.lxstat(ver, path, st), ver, AT_FDCWD, path, st,
			    AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.lxstat64 || !shim_real.fxstatat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real_x(shim_real.lxstat64(ver, path, st), ver, AT_FDCWD, path,
			    (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	shim_init();
	if (!shim_real.fxstatat)
		return early_fstatat(dirfd, path, st, flags);
	return after_real_x(shim_real.fxstatat(ver, dirfd, path, st, flags), ver, dirfd, path, st,
			    flags);
}

SHIM_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	shim_init();
	if (!shim_real.fxstatat64 || !shim_real.fxstatat)
		return early_fstatat(dirfd, path, st, flags);
	return after_real_x(shim_real.fxstatat64(ver, dirfd, path, st, flags), ver, dirfd, path,
			    (struct stat *)st, flags);
}
