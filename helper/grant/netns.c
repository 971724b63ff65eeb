/*
 * A socket made in a network namespace of the program's own is not the
 * broker's to bind: an address there is not the host's address the policy
 * names, and a held listener or a socket rule's socket would hand a host
 * socket to a program its administrator put in a private network.
 */
#include "grant/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/*
 * A namespace descriptor (/proc/PID/ns/net, the seccomp front end's): 1 if
 * another than the broker's, 0 if the broker's, -ENOTSOCK if fd is no
 * network namespace either.  nsfs inodes name namespaces: same device and
 * inode, same namespace.
 */
static int nsfd_foreign(int fd)
{
	struct stat theirs, mine;

	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET || fstat(fd, &theirs) < 0)
		return -ENOTSOCK;
	if (stat("/proc/self/ns/net", &mine) < 0)
		return 1;
	return theirs.st_dev != mine.st_dev || theirs.st_ino != mine.st_ino;
}

int netns_foreign(int sock)
{
	uint64_t mine = broker_netns(), theirs;

	if (netns_cookie(sock, &theirs) == -ENOTSOCK)
		return nsfd_foreign(sock);
	return !mine || theirs != mine;
}
