/* The client's side of the seccomp hand-over; see handover.h. */
#include "handover.h"
#include "fdpass.h"
#include "filter.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* How long a broker may take to answer one record before we give up, in ms. */
#define HANDOVER_WAIT_MS 10000

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len);
	/* non-blocking: a connect waits while a stuck broker's backlog is full */
	fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_connect, fd, (struct sockaddr *)&sa, (socklen_t)sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return e == EAGAIN ? -ETIMEDOUT : -e;
	}
	return fd;
}

/* One record out (with fd if >= 0), its reply's status back: 0, an errno, or -errno. */
static int ask(int sock, uint16_t op, uint32_t seq, int fd)
{
	struct fdb_supervise_req r = { 0 };
	unsigned char msg[FDB_MSG_MAX];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct fdb_hdr h;
	struct fdb_reply rep;
	int got[FDB_FDS_MAX];
	size_t ngot = 0;
	ssize_t n;
	int st, len = wire_encode_supervise(msg, sizeof(msg), op, seq, &r);

	if (len < 0)
		return len;
	n = fdpass_send(sock, msg, (size_t)len, &fd, fd >= 0 ? 1 : 0, 0);
	if (n < 0)
		return (int)n;
	do
		n = poll(&p, 1, HANDOVER_WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ETIMEDOUT;
	if (n < 0)
		return -errno;
	do
		n = fdpass_recv(sock, msg, sizeof(msg), got, FDB_FDS_MAX, &ngot, MSG_CMSG_CLOEXEC);
	while (n == -EINTR);
	fdpass_close_all(got, ngot);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return (int)n;
	st = wire_decode_hdr(msg, (size_t)n, &h);
	if (st == -EPROTONOSUPPORT)
		return EPROTONOSUPPORT;
	if (st < 0 || h.op != FDB_OP_REPLY || h.seq != seq ||
	    wire_decode_reply(msg, (size_t)n, &rep) < 0)
		return -EPROTO;
	return rep.status;
}

/* strerror may translate, and allocate: the shim calls this after fork */
static void say(char *why, size_t cap, const char *what, int err)
{
	const char *desc = err ? strerrordesc_np(err < 0 ? -err : err) : NULL;

	if (desc)
		snprintf(why, cap, "%s: %s", what, desc);
	else if (err)
		snprintf(why, cap, "%s: error %d", what, err < 0 ? -err : err);
	else
		snprintf(why, cap, "%s", what);
}

/* The ADMIT's refusal, for the user. */
static void refused(char *why, size_t cap, int st)
{
	if (st == EAGAIN)
		say(why, cap, "the broker supervises as many programs as it may", 0);
	else if (st == EPERM)
		say(why, cap, "this broker does not supervise programs under the seccomp filter", 0);
	else if (st == EOPNOTSUPP)
		say(why, cap, "the broker's kernel cannot tell who hands a listener over "
			      "(SO_PEERPIDFD: Linux 6.5)", 0);
	else if (st == EPROTONOSUPPORT)
		say(why, cap, "the broker speaks another protocol version (is it the same fdbroker?)",
		    0);
	else
		say(why, cap, "the broker did not admit it", st);
}

static enum handover_result handover(int sock, char *why, size_t cap)
{
	int st = ask(sock, FDB_OP_ADMIT, 1, -1), lfd;
	long marker;

	if (st != 0) {
		refused(why, cap, st);
		return HANDOVER_SKIPPED;
	}
	lfd = filter_install();
	if (lfd == -EACCES) {
		/* no CAP_SYS_ADMIN: only with no_new_privs */
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		lfd = filter_install();
	}
	if (lfd < 0) {
		say(why, cap, lfd == -EBUSY ? "cannot install the seccomp filter (a seccomp "
					      "supervisor is in place already)"
					    : "cannot install the seccomp filter", lfd == -EBUSY ? 0 : lfd);
		return HANDOVER_SKIPPED;
	}
	/* from here, a failure leaves a filter nobody reads */
	st = ask(sock, FDB_OP_HANDOVER, 2, lfd);
	close(lfd);
	if (st != 0) {
		say(why, cap, "the broker refused the seccomp listener", st);
		return HANDOVER_BROKEN;
	}
	marker = syscall(SYS_faccessat2, FDB_MARKER_FD, NULL, FDB_MARKER_MODE, FDB_MARKER_FLAGS);
	if (marker != FDB_MARKER_OK) {
		say(why, cap, "the broker did not take the seccomp listener as this process's",
		    marker < 0 ? errno : 0);
		return HANDOVER_BROKEN;
	}
	return HANDOVER_DONE;
}

enum handover_result handover_run(const char *sockpath, char *why, size_t cap)
{
	int saved = errno, sock = connect_to(sockpath);
	enum handover_result r;

	if (sock < 0) {
		say(why, cap, "cannot reach the broker", sock);
		errno = saved;
		return HANDOVER_SKIPPED;
	}
	r = handover(sock, why, cap);
	close(sock);
	errno = saved;
	return r;
}
