/*
 * seccomp_floor: the floors of B8 and B9 of `make bench` -- the least a
 * seccomp supervisor can do.  One program, both sides: a child sets
 * no_new_privs, installs a filter that sends only openat to a listener
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER), passes the listener to its parent
 * over a socketpair (SCM_RIGHTS), becomes nobody, and times N open+close of
 * FILE exactly as `opener loop` does (the loop fdbroker's side runs).  The
 * parent, root, is the supervisor:
 *
 *   addfd     reads the path (process_vm_readv), checks the notification is
 *             still pending (SECCOMP_IOCTL_NOTIF_ID_VALID), opens the file
 *             itself and answers with SECCOMP_IOCTL_NOTIF_ADDFD +
 *             SECCOMP_ADDFD_FLAG_SEND: B8's floor (FILE root-only)
 *   continue  answers SECCOMP_USER_NOTIF_FLAG_CONTINUE: B9's floor
 *   none      no filter, no supervisor: B9's reference
 *
 *   seccomp_floor addfd|continue|none FILE N
 *
 * The supervisor asks for synchronous wake-ups on the listener
 * (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6), as fdbroker does: each
 * side is woken on the CPU the other leaves, which matters only when the
 * two are free to run on different CPUs (B_PIN=no).
 *
 * Prints the child's ns per open+close.  No policy, no credentials, no
 * audit, one target: what fdbroker adds shows as the ratio.  Exits non-zero
 * with a message on any failure.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define FLOOR_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FLOOR_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp_floor: x86_64 or aarch64 only"
#endif

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS /* Linux 6.6; Debian 12's headers are 6.1's */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

enum mode { M_NONE, M_CONTINUE, M_ADDFD };

/* The native openat to the listener, everything else (other ABIs too) allowed. */
static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FLOOR_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	int l = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (l < 0)
		die("seccomp(NEW_LISTENER)");
	return l;
}

static void send_fd(int sock, int fd)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct iovec iov = { "l", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1)
		die("send listener");
}

static int recv_fd(int sock)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 || !(c = CMSG_FIRSTHDR(&m)) ||
	    c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "seccomp_floor: no listener from the child\n");
		exit(1);
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void open_close(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(file);
	close(fd);
}

/* The target side: filter (unless none), nobody, the timed loop of `opener loop`. */
static void child(enum mode mode, int sock, const char *file, long n)
{
	struct passwd *pw = getpwnam("nobody");

	if (!pw)
		die("getpwnam(nobody)");
	if (mode != M_NONE) {
		int l = install_filter();

		send_fd(sock, l);
		close(l);
	}
	close(sock);
	if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		die("become nobody");

	for (long i = 0; i < n / 10 + 1; i++)	/* warm-up, not counted */
		open_close(file);
	double t0 = now_us();

	for (long i = 0; i < n; i++)
		open_close(file);
	printf("%.1f\n", (now_us() - t0) * 1e3 / (double)n);
	exit(0);
}

/* The path at addr of pid, read up to page ends until its NUL; -errno. */
static int read_path(pid_t pid, uint64_t addr, char *buf, size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), got = 0;

	while (got < cap) {
		size_t want = page - (size_t)((addr + got) % page);

		if (want > cap - got)
			want = cap - got;
		struct iovec l = { buf + got, want }, r = { (void *)(uintptr_t)(addr + got), want };
		ssize_t k = process_vm_readv(pid, &l, 1, &r, 1, 0);

		if (k <= 0)
			return k < 0 ? -errno : -EFAULT;
		if (memchr(buf + got, '\0', (size_t)k))
			return 0;
		got += (size_t)k;
	}
	return -ENAMETOOLONG;
}

/* The answer for one openat, done as a broker must: read, re-validate, act. */
static void answer_addfd(int l, const struct seccomp_notif *rq, struct seccomp_notif_resp *rp)
{
	char path[PATH_MAX];
	int flags = (int)rq->data.args[2], err = read_path(rq->pid, rq->data.args[1],
							    path, sizeof(path));

	if (!err && ioctl(l, SECCOMP_IOCTL_NOTIF_ID_VALID, &rq->id) < 0)
		return;	/* the target is gone or interrupted: nothing to answer */
	int fd = err ? -1 : open(path, flags | O_CLOEXEC, (mode_t)rq->data.args[3]);

	if (fd >= 0) {
		struct seccomp_notif_addfd a = {
			.id = rq->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
			.newfd_flags = (uint32_t)(flags & O_CLOEXEC),
		};

		ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &a);	/* answers the call too */
		close(fd);
		return;
	}
	rp->error = err ? err : -errno;
	ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, rp);
}

/*
 * The supervisor: each notification as it comes until the child's tree is
 * gone (POLLHUP).  A blocking RECV alone would wait forever once it is.
 */
static void supervise(enum mode mode, int l)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	(void)ioctl(l, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	for (;;) {
		struct seccomp_notif rq;
		struct seccomp_notif_resp rp;

		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (!(p.revents & POLLIN))
			return;
		memset(&rq, 0, sizeof(rq));	/* the kernel refuses a dirty one */
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &rq) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue;	/* interrupted, or the target died meanwhile */
			die("SECCOMP_IOCTL_NOTIF_RECV");
		}
		memset(&rp, 0, sizeof(rp));
		rp.id = rq.id;
		if (mode == M_ADDFD) {
			answer_addfd(l, &rq, &rp);
			continue;
		}
		rp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &rp);
	}
}

int main(int argc, char **argv)
{
	const char *m = argc == 4 ? argv[1] : "";
	enum mode mode = !strcmp(m, "addfd") ? M_ADDFD : !strcmp(m, "continue") ? M_CONTINUE : M_NONE;
	long n = argc == 4 ? atol(argv[3]) : 0;
	int sv[2], status;
	pid_t pid;

	if (n <= 0 || (mode == M_NONE && strcmp(m, "none"))) {
		fprintf(stderr, "usage: seccomp_floor addfd|continue|none FILE N\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		child(mode, sv[1], argv[2], n);
	}
	close(sv[1]);
	if (mode != M_NONE) {
		int l = recv_fd(sv[0]);

		supervise(mode, l);
		close(l);
	}
	close(sv[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
