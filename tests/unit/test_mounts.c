/* Whose mount a descriptor is on (helper/grant/mounts.c); the namespace case needs root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
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
	int ready[2], fd, err = 0;
	char proc[64];
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* 0, or why unshare failed */
		err = unshare(CLONE_NEWNS) < 0 ? errno : 0;
		if (write(ready[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &err, sizeof(err)), (ssize_t)sizeof(err),
		     "the child did not say whether it unshared its mount namespace");
	if (err) {
		waitpid(pid, NULL, 0);
		close(ready[0]);
		/* EPERM: CAP_SYS_ADMIN is what make unit as a user lacks; else a failure */
		cr_assert_eq(err, EPERM, "unshare(CLONE_NEWNS): %s", strerror(err));
		cr_skip_test("a mount namespace of its own needs CAP_SYS_ADMIN: unshare: %s",
			     strerror(err));
	}
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)pid);
	fd = open(proc, O_PATH | O_CLOEXEC);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	cr_assert_geq(fd, 0, "%s", proc);
	cr_assert_eq(mount_is_ours(fd), -EXDEV);
	close(fd);
}
