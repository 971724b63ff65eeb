/*
 * The seccomp front end's event sources: a listener per supervised tree,
 * and the worker pool's completion descriptor.  A readable listener gives
 * notifications (SECCOMP_IOCTL_NOTIF_RECV); each goes to a worker to have
 * its arguments read (front/notif.c notif_fetch), and comes back to the
 * loop to be decided (notif_decide).  The loop never waits for a target:
 * a notification whose job is not back by its deadline is answered
 * CONTINUE (the kernel runs the call as the program made it), and so is one
 * that finds every worker busy.
 *
 * A listener reports EPOLLHUP once no process uses its filter any more
 * (Linux 5.8): the tree is gone, and its source is closed as soon as none
 * of its notifications is still in a job.
 *
 * A listener comes from run's own child (seccomp_attach), or is handed over
 * by a client (seccomp_admit, seccomp_adopt): such a tree is counted
 * against its uid's limit, and serves nothing until its proof, the marker
 * call of the process that handed it over, has arrived on it.
 */
#include "front/seccomp.h"
#include "front/notif.h"
#include "front/reader.h"
#include "front/write_queue.h"
#include "audit/audit.h"
#include "sys/proc.h"

#include "syscalls.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS /* Linux 6.6; Debian 12's headers are 6.1's */
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The RECV timer's signal: the readers' kick (its handler is installed here). */
#define SC_RECV_SIGNAL SC_KICK_SIGNAL
/* How often a set of readers asked to end is asked again (a kick can be lost) */
#define SC_KICK_MS 10
/*
 * Notifications readers may have taken and not yet released, of one tree
 * and of all: the loop's queue of them is bounded, whatever the number of
 * threads a program has; past either the call goes on to the kernel unread.
 */
#define SC_TREE_HELD 256
#define SC_HELD 4096
/* Finished jobs decided in one pass, before the loop looks at its other events */
#define SC_COLLECT_MAX 64
/* How long the broker's close waits for readers to end */
#define SC_SHUT_MS 200

/* Workers for the reads: enough for stalls of a few trees, each one's stack mostly idle. */
#define SC_WORKERS 16
/*
 * Stalled reads one tree may cost the pool: past them its calls go on to
 * the kernel unread, and the workers stay for the others.
 */
#define SC_TREE_STUCK 4

/*
 * SECCOMP_IOCTL_NOTIF_RECV ignores O_NONBLOCK: with nothing pending it
 * waits.  Readiness does not promise a notification: a process that kept a
 * copy of a listener it handed over can take the notification first.  So
 * each RECV on a handed-over listener runs under a one-shot timer aimed at
 * the loop thread (SIGEV_THREAD_ID), whose signal, with a handler that does
 * nothing and no SA_RESTART, ends the wait with EINTR: the loop is held
 * SC_RECV_MS at most, and the tree (shared with someone) is disowned.
 * run's own listener needs no timer: its child closed the only other copy.
 */
#define SC_RECV_MS 10

struct sc_front {
	struct evsrc src; /* first: the pool's completion descriptor */
	struct workers *pool;
	timer_t recv_timer; /* SC_RECV_MS around each RECV, at the loop thread */
	struct notif *waiting; /* in a job, newest first: for their deadlines */
	struct write_queue writes; /* results being written into targets, or waiting to be */
	long busy_note;        /* when "every worker busy" was last logged */
	/* of b->policy as of policy_gen (rebuilt after a reload), or NULL; readers take it under pf_lock */
	pthread_mutex_t pf_lock;
	struct prefilter *prefilter;
	const struct policy *pf_policy;
	unsigned pf_gen;
	bool pf_learning;
	unsigned held;           /* atomic: notifications readers took and not yet released */
	struct sc_tree *reading; /* the trees with readers (running, or not yet joined) */
	unsigned nsets;          /* how many */
};

