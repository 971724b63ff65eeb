/*
 * bind(): a privileged port or a path in a directory the program cannot
 * write.  The program's own socket travels to the broker, which binds it in
 * place (a bind rule): the descriptor number and every option set before
 * bind stay as they were.  Under an accept rule the broker answers with a
 * listener channel instead, which takes the descriptor's number (dup3) with
 * the socket's close-on-exec and non-blocking flags carried over.
 *
 * A unix path in use in a directory the program cannot write is asked
 * about too: the file may be the program's own stale socket, which it
 * could not remove and the broker replaces (helper/grant/unix_bind.c).  Its own
 * errno stays EADDRINUSE whenever the broker does not help.
 */
#include "shim.h"
#include "wire.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static int take_listener(int sockfd, int chfd)
{
	int fdflags = fcntl(sockfd, F_GETFD), flflags = fcntl(sockfd, F_GETFL);

	if (fdflags < 0 || flflags < 0 ||
	    dup3(chfd, sockfd, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		close(chfd);
		return -1;
	}
	close(chfd);
	if (flflags & O_NONBLOCK)
		fcntl(sockfd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int broker_bind(int sockfd, const struct sockaddr *addr, socklen_t len, int orig_errno)
{
	unsigned char req[FDB_HDR_LEN + 8 + FDB_SOCKADDR_MAX];
	struct fdb_bind_req r = { .a.len = len };
	int n, chfd;
	struct fdb_reply rep;

	if (!addr || len == 0 || len > FDB_SOCKADDR_MAX) {
		errno = orig_errno;
		return -1;
	}
	memcpy(r.a.addr, addr, len);
	/* a unix socket file gets the mode the kernel would have given it */
	if (addr->sa_family == AF_UNIX)
		r.umask = (uint32_t)shim_umask();
	n = wire_encode_bind(req, sizeof(req), 0, &r);
	if (n < 0 ||
	    shim_call(req, (size_t)n, sockfd, false, MSG_CMSG_CLOEXEC, &rep, &chfd) < 0)
		goto refuse;
	if (rep.status == 0 && (rep.rflags & FDB_REPLY_LISTENER)) {
		if (take_listener(sockfd, chfd) < 0) {
			errno = orig_errno;
			return -1;
		}
		shim_debug("bind fd %d: listener held by the broker", sockfd);
		return 0;
	}
	if (chfd >= 0)
		close(chfd);
	if (rep.status == 0) {
		shim_debug("bind fd %d: brokered", sockfd);
		return 0;
	}
	errno = (rep.rflags & FDB_REPLY_DENIED) ? orig_errno : rep.status;
	shim_debug("bind fd %d: %s", sockfd, strerror(errno));
	return -1;
refuse:
	errno = orig_errno;
	return -1;
}

/*
 * A unix path in use in a directory the program may not write: a stale
 * socket file there is one it could not remove itself.
 */
static bool stuck(const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;
	char dir[sizeof(sun->sun_path) + 1];
	size_t n;
	char *slash;
	int saved = errno;
	bool ro;

	if (!addr || len <= offsetof(struct sockaddr_un, sun_path) || addr->sa_family != AF_UNIX ||
	    sun->sun_path[0] != '/')
		return false;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	memcpy(dir, sun->sun_path, n);
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	/* the real call: the shim's own faccessat would ask the broker (access.c) */
	ro = !shim_real.faccessat ||
	     shim_real.faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0;
	errno = saved;
	return ro;
}

SHIM_EXPORT int bind(int sockfd, const struct sockaddr *addr, socklen_t len)
{
	int rc;

	shim_init();
	if (!shim_real.bind) {
		errno = ENOSYS;
		return -1;
	}
	rc = shim_real.bind(sockfd, addr, len);
	if (!shim_should_ask(rc < 0, errno) && !(rc < 0 && errno == EADDRINUSE && stuck(addr, len)))
		return rc;
	return broker_bind(sockfd, addr, len, errno);
}
