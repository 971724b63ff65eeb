/*
 * PATH search for run and exec, and for the preflight checks.  execvp(3)
 * returns EACCES when a directory of PATH is not searchable even if the
 * program exists nowhere, so root's PATH (/root/bin first, say) made
 * "nosuchprog" a permission error for the user.  Shells skip such a
 * directory; so does this.  exec_search is called in the vfork()ed child
 * of run: it, and path_next, only use the stack and make system calls.
 */
#include "sys/pathsearch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* glibc's default when PATH is unset, as execvp(3) uses it */
#define DEFAULT_PATH "/bin:/usr/bin"

const char *path_list(void)
{
	const char *path = getenv("PATH");

	return path ? path : DEFAULT_PATH;
}

bool path_next(const char **dirs, const char *name, char *file, size_t cap)
{
	size_t nlen = strlen(name);

	while (*dirs) {
		const char *dir = *dirs, *end = strchrnul(dir, ':');
		size_t dlen = (size_t)(end - dir);

		*dirs = *end ? end + 1 : NULL;
		/* "DIR" or ".", the slash, name and its NUL */
		if ((dlen ? dlen : 1) + 1 + nlen >= cap)
			continue;
		/* an empty entry is the current directory */
		if (dlen)
			memcpy(file, dir, dlen);
		else
			file[dlen++] = '.';
		file[dlen] = '/';
		memcpy(file + dlen + 1, name, nlen + 1);
		return true;
	}
	return false;
}

void exec_search(char **argv)
{
	const char *name = argv[0], *dirs = path_list();
	char file[PATH_MAX];
	bool denied = false;
	struct stat st;

	if (!*name) {
		errno = ENOENT;
		return;
	}
	if (strchr(name, '/')) {
		execvp(name, argv);
		return;
	}
	while (path_next(&dirs, name, file, sizeof(file))) {
		/* stat as the caller: an unsearchable directory hides the file */
		if (stat(file, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		/* the slash makes execvp run it, a script without #! with sh */
		execvp(file, argv);
		if (errno == EACCES)
			denied = true; /* as a shell: keep looking */
		else if (errno != ENOENT && errno != ENOTDIR)
			return;
	}
	errno = denied ? EACCES : ENOENT;
}
