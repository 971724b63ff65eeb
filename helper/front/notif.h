/*
 * One seccomp notification while the broker serves it (front/seccomp.c
 * receives and answers it; front/notif.c reads, decides and delivers it).
 * Private to the seccomp front end.
 *
 * Its life: received on the loop; its arguments and the thread's
 * credentials read by a worker (notif_fetch, off the loop: the target's
 * memory may stall); decided on the loop (notif_decide); a result that must
 * be written into the target written by a worker too (notif_write).  A
 * notification that has been answered is freed when its job, if any, has
 * been collected.
 *
 * Error convention: negative errno.
 */
#ifndef FDB_FRONT_NOTIF_H
#define FDB_FRONT_NOTIF_H

#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <linux/stat.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/broker.h"
#include "syscalls.h"
#include "front/prefilter.h"
#include "front/target.h"
#include "front/worker.h"

struct sc_tree;

/*
 * A bind the broker made whose answer found the call gone (a signal
 * interrupted it): the same bind made again is answered 0, not the EINVAL
 * of a socket bound already.  One per tree (the last).
 */
struct notif_memo {
	pid_t tgid;
	int fd;
	socklen_t salen;
	struct sockaddr_storage sa;
};

struct notif {
	struct worker_job job; /* first: the worker's */
	struct sc_tree *tree;
	uid_t account;         /* the tree's (sys/closer.h): the target's descriptors are closed for it */
	int listener;          /* the tree's: answered on it */
	struct notif_memo *memo; /* the tree's */
	struct seccomp_notif n;
	enum sc_call call;
	long deadline;         /* CLOCK_MONOTONIC ms the loop waits for the job until */
	bool answered;         /* the loop answered it (or the call is gone) */
	bool writing;          /* in its notif_write job, which answers for itself */
	bool stalled;          /* the loop gave up waiting for its job (counted in the tree) */
	struct notif *prev, *next; /* the front end's list of notifications in a job */
	/* front/write_queue.h's, while its result is written or waits to be (next: its queue) */
	uid_t wq_owner;
	int wq_place;          /* its place among the writes with the pool, or -1 */

	/* held for the job: NULL, or the calls by name it may pass */
	struct prefilter *prefilter;
	bool from_reader;      /* received by a reader (front/reader.h): counted in its tree once the loop has it */
	struct target_status *status; /* NULL, or the reader's kept /proc/TID/status, for notif_fetch only */
	unsigned *held[2];     /* counters of notifications a reader took, one off each at notif_release */

	/* notif_fetch's, for notif_decide */
	int fetch_err;         /* 0, or why the call is left to the kernel */
	bool passed;           /* the prefilter passed it: answered CONTINUE by the worker */
	/*
	 * The target's descriptors the call needs, taken off the loop too
	 * (pidfd_getfd may wait for an exec of the target's): >= 0, or a
	 * negative errno (-1 until taken).  notif_release closes them.
	 */
	struct notif_fds {
		int pidfd;
		int dirfd; /* a relative name's directory (AT_FDCWD: its cwd) */
		int held;  /* the descriptor a reopen name stands for */
		int sock;  /* bind's socket */
		int netns; /* socket's: the thread's network namespace */
	} fds;
	int fdnum;             /* the N of a reopen name (/dev/stdin, /proc/self/fd/N), or -1 */
	struct open_how how;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct target_cred cred;

	/* notif_write's: what to write where, then answer 0 */
	union {
		struct stat st;
		struct statx stx;
	} out;
	size_t out_len;
	uint64_t out_addr;

	/* the call's name: last, nothing after it (notif_clear) */
	char path[PATH_MAX];
};

/*
 * Every field zero (the kernel refuses a dirty seccomp_notif) and the name
 * empty: what a reader does before each RECV, without clearing the name's
 * page of a struct it reuses.
 */
void notif_clear(struct notif *n);
/* A notification as received, its descriptors not taken (-1). */
void notif_init(struct notif *n);
/* Close what n holds of the target's, free its credentials, let go of its prefilter. */
void notif_release(struct notif *n);
/*
 * The worker job: read what the call needs, the thread's credentials, take
 * its descriptors, then re-validate.  A call by name that n->prefilter
 * passes is answered CONTINUE right after its name is read (n->passed),
 * and nothing more is read.  Does nothing for a job the loop has given up
 * on.
 */
void notif_fetch(struct worker_job *j);
/*
 * The worker job: write n->out into the target, re-validated just before,
 * then answer 0 (or EFAULT).  Does nothing for a job the loop has given up
 * on (and answered CONTINUE).
 */
void notif_write(struct worker_job *j);

/*
 * Decide a fetched notification and answer it; true: a result waits in
 * n->out for notif_write (a worker's: the target's memory may stall),
 * which answers.
 */
bool notif_decide(struct broker *b, struct notif *n);

/* An answer on listener, from any thread: 0 or -errno (-ENOENT: the call is gone). */
int notif_send(int listener, uint64_t id, long long val, int err, unsigned flags);
/*
 * The loop's answers; each sets n->answered and returns notif_send's.
 * CONTINUE: the kernel runs the call as the program made it.
 */
int notif_continue(struct notif *n);
int notif_error(struct notif *n, int err);
int notif_value(struct notif *n, long long val);
/*
 * Install fd (which stays the caller's) in the target as the call's
 * result: 0 (answered), -ENOENT (the call is gone), or another -errno (the
 * call still waits for an answer: EMFILE at the program's limit, say).
 */
int notif_fd(struct notif *n, int fd, bool cloexec);

#endif
