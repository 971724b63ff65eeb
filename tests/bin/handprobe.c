/*
 * handprobe: hands seccomp listeners to a broker (wire ADMIT, HANDOVER and
 * the marker), its own or one it did not make, for the supervision tests.
 * Run by the tests as nobody, with no shim.  One line of outcome each:
 *
 *   handprobe self SOCK PROG ARGS...   handover_run (common/handover.c),
 *                                      then exec PROG under the filter;
 *                                      prints "skipped: WHY" or "broken:
 *                                      WHY" (and does not exec) otherwise
 *   handprobe foreign SOCK FILE        a child installs the filter and
 *                                      passes its listener up; we hand it
 *                                      over as ours, then the child opens
 *                                      FILE: prints "handover=ENAME
 *                                      marker=ENAME|proven child=ok|ENAME"
 *   handprobe foreign-quiet SOCK FIFO  the same, the child makes no call:
 *                                      prints "handover=... marker=...",
 *                                      then waits for a byte from FIFO (the
 *                                      test sends it once the broker has
 *                                      refused), then the child calls until
 *                                      its calls fail (ENOSYS: nobody
 *                                      serves its filter): "child=ENAME"
 *   handprobe steal SOCK N             hands over its own listener and
 *                                      proves it, but a child of its own
 *                                      (not under the filter) keeps a copy
 *                                      and answers CONTINUE to every call it
 *                                      takes first; then N rounds of a
 *                                      burst of ADMITs on STEAL_CONNS other
 *                                      connections (the broker busy with
 *                                      them) and one trapped call:
 *                                      "calls=N" (they all return)
 *   handprobe bad SOCK                 a HANDOVER with no ADMIT before, then
 *                                      one of a pipe, not a listener:
 *                                      "noadmit=ENAME notlistener=ENAME"
 *   handprobe admit SOCK N             N connections each answered ADMIT,
 *                                      kept open: "admitted A refused R
 *                                      status=ENAME" (of the last refusal),
 *                                      then waits for SIGKILL
 */
#include "errname.h"
#include "fdpass.h"
#include "filter.h"
#include "handover.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect %s\n", errname(errno));
		exit(1);
	}
	return fd;
}

/* One ADMIT or HANDOVER, its reply's status (an errno, 0), or -1 if the broker dropped us. */
static int ask(int sock, uint16_t op, int fd)
{
	struct fdb_supervise_req r = { 0 };
	unsigned char msg[FDB_MSG_MAX];
	struct fdb_reply rep;
	int got[FDB_FDS_MAX], len = wire_encode_supervise(msg, sizeof(msg), op, 1, &r);
	size_t ngot;
	ssize_t n;

	if (fdpass_send(sock, msg, (size_t)len, &fd, fd >= 0 ? 1 : 0, 0) < 0)
		return -1;
	n = fdpass_recv(sock, msg, sizeof(msg), got, FDB_FDS_MAX, &ngot, 0);
	if (n <= 0 || wire_decode_reply(msg, (size_t)n, &rep) < 0)
		return -1;
	fdpass_close_all(got, ngot);
	return rep.status;
}

static const char *status_name(int st)
{
	return st < 0 ? "dropped" : st == 0 ? "0" : errname(st);
}

static int self(const char *sock, char **argv)
{
	char why[256];
	enum handover_result r = handover_run(sock, why, sizeof(why));

	if (r != HANDOVER_DONE) {
		printf("%s: %s\n", r == HANDOVER_SKIPPED ? "skipped" : "broken", why);
		return 1;
	}
	fflush(stdout);
	execv(argv[0], argv);
	printf("exec %s\n", errname(errno));
	return 1;
}

/*
 * The child: under its own filter (no_new_privs), its listener sent up on
 * sv, then, told to go, one open of file (NULL: an access of "/", again
 * and again until the broker's refusal shows as ENOSYS).
 */
static void child(int sv, int go, const char *file)
{
	int lfd, fd;
	char c;

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	lfd = filter_install();
	if (lfd < 0)
		_exit(2);
	if (fdpass_send(sv, "L", 1, &lfd, 1, 0) < 0)
		_exit(3);
	close(lfd);
	if (read(go, &c, 1) != 1)
		_exit(4);
	if (file) {
		fd = open(file, O_RDONLY);
		printf("child=%s\n", fd >= 0 ? "ok" : errname(errno));
		fflush(stdout);
		_exit(0);
	}
	while (syscall(SYS_faccessat, AT_FDCWD, "/", F_OK) == 0)
		;
	printf("child=%s\n", errname(errno));
	fflush(stdout);
	_exit(0);
}

/* One byte from the FIFO at path (opened now: waits for the writer). */
static int await(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char b;
	ssize_t n = fd >= 0 ? read(fd, &b, 1) : -1;

	if (fd >= 0)
		close(fd);
	return n == 1 ? 0 : -1;
}

