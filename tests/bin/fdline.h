/*
 * The descriptor result line of the test programs, "ok fd=N cloexec=...
 * data=...", and the letters their open commands take for flags: shared by
 * tests/bin/probe.c (under the shim) and tests/seccomp/ (under seccomp), so
 * that a test compares the two ways line for line.  Static inline: each
 * program includes it.
 */
#ifndef FDB_TEST_FDLINE_H
#define FDB_TEST_FDLINE_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A descriptor's result line: its flags, the file it is, its first line. */
static inline void print_fd(int fd)
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

/* Open flags from letters: r w b(oth), a(ppend) c(reate) t(runc) (cloex)e n(onblock) d(irectory) (nofollow)f (e)x(cl). */
static inline int parse_flags(const char *s)
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

#endif
