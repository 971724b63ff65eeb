/*
 * Resting: a program's connection the broker reads nothing more from
 * while the closes of its account's descriptors are stuck (sys/closer.h,
 * closer_busy), and letting go of a connection without taking more of its
 * descriptors than the closer can hold.
 *
 * A source that finds its account busy rests (rest_if_busy): its owner
 * stops watching it for input (loop_modify with EPOLLET and nothing
 * else: a hang-up is reported once, and left for later), and its resume
 * is called once the account holds half the backlog again (the closer's
 * eventfd, watched by the loop).  Everything it sent waits in its socket,
 * charged to the program (its socket buffer, its descriptors in flight),
 * and the connection still counts against the account's limits
 * (core/shares.h).  A connection let go meanwhile (refused, or hung up
 * before it rested) costs no descriptor either: sys/closer.h parks it.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno.
 */
#ifndef FDB_REST_H
#define FDB_REST_H

#include <stdbool.h>
#include <sys/types.h>

struct broker;

struct rest {
	bool resting;
	uid_t account;
	/* rest_if_busy's: the account has eased, watch the source for input again */
	void (*resume)(struct broker *b, struct rest *r);
	struct rest *prev, *next; /* rest.c's: b->resting while resting */
};

/* Watch the closer's eventfd (broker_init): 0, or -1 with errno. */
int rest_init(struct broker *b);
/*
 * Is account busy (or r resting already)?  Then r rests until resume is
 * called: the caller stops watching its source for input now.
 */
bool rest_if_busy(struct broker *b, struct rest *r, uid_t account,
		  void (*resume)(struct broker *b, struct rest *r));
/* A source that goes away: no resume for it (nothing if it does not rest). */
void rest_cancel(struct broker *b, struct rest *r);

/*
 * Close a connection of account's program: the records still queued in
 * it taken one at a time (their descriptors to closer_close) while the
 * account is not busy, then only those without descriptors, and the
 * socket closed here if that emptied it; else the socket goes to
 * closer_close (parked, while the account is busy), whose close on a
 * closer thread frees what is left there.
 */
void rest_let_go(uid_t account, int sock);
/*
 * The same, taking only records without descriptors from the start: for
 * a connection the broker has no descriptor to spare for (core/reserve.h),
 * or whose account is busy.
 */
void rest_let_go_plain(uid_t account, int sock);

#endif
