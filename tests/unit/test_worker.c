/*
 * The worker pool (helper/front/worker.c): jobs run once and are collected
 * once, oldest first; the descriptor is readable exactly while one waits;
 * stuck workers make the pool refuse, not wait; workers_free leaves a busy
 * worker running and it ends cleanly on its own.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "front/worker.h"

TestSuite(worker, .timeout = 20);

struct job {
	struct worker_job w; /* first: the pool hands this back */
	int release;         /* a pipe to wait on first, or -1 */
	int runs;
	pid_t tid;
	bool all_blocked;    /* every signal a program can block was blocked */
	int finished;        /* a pipe to say the run is over, or -1 */
};

static bool signals_blocked(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
				    SIGPIPE, SIGALRM, SIGURG };
	sigset_t now;

	pthread_sigmask(SIG_SETMASK, NULL, &now);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigismember(&now, sigs[i]))
			return false;
	return true;
}

static void run(struct worker_job *w)
{
	struct job *j = (struct job *)w;
	char x;

	if (j->release >= 0 && read(j->release, &x, 1) < 0)
		return;
	j->runs++;
	j->tid = (pid_t)syscall(SYS_gettid);
	j->all_blocked = signals_blocked();
	if (j->finished >= 0)
		(void)!write(j->finished, "", 1);
}

static void job_init(struct job *j, int release)
{
	memset(j, 0, sizeof(*j));
	j->w.run = run;
	j->release = release;
	j->finished = -1;
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/* The next finished job, waiting for one as long as it takes. */
static struct job *collect_wait(struct workers *w)
{
	struct worker_job *j;

	while (!(j = workers_collect(w)))
		cr_assert(readable(workers_fd(w), -1));
	return (struct job *)j;
}

#define NJOBS 2000
#define MAXW 4

Test(worker, many_jobs_each_run_and_collected_once)
{
	static struct job jobs[NJOBS];
	struct workers *w = workers_new(MAXW);
	pid_t tids[MAXW];
	size_t ntids = 0, posted = 0, collected = 0;

	cr_assert_not_null(w);
	cr_assert_eq(workers_pending(w), 0);
	cr_assert_null(workers_collect(w));
	cr_assert(!readable(workers_fd(w), 0));
	while (collected < NJOBS) {
		struct job *j;

		while (posted < NJOBS) {
			job_init(&jobs[posted], -1);
			if (workers_post(w, &jobs[posted].w) < 0) {
				cr_assert_eq(errno, EAGAIN);
				break;
			}
			posted++;
		}
		j = collect_wait(w);
		collected++;
		cr_assert_eq(j->runs, 1);
		cr_assert(j->all_blocked, "a worker left a signal unblocked");
		for (size_t i = 0; i < ntids && j->tid; i++)
			if (tids[i] == j->tid)
				j->tid = 0;
		if (j->tid) {
			cr_assert_lt(ntids, MAXW, "more threads than the pool may have");
			tids[ntids++] = j->tid;
		}
		cr_assert_eq(workers_pending(w), posted - collected);
	}
	for (size_t i = 0; i < NJOBS; i++)
		cr_assert_eq(jobs[i].runs, 1);
	cr_assert_null(workers_collect(w));
	cr_assert(!readable(workers_fd(w), 0), "nothing left, yet readable");
	cr_assert_eq(workers_free(w), 0);
}

/* As many jobs as wait for a worker at most (worker.c's WORKERS_QUEUE_MAX). */
#define QUEUE_MAX 4096

Test(worker, stuck_workers_queue_then_refuse_then_release)
{
	static struct job waiting[QUEUE_MAX], extra;
	struct job jobs[3];
	int pipes[3][2];
	struct workers *w = workers_new(3);
	struct job *first;

	cr_assert_not_null(w);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(pipe2(pipes[i], O_CLOEXEC), 0);
		job_init(&jobs[i], pipes[i][0]);
		cr_assert_eq(workers_post(w, &jobs[i].w), 0);
	}
	/* three workers stuck: what comes next waits, up to the queue's bound */
	for (int i = 0; i < QUEUE_MAX; i++) {
		job_init(&waiting[i], -1);
		cr_assert_eq(workers_post(w, &waiting[i].w), 0, "job %d waits", i);
	}
	job_init(&extra, -1);
	errno = 0;
	cr_assert_eq(workers_post(w, &extra.w), -1, "the queue is full");
	cr_assert_eq(errno, EAGAIN);
	cr_assert_eq(workers_pending(w), 3 + QUEUE_MAX);
	cr_assert(!readable(workers_fd(w), 0));
	cr_assert_null(workers_collect(w));
	for (int i = 0; i < QUEUE_MAX; i++)
		cr_assert_eq(waiting[i].runs, 0, "no waiting job ran while all workers were stuck");

	/* job 1 ends: its worker runs every waiting job, oldest first */
	cr_assert_eq(write(pipes[1][1], "", 1), 1);
	cr_assert_eq(collect_wait(w), &jobs[1]);
	for (int i = 0; i < QUEUE_MAX; i++)
		cr_assert_eq(collect_wait(w), &waiting[i]);
	cr_assert(!readable(workers_fd(w), 0));
	cr_assert_null(workers_collect(w));

	/* a worker is free again */
	cr_assert_eq(workers_post(w, &extra.w), 0);
	cr_assert_eq(collect_wait(w), &extra);

	/* 2 ends before 0: 2 comes out first */
	cr_assert_eq(write(pipes[2][1], "", 1), 1);
	cr_assert(readable(workers_fd(w), -1));
	cr_assert_eq(write(pipes[0][1], "", 1), 1);
	first = collect_wait(w);
	cr_assert_eq(first, &jobs[2]);
	cr_assert_eq(collect_wait(w), &jobs[0]);
	cr_assert_eq(workers_pending(w), 0);
	cr_assert(!readable(workers_fd(w), 0));
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(jobs[i].runs, 1);
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	cr_assert_eq(workers_free(w), 0, "every worker was idle");
}

