/*
 * floor_server: the floor for B2 and B4 of `make bench` -- the least a
 * broker can do.  One epoll loop over AF_UNIX SOCK_SEQPACKET connections;
 * each request is a small record naming a file, the server open()s it and
 * sends the descriptor back with SCM_RIGHTS and an 8-byte reply.  No
 * policy, no credentials, no audit: what fdbroker adds on top shows as the
 * ratio.  The client side is `opener raw` (opener.c).
 *
 *   floor_server SOCKET      (runs until SIGTERM; SOCKET appears when ready)
 */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

static void serve(int lfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[64];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll");
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, f, none;
			struct floor_req rq;
			struct floor_rep rp;

			if (fd == lfd) {
				ev.data.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (ev.data.fd >= 0)
					epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
				continue;
			}
			ssize_t got = floor_recv(fd, &rq, sizeof(rq), &none, MSG_DONTWAIT);

			if (got < 0 && errno == EAGAIN)
				continue;
			if (none >= 0)
				close(none);
			if (got != (ssize_t)sizeof(rq)) {
				close(fd);	/* EOF: the client is gone */
				continue;
			}
			rq.path[sizeof(rq.path) - 1] = '\0';
			rp.seq = rq.seq;
			rp.err = 0;
			f = open(rq.path, O_RDONLY | O_CLOEXEC);
			if (f < 0)
				rp.err = errno;
			floor_send(fd, &rp, sizeof(rp), f, MSG_DONTWAIT);
			if (f >= 0)
				close(f);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	int lfd;

	if (argc != 2 || strlen(argv[1]) + 8 >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: floor_server SOCKET\n");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	strcpy(sa.sun_path, tmp);
	unlink(tmp);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(tmp, 0666) < 0 ||
	    listen(lfd, 128) < 0 || rename(tmp, argv[1]) < 0)
		die("listen");
	signal(SIGPIPE, SIG_IGN);
	serve(lfd);
	return 0;
}
