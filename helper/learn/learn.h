/*
 * --learn: remember what the decisions of a run teach, and write the policy
 * lines that would allow it (fdbroker(8), LEARNING).
 *
 * Two kinds of request are remembered: one no rule spoke for (denied by
 * default, or under --learn=permissive granted by policy_learn_rule and
 * served), which becomes a rule; and one no rule could grant so that the
 * broker then serves it (a magic link such as /dev/stderr, a name under
 * /proc, a refusal beside the policy, a grant that failed), which becomes a
 * comment saying why it was left out.  Requests a rule of the policy
 * decided are not listed.
 *
 * Conventions: learn_new returns NULL when memory is short (errno ENOMEM);
 * learn_open_out returns the descriptor it opened, or -1 after a message on
 * stderr; learn_write returns 0, or -1 with errno; the rest cannot fail
 * (memory short: the request is not remembered).  Nothing here does I/O
 * but those two and learn_print.  The command-line part at the end
 * (cli/learn_opts.c) says what is wrong on stderr and returns -1 after it.
 */
#ifndef FDB_LEARN_H
#define FDB_LEARN_H

#include <stdio.h>

#include "policy/policy.h"

struct learn;

struct learn *learn_new(void);
void learn_free(struct learn *l);
/*
 * What a decision on s's request r teaches.  prog: the client's program
 * name (comm; may be NULL); via: the way it came, if not the shim's
 * ("seccomp"; said beside the rule learned).  rule: what decided (NULL: default deny;
 * policy_learn_rule: a permissive grant; anything else: nothing to learn).
 * err: 0 if the request was served, else its errno (read only for a
 * permissive grant).  why: set when the broker refused or could not
 * resolve the request beside the policy (a static string), NULL otherwise;
 * reason is the audit log's reason= word for it, or NULL.
 */
void learn_decision(struct learn *l, const struct subject *s, const char *prog, const char *via,
		    const struct request *r, const struct rule *rule, int err, const char *why,
		    const char *reason);
/* A request to write a rule for, as learn_decision does for a default denial. */
void learn_record(struct learn *l, const struct subject *s, const struct request *r);
/* Requests granted by policy_learn_rule and served. */
size_t learn_granted(const struct learn *l);
/* Why a name the broker could not resolve (walk errno err, 0: none) is left out. */
const char *learn_why_unresolved(int err);

/*
 * One "allow user NAME OPERATION OBJECT..." line per object, each after a
 * comment saying what it covers (operation, object, how many requests, by
 * which programs); then one comment per request left out, and why.
 */
void learn_print(const struct learn *l, FILE *out);
/*
 * --learn-out FILE: open it for writing, created with mode 0644 if absent;
 * never through a symbolic link at its name, and only a regular file of
 * the broker's own user with no other hard link.
 */
int learn_open_out(const char *path);
/* Replace the content of fd (from learn_open_out) with header and learn_print's lines. */
int learn_write(const struct learn *l, int fd, const char *header);

/* ---- the command line (cli/learn_opts.c): messages on stderr, -1 after one ---- */

enum learn_mode { LEARN_OFF, LEARN_RECORD, LEARN_PERMISSIVE };

struct learn_opts {
	enum learn_mode mode;
	const char *out; /* --learn-out FILE (implies LEARN_RECORD at least) */
	bool force;      /* --learn-force */
};

/* For getopt_long tables of run and serve; learn_option for a code they return. */
#define LEARN_OPT_BASE 0x4c80
#define LEARN_OPTIONS                                                  \
	{ "learn", optional_argument, NULL, LEARN_OPT_BASE },           \
	{ "learn-out", required_argument, NULL, LEARN_OPT_BASE + 1 },   \
	{ "learn-force", no_argument, NULL, LEARN_OPT_BASE + 2 }
/*
 * 1: opt is one of them and arg is good; 0: not one of them; -1: bad arg.
 * argv and optind: to catch "--learn permissive", which getopt would
 * leave as PROGRAM.
 */
int learn_option(struct learn_opts *o, int opt, const char *arg, char **argv, int optind_now);

/*
 * Before the broker starts: refuse what cmd ("run" or "serve") may not do
 * (permissive is run's only, and needs a terminal on standard input,
 * --learn-force or FDBROKER_LEARN_PERMISSIVE=1), open --learn-out, warn of a
 * permissive run.  *l: the list for the broker (NULL when not learning),
 * *outfd: the --learn-out file or -1.
 */
int learn_begin(const struct learn_opts *o, const char *cmd, struct learn **l, int *outfd);
/*
 * Write what was learned so far: to outfd after a comment line saying what
 * it is, else on stderr (the comment line too if header).
 */
void learn_flush(const struct learn *l, const struct learn_opts *o, int outfd, bool header);
/* At exit: learn_flush, the permissive warning, and free it all; l may be NULL. */
void learn_end(struct learn *l, const struct learn_opts *o, int outfd, bool header);

#endif
