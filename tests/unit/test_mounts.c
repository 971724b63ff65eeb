/* Whose mount a descriptor is on (helper/grant/mounts.c); needs root for the namespace case. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grant/mounts.h"

TestSuite(mounts, .timeout = 10);

Test(mounts, own_root_and_proc_are_ours)
{
	int root = open("/", O_PATH | O_CLOEXEC), proc = open("/proc/self", O_PATH | O_CLOEXEC);

	cr_assert_geq(root, 0);
	cr_assert_geq(proc, 0);
	cr_assert_eq(mount_is_ours(root), 0);
	cr_assert_eq(mount_is_ours(proc), 0);
	close(root);
	close(proc);
}

/* A socket lives on sockfs, a kernel-internal mount in no namespace. */
Test(mounts, socket_is_not_ours)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(mount_is_ours(sv[0]), -EXDEV);
	close(sv[0]);
	close(sv[1]);
}

/* The root of a child in a mount namespace of its own: a copy, so another namespace's mount. */
Test(mounts, another_namespace_is_not_ours)
{
	int ready[2], fd;
	char c, proc[64];
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || write(ready[1], "y", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child could not unshare its mount namespace");
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)pid);
	fd = open(proc, O_PATH | O_CLOEXEC);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	cr_assert_geq(fd, 0, "%s", proc);
	cr_assert_eq(mount_is_ours(fd), -EXDEV);
	close(fd);
}
