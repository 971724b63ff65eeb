/*
 * credprobe: who may use a program's broker connection.  Modes (one result
 * line each, "ok ..." or "bad ..."):
 *
 *   groups FILE UID GID G [N]   (started as root, under the shim) with euid
 *       UID, egid GID and supplementary groups G plus N made-up ones, open
 *       FILE; then (the saved set-user-ID is root) drop G alone, open it
 *       again; take G back, open again.  Prints
 *       "ok with=R without=R again=R", R = ok or the errno name.
 *   hold FILE   (under the shim) open FILE through the broker, print
 *       "ok pid=P fd=F" (F: the shim's kept connection, the socket above
 *       500), then wait for a signal.
 *   steal PID FD FILE   (any process) pidfd_getfd(PID, FD); on success, ask
 *       the broker for FILE over the stolen connection; then PTRACE_SEIZE
 *       PID (and PTRACE_ATTACH, only when seizing failed: an attach
 *       stops its tracee).  Prints
 *       "ok getfd=R served=S seize=R attach=R", S = the first line of
 *       FILE, or the errno name, or "-" when there was no connection.
 */
#include "cmd.h"
#include "fdpass.h"
#include "wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define SHIM_FD_MIN 500 /* the shim keeps its descriptors above this */
#define MADE_UP_GID 200000

static const char *open_result(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return strerrorname_np(errno);
	close(fd);
	return "ok";
}

/* Supplementary groups g (and n made-up ones), then effective gid and uid. */
static int become(uid_t uid, gid_t gid, const gid_t *g, int n)
{
	gid_t list[256];
	int k = 0;

	if (g)
		list[k++] = *g;
	for (int i = 0; i < n && k < 256; i++)
		list[k++] = (gid_t)(MADE_UP_GID + i);
	if (seteuid(0) < 0 || setgroups((size_t)k, list) < 0 || setegid(gid) < 0 ||
	    seteuid(uid) < 0)
		return -1;
	return 0;
}

static int cmd_groups(char **av)
{
	uid_t uid = (uid_t)atol(av[1]);
	gid_t gid = (gid_t)atol(av[2]), g = (gid_t)atol(av[3]);
	int extra = av[4] ? atoi(av[4]) : 0;
	const char *with, *without, *again;

	if (become(uid, gid, &g, extra) < 0)
		goto fail;
	with = open_result(av[0]);
	if (become(uid, gid, NULL, extra) < 0)
		goto fail;
	without = open_result(av[0]);
	if (become(uid, gid, &g, extra) < 0)
		goto fail;
	again = open_result(av[0]);
	/* root again: LeakSanitizer's exit check ptraces this process from itself */
	if (seteuid(0) < 0)
		goto fail;
	printf("ok with=%s without=%s again=%s\n", with, without, again);
	return 0;
fail:
	printf("bad %s\n", strerrorname_np(errno));
	return 1;
}

/* The shim's connection: the socket numbered above SHIM_FD_MIN. */
static int shim_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		struct stat st;

		if (fd > SHIM_FD_MIN && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			found = fd;
	}
	if (d)
		closedir(d);
	return found;
}

static int cmd_hold(char **av)
{
	const char *r = open_result(av[0]);
	sigset_t none;

	if (strcmp(r, "ok")) {
		printf("bad open %s\n", r);
		return 1;
	}
	printf("ok pid=%d fd=%d\n", (int)getpid(), shim_fd());
	fflush(stdout);
	sigemptyset(&none);
	sigsuspend(&none);
	return 0;
}

/* One open request for path on connection s: the file's first line, or an errno name. */
static void ask(int s, const char *path, char *out, size_t cap)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req req = { .flags = O_RDONLY, .path = path };
	struct fdb_reply rep;
	size_t nfds = 0;
	int n = wire_encode_open(buf, sizeof(buf), 1, &req), fd = -1;
	ssize_t got;

	snprintf(out, cap, "EPROTO");
	if (n < 0 || fdpass_send(s, buf, (size_t)n, NULL, 0, 0) < 0)
		return;
	got = fdpass_recv(s, buf, sizeof(buf), &fd, 1, &nfds, MSG_CMSG_CLOEXEC);
	if (got <= 0 || wire_decode_reply(buf, (size_t)got, &rep) < 0)
		return;
	if (rep.status != 0 || nfds != 1) {
		snprintf(out, cap, "%s", rep.status ? strerrorname_np(rep.status) : "EPROTO");
		return;
	}
	got = read(fd, out, cap - 1);
	close(fd);
	out[got > 0 ? got : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static int cmd_steal(char **av)
{
	pid_t pid = (pid_t)atol(av[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), s = -1;
	char served[256] = "-", getfd[32], seize[32], attach[32] = "-";

	if (pidfd < 0) {
		printf("bad pidfd_open %s\n", strerrorname_np(errno));
		return 1;
	}
	s = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(av[1]), 0);
	snprintf(getfd, sizeof(getfd), "%s", s < 0 ? strerrorname_np(errno) : "ok");
	if (s >= 0)
		ask(s, av[2], served, sizeof(served));
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == 0) {
		/* leaving detaches: a seized tracee never stopped */
		snprintf(seize, sizeof(seize), "ok");
	} else {
		snprintf(seize, sizeof(seize), "%s", strerrorname_np(errno));
		if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0)
			snprintf(attach, sizeof(attach), "ok");
		else
			snprintf(attach, sizeof(attach), "%s", strerrorname_np(errno));
	}
	printf("ok getfd=%s served=%s seize=%s attach=%s\n", getfd, served, seize, attach);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "groups", 4, cmd_groups }, { "hold", 1, cmd_hold }, { "steal", 3, cmd_steal },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("credprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
