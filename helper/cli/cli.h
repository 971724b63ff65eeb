/*
 * The commands of fdbroker(8) and what they share.
 *
 * Errors: cmd_* functions return the process exit status (0, 1 or 2 for
 * check, explain and doctor; PROGRAM's own, or EXIT_* below, for run and
 * exec; 0 or EXIT_BROKER_FAILED for serve) and never exit themselves.
 * The helpers below say what they return: the policy loaders the number
 * of errors (each handed to the error function), the others as their
 * comments say.
 */
#ifndef FDB_CLI_H
#define FDB_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "gen/paths.h"
#include "policy/policy.h"

#define DEFAULT_POLICY_HOME FDB_SYSCONFDIR "/fdbroker"
/* serve's socket, and where exec looks for it without -s or FDBROKER_SOCKET */
#define DEFAULT_SOCKET "/run/fdbroker/socket"

/* Exit statuses of fdbroker's own failures, as env(1) and chroot(8) use them. */
#define EXIT_BROKER_FAILED 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* A growable list of option arguments (-p, -a). */
struct strlist {
	char **v;
	size_t n;
};
/* Append s (not copied); 0, or -1 when out of memory (nothing said, l unchanged). */
int strlist_add(struct strlist *l, char *s);

/*
 * Parse the -p files into p (the default policy files when none is named
 * and use_default is set), handing each error (FILE:LINE:COL: message) to
 * err.  Returns the number of errors.
 */
int load_policy_files(struct policy *p, const struct strlist *files, int use_default,
		      policy_error_fn err, void *ctx);

/*
 * The default set in dir (DEFAULT_POLICY_HOME, or check's and explain's
 * --policy-dir): dir/policy, then dir/policy.d/NAME.policy in name order;
 * *nfiles counts the files found.  Returns the number of errors.
 */
int load_default_policy(struct policy *p, const char *dir, size_t *nfiles, policy_error_fn err,
			void *ctx);

/*
 * check and explain: the -p files, or the default set in dir, where
 * finding no file at all is an error ("fdbroker CMD: no policy file: ...").
 * Returns the number of errors, or -1 when no file was found (said).
 */
int load_check_policy(struct policy *p, const struct strlist *files, const char *dir,
		      const char *cmd);

/* A policy_error_fn that prints the message on stderr. */
void print_policy_error(void *ctx, const char *msg);

/*
 * The full usage of cmd (NULL: of every command) on f (usage.c); 0, or -1
 * (nothing printed) if no such command.
 */
int usage_print(const char *cmd, FILE *f);
/*
 * Say a getopt_long error on stderr as "fdbroker CMD: ...": c is what it
 * returned ('?' or ':'), with opterr = 0 and an optstring with ':' first
 * (after any '+').
 */
void usage_error(const char *cmd, int c, char **argv);

int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_doctor(int argc, char **argv);

#endif