struct sc_tree {
	struct evsrc src; /* first */
	struct broker *b;
	int fd;
	unsigned jobs;    /* its notifications still in a job */
	unsigned stuck;   /* of those, the ones the loop gave up on (their reads stall) */
	bool gone;        /* EPOLLHUP seen: closed when jobs is 0 */
	bool watched;     /* in the loop */
	struct notif_memo memo;
	struct sc_front *front;
	/* its readers (front/reader.h), or NULL: the loop receives */
	struct reader_set *readers;
	struct sc_tree *rprev, *rnext; /* in front->reading while it has them */
	unsigned held;                 /* atomic: its notifications readers took, not yet released */
	uid_t account;                 /* whose its targets' descriptors are (sys/closer.h) */
	struct rest rest;              /* the loop receives nothing while its closes are stuck */
	long watch_at;                 /* when readers_watch is next due */
	/* handed over by a client (else NULL, -1, 0) */
	struct share *share; /* counted in share->trees */
	struct ucred owner;  /* the client that handed it over */
	char prog[17];
	int owner_task;      /* until proven: O_PATH of /proc/PID/task of the owner's process */
	long proof_by;       /* until proven: the CLOCK_MONOTONIC ms its marker is due by */
};

/* The architecture the filter lets through to us (common/filter.c). */
static const struct sc_arch *f_arch(void)
{
	return sc_native();
}

static struct sc_front *front_of(struct broker *b)
{
	return b->seccomp;
}

static void tree_close(struct broker *b, struct sc_tree *t)
{
	if (t->watched)
		loop_remove(b, t->fd, &t->src);
	rest_cancel(b, &t->rest);
	close(t->fd);
	if (t->owner_task >= 0)
		close(t->owner_task);
	if (t->share) {
		t->share->trees--;
		b->shares.trees--;
		share_release(&b->shares, t->share, broker_now_ms());
	}
	free(t);
}

static void waiting_unlink(struct sc_front *f, struct notif *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else if (f->waiting == n)
		f->waiting = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->prev = n->next = NULL;
}

/* A tree that is gone is closed once nothing of it is in a job and its readers have ended. */
static void tree_done_check(struct broker *b, struct sc_tree *t)
{
	if (t->gone && t->jobs == 0 && !t->readers)
		tree_close(b, t);
}

/* A notification is done with: freed, and its tree closed if that was the last. */
static void notif_free(struct broker *b, struct notif *n)
{
	struct sc_tree *t = n->tree;

	if (n->stalled)
		t->stuck--;
	notif_release(n);
	free(n);
	t->jobs--;
	tree_done_check(b, t);
}

/*
 * Is a note that calls go unserved due?  Such notes (every worker busy, a
 * tree's reads stalled, a user's writes waiting) share one clock: at most
 * one a second.
 */
static bool unserved_note_due(struct sc_front *f)
{
	long now = broker_now_ms();

	if (now - f->busy_note < 1000)
		return false;
	f->busy_note = now;
	return true;
}

static bool post(struct broker *b, struct notif *n, void (*run)(struct worker_job *))
{
	struct sc_front *f = front_of(b);
	long now = broker_now_ms();

	n->job.run = run;
	n->job.abandoned = false;
	n->job.quiet = false;
	if (workers_post(f->pool, &n->job) < 0) {
		if (unserved_note_due(f))
			audit_note(b->audit, "seccomp: every worker is busy (%d): calls go on to "
					     "the kernel unserved", SC_WORKERS);
		return false;
	}
	/*
	 * A read has a deadline; a write has none: the call has its answer
	 * from the write job alone, and an answer of the loop's meanwhile
	 * would let the program go on while its memory is still to be
	 * written (only the program itself waits for a write that stalls).
	 */
	if (run == notif_write)
		return true;
	n->deadline = now + SC_DEADLINE_MS;
	n->next = f->waiting;
	if (n->next)
		n->next->prev = n;
	f->waiting = n;
	broker_tick_by(b, n->deadline);
	return true;
}

/*
 * No more notifications from t: unwatched now (epoll would report a hung
 * up listener for ever), closed once none of its notifications is in a job
 * (then the kernel answers its calls ENOSYS, if any process is left).
 */
static void tree_drop(struct broker *b, struct sc_tree *t)
{
	t->gone = true;
	rest_cancel(b, &t->rest);
	if (t->readers) {
		/* asked again by tree_expire until they have ended */
		readers_stop(t->readers);
		broker_tick_by(b, broker_now_ms() + SC_KICK_MS);
	}
	if (t->jobs == 0 && !t->readers) {
		tree_close(b, t);
	} else if (t->watched) {
		loop_remove(b, t->fd, &t->src);
		t->watched = false;
	}
}

