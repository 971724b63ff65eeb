/*
 * fileprobe: files opened, described and checked by a program the shim
 * cannot enter (built static and with musl, see sc.h), one call per
 * result line (sc.h); the tests run it under the seccomp front end.
 *
 *   fileprobe cat PATH...          each file's contents, or "err ENAME"
 *   fileprobe lines PATH...        cat PATH... again for each line on stdin,
 *                                  until its end (a program that keeps
 *                                  running, say across a reload)
 *   fileprobe read PATH...         open(2) each, one probe line each
 *   fileprobe openat DIR REL FLAGS openat(2) from DIR (opened O_PATH)
 *   fileprobe stat|lstat|statx PATH   "ok ino=N size=N mode=OCTAL"
 *   fileprobe fstatat DIR NAME     the same from DIR (opened O_PATH)
 *   fileprobe access PATH MODE     MODE: f, or some of r w x
 *   fileprobe getenv NAME          "ok NAME=VALUE" or "ok NAME unset" (what
 *                                  reached the program: LD_PRELOAD)
 *
 * Which system call each makes is the libc's choice (glibc: openat and
 * newfstatat; musl: open and stat), but for statx, made raw: musl 1.2.3
 * has no wrapper.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "sc.h"

/* struct statx's head (its layout is the kernel's ABI), padded to its 256 bytes. */
struct sc_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	unsigned char rest[256 - 64];
};

#define SC_STATX_BASIC_STATS 0x7ffU

static int cmd_cat(char **av)
{
	for (; *av; av++) {
		char buf[65536];
		int fd = open(*av, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			print_err();
			continue;
		}
		n = sc_read_all(fd, buf, sizeof(buf));
		close(fd);
		if (n < 0)
			print_err();
		else
			fwrite(buf, 1, (size_t)n, stdout);
	}
	return 0;
}

static int cmd_lines(char **av)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin))
		cmd_cat(av);
	return 0;
}

static int cmd_read(char **av)
{
	for (; *av; av++) {
		int fd = open(*av, O_RDONLY);

		if (fd < 0) {
			print_err();
			continue;
		}
		print_fd(fd);
		close(fd);
	}
	return 0;
}

static int dir_of(const char *dir)
{
	return open(dir, O_PATH | O_DIRECTORY);
}

static int cmd_openat(char **av)
{
	int dfd = dir_of(av[0]), fd;

	if (dfd < 0)
		return print_err();
	fd = openat(dfd, av[1], parse_flags(av[2]), 0644);
	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

static int print_st(unsigned long ino, long size, unsigned mode)
{
	printf("ok ino=%lu size=%ld mode=%o\n", ino, size, mode);
	return 0;
}

static int print_stat(int rc, const struct stat *st)
{
	if (rc < 0)
		return print_err();
	return print_st((unsigned long)st->st_ino, (long)st->st_size, (unsigned)st->st_mode);
}

static int cmd_stat(char **av)
{
	struct stat st;

	return print_stat(stat(av[0], &st), &st);
}

static int cmd_lstat(char **av)
{
	struct stat st;

	return print_stat(lstat(av[0], &st), &st);
}

static int cmd_statx(char **av)
{
	struct sc_statx stx;

	if (syscall(SYS_statx, AT_FDCWD, av[0], 0, SC_STATX_BASIC_STATS, &stx) < 0)
		return print_err();
	return print_st((unsigned long)stx.ino, (long)stx.size, stx.mode);
}

static int cmd_fstatat(char **av)
{
	struct stat st;
	int dfd = dir_of(av[0]);

	if (dfd < 0)
		return print_err();
	return print_stat(fstatat(dfd, av[1], &st, 0), &st);
}

static int cmd_access(char **av)
{
	int m = F_OK;

	for (const char *s = av[1]; *s; s++)
		m |= *s == 'r' ? R_OK : *s == 'w' ? W_OK : *s == 'x' ? X_OK : 0;
	if (access(av[0], m) < 0)
		return print_err();
	printf("ok\n");
	return 0;
}

static int cmd_getenv(char **av)
{
	const char *v = getenv(av[0]);

	if (v)
		printf("ok %s=%s\n", av[0], v);
	else
		printf("ok %s unset\n", av[0]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "cat", 1, cmd_cat },         { "lines", 1, cmd_lines },   { "read", 1, cmd_read },
		{ "openat", 3, cmd_openat },   { "stat", 1, cmd_stat },     { "lstat", 1, cmd_lstat },
		{ "statx", 1, cmd_statx },     { "fstatat", 2, cmd_fstatat }, { "access", 2, cmd_access },
		{ "getenv", 1, cmd_getenv },
	};

	return cmd_run("fileprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
