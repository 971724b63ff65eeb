/*
 * probe: the unmodified "legacy program" of the integration tests.  It makes
 * one kind of libc call per command and prints one line per result:
 *   ok [details]      or      err ENAME
 * It knows nothing of fdbroker; the tests run it under the shim.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "fdline.h"

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* Replace "@PPID" (the broker, under fdbroker run) or "@PID" (the probe) in a path. */
static const char *expand(const char *path)
{
	static char buf[4096];
	const char *at = strstr(path, "@PPID");

	if (!at && (at = strstr(path, "@PID"))) {
		snprintf(buf, sizeof(buf), "%.*s%d%s", (int)(at - path), path, (int)getpid(),
			 at + 4);
		return buf;
	}
	if (!at)
		return path;
	snprintf(buf, sizeof(buf), "%.*s%d%s", (int)(at - path), path, (int)getppid(), at + 5);
	return buf;
}

/* open PATH FLAGS [MODE] */
static int cmd_open(char **av)
{
	int fd = open(expand(av[0]), parse_flags(av[1]), av[2] ? (int)strtol(av[2], NULL, 8) : 0);

	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

static void print_stream(FILE *f)
{
	char line[256] = "";

	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("ok fd=%d data=%s\n", fileno(f), line);
}

static int list_dir(DIR *d)
{
	struct dirent *e;
	char names[1024] = "";

	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			strncat(names, e->d_name, sizeof(names) - strlen(names) - 2);
			strcat(names, ",");
		}
	printf("ok entries=%s\n", names);
	closedir(d);
	return 0;
}

