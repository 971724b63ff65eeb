/* Descriptor passing over a socketpair: counts, truncation, cloexec. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "wire.h"

static int sv[2];

static void pair(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

static void unpair(void)
{
	close(sv[0]);
	close(sv[1]);
}

TestSuite(fdpass, .init = pair, .fini = unpair, .timeout = 10);

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

Test(fdpass, one_fd_with_cloexec)
{
	char buf[16];
	int fd = open("/dev/null", O_RDONLY), got;
	size_t n;

	cr_assert_eq(fdpass_send(sv[0], "x", 1, &fd, 1, 0), 1);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, MSG_CMSG_CLOEXEC), 1);
	cr_assert_eq(n, 1);
	cr_assert(fcntl(got, F_GETFD) & FD_CLOEXEC);
	close(got);
	close(fd);
}

Test(fdpass, no_fd)
{
	char buf[16];
	int got = -1;
	size_t n;

	cr_assert_eq(fdpass_send(sv[0], "hello", 5, NULL, 0, 0), 5);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, 0), 5);
	cr_assert_eq(n, 0);
}

Test(fdpass, unexpected_fd_closed)
{
	char buf[16];
	int fd = open("/dev/null", O_RDONLY), got = -1, before;
	size_t n;

	cr_assert_eq(fdpass_send(sv[0], "x", 1, &fd, 1, 0), 1);
	close(fd);
	before = open_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 0, &n, 0), -EPROTO);
	cr_assert_eq(n, 0);
	cr_assert_eq(open_fds(), before, "the stray descriptor was closed");
}

/* A raw sender that attaches more descriptors than FDB_FDS_MAX allows. */
static void send_many(int count)
{
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int) * 253)];
	} u;
	int fds[253];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	for (int i = 0; i < count; i++)
		fds[i] = open("/dev/null", O_RDONLY);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)count);
	cr_assert_eq(sendmsg(sv[0], &m, 0), 1);
	for (int i = 0; i < count; i++)
		close(fds[i]);
}

static int disposed;

static void count_and_close(void *ctx, int fd)
{
	(void)ctx;
	disposed++;
	close(fd);
}

static const struct fdpass_dispose counting = { count_and_close, NULL };

/*
 * More descriptors than asked for: none returned and none left open; from
 * a peer that may send anything (fdpass_recv_from) every one reaches
 * dispose, none the kernel's own close.
 */
static void too_many(bool from)
{
	int counts[] = { 2, 3, 64, 253 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char buf[16];
		int got[FDB_FDS_MAX], before;
		size_t n;
		ssize_t rc;

		send_many(counts[i]);
		before = open_fds();
		disposed = 0;
		rc = from ? fdpass_recv_from(sv[1], buf, sizeof(buf), got, FDB_FDS_MAX, &n, 0,
					     &counting)
			  : fdpass_recv(sv[1], buf, sizeof(buf), got, FDB_FDS_MAX, &n, 0);
		cr_assert_eq(rc, -EPROTO, "%d fds", counts[i]);
		cr_assert_eq(open_fds(), before, "%d fds: none left open", counts[i]);
		if (from)
			cr_assert_eq(disposed, counts[i], "%d fds: %d to dispose", counts[i], disposed);
	}
}

Test(fdpass, too_many_fds_all_closed)
{
	too_many(false);
}

Test(fdpass, from_a_peer_every_extra_fd_goes_to_dispose)
{
	too_many(true);
}

/* Records still queued at a hang-up: their descriptors reach dispose, and the peer can add none. */
Test(fdpass, drain_disposes_what_is_queued)
{
	int before;

	send_many(3);
	send_many(1);
	cr_assert_eq(send(sv[0], "y", 1, 0), 1);
	before = open_fds();
	disposed = 0;
	cr_assert_eq(fdpass_drain(sv[1], 16, false, &counting), FDPASS_NONE, "nothing left");
	cr_assert_eq(disposed, 4);
	cr_assert_eq(open_fds(), before);
	cr_assert_lt(send(sv[0], "z", 1, MSG_NOSIGNAL | MSG_DONTWAIT), 0);
	cr_assert_eq(errno, EPIPE);
}

/*
 * An empty record reads as the end of the queue does, unless each record
 * carries credentials: before, the drain stopped there, and what followed
 * was freed by the close.  With the peer gone, and not.
 */
static void drain_past_empty(bool peer_gone)
{
	int before;

	cr_assert_eq(send(sv[0], "", 0, 0), 0);
	cr_assert_eq(send(sv[0], "", 0, 0), 0);
	send_many(2);
	if (peer_gone) {
		close(sv[0]);
		sv[0] = -1;
	}
	before = open_fds();
	disposed = 0;
	cr_assert_eq(fdpass_drain(sv[1], 16, false, &counting), FDPASS_NONE, "nothing left");
	cr_assert_eq(disposed, 2, "the descriptors behind the empty records");
	cr_assert_eq(open_fds(), before);
}

Test(fdpass, drain_takes_what_follows_an_empty_record)
{
	drain_past_empty(false);
}

Test(fdpass, drain_takes_what_follows_an_empty_record_of_a_peer_gone)
{
	drain_past_empty(true);
}

