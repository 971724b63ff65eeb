/*
 * fdbroker doctor: the checks run and exec make before starting a program
 * (preflight.h), each printed as "ok: ..." or "problem: ...", without
 * starting anything.  Exit 0 when every check passed, 1 when one found a
 * problem, 2 on a usage error.
 */
#include "cli/cli.h"
#include "cli/preflight.h"
#include "cli/shimenv.h"
#include "sys/users.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

static const struct option doctor_opts[] = {
	{ "user", required_argument, NULL, 'u' },
	{ "socket", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* USER as run takes it: required as root (never root itself), the caller otherwise. */
static int doctor_identity(const char *user, const char *sock, struct identity *id)
{
	if (user && geteuid() != 0) {
		fprintf(stderr, "fdbroker: -u needs root\n");
		return -1;
	}
	if (!user && geteuid() == 0 && !sock) {
		fprintf(stderr, "fdbroker: name the user run would run PROGRAM as, with -u USER\n");
		return -1;
	}
	return user ? identity_lookup(user, id) : identity_self(id);
}

int cmd_doctor(int argc, char **argv)
{
	const char *user = NULL, *sock = NULL;
	struct identity id = { 0 };
	struct preflight pf = { .id = &id, .doctor = true };
	char base[PATH_MAX], shim[PATH_MAX + 16];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:u:s:h", doctor_opts, NULL)) != -1) {
		if (c == 'u') {
			user = optarg;
		} else if (c == 's') {
			sock = optarg;
		} else if (c == 'h') {
			usage_print("doctor", stdout);
			return 0;
		} else {
			usage_error("doctor", c, argv);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fdbroker doctor: no PROGRAM given\nTry 'fdbroker help doctor'.\n");
		return 2;
	}
	if (doctor_identity(user, sock, &id) < 0)
		return 2;
	if (sock)
		preflight_socket(&pf, sock);
	else
		preflight_socket_base(&pf, base, sizeof(base));
	if (find_shim(shim, sizeof(shim)) < 0) {
		printf("problem: cannot find libfdshim.so (tried %s): set FDBROKER_SHIM to it\n", shim);
		pf.problems++;
	} else {
		preflight_shim(&pf, shim);
	}
	preflight_program(&pf, argv[optind]);
	identity_free(&id);
	return pf.problems ? 1 : 0;
}
