/*
 * The worker pool; see worker.h.
 *
 * The loop hands a job to one idle worker (its own slot, its own condition
 * variable), or starts a thread for it.  A finished job goes on the done
 * list; the eventfd is written when the list gets its first job that is
 * not quiet, and read (back to 0) by workers_collect when it takes the
 * last such job.  Both happen under the pool's lock, so the descriptor is
 * readable exactly while the list holds a job that is not quiet: no
 * wake-up is lost and none is left over.  A quiet job wakes nobody: on one
 * CPU that saves the loop a switch per job.
 *
 * The pool outlives workers_free while a worker is still in a job: every
 * thread holds a reference, the owner one more, and the last to let go
 * frees it.  A worker that finishes after workers_free neither touches its
 * job again nor writes the eventfd (closed by then): it only leaves.
 *
 * Workers never change credentials (as_caller is the loop's), and they
 * block every signal, so a signal meant for the broker's signalfd is never
 * delivered to one of them instead.
 */
#include "front/worker.h"
#include "sys/caps.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct worker {
	struct workers *pool;
	pthread_t thread;
	pthread_cond_t wake;
	struct worker_job *job; /* the one it runs, or NULL: idle */
	bool detached;          /* left running by workers_free: frees itself */
	struct worker *next;    /* every worker */
	struct worker *idle;    /* the idle ones */
};

/* Jobs waiting for a worker when every one the pool may have is busy. */
#define WORKERS_QUEUE_MAX 4096

struct workers {
	pthread_mutex_t lock;
	struct worker *all, *idle;
	struct worker_job *done, *done_tail;
	unsigned loud;    /* jobs on the done list that are not quiet */
	struct worker_job *queue, *queue_tail; /* posted, waiting for a worker */
	unsigned queued;
	unsigned threads, max;
	unsigned refs;    /* the owner's and each thread's */
	bool stopping;    /* workers_free has run */
	unsigned pending; /* posted (or done by workers_done) and not yet collected */
	int efd;
};

/* Drop a reference (the lock held, and released here); the last frees the pool. */
static void pool_unref(struct workers *w)
{
	bool last = --w->refs == 0;

	pthread_mutex_unlock(&w->lock);
	if (last) {
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
}

/* A finished job onto the done list: the descriptor becomes readable with the first loud one. */
static void done_push(struct workers *w, struct worker_job *j)
{
	static const uint64_t one = 1;

	j->next = NULL;
	if (w->done_tail)
		w->done_tail->next = j;
	else
		w->done = j;
	w->done_tail = j;
	/* nonblocking: the counter is 0 here, so this never fails */
	if (!j->quiet && w->loud++ == 0)
		(void)!write(w->efd, &one, sizeof(one));
}

static void *worker_main(void *arg)
{
	struct worker *me = arg;
	struct workers *w = me->pool;
	unsigned caps_seen = 0;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct worker_job *j;

		while (!me->job && !w->stopping) {
			pthread_cond_wait(&me->wake, &w->lock);
			if (!me->job && !w->stopping) {
				/* workers_wake: what a reload gave up goes now */
				pthread_mutex_unlock(&w->lock);
				caps_follow(&caps_seen);
				pthread_mutex_lock(&w->lock);
			}
		}
		j = me->job;
		if (!j)
			break;
		pthread_mutex_unlock(&w->lock);
		/* what a reload gave up goes before this job runs (if no wake-up came first) */
		caps_follow(&caps_seen);
		j->run(j);
		pthread_mutex_lock(&w->lock);
		me->job = NULL;
		if (w->stopping)
			break;
		done_push(w, j);
		if (w->queue) {
			/* the oldest waiting job, before going idle */
			me->job = w->queue;
			w->queue = me->job->next;
			if (!w->queue)
				w->queue_tail = NULL;
			w->queued--;
			me->job->next = NULL;
			continue;
		}
		me->idle = w->idle;
		w->idle = me;
	}
	/* joined by workers_free, which frees it then, unless it was left running */
	if (me->detached) {
		pthread_cond_destroy(&me->wake);
		free(me);
	}
	pool_unref(w);
	return NULL;
}