/* At most max records: what is left is said, and stays queued for the next drain. */
Test(fdpass, drain_takes_at_most_max_records)
{
	send_many(1);
	send_many(1);
	send_many(1);
	disposed = 0;
	cr_assert_eq(fdpass_drain(sv[1], 2, false, &counting), FDPASS_MORE, "one left");
	cr_assert_eq(disposed, 2);
	cr_assert_eq(fdpass_drain(sv[1], 2, false, &counting), FDPASS_NONE);
	cr_assert_eq(disposed, 3);
}

/*
 * A peer gone with our replies unread: the first read says ECONNRESET, and
 * the records behind it are still taken.
 */
Test(fdpass, drain_reads_on_past_a_reset)
{
	cr_assert_eq(send(sv[1], "r", 1, 0), 1); /* a reply the peer never reads */
	send_many(1);
	close(sv[0]);
	sv[0] = -1;
	disposed = 0;
	cr_assert_eq(fdpass_drain(sv[1], 16, false, &counting), FDPASS_NONE);
	cr_assert_eq(disposed, 1);
}

/*
 * Plain: records without descriptors are taken, and the first with some
 * is left queued, its descriptors neither taken nor closed (a peek with
 * no room for them installs none).
 */
Test(fdpass, a_plain_drain_stops_at_descriptors)
{
	int before;

	cr_assert_eq(send(sv[0], "a", 1, 0), 1);
	cr_assert_eq(send(sv[0], "", 0, 0), 0);
	send_many(2);
	cr_assert_eq(send(sv[0], "b", 1, 0), 1);
	before = open_fds();
	disposed = 0;
	cr_assert_eq(fdpass_drain(sv[1], 16, true, &counting), FDPASS_MORE, "descriptors left");
	cr_assert_eq(disposed, 0);
	cr_assert_eq(open_fds(), before, "none installed by the look");
	cr_assert_eq(fdpass_drain(sv[1], 16, true, &counting), FDPASS_MORE, "still there");
	cr_assert_eq(fdpass_drain(sv[1], 16, false, &counting), FDPASS_NONE);
	cr_assert_eq(disposed, 2, "taken by a drain that takes them");
	cr_assert_eq(open_fds(), before);
}

/* Plain, with nothing but records without descriptors: emptied. */
Test(fdpass, a_plain_drain_empties_a_queue_without_descriptors)
{
	cr_assert_eq(send(sv[0], "a", 1, 0), 1);
	cr_assert_eq(send(sv[0], "", 0, 0), 0);
	close(sv[0]);
	sv[0] = -1;
	cr_assert_eq(fdpass_drain(sv[1], 16, true, &counting), FDPASS_NONE);
}

/* An empty record with a descriptor reads as the end of the stream; the descriptor goes. */
Test(fdpass, an_empty_record_carries_no_descriptor_in)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), got[FDB_FDS_MAX], before;
	char buf[16];
	size_t n = 99;
	struct iovec iov = { .iov_base = buf, .iov_len = 0 };
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
			    .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	cr_assert_eq(sendmsg(sv[0], &m, 0), 0);
	close(fd);
	before = open_fds();
	disposed = 0;
	cr_assert_eq(fdpass_recv_from(sv[1], buf, sizeof(buf), got, FDB_FDS_MAX, &n, 0, &counting),
		     0);
	cr_assert_eq(n, 0, "no descriptor returned");
	cr_assert_eq(disposed, 1, "the one it carried went to dispose");
	cr_assert_eq(open_fds(), before);
}

Test(fdpass, truncated_data_closes_fd)
{
	char big[64] = "0123456789012345678901234567890123456789", buf[8];
	int fd = open("/dev/null", O_RDONLY), got = -1, before;
	size_t n;

	cr_assert_eq(fdpass_send(sv[0], big, sizeof(big), &fd, 1, 0), (ssize_t)sizeof(big));
	close(fd);
	before = open_fds();
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, 0), -EMSGSIZE);
	cr_assert_eq(open_fds(), before);
}

Test(fdpass, credentials_cmsg_is_wrong_type)
{
	struct ucred cr = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(cr))];
	} u;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			    .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int on = 1, got;
	char buf[8];
	size_t n;

	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	cr_assert_eq(sendmsg(sv[0], &m, 0), 1);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, 0), -EPROTO);
}

Test(fdpass, end_of_stream)
{
	char buf[8];
	int got;
	size_t n;

	close(sv[0]);
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, 0), 0);
	sv[0] = open("/dev/null", O_RDONLY); /* for fini */
}

Test(fdpass, send_limits)
{
	int fds[2] = { 0, 1 };

	cr_assert_eq(fdpass_send(sv[0], "x", 1, fds, 2, 0), -EINVAL);
	cr_assert_eq(fdpass_send(sv[0], "", 0, NULL, 0, 0), -EINVAL);
}

Test(fdpass, errno_untouched)
{
	char buf[8];
	int got;
	size_t n;

	errno = 1234;
	cr_assert_eq(fdpass_recv(sv[1], buf, sizeof(buf), &got, 1, &n, MSG_DONTWAIT), -EAGAIN);
	cr_assert_eq(errno, 1234);
}
