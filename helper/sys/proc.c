/* What /proc says of a process; see proc.h. */
#include "sys/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef PIDFD_GET_USER_NAMESPACE /* Linux 6.11; Debian 12's headers are 6.1's */
#define PIDFD_GET_USER_NAMESPACE _IO(0xFF, 9)
#endif

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

int proc_pidfd_open(pid_t pid, unsigned int flags)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, flags);

	return fd < 0 ? -errno : fd;
}

int proc_peer_pidfd(int fd)
{
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);

	return getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0 ? -errno : pidfd;
}

int proc_pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* /proc/self/fd of this process (proc_self_fd_init), or -1: the long names */
static int self_fd = -1;

/* In a child of fork: the directory is the parent's table, not the child's. */
static void self_fd_forget(void)
{
	if (self_fd >= 0)
		close(self_fd);
	self_fd = -1;
}

int proc_self_fd_init(void)
{
	static bool registered;
	int fd;

	if (self_fd >= 0)
		return 0;
	if (!registered && (errno = pthread_atfork(NULL, NULL, self_fd_forget)) != 0)
		return -errno;
	registered = true;
	fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	self_fd = fd;
	return 0;
}

/*
 * fd's name for an *at call into buf: relative to self_fd when it is held
 * (*dir), else the long name from the root.
 */
static const char *self_fd_name(int fd, char *buf, size_t cap, int *dir)
{
	*dir = self_fd >= 0 ? self_fd : AT_FDCWD;
	snprintf(buf, cap, "%s%d", self_fd >= 0 ? "" : "/proc/self/fd/", fd);
	return buf;
}

int proc_self_fd_open(int fd, int flags)
{
	char buf[32];
	int dir;
	const char *name = self_fd_name(fd, buf, sizeof(buf), &dir);
	int nfd = openat(dir, name, flags);

	return nfd < 0 ? -errno : nfd;
}

ssize_t proc_self_fd_readlink(int fd, char *buf, size_t cap)
{
	char name_buf[32];
	int dir;
	const char *name = self_fd_name(fd, name_buf, sizeof(name_buf), &dir);
	ssize_t n = readlinkat(dir, name, buf, cap);

	return n < 0 ? -errno : n;
}

/* The peer's user namespace, as a descriptor of it, or -errno. */
static int peer_userns(int fd, pid_t pid)
{
	char path[64];
	int pidfd = proc_peer_pidfd(fd), ns = -ENOTTY;

	if (pidfd >= 0) {
		ns = ioctl(pidfd, PIDFD_GET_USER_NAMESPACE, 0);
		ns = ns < 0 ? -errno : ns;
		close(pidfd);
		if (ns >= 0 || (ns != -ENOTTY && ns != -EINVAL))
			return ns;
	} else if (pidfd != -ENOPROTOOPT) {
		return pidfd;
	}
	/* an older kernel: by pid */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	return ns < 0 ? -errno : ns;
}

int proc_peer_own_userns(int fd, pid_t pid)
{
	static struct stat mine; /* this process's user namespace: it never changes */
	struct stat theirs;
	int ns, rc;

	if (!mine.st_ino && stat("/proc/self/ns/user", &mine) < 0) {
		mine.st_ino = 0;
		return -errno;
	}
	ns = peer_userns(fd, pid);
	if (ns < 0)
		return ns;
	rc = fstat(ns, &theirs) < 0 ? -errno : 0;
	close(ns);
	if (rc < 0)
		return rc;
	return theirs.st_dev == mine.st_dev && theirs.st_ino == mine.st_ino;
}