static int foreign(const char *sock, const char *file, const char *fifo)
{
	int sv[2], go[2], lfd = -1, conn, st, ho;
	size_t n = 0;
	char b;
	long marker;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe(go) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		child(sv[1], go[0], file);
	}
	close(go[0]);
	if (fdpass_recv(sv[0], &b, 1, &lfd, 1, &n, 0) != 1 || n != 1) {
		printf("no listener from the child\n");
		return 1;
	}
	conn = connect_to(sock);
	st = ask(conn, FDB_OP_ADMIT, -1);
	if (st != 0) {
		printf("admit=%s\n", status_name(st));
		kill(pid, SIGKILL);
		return 1;
	}
	ho = ask(conn, FDB_OP_HANDOVER, lfd);
	close(lfd);
	/* the child's call first: it is what the broker sees on the listener */
	if (file && write(go[1], "g", 1) == 1)
		waitpid(pid, NULL, 0);
	/* not under that filter: this goes to the kernel */
	marker = syscall(SYS_faccessat2, FDB_MARKER_FD, NULL, FDB_MARKER_MODE, FDB_MARKER_FLAGS);
	printf("handover=%s marker=%s\n", status_name(ho),
	       marker == FDB_MARKER_OK ? "proven" : marker < 0 ? errname(errno) : "odd");
	fflush(stdout);
	if (!file && await(fifo) == 0 && write(go[1], "g", 1) == 1)
		waitpid(pid, NULL, 0);
	return 0;
}

#define STEAL_CONNS 60

static void spin_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/*
 * The child of steal: take calls off lfd, a while after the broker was
 * told one waits (so that it finds none), answer CONTINUE.
 */
static void thief(int sv)
{
	struct seccomp_notif n;
	struct seccomp_notif_resp r;
	int lfd = -1;
	size_t got = 0;
	unsigned seed = 1;
	char b;

	if (fdpass_recv(sv, &b, 1, &lfd, 1, &got, 0) != 1 || got != 1)
		_exit(3);
	for (;;) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		if (poll(&p, 1, -1) <= 0)
			continue;
		spin_us(rand_r(&seed) % 400);
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			continue;
		memset(&n, 0, sizeof(n));
		if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
			continue;
		r = (struct seccomp_notif_resp){ .id = n.id,
						 .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
	}
}

static int steal(const char *sock, int calls)
{
	int sv[2], conn, lfd, st, others[STEAL_CONNS];
	long marker;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		thief(sv[1]);
	conn = connect_to(sock);
	for (int i = 0; i < STEAL_CONNS; i++)
		others[i] = connect_to(sock);
	st = ask(conn, FDB_OP_ADMIT, -1);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	lfd = filter_install();
	if (st != 0 || lfd < 0 || ask(conn, FDB_OP_HANDOVER, lfd) != 0) {
		printf("handover failed\n");
		kill(pid, SIGKILL);
		return 1;
	}
	marker = syscall(SYS_faccessat2, FDB_MARKER_FD, NULL, FDB_MARKER_MODE, FDB_MARKER_FLAGS);
	if (marker != FDB_MARKER_OK) {
		printf("not proven\n");
		kill(pid, SIGKILL);
		return 1;
	}
	/* proven: now the copy goes to the thief */
	if (fdpass_send(sv[0], "L", 1, &lfd, 1, 0) < 0)
		return 1;
	close(lfd);
	for (int i = 0; i < calls; i++) {
		struct fdb_supervise_req r = { 0 };
		unsigned char msg[FDB_MSG_MAX];
		int len = wire_encode_supervise(msg, sizeof(msg), FDB_OP_ADMIT, 1, &r), none = -1;

		for (int k = 0; k < STEAL_CONNS; k++)
			fdpass_send(others[k], msg, (size_t)len, &none, 0, MSG_DONTWAIT);
		syscall(SYS_faccessat, AT_FDCWD, "/", F_OK);
		/* their answers (or none, once the broker has dropped a connection) */
		for (int k = 0; k < STEAL_CONNS; k++) {
			struct pollfd p = { .fd = others[k], .events = POLLIN };
			int got[FDB_FDS_MAX];
			size_t ngot;

			if (poll(&p, 1, 5000) > 0 &&
			    fdpass_recv(others[k], msg, sizeof(msg), got, FDB_FDS_MAX, &ngot, 0) > 0)
				fdpass_close_all(got, ngot);
		}
	}
	printf("calls=%d\n", calls);
	fflush(stdout);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/*
	 * nobody reads our filter's listener now: every open fails (ENOSYS),
	 * the sanitizer build's exit-time leak check's own too, so no exit
	 * handlers
	 */
	_exit(0);
}

static int bad(const char *sock)
{
	int conn = connect_to(sock), p[2], noadmit, notlistener = -2;

	if (pipe(p) < 0)
		return 1;
	noadmit = ask(conn, FDB_OP_HANDOVER, p[0]);
	if (ask(conn, FDB_OP_ADMIT, -1) == 0)
		notlistener = ask(conn, FDB_OP_HANDOVER, p[0]);
	printf("noadmit=%s notlistener=%s\n", status_name(noadmit), status_name(notlistener));
	return 0;
}

static int admit(const char *sock, int n)
{
	int admitted = 0, refused = 0, last = 0;

	for (int i = 0; i < n; i++) {
		int st = ask(connect_to(sock), FDB_OP_ADMIT, -1);

		if (st == 0) {
			admitted++;
		} else {
			refused++;
			last = st;
		}
	}
	printf("admitted %d refused %d status=%s\n", admitted, refused, status_name(last));
	fflush(stdout);
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "self") == 0)
		return self(argv[2], argv + 3);
	if (argc == 4 && strcmp(argv[1], "foreign") == 0)
		return foreign(argv[2], argv[3], NULL);
	if (argc == 4 && strcmp(argv[1], "foreign-quiet") == 0)
		return foreign(argv[2], NULL, argv[3]);
	if (argc == 4 && strcmp(argv[1], "steal") == 0)
		return steal(argv[2], atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "bad") == 0)
		return bad(argv[2]);
	if (argc == 4 && strcmp(argv[1], "admit") == 0)
		return admit(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: handprobe self|foreign|foreign-quiet|admit SOCK ...\n");
	return 2;
}
