/*
 * One record with descriptors over an AF_UNIX SOCK_SEQPACKET socket.
 *
 * Both functions return the number of data bytes, 0 for end of stream
 * (receive only), or a negative errno; errno itself is left as it was.
 * No record travels without at least one data byte, so a descriptor is never
 * mistaken for a closed peer; an empty record a peer sends anyway reads as
 * the end of the stream, and the descriptors it carried are closed (given
 * to dispose) there, none returned.
 */
#ifndef FDB_FDPASS_H
#define FDB_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* flags: MSG_DONTWAIT etc.; MSG_NOSIGNAL is always added. */
ssize_t fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
		    int flags);

/*
 * Receive one record of at most cap bytes and at most maxfds descriptors
 * (maxfds <= FDB_FDS_MAX).  flags: MSG_DONTWAIT, MSG_CMSG_CLOEXEC.
 * On a truncated record (-EMSGSIZE), truncated control data, a cmsg of
 * another type or more descriptors than maxfds (-EPROTO), every descriptor
 * that arrived is closed and none is returned.  An interrupted wait is
 * -EINTR, for the caller to retry or to pass on (accept does).
 * For a peer trusted to send at most FDB_FDS_MAX + 1 descriptors (the
 * broker, to the shim): room for more would only cost stack.
 */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds,
		    int flags);

/* Where a descriptor the caller does not get goes: fn(ctx, fd), which owns it then. */
struct fdpass_dispose {
	void (*fn)(void *ctx, int fd);
	void *ctx;
};

/*
 * fdpass_recv for a peer that may send anything (a program, to the
 * broker): room for every descriptor a record can carry, so that the
 * kernel closes none in this thread, and each one not returned goes to
 * dispose, never to close().
 */
ssize_t fdpass_recv_from(int sock, void *buf, size_t cap, int *fds, size_t maxfds,
			 size_t *nfds, int flags, const struct fdpass_dispose *dispose);

/* What fdpass_drain left queued. */
enum fdpass_left {
	FDPASS_NONE,   /* no record */
	FDPASS_MORE,   /* max records taken, and more may wait */
	FDPASS_UNSURE, /* the socket would not say: its close may free records */
};

/*
 * Before closing a connection to such a peer: shut its sending off and
 * take up to max of the records still queued, each descriptor in them to
 * dispose.  Otherwise the close frees them in this thread.  plain: take
 * only records without descriptors, and stop (FDPASS_MORE) at one with
 * some, which is looked at first without taking them (a peek with no room
 * for them).  An empty record is told from the end of the queue
 * (SO_PASSCRED is set on sock for it: every record then comes with the
 * sender's credentials, and the end with none).  Never waits; keeps errno.
 */
enum fdpass_left fdpass_drain(int sock, size_t max, bool plain,
			      const struct fdpass_dispose *dispose);
/* A max for all that is queued: more records than a peer's send buffer holds. */
#define FDPASS_DRAIN_MAX 4096

/* Close fds[0..n), keeping errno. */
void fdpass_close_all(const int *fds, size_t n);

#endif
