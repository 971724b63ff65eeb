/*
 * The broker: an event loop over non-blocking AF_UNIX SOCK_SEQPACKET
 * connections, one request record at a time per client, each judged on the
 * credentials the kernel recorded for the connection.
 *
 * The parts: loop.c (event sources), clients.c (admission and replies),
 * reserve.c (out of descriptors), outbox.c (reply batching), listener.c
 * (held listeners), shares.c (per-uid limits), rest.c (connections not
 * read while their user's closes are stuck); broker.c sets them up and
 * runs them.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno (and
 * a line on stderr or in the log); a request-path function that may drop a
 * client returns -1 meaning "drop this client (already logged)".
 */
#ifndef FDB_BROKER_H
#define FDB_BROKER_H

#include <signal.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "audit/audit.h"
#include "policy/policy.h"
#include "core/loop.h"
#include "core/outbox.h"
#include "core/reserve.h"
#include "core/rest.h"
#include "core/shares.h"

struct statx;

struct client {
	struct evsrc src;  /* first: the loop's event source (clients.c) */
	int fd;
	struct ucred cred; /* at connect(), from SO_PEERCRED */
	gid_t *groups;     /* supplementary groups at connect(), SO_PEERGROUPS */
	size_t ngroups;
	struct share *share; /* its uid's record: counted in share->conns */
	bool admitted;     /* ADMIT answered 0: a tree is counted for it until its HANDOVER */
	struct rest rest;  /* resting while its account's closes are stuck (rest.h) */
	char prog[17];
};

/* The account c's descriptors are closed for (sys/closer.h): its share's uid. */
static inline uid_t client_account(const struct client *c)
{
	return c->share ? c->share->uid : c->cred.uid;
}

struct listener;
struct learn;
struct sc_front;

struct broker;
typedef void (*broker_signal_fn)(struct broker *b, const struct signalfd_siginfo *si);

struct broker {
	const struct policy *policy;
	unsigned policy_gen;       /* one more at each change of policy (a reload) */
	struct audit *audit;       /* set before broker_init (the outbox keeps it) */
	int listen_fd;
	pid_t tree_root;           /* > 0: serve only this process's descendants */
	bool allow_dumpable;       /* run with FDBROKER_DUMPABLE=1: serve dumpable members too */
	/*
	 * Takes seccomp listeners its clients hand over (wire ADMIT and
	 * HANDOVER, front/seccomp.h): it kept what supervising them needs.
	 */
	bool supervise;
	broker_signal_fn on_signal; /* signals in the set given to broker_init */
	/*
	 * A client's connection is readable: the front end that speaks its
	 * protocol serves it (front/preload.h); -1 drops the client.
	 */
	int (*client_ready)(struct broker *b, struct client *c);
	void *ctx;
	struct learn *learn;        /* --learn: what the decisions teach (learn.h) */
	struct limits limits;       /* 0s: the defaults (shares.h); fitted by broker_init */
	bool stop;
	unsigned long denied;       /* requests logged verdict=deny (run's exit line) */
	/* private */
	int epfd;              /* loop.c's, with srcs */
	struct evsrc *srcs;
	int sigfd;
	unsigned nclients;     /* clients.c's, with peak_clients */
	unsigned peak_clients; /* most connected at once since the last trim */
	struct reserve reserve; /* reserve.c's */
	struct outbox outbox;  /* replies held for the batch's audit write */
	struct shares shares;  /* what each uid holds */
	long tick_at;          /* CLOCK_MONOTONIC ms of the next broker_tick; 0: none */
	struct evsrc listen_src, signal_src;
	struct rest *resting;       /* rest.c's: sources resting, with eased_src */
	struct evsrc eased_src;
	struct listener *listeners; /* listener.c's: held for accept rules */
	struct sc_front *seccomp;   /* front/seccomp.c's: supervised trees, if any */
	unsigned channel_seq;       /* listener.c's: names its channels */
};

/*
 * Raise the soft RLIMIT_NOFILE to the hard one (the loop uses epoll, never
 * select); old gets the limit as it was, for a program started later.
 */
void broker_raise_nofile(struct rlimit *old);
/*
 * listen_fd: a listening, non-blocking SOCK_SEQPACKET socket.  b->limits
 * get their defaults, and are cut (with a note) to fit RLIMIT_NOFILE.
 */
int broker_init(struct broker *b, int listen_fd, const sigset_t *sigs);
/* Serve until b->stop is set (by a signal callback). */
int broker_run(struct broker *b);
/*
 * One pass of broker_run: housekeeping, then the events ready within
 * timeout_ms (-1: wait for one), their audit lines written and replies sent.
 * The number of events served, or -1 with errno (EINTR: none).
 */
int broker_step(struct broker *b, int timeout_ms);
void broker_close(struct broker *b);

/*
 * Reply to c's request, passing fd (-1: none), which the broker closes.
 * In a batch the reply waits until the batch's audit lines are written, so
 * nothing is handed out before its line is in the log.  -1 means drop the
 * client (already logged).  The broker's own shortage (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS) is replied FDB_REPLY_DENIED: the program keeps its errno.
 */
int broker_reply(struct broker *b, struct client *c, uint32_t seq, int status,
		 unsigned rflags, int fd);
/* A granted stat's answer: status 0 and stx (FDB_REPLY_STATX), no descriptor. */
int broker_reply_stat(struct broker *b, struct client *c, uint32_t seq,
		      const struct statx *stx);
/* broker_reply, sent at once, batch or not: for a client dropped next. */
int broker_reply_now(struct broker *b, struct client *c, uint32_t seq, int status,
		     unsigned rflags, int fd);

/* Have the loop call its housekeeping (refusal counts, idle listeners) by at_ms. */
void broker_tick_by(struct broker *b, long at_ms);
/* CLOCK_MONOTONIC in ms. */
long broker_now_ms(void);
/*
 * A refusal of uid's connection or listener, logged at most once a second
 * per uid; what (the reason, e.g. "2048 connections") is written after the
 * client's identity.  s may be NULL (no record could be made: logged).
 */
void broker_refusal(struct broker *b, struct share *s, const struct ucred *cred,
		    const char *prog, const char *what);

/* A listening socket at path, mode 0666, non-blocking; -1 with a message. */
int broker_listen(const char *path);

#endif
