/* fdbroker: the command switch.  See fdbroker(8). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: fdbroker COMMAND [OPTION]...\n"
	"\n"
	"  run     [-u USER[:GROUP]] [-p POLICY]... [-a RULE]... [--log DEST] -- PROGRAM [ARG]...\n"
	"          run PROGRAM as USER under a private broker\n"
	"  check   [-p POLICY]...\n"
	"          parse the policy; print each error as FILE:LINE:COL: message\n"
	"  explain [-p POLICY]... -u USER OPERATION OBJECT...\n"
	"          say which rule decides a request\n"
	"\n"
	"Options:\n"
	"  -u, --user USER[:GROUP]  run PROGRAM as USER (root only; required as root)\n"
	"  -p, --policy POLICY      policy file (repeatable; check and explain default\n"
	"                           to /etc/fdbroker/policy and /etc/fdbroker/policy.d/*.policy)\n"
	"  -a, --allow RULE         inline rule for PROGRAM's user, e.g. 'open /etc/shadow read'\n"
	"  --log DEST               audit log: stderr (default), syslog, or a file\n"
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
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	fprintf(stderr, "fdbroker: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
