/*
 * listen, accept, accept4, getsockname, getpeername, getsockopt and
 * setsockopt on a listener the broker holds.
 *
 * After a bind under an accept rule the program's descriptor is one end of a
 * SOCK_SEQPACKET channel to the broker (helper/core/listener.c); each record on
 * it is one accepted connection: its peer address as data, the connection
 * as SCM_RIGHTS.  The channel is recognised statelessly, so fork, exec and
 * dup cannot confuse it: the broker's end is bound to an abstract name with
 * FDB_LISTENER_PREFIX followed by the listener's address in hex.
 *
 * On the channel the real listen() and accept() fail with EINVAL, the real
 * getsockname() gives an unnamed AF_UNIX address, getpeername() an abstract
 * one, getsockopt() SOCK_SEQPACKET, AF_UNIX or 0, and setsockopt() at a level
 * other than SOL_SOCKET fails with EOPNOTSUPP: only then does the shim look
 * closer, so other sockets pay nothing.  SOL_SOCKET options are the one
 * exception: the channel takes them as any socket would, so setsockopt()
 * asks first (one getpeername).  A few options are set on the held listener
 * itself, through the broker (channel_setsockopt).
 */
#include "shim.h"
#include "fdpass.h"
#include "wire.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
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

	/* the real one: ours would say ENOTCONN */
	if (!shim_real.getpeername || shim_real.getpeername(fd, (struct sockaddr *)&peer, &len) < 0 ||
	    peer.sun_family != AF_UNIX ||
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
	if (rc == 0 && cap >= sizeof(sa_family_t) && *salen == sizeof(sa_family_t) &&
	    sa->sa_family == AF_UNIX) {
		*salen = cap;
		if (!shim_is_listener(fd, sa, salen))
			*salen = sizeof(sa_family_t);
	}
	return rc;
}

SHIM_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *salen)
{
	socklen_t cap = salen ? *salen : 0;
	int rc;

	shim_init();
	if (!shim_real.getpeername) {
		errno = ENOSYS;
		return -1;
	}
	rc = shim_real.getpeername(fd, sa, salen);
	/* a peer with an abstract unix name may be the broker's end of a channel */
	if (rc == 0 && cap >= sizeof(sa_family_t) && sa->sa_family == AF_UNIX &&
	    *salen > offsetof(struct sockaddr_un, sun_path) + 1 &&
	    (cap <= offsetof(struct sockaddr_un, sun_path) ||
	     ((struct sockaddr_un *)sa)->sun_path[0] == '\0') &&
	    shim_is_listener(fd, NULL, NULL)) {
		errno = ENOTCONN; /* a listener has no peer */
		return -1;
	}
	return rc;
}

/*
 * The listener's answer to SOL_SOCKET option opt, when got (the real answer)
 * is the channel's and fd is a channel; false otherwise.
 */
static bool listener_opt(int fd, int opt, int got, int *v)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	switch (opt) {
	case SO_TYPE:
		if (got != SOCK_SEQPACKET)
			return false;
		break;
	case SO_DOMAIN:
		if (got != AF_UNIX)
			return false;
		break;
	case SO_PROTOCOL:
	case SO_ACCEPTCONN:
		if (got != 0)
			return false;
		break;
	default:
		return false;
	}
	if (!shim_is_listener(fd, (struct sockaddr *)&ss, &len) || len < sizeof(sa_family_t))
		return false;
	switch (opt) {
	case SO_TYPE:
		*v = SOCK_STREAM; /* accept rules are TCP only */
		break;
	case SO_DOMAIN:
		*v = ss.ss_family;
		break;
	case SO_PROTOCOL:
		*v = IPPROTO_TCP;
		break;
	default:
		*v = 1; /* it listens */
	}
	return true;
}

SHIM_EXPORT int getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	int rc, got, v;

	shim_init();
	if (!shim_real.getsockopt) {
		errno = ENOSYS;
		return -1;
	}
	rc = shim_real.getsockopt(fd, level, opt, val, len);
	if (rc < 0 || level != SOL_SOCKET || *len != sizeof(int))
		return rc;
	memcpy(&got, val, sizeof(got));
	if (listener_opt(fd, opt, got, &v))
		memcpy(val, &v, sizeof(v));
	return rc;
}

