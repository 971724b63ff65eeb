/*
 * Errno names for the test programs' result lines ("err EACCES"): glibc
 * knows every name; a program built with musl (tests/seccomp/), which has
 * no strerrorname_np, gets the ones the tests meet.
 */
#ifndef FDB_TEST_ERRNAME_H
#define FDB_TEST_ERRNAME_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* "EACCES" for EACCES: glibc knows every name; musl gets the ones the tests meet. */
static inline const char *errname(int e)
{
#ifdef __GLIBC__
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
#else
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },	      { ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" },	      { EINTR, "EINTR" },
		{ EBADF, "EBADF" },	      { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" },	      { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" },	      { EEXIST, "EEXIST" },
		{ ENOTDIR, "ENOTDIR" },	      { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" },	      { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" },	      { EROFS, "EROFS" },
		{ ENAMETOOLONG, "ENAMETOOLONG" }, { ENOSYS, "ENOSYS" },
		{ ELOOP, "ELOOP" },	      { EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENOTSOCK, "ENOTSOCK" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	return "E?";
#endif
}

#endif
