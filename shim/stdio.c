/*
 * fopen fopen64 freopen freopen64 opendir.
 *
 * glibc opens these through internal calls that never reach our open(), so
 * they are wrapped on their own: the real call first, then on EACCES/EPERM
 * a brokered descriptor dressed as the FILE* or DIR* the program asked for.
 */
#include "shim.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/*
 * glibc's exported attach and list of open streams (both take a struct
 * _IO_FILE_plus *, a FILE with its jump table after it: the same address),
 * and the libio flag bits it leaves to fdopen.
 */
FILE *_IO_file_attach(FILE *fp, int fd);
void _IO_link_in(FILE *fp);
#define LIBIO_NO_READS 0x0004
#define LIBIO_NO_WRITES 0x0008
#define LIBIO_DELETE_DONT_CLOSE 0x0040
#define LIBIO_IS_APPENDING 0x1000

/* The open(2) flags fopen would use for mode; -1 if mode is invalid. */
static int fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = O_RDONLY;
		break;
	case 'w':
		flags = O_WRONLY | O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_WRONLY | O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	/* glibc reads at most six modifier characters and stops at ',' (ccs=) */
	for (int i = 1; i < 7 && mode[i] && mode[i] != ','; i++) {
		switch (mode[i]) {
		case '+':
			flags = (flags & ~O_ACCMODE) | O_RDWR;
			break;
		case 'e':
			flags |= O_CLOEXEC;
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		default:
			break;
		}
	}
	return flags;
}

static int broker_fopen_fd(const char *path, const char *mode, int orig_errno)
{
	int flags = fopen_flags(mode);

	if (flags < 0) {
		errno = orig_errno;
		return -1;
	}
	return shim_broker_open(AT_FDCWD, path, flags, 0666, orig_errno);
}

static FILE *fopen_common(FILE *(*real)(const char *, const char *), const char *path,
			  const char *mode)
{
	FILE *f;
	int fd, saved;

	if (!real) {
		errno = ENOSYS;
		return NULL;
	}
	f = real(path, mode);
	if (!shim_should_ask(f == NULL, errno))
		return f;
	saved = errno;
	fd = broker_fopen_fd(path, mode, saved);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, mode);
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

SHIM_EXPORT FILE *fopen(const char *path, const char *mode)
{
	shim_init();
	return fopen_common(shim_real.fopen, path, mode);
}

SHIM_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	shim_init();
	return fopen_common(shim_real.fopen64, path, mode);
}

/*
 * After a failed freopen, glibc leaves the stream allocated and closed, its
 * old descriptor number free, and out of its list of open streams
 * (_IO_file_close_it unlinks it).  The brokered descriptor takes that
 * number (freopen keeps stdin on 0) and is attached the way freopen's own
 * success would leave it: positioned at the end for "a" (as _IO_file_open
 * does), _IO_file_attach plus the access bits of the mode, the orientation
 * unbound again, and linked back in, or exit() and fflush(NULL) would never
 * flush it.
 */
static FILE *attach_brokered(FILE *stream, int fd, int oldfd, int flags)
{
	int cur;

	if (oldfd >= 0 && fd != oldfd) {
		if (dup3(fd, oldfd, (flags & O_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			return NULL;
		close(fd);
		fd = oldfd;
	}
	if ((flags & O_APPEND) && (flags & O_ACCMODE) == O_WRONLY)
		lseek(fd, 0, SEEK_END);
	if (!_IO_file_attach(stream, fd))
		return NULL;
	cur = stream->_flags & ~(LIBIO_NO_READS | LIBIO_NO_WRITES | LIBIO_IS_APPENDING |
				 LIBIO_DELETE_DONT_CLOSE);
	if ((flags & O_ACCMODE) == O_RDONLY)
		cur |= LIBIO_NO_WRITES;
	else if ((flags & O_ACCMODE) == O_WRONLY)
		cur |= LIBIO_NO_READS;
	if (flags & O_APPEND)
		cur |= LIBIO_IS_APPENDING;
	stream->_flags = cur;
	stream->_mode = 0;
	_IO_link_in(stream);
	return stream;
}

/*
 * freopen of a name of the stream's own descriptor ("/dev/stdout" on
 * stdout), or of no name at all (glibc then opens "/proc/self/fd/N"): a
 * failed freopen closes that descriptor, so a copy of it is kept for the
 * reopen the broker is asked for (reopen.c).
 */
static FILE *freopen_common(FILE *(*real)(const char *, const char *, FILE *),
			    const char *path, const char *mode, FILE *stream)
{
	int oldfd, fd, saved, flags, own, spare = -1;
	char self[40];
	FILE *f;

	if (!real) {
		errno = ENOSYS;
		return NULL;
	}
	oldfd = stream ? fileno(stream) : -1;
	own = path ? shim_fdname(path) : oldfd;
	if (own >= 0 && own == oldfd) {
		saved = errno;
		spare = fcntl(own, F_DUPFD_CLOEXEC, 0);
		errno = saved;
	}
	f = real(path, mode, stream);
	if (!shim_should_ask(f == NULL, errno) || (!path && spare < 0)) {
		if (spare >= 0) {
			saved = errno;
			close(spare);
			errno = saved;
		}
		return f;
	}
	saved = errno;
	flags = fopen_flags(mode);
	fd = -1;
	if (own >= 0 && flags >= 0) {
		bool policy_road;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", own);
		fd = shim_broker_reopen(spare >= 0 ? spare : own, own, path ? path : self, flags,
					saved, &policy_road);
		if (spare >= 0) {
			int e = errno;

			close(spare);
			errno = e;
		}
		if (fd < 0 && (!policy_road || !path))
			return NULL;
	} else if (spare >= 0) {
		close(spare);
	}
	if (fd < 0)
		fd = broker_fopen_fd(path, mode, saved);
	if (fd < 0)
		return NULL;
	f = attach_brokered(stream, fd, oldfd, flags);
	if (!f) {
		close(fd);
		errno = saved;
	}
	return f;
}

SHIM_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	shim_init();
	return freopen_common(shim_real.freopen, path, mode, stream);
}

SHIM_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	shim_init();
	return freopen_common(shim_real.freopen64, path, mode, stream);
}

SHIM_EXPORT DIR *opendir(const char *path)
{
	DIR *d;
	int fd, saved;

	shim_init();
	if (!shim_real.opendir) {
		errno = ENOSYS;
		return NULL;
	}
	d = shim_real.opendir(path);
	if (!shim_should_ask(d == NULL, errno))
		return d;
	saved = errno;
	/* the flags glibc's opendir uses */
	fd = shim_broker_open(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_CLOEXEC, 0,
			      saved);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		errno = saved;
	}
	return d;
}
