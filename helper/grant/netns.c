/*
 * A socket made in a network namespace of the program's own is not the
 * broker's to bind: an address there is not the host's address the policy
 * names, and a held listener or a socket rule's socket would hand a host
 * socket to a program its administrator put in a private network.
 */
#include "grant/netns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * The network namespace a socket belongs to, by its never-reused cookie:
 * 0 and the cookie, or -errno (ENOTSOCK for a descriptor that is no
 * socket; ENOPROTOOPT on a kernel that cannot say).
 */
static int netns_cookie(int sock, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	*cookie = 0;
	return getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0 ? -errno : 0;
}

/*
 * The broker's own namespace, read once from a socket of its own (it never
 * changes namespace, so the first request reads what start-up would).
 */
static uint64_t broker_netns(void)
{
	static uint64_t cookie;
	static bool asked;

	if (!asked) {
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (s >= 0) {
			asked = true; /* a kernel that cannot say will not say later */
			netns_cookie(s, &cookie);
			close(s);
		}
	}
	return cookie;
}

int netns_foreign(int sock)
{
	uint64_t mine = broker_netns(), theirs;

	if (netns_cookie(sock, &theirs) == -ENOTSOCK)
		return -ENOTSOCK;
	return !mine || theirs != mine;
}
