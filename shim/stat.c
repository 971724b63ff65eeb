/*
 * The stat family: stat stat64 lstat lstat64 fstatat fstatat64 statx, and
 * the __xstat __xstat64 __lxstat __lxstat64 __fxstatat __fxstatat64 that
 * binaries built against glibc before 2.33 call instead.
 *
 * Each exported symbol calls its own real libc function first; only a
 * failure with EACCES or EPERM goes to the broker, which resolves and
 * judges the object as it would for an open and answers with its own
 * statx(2) of it (the program's mask and sync flags for statx, the basic
 * fields for the others).  A statx is copied out as it came; the others
 * get the struct stat the kernel would fill from the same attributes
 * (common/statx.h), so the program sees exactly what root would.  No
 * descriptor of the object comes back: one would stand past the
 * directories the program may not search.  When the broker does not help
 * the program sees the real call's errno.
 */
#include "shim.h"
#include "statx.h"
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
 * The real call failed: worth asking, and did the broker answer?  0 with
 * its statx of the object in *stx, or -1 with errno for the program.
 */
static int ask(int rc, int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	if (!shim_should_ask(rc < 0, errno))
		return -1;
	return shim_broker_object(dirfd, path, flags, FDB_AMODE_STAT, mask, stx, errno);
}

/* Before the lookup is done (only inside dlsym), talk to the kernel directly. */
static int early_fstatat(int dirfd, const char *path, void *st, int flags)
{
	return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

/*
 * stat, lstat, fstatat, their 64 forms and the __xstat ones: one struct on
 * x86_64, one answer.  (An __xstat version the real call got past is one
 * of the two that fill this struct.)
 */
static int after_real(int rc, int dirfd, const char *path, struct stat *st, int flags)
{
	struct statx stx;

	if (rc == 0)
		return 0;
	if (ask(rc, dirfd, path, flags & AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return -1;
	statx_to_stat(&stx, st);
	return 0;
}

SHIM_EXPORT int stat(const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.stat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.stat(path, st), AT_FDCWD, path, st, 0);
}

SHIM_EXPORT int stat64(const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.stat64)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.stat64(path, st), AT_FDCWD, path, (struct stat *)st, 0);
}

SHIM_EXPORT int lstat(const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.lstat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real(shim_real.lstat(path, st), AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.lstat64)
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
	if (!shim_real.fstatat64)
		return early_fstatat(dirfd, path, st, flags);
	return after_real(shim_real.fstatat64(dirfd, path, st, flags), dirfd, path,
			  (struct stat *)st, flags);
}

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	struct statx got;
	int rc;

	shim_init();
	if (!shim_real.statx)
		return (int)syscall(SYS_statx, dirfd, path, flags, mask, stx);
	rc = shim_real.statx(dirfd, path, flags, mask, stx);
	if (rc == 0)
		return 0;
	/* the program's sync choice still applies to the object */
	flags &= AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_TYPE;
	if (ask(rc, dirfd, path, flags, mask, &got) < 0)
		return -1;
	*stx = got;
	return 0;
}

SHIM_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.xstat)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.xstat(ver, path, st), AT_FDCWD, path, st, 0);
}

SHIM_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.xstat64)
		return early_fstatat(AT_FDCWD, path, st, 0);
	return after_real(shim_real.xstat64(ver, path, st), AT_FDCWD, path,
			    (struct stat *)st, 0);
}

SHIM_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	shim_init();
	if (!shim_real.lxstat)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real(shim_real.lxstat(ver, path, st), AT_FDCWD, path, st,
			    AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	shim_init();
	if (!shim_real.lxstat64)
		return early_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
	return after_real(shim_real.lxstat64(ver, path, st), AT_FDCWD, path,
			    (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

SHIM_EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	shim_init();
	if (!shim_real.fxstatat)
		return early_fstatat(dirfd, path, st, flags);
	return after_real(shim_real.fxstatat(ver, dirfd, path, st, flags), dirfd, path, st,
			    flags);
}

SHIM_EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	shim_init();
	if (!shim_real.fxstatat64)
		return early_fstatat(dirfd, path, st, flags);
	return after_real(shim_real.fxstatat64(ver, dirfd, path, st, flags), dirfd, path,
			    (struct stat *)st, flags);
}