/* sym SYMBOL PATH: read PATH through one member of the open family. */
static int cmd_sym(char **av)
{
	const char *s = av[0], *path = expand(av[1]);
	FILE *f = NULL;
	DIR *d;
	int fd = -1;

	if (!strcmp(s, "open")) fd = open(path, O_RDONLY);
	else if (!strcmp(s, "open64")) fd = open64(path, O_RDONLY);
	else if (!strcmp(s, "openat")) fd = openat(AT_FDCWD, path, O_RDONLY);
	else if (!strcmp(s, "openat64")) fd = openat64(AT_FDCWD, path, O_RDONLY);
	else if (!strcmp(s, "__open_2")) fd = __open_2(path, O_RDONLY);
	else if (!strcmp(s, "__open64_2")) fd = __open64_2(path, O_RDONLY);
	else if (!strcmp(s, "__openat_2")) fd = __openat_2(AT_FDCWD, path, O_RDONLY);
	else if (!strcmp(s, "__openat64_2")) fd = __openat64_2(AT_FDCWD, path, O_RDONLY);
	else if (!strcmp(s, "creat")) fd = creat(path, 0644);
	else if (!strcmp(s, "creat64")) fd = creat64(path, 0644);
	else if (!strcmp(s, "fopen")) f = fopen(path, "r");
	else if (!strcmp(s, "fopen64")) f = fopen64(path, "r");
	else if (!strcmp(s, "freopen")) f = freopen(path, "r", stdin);
	else if (!strcmp(s, "freopen64")) f = freopen64(path, "r", stdin);
	else if (!strcmp(s, "opendir")) {
		d = opendir(path);
		return d ? list_dir(d) : print_err();
	} else {
		fprintf(stderr, "probe: unknown symbol %s\n", s);
		return 2;
	}
	if (!strncmp(s, "fopen", 5) || !strncmp(s, "freopen", 7)) {
		if (!f)
			return print_err();
		print_stream(f);
		return 0;
	}
	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

/* read PATH...: one result line per path */
static int cmd_read(char **av)
{
	for (; *av; av++) {
		int fd = open(expand(*av), O_RDONLY);

		if (fd < 0) {
			print_err();
			continue;
		}
		print_fd(fd);
		close(fd);
	}
	return 0;
}

/* openat DIR REL FLAGS: relative to a directory descriptor */
static int cmd_openat(char **av)
{
	int dfd = open(av[0], O_PATH | O_DIRECTORY), fd;

	if (dfd < 0)
		return print_err();
	fd = openat(dfd, av[1], parse_flags(av[2]), 0644);
	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

/* cwd DIR REL FLAGS: relative to the working directory */
static int cmd_cwd(char **av)
{
	int fd;

	if (chdir(av[0]) < 0)
		return print_err();
	fd = open(av[1], parse_flags(av[2]), 0644);
	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

/* fopen PATH MODE [DATA]: write DATA or read one line */
static int cmd_fopen(char **av)
{
	FILE *f = fopen(av[0], av[1]);

	if (!f)
		return print_err();
	if (av[2]) {
		if (fputs(av[2], f) < 0 || fclose(f) != 0)
			return print_err();
		printf("ok wrote\n");
		return 0;
	}
	print_stream(f);
	return 0;
}

/* create PATH FLAGS MODE UMASK */
static int cmd_create(char **av)
{
	umask((mode_t)strtol(av[3], NULL, 8));
	return cmd_open(av);
}

/*
 * loop PATH N OUTSIDE: open PATH N times; count results whose inode is
 * OUTSIDE's (which must never happen) and the rest.
 */
static int cmd_loop(char **av)
{
	struct stat out, st;
	long n = strtol(av[1], NULL, 10), outside = 0, inside = 0, denied = 0;

	if (stat(av[2], &out) < 0)
		return print_err();
	for (long i = 0; i < n; i++) {
		int fd = open(av[0], O_RDONLY);

		if (fd < 0) {
			denied++;
			continue;
		}
		fstat(fd, &st);
		if (st.st_ino == out.st_ino && st.st_dev == out.st_dev)
			outside++;
		else
			inside++;
		close(fd);
	}
	printf("ok outside=%ld inside=%ld denied=%ld\n", outside, inside, denied);
	return 0;
}

/*
 * reopen N PATH FLAGS DATA: open PATH (a name of descriptor N), write DATA
 * through the new descriptor, and show both descriptors' offsets and
 * O_APPEND (a reopen has its own; a dup would share them).
 */
static int cmd_reopen(char **av)
{
	int n = (int)strtol(av[0], NULL, 10), fd = open(expand(av[1]), parse_flags(av[2]), 0644);
	struct stat a, b;

	if (fd < 0)
		return print_err();
	if (write(fd, av[3], strlen(av[3])) < 0)
		return print_err();
	fstat(fd, &a);
	fstat(n, &b);
	printf("ok off=%ld held=%ld append=%d heldappend=%d same=%d\n",
	       (long)lseek(fd, 0, SEEK_CUR), (long)lseek(n, 0, SEEK_CUR),
	       !!(fcntl(fd, F_GETFL) & O_APPEND), !!(fcntl(n, F_GETFL) & O_APPEND),
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	return 0;
}

/* freopen PATH MODE DATA: freopen stdout on PATH ("-": NULL), write DATA to it */
static int cmd_freopen(char **av)
{
	FILE *f = freopen(strcmp(av[0], "-") ? av[0] : NULL, av[1], stdout);

	if (!f) {
		dprintf(2, "err %s\n", strerrorname_np(errno));
		return 0;
	}
	fprintf(f, "%s\n", av[2]);
	fflush(f);
	dprintf(2, "ok fd=%d\n", fileno(f));
	return 0;
}

/*
 * freopen-exit PATH MODE TEXT: freopen PATH on stdout, report ftell on
 * stderr ("ok pos=N"), write TEXT and a newline, and leave its flush to
 * exit(), as programs do.
 */
static int cmd_freopen_exit(char **av)
{
	FILE *f = freopen(av[0], av[1], stdout);

	if (!f) {
		dprintf(2, "err %s\n", strerrorname_np(errno));
		return 0;
	}
	dprintf(2, "ok pos=%ld\n", ftell(f));
	fprintf(f, "%s\n", av[2]);
	return 0;
}

/* lowest: with 3..9 open, close 5, open PATH: expect fd 5 */
static int cmd_lowest(char **av)
{
	int fd;

	for (int i = 3; i < 10; i++)
		if (fcntl(i, F_GETFD) < 0 && open("/dev/null", O_RDONLY) < 0)
			return print_err();
	close(5);
	fd = open(av[0], O_RDONLY);
	if (fd < 0)
		return print_err();
	print_fd(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "open", 2, cmd_open },     { "sym", 2, cmd_sym },     { "read", 1, cmd_read },
		{ "openat", 3, cmd_openat }, { "cwd", 3, cmd_cwd },     { "fopen", 2, cmd_fopen },
		{ "create", 4, cmd_create }, { "loop", 3, cmd_loop },   { "lowest", 1, cmd_lowest },
		{ "reopen", 4, cmd_reopen }, { "freopen", 3, cmd_freopen },
		{ "freopen-exit", 3, cmd_freopen_exit },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("probe", cmds, CMD_COUNT(cmds), argc, argv);
}
