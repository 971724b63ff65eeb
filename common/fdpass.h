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
 * that arrived is closed and none is returned.
 */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fds, size_t maxfds, size_t *nfds,
		    int flags);

/* Close fds[0..n), keeping errno. */
void fdpass_close_all(const int *fds, size_t n);

#endif