Test(worker, free_before_any_thread)
{
	struct workers *w = workers_new(2);

	cr_assert_not_null(w);
	cr_assert_eq(workers_free(w), 0);
	errno = 0;
	cr_assert_null(workers_new(0));
	cr_assert_eq(errno, EINVAL);
}

/*
 * workers_free with one worker idle and one stuck: it returns at once, 1;
 * the stuck job, released, still runs to its end, and its thread exits
 * (a thread pidfd says so) without touching the freed pool.
 */
Test(worker, free_with_a_busy_worker)
{
	static struct job quick, stuck;
	struct workers *w = workers_new(2);
	int release[2], finished[2], pidfd;
	char x;

	cr_assert_not_null(w);
	cr_assert_eq(pipe2(release, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(finished, O_CLOEXEC), 0);
	job_init(&stuck, release[0]);
	stuck.finished = finished[1];
	cr_assert_eq(workers_post(w, &stuck.w), 0);
	job_init(&quick, -1);
	cr_assert_eq(workers_post(w, &quick.w), 0);
	cr_assert_eq(collect_wait(w), &quick);
	cr_assert_eq(workers_free(w), 1);

	cr_assert_eq(write(release[1], "", 1), 1);
	cr_assert_eq(read(finished[0], &x, 1), 1);
	cr_assert_eq(stuck.runs, 1);
	pidfd = (int)syscall(SYS_pidfd_open, stuck.tid, O_EXCL);
	if (pidfd < 0 && errno == EINVAL)
		cr_skip_test("no PIDFD_THREAD before Linux 6.9: the thread's end is not seen");
	/* gone already (ESRCH), or readable when it is */
	if (pidfd >= 0) {
		cr_assert(readable(pidfd, -1));
		close(pidfd);
	} else {
		cr_assert_eq(errno, ESRCH);
	}
	for (int i = 0; i < 2; i++) {
		close(release[i]);
		close(finished[i]);
	}
}

static void run_quiet(struct worker_job *w)
{
	run(w);
	w->quiet = true;
}

/*
 * A job its run() marks quiet wakes nobody: the descriptor stays as it
 * was, and the job is collected with the next workers_collect, in its turn.
 * A loud job after it makes the descriptor readable until it is collected.
 */
Test(worker, a_quiet_job_wakes_nobody_and_is_collected_in_turn)
{
	struct workers *w = workers_new(1);
	struct job quiet, loud;
	int fin[2];
	char x;

	cr_assert_not_null(w);
	cr_assert(pipe(fin) == 0);
	job_init(&quiet, -1);
	quiet.w.run = run_quiet;
	quiet.finished = fin[1];
	cr_assert(workers_post(w, &quiet.w) == 0);
	cr_assert(read(fin[0], &x, 1) == 1);
	/* finished; the worker pushes it under the pool's lock, which collect takes */
	while (workers_pending(w) && !readable(workers_fd(w), 0)) {
		struct worker_job *j = workers_collect(w);

		if (j) {
			cr_assert_eq(j, &quiet.w);
			break;
		}
		sched_yield();
	}
	cr_assert_eq(workers_pending(w), 0, "the quiet job was not collected");
	cr_assert(!readable(workers_fd(w), 0), "a quiet job made the descriptor readable");

	job_init(&quiet, -1);
	quiet.w.run = run_quiet;
	job_init(&loud, -1);
	cr_assert(workers_post(w, &quiet.w) == 0);
	cr_assert(workers_post(w, &loud.w) == 0); /* queued behind it: one worker */
	cr_assert(readable(workers_fd(w), -1));
	cr_assert_eq(workers_collect(w), &quiet.w, "oldest first");
	cr_assert(readable(workers_fd(w), 0), "the loud job still waits");
	cr_assert_eq(workers_collect(w), &loud.w);
	cr_assert(!readable(workers_fd(w), 0));
	cr_assert_null(workers_collect(w));
	close(fin[0]);
	close(fin[1]);
	cr_assert_eq(workers_free(w), 0);
}
