/* fdbroker: the command switch.  See fdbroker(8). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: fdbroker COMMAND [OPTION]...\n"
	"\n"
	"  run     [-u USER[:GROUP]] [-p POLICY]... [-a RULE]... [--log DEST] [--learn]\n"
	"          [--max-clients N] [--max-clients-per-user N] [--max-listeners N]\n"
	"          [--max-listeners-per-user N] [--listener-grace SECONDS]\n"
	"          -- PROGRAM [ARG]...\n"
	"          run PROGRAM as USER under a private broker\n"
	"  serve   [-p POLICY]... [-s SOCKET] [--log DEST] [--learn]\n"
	"          [--max-clients N] [--max-clients-per-user N] [--max-listeners N]\n"
	"          [--max-listeners-per-user N] [--listener-grace SECONDS]\n"
	"          the system-wide broker (default socket /run/fdbroker/socket)\n"
	"  exec    [-s SOCKET] -- PROGRAM [ARG]...\n"
	"          run PROGRAM with the shim, against a serve broker\n"
	"  check   [-p POLICY]...\n"
	"          parse the policy; print each error as FILE:LINE:COL: message\n"
	"  explain [-p POLICY]... -u USER OPERATION OBJECT...\n"
	"          say which rule decides a request\n"
	"\n"
	"Options:\n"
	"  -u, --user USER[:GROUP]  run PROGRAM as USER (root only; required as root)\n"
	"  -p, --policy POLICY      policy file (repeatable; serve, check and explain default\n"
	"                           to /etc/fdbroker/policy and /etc/fdbroker/policy.d/*.policy)\n"
	"  -a, --allow RULE         inline rule for PROGRAM's user, e.g. 'open /etc/shadow read'\n"
	"  -s, --socket SOCKET      the serve broker's socket (default /run/fdbroker/socket)\n"
	"  --log DEST               audit log: stderr (default), syslog, journal, or a file\n"
	"  --learn                  at exit (serve: also on SIGUSR1), print the policy lines\n"
	"                           that would have allowed every denied request\n"
	"  limits of run and serve (fdbroker(8), LIMITS):\n"
	"  --max-clients-per-user N    connections of one uid (default 2048)\n"
	"  --max-clients N             connections in all (default 8192)\n"
	"  --max-listeners-per-user N  held listeners of one uid (default 256)\n"
	"  --max-listeners N           held listeners in all (default 4096)\n"
	"  --listener-grace SECONDS    keep an unheld listener this long (default 60)\n"
	"  -h, --help               this help\n"
	"\n"
	"See fdbroker(8) and fdbroker-policy(5).\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "fdbroker: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
