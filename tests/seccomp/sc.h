/*
 * What the seccomp front end's test programs share.  Each tests/seccomp/
 * NAME.c is built twice (Makefile): `gcc -static` into tests/static/NAME
 * and `musl-gcc` into tests/musl/NAME, programs the shim cannot enter.
 * Their result lines are those of tests/bin/probe.c and statprobe.c:
 *   ok [details]      or      err ENAME
 * so that a test can compare a line printed here under seccomp with the
 * probe's under the shim: the command table, the result lines and the
 * flag letters are tests/bin's own (cmd.h, errname.h, fdline.h).  A
 * header of static inline functions.
 */
#ifndef FDB_TEST_SC_H
#define FDB_TEST_SC_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bin/cmd.h"
#include "../bin/fdline.h"

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

#endif
