/*
 * listen, accept, accept4 and getsockname on a listener the broker holds.
 *
 * After a bind under an accept rule the program's descriptor is one end of a
 * SOCK_SEQPACKET channel to the broker (helper/core/listener.c); each record on
 * it is one accepted connection: its peer address as data, the connection
 * as SCM_RIGHTS.  The channel is recognised statelessly, so fork, exec and
 * dup cannot confuse it: the broker's end is bound to an abstract name with
 * FDB_LISTENER_PREFIX followed by the listener's address in hex.
 *
 * On the channel the real listen() and accept() fail with EINVAL, and the
 * real getsockname() gives an unnamed AF_UNIX address: only then does the
 * shim look closer, so other sockets pay nothing.
 */
#include "shim.h"
#include "fdpass.h"
#include "wire.h"

#include <fcntl.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool shim_is_listener(int fd, struct sockaddr *sa, socklen_t *salen)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	size_t plen = strlen(FDB_LISTENER_PREFIX), n;
	unsigned char addr[FDB_SOCKADDR_MAX];
	const char *p, *end;
	int saved = errno;

	if (getpeername(fd, (struct sockaddr *)&peer, &len) < 0 || peer.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) + 1 + plen || peer.sun_path[0] != '\0' ||
	    memcmp(peer.sun_path + 1, FDB_LISTENER_PREFIX, plen) != 0) {
		errno = saved;
		return false;
	}
	/* "PREFIX<pid>:<seq>:<hex sockaddr>" */
	end = (const char *)&peer + len;
	p = memchr(peer.sun_path + 1 + plen, ':', (size_t)(end - peer.sun_path - 1 - plen));
	p = p ? memchr(p + 1, ':', (size_t)(end - p - 1)) : NULL;
	errno = saved;
	if (!p)
		return false;
	p++;
	for (n = 0; p + 1 < end && n < sizeof(addr); p += 2, n++) {
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			return false;
		addr[n] = (unsigned char)(hi << 4 | lo);
	}
	if (sa && salen) {
		memcpy(sa, addr, n < *salen ? n : *salen);
		*salen = (socklen_t)n;
	}
	return true;
}

SHIM_EXPORT int listen(int fd, int backlog)
{
	int rc;

	shim_init();
	if (!shim_real.listen) {
		errno = ENOSYS;
		return -1;
	}
	rc = shim_real.listen(fd, backlog);
	/* the broker's listener listens already */
	if (rc < 0 && errno == EINVAL && shim_is_listener(fd, NULL, NULL))
		return 0;
	return rc;
}

/* Take one connection record off the channel. */
static int channel_accept(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags,
			  int orig_errno)
{
	unsigned char msg[FDB_HDR_LEN + 4 + FDB_SOCKADDR_MAX];
	struct fdb_hdr h;
	struct fdb_addr a;
	int conn = -1;
	size_t nfds;
	ssize_t n;

	n = fdpass_recv(fd, msg, sizeof(msg), &conn, 1, &nfds,
			(flags & SOCK_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0);
	if (n < 0) {
		/* EAGAIN on a non-blocking listener, EINTR: as accept() says them */
		errno = (n == -EAGAIN || n == -EINTR) ? (int)-n : orig_errno;
		return -1;
	}
	if (n == 0 || nfds != 1 || wire_decode_hdr(msg, (size_t)n, &h) < 0 ||
	    h.op != FDB_OP_CONN || wire_decode_addr(msg, (size_t)n, &a) < 0) {
		fdpass_close_all(&conn, nfds);
		errno = orig_errno; /* broker gone or confused: as without the shim */
		return -1;
	}
	if (flags & SOCK_NONBLOCK)
		fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK);
	if (addr && addrlen) {
		memcpy(addr, a.addr, a.len < *addrlen ? a.len : *addrlen);
		*addrlen = a.len;
	}
	return conn;
}

static int accept_common(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags, int rc)
{
	int saved = errno;

	if (rc >= 0 || saved != EINVAL || !shim_is_listener(fd, NULL, NULL))
		return rc;
	return channel_accept(fd, addr, addrlen, flags, saved);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	shim_init();
	if (!shim_real.accept) {
		errno = ENOSYS;
		return -1;
	}
	return accept_common(fd, addr, addrlen, 0, shim_real.accept(fd, addr, addrlen));
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	shim_init();
	if (!shim_real.accept4) {
		errno = ENOSYS;
		return -1;
	}
	return accept_common(fd, addr, addrlen, flags, shim_real.accept4(fd, addr, addrlen, flags));
}

SHIM_EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *salen)
{
	socklen_t cap = salen ? *salen : 0;
	int rc;

	shim_init();
	if (!shim_real.getsockname) {
		errno = ENOSYS;
		return -1;
	}
	rc = shim_real.getsockname(fd, sa, salen);
	/* an unnamed unix socket may be a listener channel: report the listener */
	if (rc == 0 && salen && *salen == sizeof(sa_family_t) && sa->sa_family == AF_UNIX) {
		*salen = cap;
		if (!shim_is_listener(fd, sa, salen))
			*salen = sizeof(sa_family_t);
	}
	return rc;
}