/*
 * The options the broker sets on the listener it holds; the same list as
 * helper/core/listener.c's, which gives the reasons and has the last word.
 * Only these are worth a request: any other fails here as it would there.
 */
static bool held_opt(int level, int opt)
{
	if (level == SOL_SOCKET)
		return opt == SO_KEEPALIVE || opt == SO_RCVBUF || opt == SO_SNDBUF ||
		       opt == SO_LINGER || opt == SO_RCVLOWAT;
	if (level == IPPROTO_TCP)
		return opt == TCP_NODELAY || opt == TCP_KEEPIDLE || opt == TCP_KEEPINTVL ||
		       opt == TCP_KEEPCNT || opt == TCP_USER_TIMEOUT || opt == TCP_DEFER_ACCEPT;
	return false;
}

/* SO_RCVTIMEO and SO_SNDTIMEO, in both their time_t widths */
static bool is_timeout(int opt)
{
#ifdef SO_RCVTIMEO_OLD
	if (opt == SO_RCVTIMEO_OLD || opt == SO_SNDTIMEO_OLD)
		return true;
#endif
#ifdef SO_RCVTIMEO_NEW
	if (opt == SO_RCVTIMEO_NEW || opt == SO_SNDTIMEO_NEW)
		return true;
#endif
	return opt == SO_RCVTIMEO || opt == SO_SNDTIMEO;
}

/*
 * setsockopt on a channel.  SO_REUSEADDR and SO_REUSEPORT shape only a bind
 * or listen, which the broker made itself with what was set before bind:
 * they succeed, doing nothing.  The options of held_opt go to the broker,
 * which sets them on the listener (shared by every program of the rule) and
 * answers as the kernel did.  The rest fail with ENOPROTOOPT rather than land
 * on the channel unseen, and so does every option when no broker answers:
 * the option reached nothing.
 */
static int channel_setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	unsigned char req[FDB_HDR_LEN + 12 + FDB_SOCKOPT_MAX];
	struct fdb_sockopt_req r = { .level = level, .optname = opt };
	int n, rfd;
	struct fdb_reply rep;

	/* timeouts are the channel's own: accept waits on it, as on a listener */
	if (level == SOL_SOCKET && is_timeout(opt))
		return shim_real.setsockopt(fd, level, opt, val, len);
	if (level == SOL_SOCKET && (opt == SO_REUSEADDR || opt == SO_REUSEPORT)) {
		if (len >= sizeof(int))
			return 0;
		errno = EINVAL; /* as the kernel says it */
		return -1;
	}
	if (!held_opt(level, opt)) {
		errno = ENOPROTOOPT;
		return -1;
	}
	/* the kernel's optlen is an int; the broker checks the length it needs */
	if (len == 0 || len > INT32_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (!val) {
		errno = EFAULT;
		return -1;
	}
	/* no option here reads more than a struct linger, in the kernel either */
	r.vlen = len < FDB_SOCKOPT_MAX ? len : FDB_SOCKOPT_MAX;
	memcpy(r.value, val, r.vlen);
	n = wire_encode_sockopt(req, sizeof(req), 0, &r);
	if (n < 0 || shim_call(req, (size_t)n, fd, false, MSG_CMSG_CLOEXEC, &rep, &rfd) < 0) {
		errno = ENOPROTOOPT;
		return -1;
	}
	if (rfd >= 0)
		close(rfd); /* no reply to SOCKOPT carries one */
	shim_debug("setsockopt fd %d level %d opt %d on the held listener: %s", fd, level, opt,
		   rep.status ? strerror(rep.status) : "set");
	if (rep.status == 0)
		return 0;
	errno = rep.status;
	return -1;
}

SHIM_EXPORT int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	int rc;

	shim_init();
	if (!shim_real.setsockopt) {
		errno = ENOSYS;
		return -1;
	}
	/* the channel would take SOL_SOCKET options as its own: ask first */
	if (level == SOL_SOCKET && shim_is_listener(fd, NULL, NULL))
		return channel_setsockopt(fd, level, opt, val, len);
	rc = shim_real.setsockopt(fd, level, opt, val, len);
	/* other levels fail on a unix socket */
	if (rc < 0 && errno == EOPNOTSUPP && level != SOL_SOCKET && shim_is_listener(fd, NULL, NULL))
		return channel_setsockopt(fd, level, opt, val, len);
	return rc;
}
