/*
 * One record with descriptors over an AF_UNIX SOCK_SEQPACKET socket.
 *
 * Both functions return the number of data bytes, 0 for end of stream
 * (receive only), or a negative errno; errno itself is left as it was.
 * No record travels without at least one data byte, so a descriptor is never
 * mistaken for a closed peer.
 */
#ifndef FDB_FDPASS_H
#define FDB_FDPASS_H

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

/*
 * fdpass_recv for a peer that may send anything (a program, to the
 * broker): room for every descriptor a record can carry, so that the
 * kernel closes none in this thread, and each one not returned goes to
 * dispose, never to close().
 */
ssize_t fdpass_recv_from(int sock, void *buf, size_t cap, int *fds, size_t maxfds,
			 size_t *nfds, int flags, void (*dispose)(int fd));

/*
 * Before closing a connection to such a peer: shut its sending off and
 * take every record still queued (at most FDPASS_DRAIN_MAX), each
 * descriptor in them to dispose.  Otherwise the close frees them in this
 * thread.  Never waits; keeps errno.
 */
#define FDPASS_DRAIN_MAX 4096
void fdpass_drain(int sock, void (*dispose)(int fd));

/* Close fds[0..n), keeping errno. */
void fdpass_close_all(const int *fds, size_t n);

#endif
