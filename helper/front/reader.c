/*
 * Reader threads; see reader.h.
 *
 * A set's thread counts are under its lock: started (threads to join),
 * running (not yet ended).  Its load counts (idle, busy, done) are atomic,
 * so that a notification takes no lock: readers_watch only reads
 * them, to guess whether one more reader would help, and a guess from
 * counts read one at a time is as good.  A notification a reader takes is
 * its own until it hands it over: a passed one it answers and reuses for
 * the next.  Readers block every signal but SC_KICK_SIGNAL (signals are
 * the loop's, through its signalfd).
 */
#include "front/reader.h"
#include "sys/caps.h"
#include "sys/closer.h"
#include "sys/thread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* The stack a reader needs (the call's buffers are in its notif): room to spare, under ASan too. */
#define READER_STACK (256 * 1024)

struct reader_set {
	struct worker_job ended; /* first: handed to the pool by the last reader */
	struct reader_cfg cfg;
	pthread_mutex_t lock;
	pthread_t th[READERS_MAX];
	unsigned started, running;
	unsigned idle;     /* atomic: in RECV now */
	unsigned busy;     /* atomic: with a notification */
	unsigned long done; /* atomic: notifications finished */
	unsigned long seen; /* done as readers_watch last saw it (the lock) */
	bool stop; /* atomic: readers end */
	bool keeping; /* atomic: a reader keeps a /proc/TID/status open (at most one: core/broker.c) */
};

static unsigned all_readers; /* atomic: running, of every set */

static void ended_mark(struct worker_job *j)
{
	(void)j; /* never run: it only tells the set's job from a notification's */
}

static void *reader_main(void *arg);

/* One more reader (the lock held): 0, or -1 with errno. */
static int reader_add(struct reader_set *rs)
{
	int rc;

	if (rs->started >= READERS_MAX ||
	    __atomic_add_fetch(&all_readers, 1, __ATOMIC_RELAXED) > READERS_ALL_MAX) {
		if (rs->started < READERS_MAX)
			__atomic_sub_fetch(&all_readers, 1, __ATOMIC_RELAXED);
		errno = EAGAIN;
		return -1;
	}
	rc = thread_joinable(&rs->th[rs->started], READER_STACK, reader_main, rs);
	if (rc) {
		__atomic_sub_fetch(&all_readers, 1, __ATOMIC_RELAXED);
		errno = rc;
		return -1;
	}
	rs->started++;
	rs->running++;
	return 0;
}

/* Has the listener's filter no process left (EPOLLHUP, Linux 5.8)? */
static bool tree_gone(struct reader_set *rs)
{
	struct pollfd p = { .fd = rs->cfg.listener, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) && !(p.revents & POLLIN);
}

static bool stopping(struct reader_set *rs)
{
	return __atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE);
}

/* Let go of what n holds, so that it can take the next notification. */
static void spent(struct notif *n)
{
	notif_release(n);
}

/*
 * One notification received: true if it went to the loop, false if n is
 * free for the next.  keep: NULL, or this reader's kept status descriptor.
 */
