/*
 * statprobe: the stat and access families as a program calls them, one
 * call per run, one line per result:
 *   ok ino=N size=N mode=OCTAL      (stat calls: mode with the type bits)
 *   ok                              (access calls)
 *   err ENAME
 *
 *   statprobe stat|stat64|lstat|lstat64|statx|xstat|lxstat|xstat64 PATH
 *   statprobe fstatat|fstatat64|fxstatat|lstatat DIR NAME   (DIR opened O_PATH)
 *   statprobe access|euidaccess|eaccess PATH MODE    (MODE: f, or of r w x)
 *   statprobe faccessat DIR NAME MODE
 *   statprobe loop CALL PATH N INO: CALL (stat, lstat or access) N times;
 *     counts answers describing inode INO (must never happen) and the rest
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cmd.h"

int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);

#define STAT_VER 1 /* _STAT_VER_LINUX on x86_64 */

static int print_st(int rc, const struct stat *st)
{
	if (rc < 0)
		return print_err();
	printf("ok ino=%lu size=%ld mode=%o\n", (unsigned long)st->st_ino, (long)st->st_size,
	       (unsigned)st->st_mode);
	return 0;
}

static int amode(const char *s)
{
	int m = F_OK;

	for (; *s; s++)
		m |= *s == 'r' ? R_OK : *s == 'w' ? W_OK : *s == 'x' ? X_OK : 0;
	return m;
}

static int dir_of(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		perror(dir);
		exit(2);
	}
	return fd;
}

/* One stat-like call of path; 0 with *st filled, or -1. */
static int one_stat(const char *call, const char *path, struct stat *st)
{
	struct statx stx;
	int rc;

	if (strcmp(call, "stat") == 0)
		return stat(path, st);
	if (strcmp(call, "stat64") == 0)
		return stat64(path, (struct stat64 *)st);
	if (strcmp(call, "lstat") == 0)
		return lstat(path, st);
	if (strcmp(call, "lstat64") == 0)
		return lstat64(path, (struct stat64 *)st);
	if (strcmp(call, "xstat") == 0)
		return __xstat(STAT_VER, path, st);
	if (strcmp(call, "xstat64") == 0)
		return __xstat64(STAT_VER, path, (struct stat64 *)st);
	if (strcmp(call, "lxstat") == 0)
		return __lxstat(STAT_VER, path, st);
	if (strcmp(call, "statx") == 0) {
		rc = statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx);
		if (rc == 0) {
			memset(st, 0, sizeof(*st));
			st->st_ino = stx.stx_ino;
			st->st_size = (off_t)stx.stx_size;
			st->st_mode = stx.stx_mode;
			st->st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		}
		return rc;
	}
	fprintf(stderr, "statprobe: unknown call %s\n", call);
	exit(2);
}

static int cmd_at(const char *call, const char *dir, const char *name)
{
	struct stat st;
	int dfd = dir_of(dir), rc;

	if (strcmp(call, "fstatat") == 0)
		rc = fstatat(dfd, name, &st, 0);
	else if (strcmp(call, "lstatat") == 0)
		rc = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
	else if (strcmp(call, "fstatat64") == 0)
		rc = fstatat64(dfd, name, (struct stat64 *)&st, 0);
	else
		rc = __fxstatat(STAT_VER, dfd, name, &st, 0);
	return print_st(rc, &st);
}

static int one_access(const char *call, const char *path, int mode)
{
	if (strcmp(call, "access") == 0)
		return access(path, mode);
	if (strcmp(call, "euidaccess") == 0)
		return euidaccess(path, mode);
	return eaccess(path, mode);
}

static int cmd_loop(char **av)
{
	const char *call = av[0], *path = av[1];
	long n = strtol(av[2], NULL, 10), outside = 0, inside = 0, denied = 0;
	unsigned long ino = strtoul(av[3], NULL, 10);
	struct stat st;

	for (long i = 0; i < n; i++) {
		if (strcmp(call, "access") == 0) {
			/* an access yes for a path that is the outside file at that moment */
			if (access(path, R_OK) < 0)
				denied++;
			else if (lstat(path, &st) == 0 && st.st_ino == ino)
				; /* the name moved on: no conclusion, not counted */
			else
				inside++;
			continue;
		}
		if (one_stat(call, path, &st) < 0)
			denied++;
		else if (st.st_ino == ino)
			outside++;
		else
			inside++;
	}
	printf("ok outside=%ld inside=%ld denied=%ld\n", outside, inside, denied);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc < 3)
		goto usage;
	if (strcmp(argv[1], "loop") == 0 && argc == 6)
		return cmd_loop(argv + 2);
	if (strcmp(argv[1], "faccessat") == 0 && argc == 5)
		return faccessat(dir_of(argv[2]), argv[3], amode(argv[4]), 0) < 0 ? print_err()
										 : puts("ok") < 0;
	if (strstr(argv[1], "access") && argc == 4)
		return one_access(argv[1], argv[2], amode(argv[3])) < 0 ? print_err() : puts("ok") < 0;
	if (argc == 4)
		return cmd_at(argv[1], argv[2], argv[3]);
	if (argc == 3)
		return print_st(one_stat(argv[1], argv[2], &st), &st);
usage:
	fprintf(stderr, "usage: see tests/bin/statprobe.c\n");
	return 2;
}
