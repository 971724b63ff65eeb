/*
 * Close-all: programs that close or take over descriptors they do not know
 * about.  After each kind of clean-up the next brokered open works, every
 * program descriptor (a pipe kept at 20/21, and whatever the program dup2()ed
 * onto the shim's numbers) is untouched, and the shim's own descriptor is
 * high and close-on-exec, before and after.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(closeall, .fini = h_cleanup, .timeout = 30);

static struct result run_stress(char *const args[])
{
	const char *dir = h_dir("files", 0711);
	char policy[1024], *argv[8] = { (char *)h_stress() };
	int n = 1;

	h_file("files/secret", "secret\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
	for (; *args && n < 7; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_broker_run("nobody", policy, argv);
}

/* names in place, not pointers: the parameters are copied into the test's process */
struct mode {
	char name[16];
};

ParameterizedTestParameters(closeall, next_request_works)
{
	static struct mode modes[] = { { "close_range" }, { "closefrom" }, { "procfd" }, { "dup2" } };

	return cr_make_param_array(struct mode, modes, sizeof(modes) / sizeof(modes[0]));
}

ParameterizedTest(struct mode *m, closeall, next_request_works)
{
	char *const mode[] = { m->name };

	int first, first_noexec, fd, noexec, victims, changed;
	struct result r = run_stress((char *[]){ "closeall", *mode, (char *)h_path("files/secret"),
						 NULL });

	cr_assert_eq(sscanf(r.out,
			    "ok first_shimfd=%d first_noexec=%d shimfd=%d noexec=%d victims=%d "
			    "changed=%d",
			    &first, &first_noexec, &fd, &noexec, &victims, &changed),
		     6, "%s: %s %s", *mode, r.out, r.err);
	cr_assert_geq(first, 500, "%s: the shim's descriptor sits high: %s", *mode, r.out);
	cr_assert_geq(fd, 500, "%s: %s", *mode, r.out);
	cr_assert_eq(first_noexec + noexec, 0, "%s: close-on-exec: %s", *mode, r.out);
	cr_assert_eq(changed, 0, "%s: a program descriptor was touched: %s", *mode, r.out);
	if (!strcmp(*mode, "dup2"))
		cr_assert_geq(victims, 1, "%s", r.out);
	h_free(&r);
}

/* double fork + setsid + close_range before the daemon's first brokered open */
Test(closeall, daemonized_program)
{
	struct result r = run_stress((char *[]){ "daemon", (char *)h_path("files/secret"), NULL });

	cr_assert(!strncmp(r.out, "ok daemon pid=", 14), "%s %s", r.out, r.err);
	h_free(&r);
}
