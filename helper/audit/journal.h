/*
 * The systemd journal's native protocol (--log journal): one datagram per
 * entry, of KEY=VALUE fields, to /run/systemd/journal/socket.
 *
 * Written here rather than through libsystemd's sd_journal_sendv, because
 * that call can block the broker: it sends on a blocking datagram socket
 * (journal_fd() in libsystemd's journal-send.c opens it without
 * SOCK_NONBLOCK and sendv passes no MSG_DONTWAIT; the non-blocking switch,
 * journal_fd_nonblock, is not exported).  A unix datagram socket queues
 * net.unix.max_dgram_qlen datagrams (10 by default) for a reader that is
 * behind; measured on Debian 12's libsystemd0 252 in a private mount
 * namespace with a socket nobody reads: calls 1-11 return at once, the 12th
 * blocks until a signal interrupts it.  A journald that is stuck (or a full
 * disk it is waiting on) would stop every client of the broker.  sendv also
 * reports ENOENT (no journald) as success, so lost entries could not be
 * counted.  The protocol is small and stable (systemd.io/JOURNAL_NATIVE_PROTOCOL),
 * and not linking or loading libsystemd keeps its compression and crypto
 * libraries out of a root process.
 *
 * Functions return 0, or -1 with errno; nothing here blocks.
 */
#ifndef FDB_JOURNAL_H
#define FDB_JOURNAL_H

#include <stddef.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct journal {
	int fd; /* non-blocking, unconnected AF_UNIX datagram socket; -1: closed */
};

struct journal_field {
	const char *key;   /* upper case, digits, '_'; not starting with '_' */
	const char *value; /* any bytes but NUL */
};

/*
 * The socket, and a check that a journal listens at JOURNAL_SOCKET now
 * (ENOENT, ECONNREFUSED, EACCES otherwise), so a broker asked to log there
 * says so at start rather than losing every entry.
 */
int journal_open(struct journal *j);
void journal_close(struct journal *j);
/*
 * One entry of n fields, one datagram.  Fails with EAGAIN when the
 * journal's queue is full (the caller counts the entry lost), ENOENT or
 * ECONNREFUSED when journald is gone, EMSGSIZE for an entry over the socket
 * buffer.
 */
int journal_send(struct journal *j, const struct journal_field *f, size_t n);

#endif
