/* Path text; see path.h. */
#include "grant/path.h"
#include "sys/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int path_fold(const char *in, char *out, size_t cap)
{
	size_t len = 0;
	const char *p = in;

	if (in[0] != '/' || cap < 2)
		return -EINVAL;
	while (*p) {
		const char *start, *end;
		size_t n;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		n = (size_t)(end - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			/* back to the '/' that starts the last component */
			while (len > 0 && out[len] != '/')
				len--;
			out[len] = '\0';
			continue;
		}
		if (n + 1 > cap - 1 - len)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, start, n);
		len += n;
		out[len] = '\0';
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

int path_join_fold(const char *base, const char *rel, char *out, size_t cap)
{
	char joined[PATH_MAX * 2 + 2];
	int n;

	if (rel[0] == '/')
		return path_fold(rel, out, cap);
	n = snprintf(joined, sizeof(joined), "%s/%s", base, rel);
	if (n < 0 || (size_t)n >= sizeof(joined))
		return -ENAMETOOLONG;
	return path_fold(joined, out, cap);
}

bool path_has_dotdot(const char *path)
{
	for (const char *c = path; (c = strstr(c, "..")); c++)
		if ((c == path || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
			return true;
	return false;
}

/* what readlink of /proc/self/fd/N adds for an object no longer at its name */
#define DELETED " (deleted)"

int path_of_fd(int fd, char *out, size_t cap)
{
	ssize_t n = proc_self_fd_readlink(fd, out, cap);

	if (n < 0)
		return (int)n;
	if ((size_t)n >= cap)
		return -ENAMETOOLONG;
	out[n] = '\0';
	if (out[0] != '/')
		return -ENOENT; /* "socket:[...]", "anon_inode:..." */
	/*
	 * Unlinked, or renamed over, since it was resolved: the kernel reports
	 * the name it had, with this suffix, and that name is now another
	 * object's or none.  Judged by it, a file replaced under a denied name
	 * ("deny any open /etc/shadow") would pass as the name's tree.
	 */
	if ((size_t)n >= sizeof(DELETED) - 1 &&
	    memcmp(out + n - (sizeof(DELETED) - 1), DELETED, sizeof(DELETED) - 1) == 0)
		return -ENOENT;
	return 0;
}

int path_parent(const char *path, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash) {
		snprintf(dir, cap, ".");
		*base = path;
	} else if (n >= cap) {
		return -ENAMETOOLONG;
	} else {
		snprintf(dir, cap, "%.*s", n ? (int)n : 1, n ? path : "/");
		*base = slash + 1;
	}
	if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return -EISDIR;
	return 0;
}
