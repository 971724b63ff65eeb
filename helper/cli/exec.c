/*
 * fdbroker exec: start PROGRAM with the shim, as a client of the broker
 * fdbroker serve runs (serve.c).  exec makes no broker of its own: it
 * checks what it can (preflight.h), sets the environment and execs, so
 * PROGRAM keeps exec's pid.
 */
#include "cli/cli.h"
#include "cli/preflight.h"
#include "cli/shimenv.h"
#include "sys/pathsearch.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option exec_opts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_exec(int argc, char **argv)
{
	const char *sock = getenv("FDBROKER_SOCKET");
	char shim[PATH_MAX + 16];
	int c;

	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:h", exec_opts, NULL)) != -1) {
		if (c == 's') {
			sock = optarg;
		} else if (c == 'h') {
			usage_print("exec", stdout);
			return 0;
		} else {
			usage_error("exec", c, argv);
			return EXIT_BROKER_FAILED;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fdbroker exec: no PROGRAM given\nTry 'fdbroker help exec'.\n");
		return EXIT_BROKER_FAILED;
	}
	dumpable_warning();
	if (find_shim(shim, sizeof(shim)) < 0) {
		fprintf(stderr, "fdbroker: cannot find libfdshim.so (tried %s)\n", shim);
		return EXIT_BROKER_FAILED;
	}
	if (preflight_exec(sock, shim, argv[optind]) < 0)
		return EXIT_CANNOT_EXEC;
	if (shim_environment(shim, sock) < 0)
		return EXIT_BROKER_FAILED;
	exec_search(argv + optind);
	fprintf(stderr, "fdbroker: cannot run %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}
