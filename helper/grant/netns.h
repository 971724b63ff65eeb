/*
 * Whose network namespace a socket is in: the broker's, or another one (a
 * program under unshare -n, a container).  As in all of grant/: 0 or a
 * negative errno, or the answer to a question.
 */
#ifndef FDB_NETNS_H
#define FDB_NETNS_H

/*
 * 1 if sock was made in another network namespace than the broker's (or
 * the kernel cannot say: SO_NETNS_COOKIE, kernel 5.14), 0 if in the
 * broker's, -ENOTSOCK when sock is no socket at all.  sock may also be a
 * network namespace's own descriptor (/proc/PID/ns/net).
 */
int netns_foreign(int sock);

#endif
