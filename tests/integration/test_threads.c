/*
 * Many threads brokering at once: every answer reaches the thread that
 * asked, nothing deadlocks, no descriptor leaks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(threads, .fini = h_cleanup, .timeout = 60);

Test(threads, thirty_two_threads_each_get_their_own_file)
{
	char policy[1024];
	const char *dir = h_root_only_files(32, policy, sizeof(policy));
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "threads", (char *)dir,
						   "32", "2000", NULL });

	cr_assert_str_eq(r.out, "ok opens=64000 wrong=0 failed=0 leaked=0\n", "%s", r.err);
	cr_assert_eq(r.status, 0);
	h_free(&r);
}
