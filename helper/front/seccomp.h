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
 * source closes itself when the last process of the tree is gone.
 */
int seccomp_attach(struct broker *b, int listener);

#endif
