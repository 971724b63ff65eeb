/*
 * Fair shares of a broker: what each uid holds (connections, held
 * listeners) against per-uid and total limits, and the rate of the lines
 * that say a uid was refused.  One record per uid that holds something or
 * was refused in the last second; the broker's loop owns the table.
 *
 * Error convention of core/ (set-up: 0 or -1 with errno; request path: -1
 * means "drop this client, already logged"); here, functions that allocate
 * return NULL on ENOMEM and the rest cannot fail.
 */
#ifndef FDB_SHARES_H
#define FDB_SHARES_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * A uid's refusals are logged at most once a second, in the log's own
 * stamps too: the broker's clock counts whole milliseconds, so a second
 * has surely passed between two readings only 1001 of them apart.
 */
#define SHARES_QUIET_MS 1001

/*
 * Defaults, in numbers (fdbroker(8), LIMITS).  A 500-thread program keeps
 * up to two connections per thread, ~1,000: a uid gets twice that.  The
 * total lets four such uids in at once; no uid alone can reach it.
 */
#define SHARES_CLIENTS_PER_USER 2048
#define SHARES_CLIENTS 8192
#define SHARES_LISTENERS_PER_USER 256
#define SHARES_LISTENERS 4096
#define SHARES_GRACE_S 60
/*
 * Supervised seccomp trees (each one descriptor and a few hundred bytes): a
 * shell script exec'ing static programs in parallel makes one per program.
 */
#define SHARES_TREES_PER_USER 256
#define SHARES_TREES 1024

struct limits {
	unsigned clients;            /* connections in all (clients and channels) */
	unsigned clients_per_user;   /* connections of one uid */
	unsigned listeners;          /* held listeners in all */
	unsigned listeners_per_user; /* held listeners bound by one uid */
	unsigned grace_s;            /* an unheld listener is closed after this */
	unsigned trees;              /* supervised seccomp trees in all */
	unsigned trees_per_user;     /* trees handed over by one uid */
};

struct share {
	uid_t uid;
	unsigned conns;      /* its clients and listener channels */
	unsigned listeners;  /* held listeners it opened */
	unsigned trees;      /* seccomp trees it handed over, or was admitted to */
	long noted;          /* CLOCK_MONOTONIC ms of its last refusal line; 0: none */
	unsigned suppressed; /* refusals since then, not yet in the log */
	struct share *next;
};

#define SHARES_BUCKETS 256

struct shares {
	struct share *bucket[SHARES_BUCKETS];
	unsigned conns, listeners, trees; /* totals */
};

/* The defaults (SHARES_*); fields left 0 by options are filled from them. */
void limits_default(struct limits *l);

/*
 * The command-line options that set them (serve and run), for getopt_long
 * tables: { LIMITS_OPTIONS }, and limits_option() for a code it returns.
 */
#define LIMITS_OPT_BASE 0x4c00
#define LIMITS_OPTIONS                                                             \
	{ "max-clients", required_argument, NULL, LIMITS_OPT_BASE },                \
	{ "max-clients-per-user", required_argument, NULL, LIMITS_OPT_BASE + 1 },   \
	{ "max-listeners", required_argument, NULL, LIMITS_OPT_BASE + 2 },          \
	{ "max-listeners-per-user", required_argument, NULL, LIMITS_OPT_BASE + 3 }, \
	{ "listener-grace", required_argument, NULL, LIMITS_OPT_BASE + 4 },         \
	{ "max-trees", required_argument, NULL, LIMITS_OPT_BASE + 5 },              \
	{ "max-trees-per-user", required_argument, NULL, LIMITS_OPT_BASE + 6 }
#define LIMITS_USAGE "[--max-clients N] [--max-clients-per-user N] [--max-listeners N]\n" \
		     "       [--max-listeners-per-user N] [--listener-grace SECONDS]\n"   \
		     "       [--max-trees N] [--max-trees-per-user N]"
/* 1: opt is one of them and arg is good; 0: not one of them; -1: bad arg (said on stderr). */
int limits_option(struct limits *l, int opt, const char *arg);

/* uid's record, made if it has none. */
struct share *share_get(struct shares *t, uid_t uid);
/* Give a record back once it holds nothing and has nothing left to say. */
void share_release(struct shares *t, struct share *s, long now);

/*
 * A refusal of s: true if a line may be written now (none in the last
 * second), with *untold the refusals counted since the last line;
 * otherwise it is counted in s->suppressed for shares_tick.
 */
bool share_refused(struct share *s, long now, unsigned *untold);

/*
 * Once a second while something is pending: fn is called for each uid
 * with refusals not yet told and a second past its last line (then reset),
 * and idle records are freed.  True while records remain that need a tick.
 */
typedef void (*share_tell_fn)(void *ctx, const struct share *s);
bool shares_tick(struct shares *t, long now, share_tell_fn fn, void *ctx);
void shares_free(struct shares *t);

#endif