/*
 * A thread for job j, with every signal blocked from its first instruction:
 * it inherits the mask of the thread that creates it.  The lock held.
 */
static int worker_start(struct workers *w, struct worker_job *j)
{
	struct worker *me = calloc(1, sizeof(*me));
	sigset_t all, old;
	int rc;

	if (!me)
		return -1;
	me->pool = w;
	me->job = j;
	pthread_cond_init(&me->wake, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&me->thread, NULL, worker_main, me);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_cond_destroy(&me->wake);
		free(me);
		errno = rc;
		return -1;
	}
	me->next = w->all;
	w->all = me;
	w->threads++;
	w->refs++;
	return 0;
}

struct workers *workers_new(unsigned max)
{
	struct workers *w;

	if (!max) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->max = max;
	w->refs = 1;
	return w;
}

int workers_fd(const struct workers *w)
{
	return w->efd;
}

int workers_post(struct workers *w, struct worker_job *j)
{
	struct worker *idle;
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	idle = w->idle;
	if (idle) {
		w->idle = idle->idle;
		idle->job = j;
	} else if (w->threads < w->max) {
		rc = worker_start(w, j);
	} else if (w->queued < WORKERS_QUEUE_MAX) {
		j->next = NULL;
		if (w->queue_tail)
			w->queue_tail->next = j;
		else
			w->queue = j;
		w->queue_tail = j;
		w->queued++;
	} else {
		errno = EAGAIN;
		rc = -1;
	}
	if (rc == 0)
		w->pending++;
	pthread_mutex_unlock(&w->lock);
	/*
	 * Woken once the lock is free, so that it does not wake only to wait
	 * for it (on one CPU, two switches more).  It is out of the idle list
	 * and only workers_free, the loop's, frees it: it is still there.
	 */
	if (idle)
		pthread_cond_signal(&idle->wake);
	return rc;
}

int workers_done(struct workers *w, struct worker_job *j)
{
	int rc = -1;

	pthread_mutex_lock(&w->lock);
	if (!w->stopping) {
		done_push(w, j);
		w->pending++;
		rc = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void workers_hold(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	w->refs++;
	pthread_mutex_unlock(&w->lock);
}

void workers_release(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	pool_unref(w);
}

void workers_wake(struct workers *w)
{
	pthread_mutex_lock(&w->lock);
	for (struct worker *me = w->idle; me; me = me->idle)
		pthread_cond_signal(&me->wake);
	pthread_mutex_unlock(&w->lock);
}

struct worker_job *workers_collect(struct workers *w)
{
	struct worker_job *j;
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	j = w->done;
	if (j) {
		w->done = j->next;
		if (!w->done)
			w->done_tail = NULL;
		/* the counter is not 0 while the list holds a loud job, so this reads */
		if (!j->quiet && --w->loud == 0)
			(void)!read(w->efd, &n, sizeof(n));
		j->next = NULL;
		w->pending--;
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}

unsigned workers_pending(struct workers *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->pending;
	pthread_mutex_unlock(&w->lock);
	return n;
}

unsigned workers_free(struct workers *w)
{
	struct worker *me, *next, *join = NULL;
	unsigned running = 0;

	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	for (me = w->all; me; me = next) {
		next = me->next;
		if (me->job) {
			me->detached = true;
			pthread_detach(me->thread);
			running++;
			continue;
		}
		pthread_cond_signal(&me->wake);
		me->next = join;
		join = me;
	}
	w->all = NULL;
	/* waiting jobs never run; like the running ones, their owner cannot free them */
	running += w->queued;
	close(w->efd);
	pthread_mutex_unlock(&w->lock);
	for (me = join; me; me = next) {
		next = me->next;
		pthread_join(me->thread, NULL);
		pthread_cond_destroy(&me->wake);
		free(me);
	}
	pthread_mutex_lock(&w->lock);
	pool_unref(w);
	return running;
}
