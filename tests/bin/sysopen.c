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
 *   sysopen trunc PATH                 openat O_RDONLY|O_TRUNC:
 *                                      "ok size=SIZE" (fstat's, after)
 *   sysopen lltrunc PATH               the same, in a Landlock domain that
 *                                      refuses every truncation ("no
 *                                      landlock" without ABI 3)
 *   sysopen retrunc PATH               open PATH O_RDONLY, then its
 *                                      /proc/self/fd/N O_RDONLY|O_TRUNC:
 *                                      "ok size=SIZE"
 *   sysopen refifo FIFO GO             open FIFO O_RDWR|O_NONBLOCK, print
 *                                      "opened", open GO (a FIFO: waits for
 *                                      a writer), then its /proc/self/fd/N
 *                                      O_RDONLY: "ok"
 *   err ENAME
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* Landlock ABI 3, Linux 6.2 */
#endif

/* O_RDONLY|O_TRUNC (which asks for write too) of path: its size after */
static int print_truncated(const char *path)
{
	struct stat st;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		return print_err();
	printf("ok size=%lld\n", (long long)st.st_size);
	return 0;
}

static int cmd_trunc(char **av)
{
	return print_truncated(av[0]);
}

/* In a Landlock domain that handles truncation and allows it nowhere */
static int cmd_lltrunc(char **av)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_TRUNCATE };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);

	if (rs < 0 && (errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
		printf("no landlock\n"); /* off, or older than ABI 3 */
		return 0;
	}
	if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return print_err();
	close(rs);
	return print_truncated(av[0]);
}

/* A reopen of the program's own descriptor that truncates */
static int cmd_retrunc(char **av)
{
	char proc[64];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, av[0], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return print_err();
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return print_truncated(proc);
}

/* A reopen of the program's own FIFO, once the test says (GO) */
static int cmd_refifo(char **av)
{
	char proc[64];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, av[0], O_RDWR | O_NONBLOCK | O_CLOEXEC), go;

	if (fd < 0)
		return print_err();
	printf("opened\n");
	go = (int)syscall(SYS_openat, AT_FDCWD, av[1], O_RDONLY | O_CLOEXEC);
	if (go < 0)
		return print_err();
	close(go);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (syscall(SYS_openat, AT_FDCWD, proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC) < 0)
		return print_err();
	printf("ok\n");
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
		{ "trunc", 1, cmd_trunc },
		{ "lltrunc", 1, cmd_lltrunc },
		{ "retrunc", 1, cmd_retrunc },
		{ "refifo", 2, cmd_refifo },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("sysopen", cmds, CMD_COUNT(cmds), argc, argv);
}
