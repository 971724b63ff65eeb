/*
 * socket(): a raw, packet or otherwise privileged socket the kernel refuses
 * is asked of the broker, which creates it if a socket rule allows.  The
 * request carries a socket the program makes itself (AF_UNIX, the cheapest),
 * so the broker can tell the program's network namespace from its own: a
 * program in a private network gets no host socket.
 */
#include "shim.h"
#include "wire.h"

#include <string.h>

static int broker_socket(int family, int type, int protocol, int orig_errno)
{
	unsigned char req[FDB_HDR_LEN + 16];
	struct fdb_socket_req r = { .family = family, .type = type, .protocol = protocol };
	int len, fd, probe;
	struct fdb_reply rep;

	len = wire_encode_socket(req, sizeof(req), 0, &r);
	probe = len < 0 ? -1 : shim_real.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* the channel closes probe, sent or not */
	if (probe < 0 || shim_call(req, (size_t)len, probe, true,
				   (type & SOCK_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0, &rep, &fd) < 0) {
		errno = orig_errno;
		return -1;
	}
	if (rep.status == 0) {
		shim_debug("socket(%d, %d, %d): brokered, fd %d", family, type, protocol, fd);
		return fd;
	}
	shim_debug("socket(%d, %d, %d): %s by the broker", family, type, protocol,
		   (rep.rflags & FDB_REPLY_DENIED) ? "denied" : strerror(rep.status));
	errno = (rep.rflags & FDB_REPLY_DENIED) ? orig_errno : rep.status;
	return -1;
}

SHIM_EXPORT int socket(int family, int type, int protocol)
{
	int fd;

	shim_init();
	if (!shim_real.socket) {
		errno = ENOSYS;
		return -1;
	}
	fd = shim_real.socket(family, type, protocol);
	if (!shim_should_ask(fd < 0, errno))
		return fd;
	return broker_socket(family, type, protocol, errno);
}
