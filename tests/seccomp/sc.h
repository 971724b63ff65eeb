/*
 * What the seccomp front end's test programs share.  Each tests/seccomp/
 * NAME.c is built twice (Makefile): `gcc -static` into tests/static/NAME
 * and `musl-gcc` into tests/musl/NAME, programs the shim cannot enter.
 * Their result lines are those of tests/bin/probe.c and statprobe.c:
 *   ok [details]      or      err ENAME
 * so that a test can compare a line printed here under seccomp with the
 * probe's under the shim.  A header of static inline functions, as
 * tests/bin/cmd.h (which these programs cannot include: it calls
 * strerrorname_np, which musl does not have).
 */
#ifndef FDB_TEST_SC_H
#define FDB_TEST_SC_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "EACCES" for EACCES: glibc knows every name; musl gets the ones the tests meet. */
static inline const char *sc_errname(int e)
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

/* The result line of a failed call; exit status 0 (the line tells). */
static inline int sc_err(void)
{
	printf("err %s\n", sc_errname(errno));
	return 0;
}

/* A descriptor's line, exactly as tests/bin/probe.c prints it. */
static inline void sc_print_fd(int fd)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);

	fstat(fd, &st);
	n = S_ISREG(st.st_mode) ? pread(fd, buf, sizeof(buf) - 1, 0) : 0;
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("ok fd=%d cloexec=%d nonblock=%d append=%d ino=%lu uid=%u mode=%o data=%s\n", fd,
	       !!(fdfl & FD_CLOEXEC), !!(fl & O_NONBLOCK), !!(fl & O_APPEND),
	       (unsigned long)st.st_ino, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), buf);
}

/* Open flags from letters, as tests/bin/probe.c reads them. */
static inline int sc_flags(const char *s)
{
	int acc = O_RDONLY, f = 0;

	for (; *s; s++) {
		switch (*s) {
		case 'r': acc = O_RDONLY; break;
		case 'w': acc = O_WRONLY; break;
		case 'b': acc = O_RDWR; break;
		case 'a': f |= O_APPEND; break;
		case 'c': f |= O_CREAT; break;
		case 't': f |= O_TRUNC; break;
		case 'e': f |= O_CLOEXEC; break;
		case 'n': f |= O_NONBLOCK; break;
		case 'd': f |= O_DIRECTORY; break;
		case 'f': f |= O_NOFOLLOW; break;
		case 'x': f |= O_EXCL; break;
		default: break;
		}
	}
	return acc | f;
}

/* The whole of fd into buf (NUL-terminated, cut to fit); bytes read, or -1. */
static inline ssize_t sc_read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

struct sc_cmd {
	const char *name;
	int nargs; /* at least this many arguments */
	int (*fn)(char **av);
};

/* argv[1]'s command on argv + 2; an unknown one or too few arguments: usage, 2. */
static inline int sc_run(const char *prog, const struct sc_cmd *t, size_t n, int argc,
			 char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < n; i++)
		if (!strcmp(argv[1], t[i].name) && argc - 2 >= t[i].nargs)
			return t[i].fn(argv + 2);
	fprintf(stderr, "usage: %s ", prog);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? "|" : "", t[i].name);
	fprintf(stderr, " ARGS...\n");
	return 2;
}

#define SC_COUNT(table) (sizeof(table) / sizeof((table)[0]))

#endif
