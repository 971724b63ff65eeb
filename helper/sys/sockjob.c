/*
 * sockjob threads (sockjob.h).  One mutex guards everything here: the idle
 * threads, the stuck counts, and each job's finished and left flags, so a
 * job changes hands exactly once: back to the caller when it finished in
 * time, or to its thread when the caller left it.
 */
#include "sys/sockjob.h"
#include "sys/subids.h"
#include "sys/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define IDLE_MAX 2 /* threads kept for the next job */

struct worker {
	pthread_cond_t wake;
	struct sockjob *job; /* NULL: idle */
	struct worker *next; /* on the idle list */
	unsigned gen;        /* the generation it was made in (sockjob_retire) */
	bool retire;         /* idle, and told to end */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished_cv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct worker *idle;
static unsigned nidle, nstuck, gen;
static struct {
	uid_t uid;
	unsigned n;
} stuck[SOCKJOB_STUCK];

static void init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&finished_cv, &a);
	pthread_condattr_destroy(&a);
}

/* uid's stuck count, or where to count it; NULL when the table is full. The lock held. */
static unsigned *stuck_of(uid_t uid, bool make)
{
	for (unsigned i = 0; i < SOCKJOB_STUCK; i++)
		if (stuck[i].n && stuck[i].uid == uid)
			return &stuck[i].n;
	for (unsigned i = 0; make && i < SOCKJOB_STUCK; i++) {
		if (!stuck[i].n) {
			stuck[i].uid = uid;
			return &stuck[i].n;
		}
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&mu);
	for (;;) {
		struct sockjob *j;
		bool last, waited, stay;

		while (!w->job && !w->retire)
			pthread_cond_wait(&w->wake, &mu);
		if (!w->job) { /* retired while idle: off the list already */
			pthread_mutex_unlock(&mu);
			break;
		}
		j = w->job;
		pthread_mutex_unlock(&mu);
		j->fn(j);
		pthread_mutex_lock(&mu);
		w->job = NULL;
		last = j->once; /* read before j changes hands */
		waited = !j->left;
		j->finished = true;
		if (!waited) {
			unsigned *n = stuck_of(j->account, false);

			if (n)
				(*n)--;
			nstuck--;
			pthread_mutex_unlock(&mu);
			j->release(j);
			pthread_mutex_lock(&mu);
		}
		stay = !last && nidle < IDLE_MAX && w->gen == gen;
		if (stay) {
			w->next = idle;
			idle = w;
			nidle++;
		}
		/*
		 * The caller is told after the lock is let go, so that it does
		 * not wake only to wait for the lock; it sees finished under the
		 * lock, so it cannot miss it (and j may be gone by now).
		 */
		pthread_mutex_unlock(&mu);
		if (waited)
			pthread_cond_broadcast(&finished_cv);
		if (!stay)
			break;
		pthread_mutex_lock(&mu);
	}
	pthread_cond_destroy(&w->wake);
	free(w);
	return NULL;
}

/* A new thread for j, every signal blocked from its first instruction. */
static int start(struct sockjob *j)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	pthread_cond_init(&w->wake, NULL);
	w->job = j;
	w->gen = gen;
	rc = thread_detached(worker_main, w);
	if (rc) {
		pthread_cond_destroy(&w->wake);
		free(w);
		return -rc;
	}
	return 0;
}

int sockjob_run(struct sockjob *j)
{
	struct timespec deadline;
	unsigned *n;
	int rc = 0;

	pthread_once(&once, init);
	j->finished = j->left = false;
	j->account = subids_account(j->uid);
	pthread_mutex_lock(&mu);
	n = stuck_of(j->account, false);
	if (nstuck >= SOCKJOB_STUCK || (n && *n >= SOCKJOB_STUCK_PER_UID)) {
		pthread_mutex_unlock(&mu);
		return -EAGAIN;
	}
	if (idle) {
		struct worker *w = idle;

		idle = w->next;
		nidle--;
		w->job = j;
		pthread_cond_signal(&w->wake);
	} else {
		rc = start(j);
	}
	if (rc < 0) {
		pthread_mutex_unlock(&mu);
		return rc;
	}
	deadline = thread_deadline(SOCKJOB_MS);
	while (!j->finished && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&finished_cv, &mu, &deadline);
	if (j->finished) {
		pthread_mutex_unlock(&mu);
		return 0;
	}
	/* the table has room: nstuck < SOCKJOB_STUCK was checked above */
	j->left = true;
	nstuck++;
	n = stuck_of(j->account, true);
	if (n)
		(*n)++;
	pthread_mutex_unlock(&mu);
	return -ETIMEDOUT;
}

int sockjob_call(struct sockjob *j)
{
	int rc = sockjob_run(j);

	if (rc == -ETIMEDOUT)
		return -EBUSY; /* the job is its thread's */
	if (rc < 0) {
		j->release(j);
		return rc == -EAGAIN ? -EBUSY : rc;
	}
	return 0;
}

bool sockjob_left(struct sockjob *j)
{
	bool left;

	pthread_mutex_lock(&mu);
	left = j->left;
	pthread_mutex_unlock(&mu);
	return left;
}

unsigned sockjob_stuck(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = nstuck;
	pthread_mutex_unlock(&mu);
	return n;
}

void sockjob_retire(void)
{
	pthread_mutex_lock(&mu);
	gen++;
	while (idle) {
		struct worker *w = idle;

		idle = w->next;
		nidle--;
		w->retire = true;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&mu);
}