/* Said at most once a second: a tree's calls go unread. */
static void stuck_note(struct broker *b, struct sc_tree *t)
{
	(void)t;
	if (!unserved_note_due(front_of(b)))
		return;
	audit_note(b->audit, "seccomp: %d reads of one tree's memory stall: its calls go on to "
			     "the kernel unserved", SC_TREE_STUCK);
}

static void recv_interrupted(int sig)
{
	(void)sig;
}

/* The RECV timer of the calling (loop) thread: 0, or -1 with errno. */
static int recv_timer_new(timer_t *t)
{
	struct sigaction sa = { .sa_handler = recv_interrupted }; /* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID,
				.sigev_signo = SC_RECV_SIGNAL };
	sigset_t one;

	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	sigemptyset(&one);
	sigaddset(&one, SC_RECV_SIGNAL);
	if (sigaction(SC_RECV_SIGNAL, &sa, NULL) < 0 ||
	    pthread_sigmask(SIG_UNBLOCK, &one, NULL) != 0)
		return -1;
	return timer_create(CLOCK_MONOTONIC, &sev, t);
}

static void recv_timer_arm(struct sc_front *f, long ms)
{
	struct itimerspec it = { .it_value = { .tv_sec = ms / 1000,
					       .tv_nsec = (ms % 1000) * 1000000L } };

	timer_settime(f->recv_timer, 0, &it, NULL);
}

/* The refusal of a handed-over tree, in the log before anything is answered. */
static void disowned(struct broker *b, struct sc_tree *t, const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "seccomp listener refused: %s", why);
	broker_refusal(b, t->share, &t->owner, t->prog, what);
	audit_flush(b->audit);
}

/* A handed-over tree that cannot be the client's: logged, and closed. */
static void disown(struct broker *b, struct sc_tree *t, const char *why)
{
	disowned(b, t, why);
	tree_drop(b, t);
}

/* Is n the marker call (wire.h), by its number and arguments alone? */
static bool is_marker(const struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;

	return n->data.arch == f_arch()->audit_arch &&
	       sc_call_of(f_arch(), (int)n->data.nr) == SC_FACCESSAT2 &&
	       (int)a[0] == FDB_MARKER_FD && a[1] == 0 && (uint32_t)a[2] == FDB_MARKER_MODE &&
	       (uint32_t)a[3] == FDB_MARKER_FLAGS;
}

static void tree_read(struct broker *b, struct sc_tree *t);

/*
 * The first notification of a handed-over tree: the marker, from a thread
 * of the owner's thread group, proves the listener the owner's.  The
 * thread's tid is looked up in the owner's /proc/PID/task (opened while the
 * owner was alive, so it cannot be a later process of the same pid), then
 * the notification validated: the thread was still stopped in this call,
 * so the tid found was the notifying thread's.  Reads nothing of the
 * target's: nothing here can wait.
 */
