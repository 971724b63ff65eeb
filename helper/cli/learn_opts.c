/*
 * --learn, --learn=permissive and --learn-out on the command line of run
 * and serve: the safeguards, the warnings, where the lines go.  See
 * learn.h and fdbroker(8), LEARNING.
 */
#include "learn/learn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int learn_option(struct learn_opts *o, int opt, const char *arg, char **argv, int optind_now)
{
	switch (opt) {
	case LEARN_OPT_BASE:
		if (!arg || !strcmp(arg, "record")) {
			/* getopt takes no separate argument for an optional one */
			if (!arg && argv[optind_now] && !strcmp(argv[optind_now], "permissive")) {
				fprintf(stderr, "fdbroker: write --learn=permissive (with '='), or "
						"'--' before a program named permissive\n");
				return -1;
			}
			if (o->mode < LEARN_RECORD)
				o->mode = LEARN_RECORD;
			return 1;
		}
		if (!strcmp(arg, "permissive")) {
			o->mode = LEARN_PERMISSIVE;
			return 1;
		}
		fprintf(stderr, "fdbroker: --learn=%s: expected --learn, --learn=record or "
				"--learn=permissive\n", arg);
		return -1;
	case LEARN_OPT_BASE + 1:
		o->out = arg;
		if (o->mode < LEARN_RECORD)
			o->mode = LEARN_RECORD;
		return 1;
	case LEARN_OPT_BASE + 2:
		o->force = true;
		return 1;
	}
	return 0;
}

/*
 * The safeguard: a permissive run grants what no rule allows, so it is not
 * something a unit file or a script should do by accident.  A terminal on
 * standard input says an administrator is watching; tests and CI say so
 * in words.
 */
static bool permissive_allowed(const struct learn_opts *o)
{
	const char *env = getenv("FDBROKER_LEARN_PERMISSIVE");

	return o->force || (env && !strcmp(env, "1")) || isatty(STDIN_FILENO);
}

int learn_begin(const struct learn_opts *o, const char *cmd, struct learn **l, int *outfd)
{
	bool run = !strcmp(cmd, "run");

	*l = NULL;
	*outfd = -1;
	if (o->force && (!run || o->mode != LEARN_PERMISSIVE)) {
		fprintf(stderr, "fdbroker %s: --learn-force goes with --learn=permissive, which is "
				"for fdbroker run only\n", cmd);
		return -1;
	}
	if (o->mode == LEARN_PERMISSIVE && !run) {
		fprintf(stderr, "fdbroker %s: --learn=permissive is for fdbroker run only: a "
				"shared broker never grants what no rule allows (use --learn)\n",
			cmd);
		return -1;
	}
	if (o->mode == LEARN_PERMISSIVE && !permissive_allowed(o)) {
		fprintf(stderr, "fdbroker %s: --learn=permissive grants what no rule allows: "
				"refused, as standard input is not a terminal (add --learn-force, "
				"or set FDBROKER_LEARN_PERMISSIVE=1, to run it so)\n", cmd);
		return -1;
	}
	if (o->mode == LEARN_OFF)
		return 0;
	if (o->out) {
		*outfd = learn_open_out(o->out);
		if (*outfd < 0)
			return -1;
	}
	*l = learn_new();
	if (!*l) {
		fprintf(stderr, "fdbroker %s: --learn: %s\n", cmd, strerror(errno));
		if (*outfd >= 0)
			close(*outfd);
		*outfd = -1;
		return -1;
	}
	if (o->mode == LEARN_PERMISSIVE)
		fprintf(stderr, "fdbroker run: warning: --learn=permissive: every request no rule "
				"decides is granted and recorded (verdict=allow-learn); deny rules "
				"still hold.  Use it only with a program you trust.\n");
	return 0;
}

static const char *header_line(const struct learn_opts *o)
{
	return o->mode == LEARN_PERMISSIVE ?
		       "# fdbroker --learn=permissive: policy lines for what was granted while "
		       "learning\n" :
		       "# fdbroker --learn: policy lines that would have allowed what was denied\n";
}

void learn_flush(const struct learn *l, const struct learn_opts *o, int outfd, bool header)
{
	if (!l)
		return;
	if (outfd < 0) {
		if (header)
			fputs(header_line(o), stderr);
		learn_print(l, stderr);
		return;
	}
	if (learn_write(l, outfd, header_line(o)) < 0)
		fprintf(stderr, "fdbroker: --learn-out %s: cannot write: %s\n", o->out,
			strerror(errno));
}

void learn_end(struct learn *l, const struct learn_opts *o, int outfd, bool header)
{
	size_t granted = l ? learn_granted(l) : 0;

	learn_flush(l, o, outfd, header);
	if (l && o->mode == LEARN_PERMISSIVE)
		fprintf(stderr, "fdbroker run: warning: --learn=permissive granted %zu request%s "
				"no rule allows; the policy learned is %s%s\n", granted,
			granted == 1 ? "" : "s", outfd >= 0 ? "in " : "printed above",
			outfd >= 0 ? o->out : "");
	if (outfd >= 0)
		close(outfd);
	learn_free(l);
}
