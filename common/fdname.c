/*
 * The names of the program's own descriptors; see fdname.h.
 *
 * Only the spellings the kernel and libc use are recognised, each exactly
 * ("/dev//stderr" or "/proc/self/fd/02" are not): a name that is not
 * recognised takes the ordinary road through the policy, where the broker's
 * walk follows no magic link and so never reaches a descriptor of its own.
 */
#include "fdname.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* A descriptor number in canonical decimal (no sign, no leading zero); -1 if not. */
static int fd_number(const char *s)
{
	long n = 0;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > INT_MAX)
			return -1;
	}
	return (int)n;
}

int fdname_parse(const char *path, pid_t own_pid)
{
	static const char *const std[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };
	char pidfd[40];
	int n;

	if (!path || (strncmp(path, "/dev/", 5) != 0 && strncmp(path, "/proc/", 6) != 0))
		return -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(path, std[i]) == 0)
			return i;
	if (strncmp(path, "/dev/fd/", 8) == 0)
		return fd_number(path + 8);
	if (strncmp(path, "/proc/self/fd/", 14) == 0)
		return fd_number(path + 14);
	if (strncmp(path, "/proc/thread-self/fd/", 21) == 0)
		return fd_number(path + 21);
	n = snprintf(pidfd, sizeof(pidfd), "/proc/%d/fd/", (int)own_pid);
	if (own_pid > 0 && n > 0 && strncmp(path, pidfd, (size_t)n) == 0)
		return fd_number(path + n);
	return -1;
}
