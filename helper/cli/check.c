/*
 * fdbroker check: does a policy parse, and what in it is likely a mistake
 * (policy_lint's warnings), without a broker.  Exit 0 when it parses
 * (warnings or not), 1 on an error or when no policy file is found, 2 on
 * a usage error.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

enum { OPT_POLICY_DIR = 256 };

static const struct option check_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "policy-dir", required_argument, NULL, OPT_POLICY_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static bool is_directory(void *ctx, const char *path)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The first port a user binds without privilege, for the warning on a
 * "from" the broker never sees.  It is per network namespace: check's
 * own, which is the broker's when both run on the host.  1024, the
 * kernel's default, when it cannot be read.
 */
static unsigned unprivileged_port_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned port = 1024, v;

	if (!f)
		return port;
	if (fscanf(f, "%u", &v) == 1 && v <= 65535)
		port = v;
	fclose(f);
	return port;
}

int cmd_check(int argc, char **argv)
{
	struct strlist files = { 0 };
	const char *dir = DEFAULT_POLICY_HOME;
	struct policy p;
	unsigned warnings;
	int c, errors;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:h", check_opts, NULL)) != -1) {
		if (c == 'p') {
			strlist_add(&files, optarg);
		} else if (c == OPT_POLICY_DIR) {
			dir = optarg;
		} else if (c == 'h') {
			usage_print("check", stdout);
			return 0;
		} else {
			usage_error("check", c, argv);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fdbroker check: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	policy_init(&p);
	errors = load_check_policy(&p, &files, dir, "check");
	if (errors >= 0) {
		/* warnings for what did parse, errors or not: one pass shows everything */
		warnings = policy_lint(&p, unprivileged_port_start(), is_directory, NULL,
				       print_policy_error, NULL);
		if (errors == 0 && warnings)
			printf("%zu %s, no errors, %u %s\n", p.n, plural(p.n, "rule", "rules"),
			       warnings, plural(warnings, "warning", "warnings"));
		else if (errors == 0)
			printf("%zu %s, no errors\n", p.n, plural(p.n, "rule", "rules"));
	}
	policy_free(&p);
	free(files.v);
	return errors ? 1 : 0;
}

