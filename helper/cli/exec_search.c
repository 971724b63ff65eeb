/*
 * PATH search for run and exec.  execvp(3) returns EACCES when a directory
 * of PATH is not searchable even if the program exists nowhere, so root's
 * PATH (/root/bin first, say) made "nosuchprog" a permission error for the
 * user.  Shells skip such a directory; so does this.  Called in the vfork()ed
 * child of run: it only uses its stack and makes system calls.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* glibc's default when PATH is unset, as execvp(3) uses it */
#define DEFAULT_PATH "/bin:/usr/bin"

void exec_search(char **argv)
{
	const char *name = argv[0], *path = getenv("PATH"), *dir;
	size_t nlen = strlen(name);
	bool denied = false;

	if (!*name) {
		errno = ENOENT;
		return;
	}
	if (strchr(name, '/')) {
		execvp(name, argv);
		return;
	}
	if (!path)
		path = DEFAULT_PATH;
	for (dir = path;; dir++) {
		const char *end = strchrnul(dir, ':');
		size_t dlen = (size_t)(end - dir);
		char file[PATH_MAX];
		struct stat st;

		/* an empty entry is the current directory */
		if (dlen + 1 + nlen < sizeof(file)) {
			if (dlen)
				memcpy(file, dir, dlen);
			else
				file[dlen++] = '.';
			file[dlen] = '/';
			memcpy(file + dlen + 1, name, nlen + 1);
			/* stat as the caller: an unsearchable directory hides the file */
			if (stat(file, &st) == 0 && !S_ISDIR(st.st_mode)) {
				/* the slash makes execvp run it, a script without #! with sh */
				execvp(file, argv);
				if (errno == EACCES)
					denied = true; /* as a shell: keep looking */
				else if (errno != ENOENT && errno != ENOTDIR)
					return;
			}
		}
		if (!*end)
			break;
		dir = end;
	}
	errno = denied ? EACCES : ENOENT;
}