static void prove(struct broker *b, struct sc_tree *t, struct seccomp_notif *n)
{
	char tid[16], why[96];
	bool ours;

	snprintf(tid, sizeof(tid), "%d", (int)n->pid);
	ours = n->pid > 0 && faccessat(t->owner_task, tid, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	       target_valid(t->fd, n->id);
	if (!ours || !is_marker(n)) {
		if (ours)
			snprintf(why, sizeof(why), "its first call (pid=%d) was not the marker",
				 (int)n->pid);
		else
			snprintf(why, sizeof(why), "its first call came from pid=%d, not from the "
				 "process that handed it over", (int)n->pid);
		disowned(b, t, why);
		notif_send(t->fd, n->id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
		tree_drop(b, t);
		return;
	}
	/* the line before the answer, as for every decision */
	audit_info(b->audit, "pid=%d uid=%u prog=%s: supervised under the seccomp filter "
		   "(trees of uid %u: %u)", (int)t->owner.pid, (unsigned)t->owner.uid, t->prog,
		   (unsigned)t->share->uid, t->share->trees);
	audit_flush(b->audit);
	if (notif_send(t->fd, n->id, FDB_MARKER_OK, 0, 0) < 0) {
		disown(b, t, "its marker call was gone before its answer");
		return;
	}
	close(t->owner_task);
	t->owner_task = -1;
	tree_read(b, t);
}

static void pool_ready(struct broker *b, struct evsrc *src, uint32_t events);

/* Finished jobs, the quiet ones among them (which do not wake the loop), collected. */
static void reap(struct broker *b)
{
	pool_ready(b, &front_of(b)->src, 0);
}

/*
 * The prefilter of the policy in force, held for one more user; NULL
 * (every call then takes the full way) if it cannot be built.
 */
static struct prefilter *prefilter_now(struct broker *b)
{
	struct sc_front *f = front_of(b);

	if (!f->prefilter || f->pf_policy != b->policy || f->pf_gen != b->policy_gen ||
	    f->pf_learning != (b->learn != NULL)) {
		struct prefilter *old, *fresh = prefilter_new(b->policy, b->learn != NULL);

		pthread_mutex_lock(&f->pf_lock);
		old = f->prefilter;
		f->prefilter = fresh;
		pthread_mutex_unlock(&f->pf_lock);
		prefilter_drop(old);
		f->pf_policy = b->policy;
		f->pf_gen = b->policy_gen;
		f->pf_learning = b->learn != NULL;
	}
	return f->prefilter ? prefilter_hold(f->prefilter) : NULL;
}

void seccomp_reloaded(struct broker *b)
{
	struct sc_front *f = front_of(b);

	if (!f)
		return;
	prefilter_drop(prefilter_now(b));
	/*
	 * every thread has its own capabilities: idle workers give up what
	 * caps_limit_all gave up now, readers before their next notification
	 */
	workers_wake(f->pool);
}

/* Is n's call one by name (the prefilter's)? */
static bool by_name(const struct notif *n)
{
	return n->call != SC_NONE && n->call != SC_SOCKET && n->call != SC_BIND;
}

/* One more on counter c, at most max: false if that is full. */
static bool hold(unsigned *c, unsigned max)
{
	if (__atomic_add_fetch(c, 1, __ATOMIC_RELAXED) <= max)
		return true;
	__atomic_sub_fetch(c, 1, __ATOMIC_RELAXED);
	return false;
}

/*
 * A reader's notification, on the reader's thread (reader.h): what the
 * tree knows of it.  Only what never changes while the tree has readers
 * is read here, and the prefilter under its lock.
 */
static bool reader_prepare(void *ctx, struct notif *n)
{
	struct sc_tree *t = ctx;
	struct sc_front *f = t->front;

	n->tree = t;
	n->account = t->account;
	n->listener = t->fd;
	n->memo = &t->memo;
	n->from_reader = true;
	n->call = n->n.data.arch == f_arch()->audit_arch ? sc_call_of(f_arch(), (int)n->n.data.nr)
							  : SC_NONE;
	/* past either bound the call is the kernel's, unread, as with every worker busy */
	if (n->call != SC_NONE && hold(&t->held, SC_TREE_HELD))
		n->held[0] = &t->held;
	if (n->held[0] && hold(&f->held, SC_HELD))
		n->held[1] = &f->held;
	if (!n->held[1]) {
		notif_send(t->fd, n->n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
		return false; /* notif_release gives back what was held */
	}
	if (by_name(n)) {
		pthread_mutex_lock(&f->pf_lock);
		n->prefilter = f->prefilter ? prefilter_hold(f->prefilter) : NULL;
		pthread_mutex_unlock(&f->pf_lock);
	}
	return true;
}

/*
 * From now on t's notifications are its readers': the loop only watches
 * for its end (EPOLLHUP, which epoll reports whatever the events asked).
 * If no reader can be started, the loop goes on receiving them itself.
 */
static void tree_read(struct broker *b, struct sc_tree *t)
{
	struct reader_cfg cfg = { .listener = t->fd, .account = t->account, .pool = t->front->pool,
				  .prepare = reader_prepare, .ctx = t };

	prefilter_drop(prefilter_now(b)); /* built before the first reader needs it */
	t->readers = readers_start(&cfg);
	if (!t->readers) {
		audit_note(b->audit, "seccomp: no reader thread (%s): the loop receives the "
				     "tree's calls", strerror(errno));
		return;
	}
	t->rnext = t->front->reading;
	if (t->rnext)
		t->rnext->rprev = t;
	t->front->reading = t;
	t->front->nsets++;
	t->watch_at = broker_now_ms() + READERS_WATCH_MS;
	broker_tick_by(b, t->watch_at);
	if (loop_modify(b, t->fd, &t->src, 0) < 0) {
		/* still EPOLLIN: the loop would RECV beside the readers, so the tree is given up */
		audit_note(b->audit, "seccomp: cannot hand a listener to its readers (%s): its "
				     "tree is no longer served", strerror(errno));
		tree_drop(b, t);
	}
}

/* One notification off the listener. */
static void receive(struct broker *b, struct sc_tree *t)
{
	struct notif *n;
	int rc, e;

	reap(b);
	n = calloc(1, sizeof(*n));
	if (!n) {
		audit_note(b->audit, "seccomp: out of memory: a notification waits");
		return;
	}
	/* only a handed-over listener can have another reader: run's child closed its copy */
	if (t->share)
		recv_timer_arm(front_of(b), SC_RECV_MS);
	rc = ioctl(t->fd, SECCOMP_IOCTL_NOTIF_RECV, &n->n);
	e = errno;
	if (t->share)
		recv_timer_arm(front_of(b), 0);
	if (rc < 0) {
		free(n);
		/* the timer's: another holder of the listener took the notification */
		if (e == EINTR && t->share) {
			disown(b, t, "another process holds the listener too and took a call "
				     "from it");
			return;
		}
		/* ENOENT: the caller was interrupted before we got to it */
		if (e != ENOENT && e != EINTR) {
			audit_note(b->audit, "seccomp: cannot receive from a listener (%s): its "
					     "tree is no longer served", strerror(e));
			tree_drop(b, t);
		}
		return;
	}
	if (t->owner_task >= 0) {
		prove(b, t, &n->n);
		free(n);
		return;
	}
	notif_init(n);
	n->tree = t;
	n->account = t->account;
	n->listener = t->fd;
	n->memo = &t->memo;
	t->jobs++;
	n->call = n->n.data.arch == f_arch()->audit_arch ? sc_call_of(f_arch(), (int)n->n.data.nr)
							  : SC_NONE;
	if (t->stuck >= SC_TREE_STUCK)
		stuck_note(b, t);
	if (by_name(n))
		n->prefilter = prefilter_now(b);
	if (n->call == SC_NONE || t->stuck >= SC_TREE_STUCK || !post(b, n, notif_fetch)) {
		notif_continue(n);
		notif_free(b, n);
	}
}

/* Its account has eased (core/rest.h): the loop receives its calls again. */
static void tree_resume(struct broker *b, struct rest *r)
{
	struct sc_tree *t = (struct sc_tree *)((char *)r - offsetof(struct sc_tree, rest));

	loop_modify(b, t->fd, &t->src, EPOLLIN);
}

static void tree_ready(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct sc_tree *t = (struct sc_tree *)src;

	/* a tree that ends waits for its jobs: the quiet ones are done already */
	if (events & (EPOLLHUP | EPOLLERR))
		reap(b);
	/*
	 * Its calls wait in the kernel while its account's closes are stuck
	 * (core/rest.h); not the marker of a tree handed over, which takes
	 * nothing of the target's (prove), or the tree would be disowned late.
	 */
	if ((events & EPOLLIN) && t->owner_task < 0 &&
	    rest_if_busy(b, &t->rest, t->account, tree_resume)) {
		loop_modify(b, t->fd, &t->src, EPOLLET);
		return;
	}
	/* one: a second RECV with none pending would wait (the listener has no O_NONBLOCK) */
	if (events & EPOLLIN)
		receive(b, t);
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN) && !t->gone)
		tree_drop(b, t);
}

static void tree_shut(struct broker *b, struct evsrc *src)
{
	tree_drop(b, (struct sc_tree *)src);
}

/* A handed-over tree whose marker is late: refused. */
static long tree_expire(struct broker *b, struct evsrc *src, long now)
{
	struct sc_tree *t = (struct sc_tree *)src;

	if (t->owner_task < 0 || t->gone)
		return 0;
	if (now < t->proof_by)
		return t->proof_by;
	disown(b, t, "no marker call came in time");
	return 0;
}

static const struct evsrc_ops tree_ops = {
	.ready = tree_ready, .expire = tree_expire, .close = tree_shut,
};

/* Does the listener report that its tree is gone (EPOLLHUP, Linux 5.8)? */
static bool hung_up(int listener)
{
	struct pollfd p = { .fd = listener, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

/* A write that cannot be posted: the kernel answers the call, unserved. */
static void write_unposted(struct broker *b, struct notif *n)
{
	wq_done(&front_of(b)->writes, n);
	notif_continue(n);
	notif_free(b, n);
}

/*
 * n's result, to be written into its target: by a worker, which answers,
 * or after the writes its tree's owner has with the pool
 * (front/write_queue.h).
 */
static void write_result(struct broker *b, struct notif *n)
{
	struct sc_front *f = front_of(b);

	n->writing = true;
	switch (wq_add(&f->writes, n, n->tree->owner.uid)) {
	case WQ_WAIT:
		return;
	case WQ_POST:
		if (post(b, n, notif_write))
			return;
		break;
	case WQ_REFUSE:
		if (unserved_note_due(f))
			audit_note(b->audit, "seccomp: %d results for one user's programs (uid %u) "
					     "wait to be written: the kernel answers its further "
					     "such calls, unserved",
				   WQ_OWNER_WAITING, (unsigned)n->tree->owner.uid);
		break;
	}
	write_unposted(b, n);
}

/* n's write has ended: n is freed, and the writes waiting for its place go to the pool. */
static void write_ended(struct broker *b, struct notif *n)
{
	struct sc_front *f = front_of(b);
	struct notif *next;

	wq_done(&f->writes, n);
	notif_free(b, n);
	while ((next = wq_next(&f->writes)))
		if (!post(b, next, notif_write))
			write_unposted(b, next);
}

/* Finished jobs: decided, or freed if the loop had given up on them. */
static void pool_ready(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct sc_front *f = (struct sc_front *)src;
	struct worker_job *j;

	(void)events;
	/* bounded: what is left keeps the descriptor readable, for the next pass */
	for (unsigned k = 0; k < SC_COLLECT_MAX && (j = workers_collect(f->pool)); k++) {
		struct notif *n = (struct notif *)j;
		struct reader_set *rs = readers_ended(j);

		if (rs) {
			struct sc_tree *t = readers_ctx(rs);

			readers_free(rs);
			t->readers = NULL;
			if (t->rprev)
				t->rprev->rnext = t->rnext;
			else
				f->reading = t->rnext;
			if (t->rnext)
				t->rnext->rprev = t->rprev;
			f->nsets--;
			if (t->gone) {
				tree_done_check(b, t);
				continue;
			}
			/*
			 * Ended unasked.  The tree's end, which the readers saw first
			 * (Linux 6.6): its EPOLLHUP is on its way to the loop.  Else
			 * its listener failed a RECV, or there was no memory: the loop
			 * receives the tree's calls from now on.  Never closed here:
			 * the tree may have an event in this batch.
			 */
			if (hung_up(t->fd))
				continue;
			audit_note(b->audit, "seccomp: a tree's readers ended: the loop receives its "
					     "calls");
			if (loop_modify(b, t->fd, &t->src, EPOLLIN) < 0)
				audit_note(b->audit, "seccomp: cannot watch a listener (%s): its tree "
						     "waits for its end", strerror(errno));
			continue;
		}
		if (n->from_reader) {
			n->from_reader = false;
			n->tree->jobs++;
		}
		if (!j->abandoned)
			waiting_unlink(f, n);
		/* a write job answered for itself; a fetched one is decided */
		if (n->writing) {
			write_ended(b, n);
			continue;
		}
		if (j->abandoned || n->answered || !notif_decide(b, n)) {
			notif_free(b, n);
			continue;
		}
		/* a result to write into the target: a worker's job too */
		write_result(b, n);
	}
}

/* Past its deadline a notification is the kernel's again. */
static long pool_expire(struct broker *b, struct evsrc *src, long now)
{
	struct sc_front *f = (struct sc_front *)src;
	long next = 0;

	reap(b); /* a quiet job finished in time: not to be taken for a stall */
	/*
	 * Readers (here, not in tree_expire: a tree that is gone is out of the
	 * loop): asked to end again, since a kick may land just before a RECV,
	 * or watched for a stall.
	 */
	for (struct sc_tree *t = f->reading; t; t = t->rnext) {
		long at = 0;

		if (t->gone) {
			at = readers_stop(t->readers) ? now + SC_KICK_MS : 0;
		} else {
			if (now >= t->watch_at) {
				readers_watch(t->readers);
				t->watch_at = now + READERS_WATCH_MS;
			}
			at = t->watch_at;
		}
		if (at && (!next || at < next))
			next = at;
	}
	for (struct notif *n = f->waiting, *nx; n; n = nx) {
		nx = n->next;
		if (n->deadline <= now) {
			waiting_unlink(f, n);
			if (!n->answered)
				notif_continue(n);
			/* the worker reads it: a job still waiting for one is then skipped */
			__atomic_store_n(&n->job.abandoned, true, __ATOMIC_RELEASE);
			n->stalled = true;
			n->tree->stuck++;
		} else if (!next || n->deadline < next) {
			next = n->deadline;
		}
	}
	return next;
}

static void pool_shut(struct broker *b, struct evsrc *src)
{
	struct sc_front *f = (struct sc_front *)src;
	unsigned left;

	loop_remove(b, workers_fd(f->pool), &f->src);
	/* a result still waiting to be written is the kernel's to answer too */
	for (struct notif *n; (n = wq_drain(&f->writes));)
		write_unposted(b, n);
	/* a call still being read goes on to the kernel: none is left to ENOSYS */
	for (struct notif *n = f->waiting; n; n = n->next) {
		if (!n->answered)
			notif_continue(n);
		__atomic_store_n(&n->job.abandoned, true, __ATOMIC_RELEASE);
	}
	/* readers end first: asked, and asked again (a kick can be lost), SC_SHUT_MS at most */
	for (long until = broker_now_ms() + SC_SHUT_MS;;) {
		for (struct sc_tree *t = f->reading, *nx; t; t = nx) {
			nx = t->rnext;
			if (t->gone)
				readers_stop(t->readers);
			else
				tree_drop(b, t);
		}
		pool_ready(b, src, 0); /* what has finished is freed, ended readers joined */
		if (!f->nsets || broker_now_ms() >= until)
			break;
		poll(NULL, 0, 1);
	}
	/* what is still in a job stays allocated: its worker may still write it */
	left = workers_free(f->pool);
	if (left)
		audit_note(b->audit, "seccomp: %u call%s still being read at exit", left,
			   left == 1 ? "" : "s");
	b->seccomp = NULL;
	timer_delete(f->recv_timer);
	/* a reader stuck in a read still takes the prefilter under f's lock: f stays */
	if (f->nsets) {
		audit_note(b->audit, "seccomp: %u tree%s still being read at exit", f->nsets,
			   f->nsets == 1 ? "" : "s");
		return;
	}
	prefilter_drop(f->prefilter);
	pthread_mutex_destroy(&f->pf_lock);
	free(f);
}

static const struct evsrc_ops pool_ops = {
	.ready = pool_ready, .expire = pool_expire, .close = pool_shut,
};

static struct sc_front *front_start(struct broker *b)
{
	struct sc_front *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->src.ops = &pool_ops;
	pthread_mutex_init(&f->pf_lock, NULL);
	if (recv_timer_new(&f->recv_timer) < 0) {
		int e = errno;

		free(f);
		errno = e;
		return NULL;
	}
	f->pool = workers_new(SC_WORKERS);
	if (!f->pool || loop_add(b, workers_fd(f->pool), &f->src, EPOLLIN) < 0) {
		int e = errno;

		if (f->pool)
			workers_free(f->pool);
		timer_delete(f->recv_timer);
		free(f);
		errno = e;
		return NULL;
	}
	b->seccomp = f;
	return f;
}

/* A tree for listener (its targets' descriptors closed for account), watched; NULL with errno. */
static struct sc_tree *tree_new(struct broker *b, int listener, uid_t account)
{
	struct sc_front *f = front_of(b) ? front_of(b) : front_start(b);
	struct sc_tree *t = f ? calloc(1, sizeof(*t)) : NULL;

	if (!t) {
		int e = errno;

		close(listener);
		errno = e;
		return NULL;
	}
	t->src.ops = &tree_ops;
	t->b = b;
	t->front = f;
	t->fd = listener;
	t->account = account;
	t->owner_task = -1;
	/*
	 * The program and whoever answers it take turns: told so, the kernel
	 * wakes each on the CPU the other is leaving (Linux 6.6; before it,
	 * EINVAL, and each wake-up goes wherever the scheduler puts it).
	 */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	if (loop_add(b, listener, &t->src, EPOLLIN) < 0) {
		int e = errno;

		close(listener);
		free(t);
		errno = e;
		return NULL;
	}
	t->watched = true;
	return t;
}

int seccomp_attach(struct broker *b, int listener, uid_t account)
{
	struct sc_tree *t = tree_new(b, listener, account);

	if (!t)
		return -1;
	tree_read(b, t);
	return 0;
}

int seccomp_admit(struct broker *b, struct client *c)
{
	char what[96];
	int pidfd;

	if (!b->supervise)
		return EPERM;
	if (c->admitted)
		return 0;
	/* no proof without it: refused now, while the program may still run unfiltered */
	pidfd = proc_peer_pidfd(c->fd);
	if (pidfd < 0)
		return pidfd == -ENOPROTOOPT ? EOPNOTSUPP : -pidfd;
	close(pidfd);
	if (b->shares.trees >= b->limits.trees)
		snprintf(what, sizeof(what), "%u supervised trees in all (--max-trees)",
			 b->shares.trees);
	else if (c->share->trees >= b->limits.trees_per_user)
		snprintf(what, sizeof(what), "%u supervised trees of uid %u (--max-trees-per-user)",
			 c->share->trees, (unsigned)c->share->uid);
	else
		what[0] = '\0';
	if (what[0]) {
		broker_refusal(b, c->share, &c->cred, c->prog, what);
		return EAGAIN;
	}
	c->admitted = true;
	c->share->trees++;
	b->shares.trees++;
	return 0;
}

/* Is fd a seccomp listener?  By its name alone: nothing is asked of the file itself. */
static bool is_listener(int fd)
{
	static const char want[] = "anon_inode:seccomp notify";
	char link[64], name[sizeof(want) + 1];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, name, sizeof(name));
	return n == (ssize_t)sizeof(want) - 1 && memcmp(name, want, sizeof(want) - 1) == 0;
}

/*
 * /proc/PID/task of the process that connected c, as O_PATH, or -errno:
 * opened while that very process is alive (its pidfd, SO_PEERPIDFD, says
 * it has not exited after the open), so lookups in it never find a later
 * process's threads.
 */
static int owner_task(const struct client *c)
{
	int pidfd = proc_peer_pidfd(c->fd), dir;
	char path[40];
	struct pollfd p;

	if (pidfd < 0)
		return pidfd == -ENOPROTOOPT ? -EOPNOTSUPP : pidfd;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)c->cred.pid);
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (dir >= 0 && poll(&p, 1, 0) != 0) {
		close(dir);
		dir = -ESRCH;
	} else if (dir < 0) {
		dir = -errno;
	}
	close(pidfd);
	return dir;
}

int seccomp_adopt(struct broker *b, struct client *c, int listener)
{
	struct sc_tree *t;
	int task, fd;

	if (!c->admitted)
		return EPERM;
	if (!is_listener(listener))
		return EBADF;
	task = owner_task(c);
	if (task < 0)
		return -task;
	fd = fcntl(listener, F_DUPFD_CLOEXEC, 0);
	t = fd >= 0 ? tree_new(b, fd, client_account(c)) : NULL;
	if (!t) {
		int e = errno;

		close(task);
		return e;
	}
	/* the count moves from the connection to the tree */
	c->admitted = false;
	t->share = c->share;
	t->owner = c->cred;
	memcpy(t->prog, c->prog, sizeof(t->prog));
	t->owner_task = task;
	t->proof_by = broker_now_ms() + SC_PROOF_MS;
	broker_tick_by(b, t->proof_by);
	return 0;
}
