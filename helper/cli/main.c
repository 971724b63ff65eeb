/* fdbroker: the command switch.  See fdbroker(8). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#ifndef FDB_VERSION_STRING
#define FDB_VERSION_STRING "unknown"
#endif

/* fdbroker help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && argv[1][0] == '-' && strcmp(argv[1], "-h") &&
			 strcmp(argv[1], "--help"))) {
		fprintf(stderr, "fdbroker help: usage: fdbroker help [COMMAND]\n");
		return 2;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage_print("help", stdout) < 0 ? 2 : 0;
	if (usage_print(argc == 2 ? argv[1] : NULL, stdout) < 0) {
		fprintf(stderr, "fdbroker help: unknown command '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage_print(NULL, stderr);
		return 2;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage_print(NULL, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("fdbroker %s\n", FDB_VERSION_STRING);
		return 0;
	}
	if (strcmp(cmd, "help") == 0)
		return cmd_help(argc - 1, argv + 1);
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
	if (strcmp(cmd, "doctor") == 0)
		return cmd_doctor(argc - 1, argv + 1);
	if (cmd[0] == '-')
		fprintf(stderr, "fdbroker: unknown option '%s'\n", cmd);
	else
		fprintf(stderr, "fdbroker: unknown command '%s'\n", cmd);
	fputs("Try 'fdbroker help'.\n", stderr);
	return 2;
}
