/*
 * The usage texts of fdbroker(8): `fdbroker --help` lists every command and
 * option, `fdbroker help COMMAND` and `COMMAND --help` one command with the
 * options it takes (both on stdout, exit 0); getopt errors are said here,
 * prefixed with the command, since getopt's own would name argv[0] ("run").
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
	C_RUN = 1 << 0, C_SERVE = 1 << 1, C_EXEC = 1 << 2, C_CHECK = 1 << 3,
	C_EXPLAIN = 1 << 4, C_HELP = 1 << 5, C_DOCTOR = 1 << 6,
};

struct cmd_usage {
	const char *name;
	unsigned bit;
	const char *synopsis; /* after the name; continuation lines start with 10 blanks */
	const char *summary;
};

#define LIMITS_SYNOPSIS "          [--max-clients N] [--max-clients-per-user N] [--max-listeners N]\n" \
			"          [--max-listeners-per-user N] [--listener-grace SECONDS]\n" \
			"          [--max-trees N] [--max-trees-per-user N]\n"

static const struct cmd_usage cmds[] = {
	{ "run", C_RUN,
	  "[-u USER[:GROUP]] [-p POLICY]... [-a RULE]... [--log DEST]\n"
	  "          [--learn[=permissive]] [--learn-out FILE] [--learn-force]\n"
	  LIMITS_SYNOPSIS
	  "          [--stop-grace SECONDS] [--via preload|seccomp|auto] -- PROGRAM [ARG]...\n",
	  "run PROGRAM as USER under a private broker" },
	{ "serve", C_SERVE,
	  "[-p POLICY]... [-s SOCKET] [--log DEST] [--learn] [--learn-out FILE]\n"
	  LIMITS_SYNOPSIS
	  "          [--no-supervise] [--subuid FILE]\n",
	  "the system-wide broker (default socket /run/fdbroker/socket)" },
	{ "exec", C_EXEC, "[-s SOCKET] [--via preload|seccomp|auto] -- PROGRAM [ARG]...\n",
	  "run PROGRAM against a serve broker, with the shim or handed over\n"
	  "          to its supervision under the seccomp filter" },
	{ "check", C_CHECK, "[-p POLICY]... [--policy-dir DIR]\n",
	  "parse the policy; print each error as FILE:LINE:COL: message,\n"
	  "          and warnings for likely mistakes" },
	{ "explain", C_EXPLAIN,
	  "[-p POLICY]... [--policy-dir DIR] [--as-written]\n"
	  "          (-u USER[:GROUP] OPERATION OBJECT... | --from-log)\n",
	  "say which rule decides a request (or an audit line on stdin),\n"
	  "          or which rule comes nearest and why it does not match" },
	{ "doctor", C_DOCTOR, "[-u USER[:GROUP]] [-s SOCKET] -- PROGRAM [ARG]...\n",
	  "check, without running PROGRAM, that run (or exec, with -s) could\n"
	  "          broker it: socket reachable, shim readable, PROGRAM one the shim enters" },
	{ "help", C_HELP, "[COMMAND]\n", "the usage of every command, or of one" },
};

struct opt_usage {
	unsigned cmds;
	const char *text; /* "  -x, --long ARG  description\n" and its continuation */
};

