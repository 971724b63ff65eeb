/*
 * Reader threads: a supervised tree's notifications received, read and,
 * where the prefilter passes them, answered off the event loop, by threads
 * of the tree's own.  A reader blocks in SECCOMP_IOCTL_NOTIF_RECV itself,
 * reads the call as a
 * worker would (notif_fetch), answers a call the prefilter passes
 * (CONTINUE) and takes the next; any other it hands to the loop through
 * the worker pool (workers_done), to be decided there.  So a call the
 * policy does not concern costs the program one switch to its reader and
 * one back, as under the least supervisor; the loop never waits in a
 * RECV (the listener has no O_NONBLOCK there: a copy of it in another
 * hand could take the notification first) and never reads a target.
 *
 * A set starts with one reader, and so costs a program with one thread at
 * a time in a trapped call two switches per call, as the least supervisor
 * does (a second reader waiting in RECV would be woken too, or instead).  A read that stalls on
 * the target's memory (a page a FUSE file system it runs never answers)
 * holds its reader: readers_watch, which the loop calls every
 * READERS_WATCH_MS, starts one more when every reader of the set is in a
 * call and none has finished one since the last look (at most READERS_MAX
 * per tree, READERS_ALL_MAX in all), and the tree's other calls are served
 * by it.  The stalled call itself waits until its read ends.
 *
 * While the closes of the tree's account are stuck (sys/closer.h) a reader
 * takes no notification: it waits for them (closer_wait) before its RECV,
 * and the calls wait in the kernel.
 *
 * Readers end when asked (readers_stop: a flag, and SC_KICK_SIGNAL to each,
 * which ends a RECV with EINTR, and closer_wait_end, which ends a wait for
 * the closer; a kick that lands just before a RECV is
 * lost, so the loop asks again until the set has ended), when the tree is
 * gone (a RECV that fails with ENOENT on a listener that reports
 * EPOLLHUP: Linux 6.6 ends a waiting RECV so), or when the listener fails.  The last to end hands the set's own job to the pool:
 * the loop then joins them (readers_free).
 *
 * Error convention: NULL or -1 with errno.
 */
#ifndef FDB_FRONT_READER_H
#define FDB_FRONT_READER_H

#include <signal.h>
#include <stdbool.h>

#include "front/notif.h"
#include "front/worker.h"

/*
 * The signal that ends a reader's RECV; the front end installs its handler
 * (one that does nothing, without SA_RESTART) before it starts a set.
 * glibc keeps the first two real-time signals.
 */
#define SC_KICK_SIGNAL (SIGRTMIN + 1)

/* How often the loop should call readers_watch, in ms. */
#define READERS_WATCH_MS 250

/* Readers of one tree, at most, and of all. */
#define READERS_MAX 5
#define READERS_ALL_MAX 4096

struct reader_cfg {
	int listener;          /* the tree's; stays the caller's, open until readers_free */
	/* whose the targets' descriptors are: no RECV while its closes are stuck (sys/closer.h) */
	uid_t account;
	struct workers *pool;  /* where notifications for the loop go */
	/*
	 * n has just been received (n->n filled, the rest notif_init's): fill
	 * in what the front end knows (tree, listener, call, prefilter), on the
	 * reader's thread.  false: nothing more to do (it answered n itself).
	 */
	bool (*prepare)(void *ctx, struct notif *n);
	void *ctx;
};

struct reader_set;

/* A set with its first reader running; NULL with errno. */
struct reader_set *readers_start(const struct reader_cfg *cfg);
/* One more reader if every one of rs is stuck in a call (see above); the loop's. */
void readers_watch(struct reader_set *rs);
/* Ask every reader to end (again); true while one of them may still run. */
bool readers_stop(struct reader_set *rs);
/* Is j the job a set hands to the pool when its last reader has ended?  Its set, or NULL. */
struct reader_set *readers_ended(struct worker_job *j);
/* The ctx of a set's cfg. */
void *readers_ctx(const struct reader_set *rs);
/* After readers_ended: join the readers, free the set. */
void readers_free(struct reader_set *rs);

#endif
