/*
 * The seccomp front end, the broker's side: a user-notification listener
 * becomes an event source, each notification a request (request/request.h)
 * decided by the same core as the shim's (core/dispatch.h), and the outcome
 * the program's result: a descriptor installed with
 * SECCOMP_IOCTL_NOTIF_ADDFD, an errno, a result written into the program,
 * or SECCOMP_USER_NOTIF_FLAG_CONTINUE for a call the policy does not
 * concern (the kernel runs it as the program asked).
 *
 * Error convention: set-up returns 0 or -1 with errno, as in core/.
 */
#ifndef FDB_FRONT_SECCOMP_H
#define FDB_FRONT_SECCOMP_H

#include "core/broker.h"

/*
 * How long a notification may wait for its arguments to be read from the
 * target before the kernel gets the call back (CONTINUE), in ms.
 */
#define SC_DEADLINE_MS 1000

/*
 * Supervise the tree behind listener, a SECCOMP_FILTER_FLAG_NEW_LISTENER
 * descriptor, from now on; b owns listener (closed on failure too).  The
 * source closes itself when the last process of the tree is gone.  The
 * descriptors taken from its processes are closed for account
 * (sys/closer.h): the uid they run as.
 */
int seccomp_attach(struct broker *b, int listener, uid_t account);

/*
 * The hand-over (wire.h ADMIT, HANDOVER and the marker), from a client of
 * the shim's protocol.  Each returns the reply's status: 0 or an errno.
 *
 * seccomp_admit: will the broker supervise c's process?  EPERM if it does
 * not supervise at all (b->supervise), EOPNOTSUPP on a kernel without
 * SO_PEERPIDFD (before 6.5: no proof is possible), EAGAIN past --max-trees or
 * --max-trees-per-user (logged at most once a second per uid); 0 counts a
 * tree for c until its HANDOVER or its end.
 *
 * seccomp_adopt: listener (the client's descriptor; a copy is kept) becomes
 * a tree that waits for its proof: its first notification must be the
 * marker call, from a thread of the very process that connected (its pidfd,
 * SO_PEERPIDFD, pins it; Linux 6.5), within SC_PROOF_MS.  Anything else
 * (another process's call first, no marker in time) closes it, logged as a
 * refusal: supervising calls of processes that did not ask would let anyone
 * who holds a listener have the broker serve a stranger's tree.  EPERM
 * without an ADMIT first, EBADF for a descriptor that is not a seccomp
 * listener.
 */
int seccomp_admit(struct broker *b, struct client *c);
int seccomp_adopt(struct broker *b, struct client *c, int listener);

/*
 * The policy changed (a reload): the readers' prefilter is rebuilt now, and
 * idle workers are woken to give up what caps_limit_all gave up (sys/caps.h;
 * readers do before they serve their next notification); call it after
 * that.
 */
void seccomp_reloaded(struct broker *b);

/* How long a handed-over listener waits for its marker, in ms. */
#define SC_PROOF_MS 5000

#endif
