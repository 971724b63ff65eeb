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
#include "front/syscalls.h"
#include "front/target.h"
#include "front/worker.h"

struct sc_tree;

struct notif {
	struct worker_job job; /* first: the worker's */
	struct sc_tree *tree;
	int listener;          /* the tree's: answered on it */
	struct seccomp_notif n;
	enum sc_call call;
	long deadline;         /* CLOCK_MONOTONIC ms the loop waits for the job until */
	bool answered;         /* the loop answered it (or the call is gone) */
	bool writing;          /* in its notif_write job, which answers for itself */
	struct notif *prev, *next; /* the front end's list of notifications in a job */

	/* notif_fetch's, for notif_decide */
	int fetch_err;         /* 0, or why the call is left to the kernel */
	char path[PATH_MAX];
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
};

/* The worker job: read what the call needs, then the thread's credentials. */
void notif_fetch(struct worker_job *j);
/* The worker job: write n->out into the target, then answer 0 (or EFAULT). */
void notif_write(struct worker_job *j);

/*
 * Decide a fetched notification and answer it; true: a result waits in
 * n->out for notif_write (a worker's: the target's memory may stall),
 * which answers.
 */
bool notif_decide(struct broker *b, struct notif *n);

/* An answer on listener, from any thread: 0 or -errno (-ENOENT: the call is gone). */
int notif_send(int listener, uint64_t id, long long val, int err, unsigned flags);
/* The loop's answers; each sets n->answered.  CONTINUE: the kernel runs the call as the program made it. */
void notif_continue(struct notif *n);
void notif_error(struct notif *n, int err);
void notif_value(struct notif *n, long long val);
/* Install fd (which stays the caller's) in the target as the call's result: 0 or -errno. */
int notif_fd(struct notif *n, int fd, bool cloexec);

#endif