static const struct opt_usage opts[] = {
	{ C_RUN | C_EXPLAIN | C_DOCTOR,
	  "  -u, --user USER[:GROUP]  run: PROGRAM's user (root only; required as root);\n"
	  "                           explain: the user the request is judged for;\n"
	  "                           doctor: the user the checks are for\n" },
	{ C_RUN | C_SERVE | C_CHECK | C_EXPLAIN,
	  "  -p, --policy POLICY      policy file (repeatable; serve, check and explain default\n"
	  "                           to /etc/fdbroker/policy and /etc/fdbroker/policy.d/*.policy)\n" },
	{ C_CHECK | C_EXPLAIN,
	  "  --policy-dir DIR         check and explain: the default policy of DIR\n"
	  "                           (DIR/policy, DIR/policy.d/*.policy), not /etc/fdbroker's\n" },
	{ C_EXPLAIN, "  --as-written             explain: judge the path as written, not where it leads\n" },
	{ C_EXPLAIN, "  --from-log               explain: read the request from an audit line on stdin\n" },
	{ C_RUN, "  -a, --allow RULE         inline rule for PROGRAM's user, e.g. 'open /etc/shadow read'\n" },
	{ C_SERVE | C_EXEC | C_DOCTOR,
	  "  -s, --socket SOCKET      the serve broker's socket (default /run/fdbroker/socket)\n" },
	{ C_RUN | C_SERVE, "  --log DEST               audit log: stderr (default), syslog, journal, or a file\n" },
	{ C_RUN | C_SERVE,
	  "  --learn                  at exit (serve: also on SIGUSR1), print the policy lines\n"
	  "                           that would have allowed every denied request\n" },
	{ C_RUN,
	  "  --learn=permissive       run only: grant and record what no rule decides (deny\n"
	  "                           rules hold); needs a terminal on stdin or --learn-force\n" },
	{ C_RUN | C_SERVE,
	  "  --learn-out FILE         write the learned policy to FILE, not stderr (implies\n"
	  "                           --learn)\n" },
	{ C_RUN,
	  "  --learn-force            permissive learning without a terminal (tests, CI); also\n"
	  "                           FDBROKER_LEARN_PERMISSIVE=1\n" },
	{ C_RUN,
	  "  --stop-grace SECONDS     once PROGRAM has exited, SIGTERM stops the rest of its\n"
	  "                           tree; SIGKILL what is left after SECONDS (default 10)\n" },
	{ C_RUN | C_EXEC,
	  "  --via WAY                how PROGRAM's calls reach the broker: preload (the shim,\n"
	  "                           in glibc programs), seccomp (a seccomp filter: static, Go\n"
	  "                           and musl programs, raw system calls too), auto (default:\n"
	  "                           seccomp for a program the shim cannot enter, a #! script\n"
	  "                           judged by its interpreter; FDBROKER_DEBUG=1 says which)\n" },
	{ C_RUN | C_SERVE, "  limits of run and serve (fdbroker(8), LIMITS):\n" },
	{ C_RUN | C_SERVE, "  --max-clients-per-user N    connections of one uid (default 2048)\n" },
	{ C_RUN | C_SERVE, "  --max-clients N             connections in all (default 8192)\n" },
	{ C_RUN | C_SERVE, "  --max-listeners-per-user N  held listeners of one uid (default 256)\n" },
	{ C_RUN | C_SERVE, "  --max-listeners N           held listeners in all (default 4096)\n" },
	{ C_RUN | C_SERVE, "  --listener-grace SECONDS    keep an unheld listener this long (default 60)\n" },
	{ C_RUN | C_SERVE, "  --max-trees-per-user N      seccomp trees handed over by one uid (default 256)\n" },
	{ C_RUN | C_SERVE, "  --max-trees N               seccomp trees handed over in all (default 1024)\n" },
	{ C_SERVE, "  --no-supervise           take no seccomp listener from fdbroker exec or the shim\n"
		   "                           (keeps CAP_SYS_PTRACE, CAP_SETUID, CAP_SETGID dropped)\n" },
	{ C_SERVE, "  --subuid FILE            subordinate uid ranges, each counted as its owner's\n"
		   "                           against the per-user limits (default /etc/subuid)\n" },
	{ 0, "  -h, --help               this help (COMMAND --help: that command's)\n" },
	{ 0, "  --version                the version of fdbroker\n" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_usage *find(const char *name)
{
	for (size_t i = 0; i < N(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* "  run     [-u ...]" with the synopsis's continuation lines, then the summary. */
static void print_entry(const struct cmd_usage *c, FILE *f)
{
	fprintf(f, "  %-7s %s          %s\n", c->name, c->synopsis, c->summary);
}

int usage_print(const char *cmd, FILE *f)
{
	const struct cmd_usage *c = cmd ? find(cmd) : NULL;

	if (cmd && !c)
		return -1;
	if (!c) {
		fputs("usage: fdbroker COMMAND [OPTION]...\n\n", f);
		for (size_t i = 0; i < N(cmds); i++)
			print_entry(&cmds[i], f);
		fputs("\nOptions:\n", f);
		for (size_t i = 0; i < N(opts); i++)
			fputs(opts[i].text, f);
		fputs("\nSee fdbroker(8) and fdbroker-policy(5).\n", f);
		return 0;
	}
	fprintf(f, "usage: fdbroker %s %s", c->name, c->synopsis);
	fprintf(f, "\n%c%s.\n", c->summary[0] - 'a' + 'A', c->summary + 1);
	if (c->bit == C_HELP)
		return 0;
	fputs("\nOptions:\n", f);
	for (size_t i = 0; i < N(opts); i++)
		if (opts[i].cmds & c->bit)
			fputs(opts[i].text, f);
	fprintf(f, "\nSee fdbroker(8), COMMANDS, %s.\n", c->name);
	return 0;
}

void usage_error(const char *cmd, int c, char **argv)
{
	const char *word = optind > 0 ? argv[optind - 1] : "";

	if (c == ':' && !strncmp(word, "--", 2))
		fprintf(stderr, "fdbroker %s: option '%s' needs an argument\n", cmd, word);
	else if (c == ':')
		fprintf(stderr, "fdbroker %s: option '-%c' needs an argument\n", cmd, optopt);
	else if (optopt)
		fprintf(stderr, "fdbroker %s: unknown option '-%c'\n", cmd, optopt);
	else
		fprintf(stderr, "fdbroker %s: unknown option '%s'\n", cmd, word);
	fprintf(stderr, "Try 'fdbroker help %s'.\n", cmd);
}
