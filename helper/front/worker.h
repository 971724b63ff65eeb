/*
 * Worker threads for what may block on a target (reading its memory): the
 * event loop posts a job, a worker runs it, the loop is told through a
 * descriptor it watches and collects the job.
 *
 * A job that never finishes (a page of the target's that a stalled file
 * system backs) costs its worker, never the loop: the pool starts another
 * worker while it has fewer than its maximum; past it, jobs wait in a
 * bounded queue for the first worker free, and workers_post refuses a job
 * when that is full too (the caller then answers without reading: for a
 * seccomp notification, CONTINUE).  The loop gives up on a
 * job with a deadline of its own (job->abandoned): the job is still
 * collected when it ends, and only then freed by its owner.
 *
 * Jobs run with nothing of the broker locked; a job's run() may use only
 * the job's own memory.  Error convention: 0 or -1 with errno.
 */
#ifndef FDB_FRONT_WORKER_H
#define FDB_FRONT_WORKER_H

#include <stdbool.h>

struct worker_job {
	void (*run)(struct worker_job *j); /* on a worker thread */
	bool abandoned;                    /* the loop's: it no longer waits for this job */
	/*
	 * run()'s: the job needs nothing more of the loop than to be freed.
	 * Such a job does not make workers_fd readable: it is collected with
	 * the next workers_collect, which the owner calls often enough (at
	 * its next event, and by its deadlines).
	 */
	bool quiet;
	struct worker_job *next;           /* worker.c's */
};

struct workers;

/* A pool of at most max threads (started as needed); NULL with errno. */
struct workers *workers_new(unsigned max);
/* Readable (an eventfd) while finished jobs that are not quiet wait to be collected. */
int workers_fd(const struct workers *w);
/* Have a worker run j, now or after those waiting; -1 with EAGAIN when the wait is full. */
int workers_post(struct workers *w, struct worker_job *j);
/*
 * j, run by a thread of the caller's own (a reader, front/reader.h), is
 * finished: collected as the pool's jobs are, counted in workers_pending
 * until then.  From any thread; -1 once workers_free has run (j is the
 * caller's again).
 */
int workers_done(struct workers *w, struct worker_job *j);
/*
 * Keep the pool's memory for a thread of the caller's that may call
 * workers_done after workers_free; it lets go with workers_release.
 */
void workers_hold(struct workers *w);
void workers_release(struct workers *w);
/*
 * Wake the idle workers (after caps_limit_all, sys/caps.h): each gives up
 * what the reload gave up and waits again.  A busy one does before its
 * next job.
 */
void workers_wake(struct workers *w);
/* A finished job (oldest first), or NULL; clears workers_fd's readiness when none is left. */
struct worker_job *workers_collect(struct workers *w);
/* Jobs posted and not yet collected. */
unsigned workers_pending(struct workers *w);
/*
 * Stop the pool: idle workers exit and are joined; a worker still in a job
 * is detached, and frees its share when the job ends (its job is then
 * never collected: its owner must not free a job still running, so
 * workers_free returns how many were left running, the jobs still waiting,
 * which never run, counted with them).
 */
unsigned workers_free(struct workers *w);

#endif
