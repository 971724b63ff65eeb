/* Descriptor passing with SCM_RIGHTS; see fdpass.h and the cmsg(3) seed. */
#include "fdpass.h"
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Room for FDB_FDS_MAX descriptors plus one, so a peer that sends one too
 * many is seen (and its descriptors closed) rather than truncated silently;
 * the union keeps the buffer aligned for struct cmsghdr.
 */
union cmsg_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * (FDB_FDS_MAX + 1))];
};

/* Each descriptor of fds that is one (>= 0) to dispose; errno is kept. */
static void dispose_all(const int *fds, size_t n, const struct fdpass_dispose *dispose)
{
	int saved = errno;

	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			dispose->fn(dispose->ctx, fds[i]);
	errno = saved;
}

static void close_one(void *ctx, int fd)
{
	(void)ctx;
	close(fd);
}

static const struct fdpass_dispose closing = { close_one, NULL };

void fdpass_close_all(const int *fds, size_t n)
{
	dispose_all(fds, n, &closing);
}

ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
		    int flags)
{
	union cmsg_buf cb;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int saved = errno;
	ssize_t n;

	if (len == 0 || nfds > FDB_FDS_MAX)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&cb, 0, sizeof(cb));
		msg.msg_control = cb.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	errno = saved;
	return n;
}

/*
 * Room for every descriptor one record can carry: the kernel's SCM_MAX_FD
 * (253, include/net/scm.h; not exported to user space).  Given less room,
 * the kernel drops what does not fit itself, and that last reference goes
 * in this thread, on its way back from recvmsg: a lingering socket's
 * release waits there for its peer (sys/closer.h in the broker).
 */
#define SCM_FDS_ALL 253

union cmsg_all {
	struct cmsghdr align;
	/* and the sender's credentials, which fdpass_drain has every record carry */
	char buf[CMSG_SPACE(sizeof(int) * SCM_FDS_ALL) + CMSG_SPACE(sizeof(struct ucred))];
};

/* Every SCM_RIGHTS descriptor in msg: the first max into got, the rest to dispose; count all. */
static int collect_fds(struct msghdr *msg, int *got, size_t max, size_t *count,
		       const struct fdpass_dispose *dispose)
{
	int bad = 0;

	*count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*count < max)
				got[*count] = fd;
			else
				dispose->fn(dispose->ctx, fd);
			(*count)++;
		}
	}
	return bad;
}

/* fdpass_recv and fdpass_recv_from: control, its size, and what closes a descriptor not returned */
static ssize_t recv_record(int sock, void *buf, size_t cap, int *fds, size_t maxfds,
			   size_t *nfds, int flags, void *control, size_t controllen,
			   const struct fdpass_dispose *dispose)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = controllen,
	};
	int got[FDB_FDS_MAX + 1];
	size_t count;
	int saved = errno, bad;
	ssize_t n;

	*nfds = 0;
	if (maxfds > FDB_FDS_MAX)
		return -EINVAL;
	n = recvmsg(sock, &msg, flags);
	if (n < 0) {
		n = -errno;
		errno = saved;
		return n;
	}
	bad = collect_fds(&msg, got, FDB_FDS_MAX + 1, &count, dispose);
	if (count > FDB_FDS_MAX + 1)
		count = FDB_FDS_MAX + 1; /* the rest went to dispose in collect_fds */
	if (msg.msg_flags & MSG_TRUNC) {
		dispose_all(got, count, dispose);
		errno = saved;
		return -EMSGSIZE;
	}
	if (bad || (msg.msg_flags & MSG_CTRUNC) || count > maxfds) {
		dispose_all(got, count, dispose);
		errno = saved;
		return -EPROTO;
	}
	if (n == 0) {
		/* no data byte, no record (fdpass.h): what an empty one carried goes too */
		dispose_all(got, count, dispose);
		errno = saved;
		return 0;
	}
	memcpy(fds, got, count * sizeof(int));
	*nfds = count;
	errno = saved;
	return n;
}

ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds,
		    int flags)
{
	union cmsg_buf cb;

	return recv_record(sock, buf, cap, fds, maxfds, nfds, flags, cb.buf, sizeof(cb.buf),
			   &closing);
}

ssize_t fdpass_recv_from(int sock, void *buf, size_t cap, int *fds, size_t maxfds,
			 size_t *nfds, int flags, const struct fdpass_dispose *dispose)
{
	union cmsg_all cb;

	return recv_record(sock, buf, cap, fds, maxfds, nfds, flags, cb.buf, sizeof(cb.buf),
			   dispose);
}

/*
 * recvmsg without waiting, read again past what says nothing of the queue:
 * ECONNRESET (a peer gone with our replies unread, said once), EINTR.
 */
static ssize_t recv_now(int sock, struct msghdr *msg, int flags)
{
	ssize_t n = recvmsg(sock, msg, flags | MSG_DONTWAIT);

	for (int i = 0; i < 2 && n < 0 && (errno == ECONNRESET || errno == EINTR); i++)
		n = recvmsg(sock, msg, flags | MSG_DONTWAIT);
	return n;
}

/*
 * Does the next record of sock carry descriptors?  Peeked with room for
 * the credentials only: descriptors would not fit (MSG_CTRUNC), and a
 * peek installs none then, nor frees any (the kernel drops its own extra
 * references).  1 yes, 0 no (or no record), -1 the socket would not say.
 */
static int next_has_fds(int sock)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cb;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
			      .msg_controllen = sizeof(cb.buf) };
	ssize_t n = recv_now(sock, &msg, MSG_PEEK);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	return (msg.msg_flags & MSG_CTRUNC) ? 1 : 0;
}

enum fdpass_left fdpass_drain(int sock, size_t max, bool plain,
			      const struct fdpass_dispose *dispose)
{
	union cmsg_all cb;
	char byte;
	int saved = errno, on = 1;
	/* without credentials on each record, an empty one reads as the end of the queue */
	bool told = setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0;
	enum fdpass_left left = FDPASS_MORE;

	/* the peer can queue no more; what it did is bounded by its send buffer */
	shutdown(sock, SHUT_RD);
	if (plain && !told)
		left = FDPASS_UNSURE;
	for (size_t i = 0; i < max && left == FDPASS_MORE; i++) {
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cb.buf,
			.msg_controllen = sizeof(cb.buf),
		};
		size_t count;
		int has = plain ? next_has_fds(sock) : 0;
		ssize_t n = has ? -1 : recv_now(sock, &msg, MSG_CMSG_CLOEXEC);

		if (has > 0)
			break; /* plain: left where it is, FDPASS_MORE */
		if (has < 0)
			left = FDPASS_UNSURE;
		else if (n < 0 && errno == EAGAIN)
			left = FDPASS_NONE;
		else if (n < 0)
			left = FDPASS_UNSURE;
		else if (n == 0 && msg.msg_controllen == 0)
			left = told ? FDPASS_NONE : FDPASS_UNSURE; /* no credentials: no record */
		else
			collect_fds(&msg, NULL, 0, &count, dispose);
	}
	errno = saved;
	return left;
}
