/*
 * fdbroker exec: start PROGRAM as a client of the broker fdbroker serve
 * runs (serve.c), with the shim or under the seccomp filter (--via, as
 * run chooses: via.h).  exec makes no broker of its own: it checks what it
 * can (preflight.h), sets the environment or hands itself over to the
 * broker, and execs, so PROGRAM keeps exec's pid.
 */
#include "handover.h"
#include "cli/cli.h"
#include "cli/preflight.h"
#include "cli/shimenv.h"
#include "cli/via.h"
#include "sys/pathsearch.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct option exec_opts[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "via", required_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* PROGRAM found (path, or "" to search PATH now); returns only on failure, the status. */
static int exec_program(const char *path, char **argv)
{
	int err;

	if (path[0])
		execvp(path, argv);
	else
		exec_search(argv);
	err = errno;
	fprintf(stderr, "fdbroker: cannot run %s: %s\n", argv[0], strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* As today's exec: the shim preloaded, after the checks that tell why it would not work. */
static int exec_preload(const char *sock, char **argv)
{
	char shim[PATH_MAX + 16];

	dumpable_warning();
	if (find_shim(shim, sizeof(shim)) < 0) {
		fprintf(stderr, "fdbroker: cannot find libfdshim.so (tried %s)\n", shim);
		return EXIT_BROKER_FAILED;
	}
	if (preflight_exec(sock, shim, argv[0]) < 0)
		return EXIT_CANNOT_EXEC;
	if (shim_environment(shim, sock) < 0)
		return EXIT_BROKER_FAILED;
	return exec_program("", argv);
}

/*
 * Under the filter: PROGRAM was searched in PATH before (path), so no
 * search runs between the hand-over and the exec.  Handed over, the filter
 * covers the whole tree, and a shim preloaded too would only ask the broker
 * a second time: LD_PRELOAD goes.  Refused before the filter, PROGRAM runs
 * as it would without fdbroker (the shim cannot enter it either).  A
 * filter nobody serves would fail every trapped call with ENOSYS: PROGRAM
 * is not run then.
 */
static int exec_seccomp(const char *sock, const char *path, char **argv)
{
	char why[512];

	if (!path[0]) /* found nowhere: fail as under the shim, nothing to hand over */
		return exec_program(path, argv);
	switch (handover_run(sock, why, sizeof(why))) {
	case HANDOVER_DONE:
		unsetenv("LD_PRELOAD");
		break;
	case HANDOVER_SKIPPED:
		fprintf(stderr, "fdbroker exec: %s runs without the seccomp filter: %s\n", argv[0],
			why);
		break;
	case HANDOVER_BROKEN:
		fprintf(stderr, "fdbroker exec: cannot run %s under the seccomp filter: %s\n",
			argv[0], why);
		return EXIT_CANNOT_EXEC;
	}
	return exec_program(path, argv);
}

int cmd_exec(int argc, char **argv)
{
	const char *sock = getenv("FDBROKER_SOCKET");
	enum via via = VIA_AUTO;
	char path[PATH_MAX], abs_sock[PATH_MAX] = "";
	int c;

	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:h", exec_opts, NULL)) != -1) {
		if (c == 's') {
			sock = optarg;
		} else if (c == 'V') {
			if (parse_via("exec", optarg, &via) < 0)
				return EXIT_BROKER_FAILED;
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
	/*
	 * a relative socket made absolute here, once: the program (and what it
	 * runs) may connect from another directory, to another socket or none
	 */
	if (sock[0] != '/') {
		if (!getcwd(abs_sock, sizeof(abs_sock)) ||
		    strlen(abs_sock) + 1 + strlen(sock) >= sizeof(abs_sock)) {
			fprintf(stderr, "fdbroker exec: socket %s: cannot make it absolute: %s\n",
				sock, abs_sock[0] == '/' ? "too long" : strerror(errno));
			return EXIT_BROKER_FAILED;
		}
		strcat(strcat(abs_sock, "/"), sock);
		sock = abs_sock;
	}
	if (choose_via(via, argv[optind], NULL, path, sizeof(path)) == VIA_SECCOMP)
		return exec_seccomp(sock, path, argv + optind);
	return exec_preload(sock, argv + optind);
}
