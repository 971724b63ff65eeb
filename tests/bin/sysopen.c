/*
 * sysopen: a glibc program that opens files with raw system calls,
 * syscall(SYS_openat, ...) and the like, which the shim never sees (issue
 * 16): only the seccomp front end reaches it.  One line per run:
 *
 *   sysopen open|openat|openat2 PATH   O_RDONLY|O_CLOEXEC:
 *                                      "ok fd=N cloexec=1 data=FIRST LINE"
 *   sysopen ocreat PATH                openat O_RDONLY|O_CREAT|O_CLOEXEC 0644,
 *                                      printed as open's
 *   sysopen creat PATH MODE UMASK      creat(2), MODE and UMASK octal:
 *                                      "ok fd=N"
 *   err ENAME
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmd.h"

static int print_opened(int fd)
{
	char buf[256];
	ssize_t n;

	if (fd < 0)
		return print_err();
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("ok fd=%d cloexec=%d data=%s\n", fd, !!(fcntl(fd, F_GETFD) & FD_CLOEXEC), buf);
	return 0;
}

static int cmd_open(char **av)
{
	return print_opened((int)syscall(SYS_open, av[0], O_RDONLY | O_CLOEXEC));
}

/* O_RDONLY|O_CREAT (0644): the kernel's checks of an O_CREAT open, EISDIR on a directory */
static int cmd_ocreat(char **av)
{
	return print_opened((int)syscall(SYS_openat, AT_FDCWD, av[0],
					 O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
}

static int cmd_openat(char **av)
{
	return print_opened((int)syscall(SYS_openat, AT_FDCWD, av[0], O_RDONLY | O_CLOEXEC));
}

static int cmd_openat2(char **av)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };

	return print_opened((int)syscall(SYS_openat2, AT_FDCWD, av[0], &how, sizeof(how)));
}

static int cmd_creat(char **av)
{
	int fd;

	umask((mode_t)strtol(av[2], NULL, 8));
	fd = (int)syscall(SYS_creat, av[0], (mode_t)strtol(av[1], NULL, 8));
	if (fd < 0)
		return print_err();
	printf("ok fd=%d\n", fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "open", 1, cmd_open },
		{ "openat", 1, cmd_openat },
		{ "openat2", 1, cmd_openat2 },
		{ "creat", 3, cmd_creat },
		{ "ocreat", 1, cmd_ocreat },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("sysopen", cmds, CMD_COUNT(cmds), argc, argv);
}
