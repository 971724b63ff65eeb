/*
 * The access family: access faccessat euidaccess eaccess.  (glibc 2.36
 * exports no faccessat2; its faccessat makes that system call.)
 *
 * Each exported symbol calls its own real libc function first; only a
 * failure with EACCES or EPERM goes to the broker, which says yes only for
 * the rights an open rule grants on the object and no more than root would
 * be told (libfdshim(7)).  When the broker does not help the program sees
 * the real call's errno.
 */
#include "shim.h"
#include "wire.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

/* Decide after the real call: the common case returns at once. */
static int after_real(int rc, int dirfd, const char *path, int mode, int flags)
{
	if (!shim_should_ask(rc < 0, errno) || (mode & ~(R_OK | W_OK | X_OK)))
		return rc;
	return shim_broker_object(dirfd, path, flags, (uint32_t)mode, 0, NULL, errno);
}

/* Before the lookup is done (only inside dlsym), talk to the kernel directly. */
static int early_faccessat(int dirfd, const char *path, int mode, int flags)
{
	return (int)syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

SHIM_EXPORT int access(const char *path, int mode)
{
	shim_init();
	if (!shim_real.access)
		return early_faccessat(AT_FDCWD, path, mode, 0);
	return after_real(shim_real.access(path, mode), AT_FDCWD, path, mode, 0);
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	shim_init();
	if (!shim_real.faccessat)
		return early_faccessat(dirfd, path, mode, flags);
	return after_real(shim_real.faccessat(dirfd, path, mode, flags), dirfd, path, mode, flags);
}

SHIM_EXPORT int euidaccess(const char *path, int mode)
{
	shim_init();
	if (!shim_real.euidaccess)
		return early_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
	return after_real(shim_real.euidaccess(path, mode), AT_FDCWD, path, mode, AT_EACCESS);
}

SHIM_EXPORT int eaccess(const char *path, int mode)
{
	shim_init();
	if (!shim_real.eaccess)
		return early_faccessat(AT_FDCWD, path, mode, AT_EACCESS);
	return after_real(shim_real.eaccess(path, mode), AT_FDCWD, path, mode, AT_EACCESS);
}
