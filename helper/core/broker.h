/*
 * The broker: an event loop over non-blocking AF_UNIX SOCK_SEQPACKET
 * connections, one request record at a time per client, each judged on the
 * credentials the kernel recorded for the connection.
 *
 * Functions return 0 or -1 with errno (and a line on stderr for set-up).
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
#include "core/shares.h"

/* What an epoll event belongs to: every registered object starts with one. */
enum src_kind { SRC_LISTEN, SRC_SIGNAL, SRC_CLIENT, SRC_LISTENER, SRC_CHANNEL };
struct evsrc {
	enum src_kind kind;
};

struct client {
	struct evsrc src;
	int fd;
	struct ucred cred; /* at connect(), from SO_PEERCRED */
	gid_t *groups;     /* supplementary groups at connect(), SO_PEERGROUPS */
	size_t ngroups;
	struct share *share; /* its uid's record: counted in share->conns */
	char prog[17];
	struct client *prev, *next; /* every connected client, for clean-up */
};

struct listener;
struct learn;
/*
 * Most replies held for one audit write.  Holding replies keeps their
 * clients asleep; past a few, the write saved is worth less than the
 * clients that could run on another CPU meanwhile (B4 of make bench, 64
 * clients on 2 CPUs: 1, 2, 4, 8, 64 measured; 4-8 best, 64 ~8% lower).
 */
#define BROKER_BATCH 8

/* A reply held until the batch's audit lines are written (broker_run). */
struct pending_reply {
	struct client *c; /* NULL: the client has gone */
	int fd;           /* passed with the reply, then closed; -1: none */
	size_t len;
	unsigned char buf[32];
};

struct broker;
typedef void (*broker_signal_fn)(struct broker *b, const struct signalfd_siginfo *si);

struct broker {
	const struct policy *policy;
	struct audit *audit;
	int listen_fd;
	pid_t tree_root;           /* > 0: serve only this process's descendants */
	bool allow_dumpable;       /* run with FDBROKER_DUMPABLE=1: serve dumpable members too */
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
	int epfd;
	int sigfd;
	unsigned nclients;
	unsigned peak_clients; /* most connected at once since the last trim */
	int spare;             /* kept to refuse clients when out of descriptors */
	bool spare_held;       /* spare is open (false in a zeroed struct) */
	bool starved;          /* an out-of-descriptors episode is going on */
	unsigned nrefused;     /* clients refused in it */
	bool resting;          /* the listener is off until rest_until */
	long rest_until;       /* CLOCK_MONOTONIC ms */
	struct client *clients;
	struct shares shares;  /* what each uid holds */
	long tick_at;          /* CLOCK_MONOTONIC ms of the next broker_tick; 0: none */
	struct evsrc listen_src, signal_src;
	struct listener *listeners; /* held for accept rules (listener.c) */
	unsigned channel_seq;
	bool batching;         /* in an event batch: replies wait in pending */
	unsigned npending;
	struct pending_reply pending[BROKER_BATCH];
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
void broker_close(struct broker *b);

/*
 * Reply to c's request, passing fd (-1: none), which the broker closes.
 * In a batch the reply waits until the batch's audit lines are written, so
 * nothing is handed out before its line is in the log.  -1 means drop the
 * client (already logged).
 */
int broker_reply(struct broker *b, struct client *c, uint32_t seq, int status,
		 unsigned rflags, int fd);
/* The same, sent at once, batch or not: for a client dropped next. */
int broker_reply_now(struct broker *b, struct client *c, uint32_t seq, int status,
		     unsigned rflags, int fd);

/* For listener.c: accept() on lfd failed with err (EMFILE/ENFILE). */
/* Refuse one pending connection; 1 refused, 0 none pending, -1 cannot. */
int broker_refuse_pending(struct broker *b, int lfd, int err);
/* An accept succeeded: ends a shortage episode in the log. */
void broker_accepted(struct broker *b);
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
