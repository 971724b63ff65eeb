/*
 * Results to write into targets (notif_write), shared out among the users
 * who handed their trees over.
 *
 * A write into a target can stall: its page may be one that a FUSE file
 * system the program runs never answers, and the worker then waits until
 * the target lets go.  A write has no deadline (front/seccomp.c, post: the
 * program must not go on before its memory is written), so without a bound
 * one user's stalled writes could take every worker of the pool, and
 * everyone else's calls would go unserved.  So one owner may have
 * WQ_OWNER_POSTED writes with the pool at once, and all owners together
 * WQ_POSTED, half the pool.  Past either bound a write waits here, and its
 * program's thread waits with it.  It goes to the pool, oldest first, when
 * a place it may take is let go.  An owner with WQ_OWNER_WAITING writes
 * waiting is refused more: the kernel answers those calls.
 *
 * The owner is the uid of the client that handed the tree over, and 0 for
 * fdbroker run's own tree (the only one of its broker).  A program cannot
 * change that uid, whatever ids it takes in a user namespace.
 *
 * The loop's alone; no error convention (nothing here fails).
 */
#ifndef FDB_FRONT_WRITE_QUEUE_H
#define FDB_FRONT_WRITE_QUEUE_H

#include <stdbool.h>
#include <sys/types.h>

#define WQ_POSTED 8
#define WQ_OWNER_POSTED 4
#define WQ_OWNER_WAITING 64

struct notif;

struct write_queue {
	struct {
		uid_t owner;
		bool used;
	} posted[WQ_POSTED];
	struct notif *head, *tail; /* waiting, oldest first (through notif.next) */
};

enum wq_verdict {
	WQ_POST,   /* to the pool now: its place is taken until wq_done */
	WQ_WAIT,   /* queued: wq_next hands it out */
	WQ_REFUSE, /* its owner has too many waiting already */
};

/* n's write, of owner's tree. */
enum wq_verdict wq_add(struct write_queue *q, struct notif *n, uid_t owner);
/* n's write, handed out as WQ_POST or by wq_next, has ended (or never ran). */
void wq_done(struct write_queue *q, struct notif *n);
/* The oldest waiting write that may go to the pool now, its place taken; NULL if none. */
struct notif *wq_next(struct write_queue *q);
/* Any waiting write, taken out (for the broker's close); NULL once none waits. */
struct notif *wq_drain(struct write_queue *q);

#endif
