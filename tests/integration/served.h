/*
 * A real `fdbroker serve` (root) for integration tests: started on a policy
 * file, ready once its socket is there and its log says "serving", and its
 * descriptor count and RSS read from /proc.  Functions abort the test
 * (cr_assert) on failure.
 */
#ifndef FDB_SERVED_H
#define FDB_SERVED_H

#include <stdbool.h>
#include <sys/types.h>

#include "spawn.h"

struct served {
	struct proc proc;
	const char *sock; /* h_path("broker.sock") */
	const char *log;  /* h_path("audit.log") */
	int base_fds;     /* the broker's descriptors with no client connected */
};

/*
 * p_start fdbroker serve -p POLICY -s SOCK --log LOG with env additions (as
 * for p_start, may be NULL), stderr to h_path("serve.err").  No waiting.
 */
void served_spawn(struct proc *p, const char *policy, const char *sock, const char *log,
		  char *const env[]);

/*
 * Start serve on the policy file at policy with s->sock and s->log as
 * above; wait (up to wait_ms each) for the socket and for "serving " in the
 * log, then record s->base_fds.
 */
void served_start(struct served *s, const char *policy, int wait_ms);
/* The same with more serve options (NULL-terminated, may be NULL), e.g. the limits. */
void served_start_args(struct served *s, const char *policy, char *const args[], int wait_ms);
/* SIGTERM, then wait: p_stop's status. */
int served_stop(struct served *s);
/* The broker's open descriptors now. */
int served_fds(const struct served *s);
/*
 * Round trips until the broker's descriptor count is base again: each is a
 * full pass through its loop, so the hang-ups queued before it have been
 * handled (no sleeping).  round_trip runs one well-behaved client to
 * completion.  Asserts that the count gets back within 200 of them.
 */
void served_settle_fds(const struct served *s, int base, void (*round_trip)(void));
/* The broker's VmRSS in kB. */
long served_rss_kb(const struct served *s);

/*
 * tests/bin/rawclient [-k] -u UID -g GID SOCK ARGS... run to completion
 * against s; asserts it exits 0; its first output line (static buffer).
 */
const char *served_raw(const struct served *s, const char *uid, const char *gid, bool keep,
		       char *const args[]);

/* Entries of /proc/PID/fd. */
int pid_fd_count(pid_t pid);
/*
 * pid's descriptors numbered below limit: RLIMIT_NOFILE bounds numbers, not
 * how many, and a broker may have inherited high-numbered ones.
 */
int pid_fds_below(pid_t pid, int limit);
/* VmRSS of /proc/PID/status in kB, or -1. */
long pid_rss_kb(pid_t pid);

#endif
