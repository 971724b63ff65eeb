/* The floor protocol of `make bench`: one request record, one reply record
 * with the opened descriptor attached (SCM_RIGHTS).  See floor_server.c. */
#ifndef FDB_BENCH_FLOOR_H
#define FDB_BENCH_FLOOR_H

#include "bench.h"

#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct floor_req { uint32_t op, seq; char path[64]; };
struct floor_rep { uint32_t seq; int32_t err; };

/* One record, with fd attached when fd >= 0. */
static inline ssize_t floor_send(int sock, const void *buf, size_t len, int fd, int flags)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&u, 0, sizeof(u));
	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL | flags);
}

/* One record; *fd gets the attached descriptor or -1. */
static inline ssize_t floor_recv(int sock, void *buf, size_t len, int *fd, int flags)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
	struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;

	*fd = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

#endif
