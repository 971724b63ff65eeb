/*
 * The descriptor reserve: what the broker does when it runs out of
 * descriptors.  One spare descriptor is held from the start; when accept()
 * fails with EMFILE or ENFILE it is given up to take the pending connection
 * and close it, so the client sees its connection end instead of waiting.
 * A connection that can be neither taken nor refused rests the broker's
 * listening socket for a moment.  Each shortage is one episode in the log:
 * a note when it begins, one when it ends.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno; a
 * request-path function that may drop a client returns -1 meaning "drop this
 * client (already logged)".
 */
#ifndef FDB_RESERVE_H
#define FDB_RESERVE_H

#include <stdbool.h>

struct broker;

/* The reserve's state, in struct broker (all false/0 in a zeroed struct). */
struct reserve {
	int spare;             /* kept to refuse clients when out of descriptors */
	bool spare_held;       /* spare is open */
	bool starved;          /* an out-of-descriptors episode is going on */
	unsigned nrefused;     /* clients refused in it */
	bool resting;          /* the listening socket is off until rest_until */
	long rest_until;       /* CLOCK_MONOTONIC ms */
};

/* Take the spare descriptor (again); 0, or -1 with errno. */
int reserve_init(struct broker *b);
void reserve_close(struct broker *b);

/*
 * accept() on lfd (the broker's socket or a held listener) failed with err,
 * EMFILE or ENFILE: refuse one pending connection.  1: one was refused,
 * look for the next; 0: none was pending; -1: none could be refused.
 */
int reserve_refuse_pending(struct broker *b, int lfd, int err);
/* An accept succeeded: ends a shortage episode in the log. */
void reserve_accepted(struct broker *b);
/*
 * A pending client on the broker's socket can be neither taken nor refused
 * (err: EMFILE/ENFILE with no spare, or ENOMEM/ENOBUFS): the socket rests.
 */
void reserve_rest(struct broker *b, int err);
/* Once the rest is over: the spare taken back, the socket polled again. */
void reserve_wake(struct broker *b);
/* When the rest is over (CLOCK_MONOTONIC ms), or 0 if the socket is not resting. */
long reserve_rest_until(const struct broker *b);

#endif
