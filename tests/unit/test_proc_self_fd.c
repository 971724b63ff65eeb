/*
 * The process's own descriptors by their /proc/self/fd names, through the
 * directory held open (sys/proc.h): the same objects as the long names,
 * and a child of fork reaches its own table, not its parent's.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/proc.h"

TestSuite(proc_self_fd, .timeout = 30);

/* A file holding text, in a directory of the test's own; its path into path. */
static void make_file(char *dir, char *path, size_t cap, const char *text)
{
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, cap, "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void remove_file(const char *dir, const char *path)
{
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
}

/* The object of an O_PATH descriptor opened anew, and its name read back. */
Test(proc_self_fd, opens_and_names_the_object_of_a_descriptor)
{
	char dir[] = "/tmp/fdb-selffd-XXXXXX", path[PATH_MAX], got[PATH_MAX], buf[16] = "";
	int opath, fd;
	ssize_t n;

	make_file(dir, path, sizeof(path), "inside");
	cr_assert_eq(proc_self_fd_init(), 0);
	cr_assert_eq(proc_self_fd_init(), 0, "a second call keeps the first");
	opath = open(path, O_PATH | O_CLOEXEC);
	cr_assert_geq(opath, 0);
	fd = proc_self_fd_open(opath, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(read(fd, buf, sizeof(buf) - 1), 6);
	cr_assert_str_eq(buf, "inside");
	n = proc_self_fd_readlink(opath, got, sizeof(got));
	cr_assert_eq(n, (ssize_t)strlen(path));
	got[n] = '\0';
	cr_assert_str_eq(got, path);
	close(fd);
	close(opath);
	cr_assert_eq(proc_self_fd_open(opath, O_RDONLY), -ENOENT, "a closed descriptor");
	cr_assert_eq(proc_self_fd_readlink(opath, got, sizeof(got)), -ENOENT);
	remove_file(dir, path);
}

/*
 * After fork the child's descriptor N may be another object than the
 * parent's N: the child reads its own.  Both sides hold a different file
 * at the same number.
 */
Test(proc_self_fd, a_child_of_fork_names_its_own_descriptors)
{
	char dir[] = "/tmp/fdb-selffd-XXXXXX", path[PATH_MAX];
	int num, status;
	pid_t pid;

	make_file(dir, path, sizeof(path), "x");
	cr_assert_eq(proc_self_fd_init(), 0);
	num = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(num, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char got[PATH_MAX];
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		/* the child's own object at the parent's number */
		if (fd < 0 || dup2(fd, num) < 0)
			_exit(2);
		n = proc_self_fd_readlink(num, got, sizeof(got) - 1);
		if (n < 0)
			_exit(3);
		got[n] = '\0';
		_exit(strcmp(got, path) == 0 ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "the child read its parent's table");
	close(num);
	remove_file(dir, path);
}
