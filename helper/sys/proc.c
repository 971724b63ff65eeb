/* What /proc says of a process; see proc.h. */
#include "sys/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int proc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char path[64], buf[512], *close_paren;
	int fd, ppid_i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold anything, even ')' */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %c %d", state, &ppid_i) != 2)
		return -1;
	*ppid = (pid_t)ppid_i;
	return 0;
}
