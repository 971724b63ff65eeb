/*
 * Calls on a program's socket, off the calling thread, with a deadline.
 *
 * A program shares its socket with the broker, and the kernel takes the
 * socket's lock for bind, getsockname and most setsockopt calls.  A thread
 * of the program can hold that lock as long as it likes: a setsockopt
 * whose value lies on a page that faults to a FUSE file system of its own
 * (in a user namespace) that never answers keeps it inside the kernel, the
 * lock held.  The broker's loop must not wait on that.  So such calls run
 * as a job on a sockjob thread; the caller waits at most SOCKJOB_MS and
 * then goes on without them, leaving the job to its thread, which
 * finishes it (and frees it) whenever the kernel lets it.  The calls
 * that wait for an inode's lock (a creation, an O_TRUNC, a unix bind:
 * grant/open_job.h) run the same way.  A uid with
 * SOCKJOB_STUCK_PER_UID jobs stuck (a subordinate uid counting as its
 * owner: subids_account) gets no thread until one comes back,
 * and there are never more than SOCKJOB_STUCK stuck in all: the broker
 * holds at most that many threads for its clients.
 *
 * Threads are created by the caller's thread (with its credentials and
 * every signal blocked) and kept for the next job while idle.
 *
 * sockjob_run returns 0 or a negative errno, as sys/ does.
 */
#ifndef FDB_SOCKJOB_H
#define FDB_SOCKJOB_H

#include <stdbool.h>
#include <sys/types.h>

#define SOCKJOB_MS 250
#define SOCKJOB_STUCK_PER_UID 4
#define SOCKJOB_STUCK 64

struct sockjob {
	/* on the sockjob thread; what it finds goes into the job around it */
	void (*fn)(struct sockjob *j);
	/* frees the job: called by the thread for a job left to it (-ETIMEDOUT) */
	void (*release)(struct sockjob *j);
	uid_t uid; /* whose socket: the stuck jobs are counted per uid */
	/*
	 * The thread ends after this job instead of waiting for the next: for
	 * a job that runs as the program (as_caller), whose user could, while
	 * the thread had its uid, have lowered its priority or pinned it.
	 */
	bool once;
	/* sockjob.c's */
	bool finished, left;
	uid_t account; /* uid, as the stuck jobs count it (sys/subids.h) */
};

/*
 * Run j->fn(j) on a sockjob thread and wait for it, SOCKJOB_MS at most.
 * 0: it ran, and j is the caller's again.  -ETIMEDOUT: it is still running
 * (blocked); j is the thread's, which calls j->release(j) once fn returns,
 * so the caller must not touch j.  -EAGAIN: j->uid has too many jobs
 * stuck, or all users together: fn was not run.  Other -errno: no thread
 * could be made; fn was not run.  In both these cases j is the caller's.
 */
int sockjob_run(struct sockjob *j);

/*
 * sockjob_run for a caller that takes both kinds of refusal alike: 0, it
 * ran and j is the caller's again; -EBUSY, j was left to its thread, or
 * was not run for the stuck counts (then released here); another -errno,
 * no thread could be made (released here).  After an error j is gone.
 */
int sockjob_call(struct sockjob *j);

/* Has the caller left j to its thread?  (fn may skip what no one waits for.) */
bool sockjob_left(struct sockjob *j);

/*
 * Let every thread made so far end: the idle ones now, the busy ones after
 * their job.  Threads keep the credentials they were made with, and a
 * reload that gives up capabilities changes only the caller's thread.
 */
void sockjob_retire(void);

/* How many jobs are stuck now (for the tests and the status line). */
unsigned sockjob_stuck(void);

#endif