static bool serve(struct reader_set *rs, struct notif *n, struct target_status *keep)
{
	notif_init(n);
	if (rs->cfg.prepare(rs->cfg.ctx, n)) {
		n->status = keep;
		notif_fetch(&n->job);
		n->status = NULL;
		if (!n->passed && workers_done(rs->cfg.pool, &n->job) == 0)
			return true;
		/* not passed, and the pool is closed: the broker is exiting, the kernel takes it */
		if (!n->passed)
			notif_send(n->listener, n->n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
	}
	spent(n);
	return false;
}

static void *reader_main(void *arg)
{
	struct reader_set *rs = arg;
	struct notif *n = NULL;
	struct target_status keep = TARGET_STATUS_NONE;
	bool keeper = !__atomic_exchange_n(&rs->keeping, true, __ATOMIC_ACQ_REL);
	sigset_t kick;
	unsigned caps_seen = 0;
	bool last;

	sigemptyset(&kick);
	sigaddset(&kick, SC_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	while (!stopping(rs)) {
		int rc, e;

		if (!n && !(n = malloc(sizeof(*n))))
			break;
		/* the targets' descriptors wait in them while the account's closes are stuck */
		if (closer_busy(rs->cfg.account)) {
			closer_wait(rs->cfg.account, READERS_WATCH_MS);
			continue;
		}
		notif_clear(n);
		__atomic_add_fetch(&rs->idle, 1, __ATOMIC_RELAXED);
		rc = ioctl(rs->cfg.listener, SECCOMP_IOCTL_NOTIF_RECV, &n->n);
		e = errno;
		if (rc == 0)
			__atomic_add_fetch(&rs->busy, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&rs->idle, 1, __ATOMIC_RELAXED);
		if (rc < 0) {
			/* EINTR: a kick; ENOENT: the caller was interrupted, or (6.6) the tree is gone */
			if (e == EINTR || (e == ENOENT && !tree_gone(rs)))
				continue;
			break;
		}
		/*
		 * what a reload gave up goes before this notification is served
		 * (not by a kick: a signal could end a read of the notification's)
		 */
		caps_follow(&caps_seen);
		if (serve(rs, n, keeper ? &keep : NULL))
			n = NULL; /* the loop's now */
		__atomic_add_fetch(&rs->done, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(&rs->busy, 1, __ATOMIC_RELAXED);
	}
	free(n);
	if (keeper) {
		target_status_drop(&keep);
		__atomic_store_n(&rs->keeping, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_lock(&rs->lock);
	last = --rs->running == 0;
	pthread_mutex_unlock(&rs->lock);
	__atomic_sub_fetch(&all_readers, 1, __ATOMIC_RELAXED);
	/* the set is the loop's once it has this job; a closed pool: the broker is exiting */
	if (last && workers_done(rs->cfg.pool, &rs->ended) < 0)
		workers_release(rs->cfg.pool);
	return NULL;
}

struct reader_set *readers_start(const struct reader_cfg *cfg)
{
	struct reader_set *rs = calloc(1, sizeof(*rs));
	int e;

	if (!rs)
		return NULL;
	rs->ended.run = ended_mark;
	rs->cfg = *cfg;
	pthread_mutex_init(&rs->lock, NULL);
	workers_hold(cfg->pool);
	pthread_mutex_lock(&rs->lock);
	if (reader_add(rs) == 0) {
		pthread_mutex_unlock(&rs->lock);
		return rs;
	}
	e = errno;
	pthread_mutex_unlock(&rs->lock);
	workers_release(cfg->pool);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
	errno = e;
	return NULL;
}

void readers_watch(struct reader_set *rs)
{
	unsigned idle = __atomic_load_n(&rs->idle, __ATOMIC_RELAXED);
	unsigned busy = __atomic_load_n(&rs->busy, __ATOMIC_RELAXED);
	/* read last: a notification finished meanwhile reads as progress, not as a stall */
	unsigned long done = __atomic_load_n(&rs->done, __ATOMIC_RELAXED);

	pthread_mutex_lock(&rs->lock);
	/* every reader with a notification, and none finished since: one more */
	if (!stopping(rs) && idle == 0 && busy > 0 && done == rs->seen)
		reader_add(rs);
	rs->seen = done;
	pthread_mutex_unlock(&rs->lock);
}

bool readers_stop(struct reader_set *rs)
{
	bool running;

	__atomic_store_n(&rs->stop, true, __ATOMIC_RELEASE);
	closer_wait_end(); /* a reader waiting for its account's closes looks again */
	pthread_mutex_lock(&rs->lock);
	running = rs->running > 0;
	/* a thread that has ended but is not yet joined can still be signalled */
	for (unsigned i = 0; running && i < rs->started; i++)
		pthread_kill(rs->th[i], SC_KICK_SIGNAL);
	pthread_mutex_unlock(&rs->lock);
	return running;
}

struct reader_set *readers_ended(struct worker_job *j)
{
	return j->run == ended_mark ? (struct reader_set *)j : NULL;
}

void *readers_ctx(const struct reader_set *rs)
{
	return rs->cfg.ctx;
}

void readers_free(struct reader_set *rs)
{
	for (unsigned i = 0; i < rs->started; i++)
		pthread_join(rs->th[i], NULL);
	workers_release(rs->cfg.pool);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}
