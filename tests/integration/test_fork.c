/*
 * fork: a child does not speak on its parent's channel.  Parent and child
 * broker at the same time and each gets its own answers; so do the eight
 * workers of a prefork server and their master.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(fork, .fini = h_cleanup, .timeout = 60);

Test(fork, parent_and_child_broker_at_once)
{
	char policy[1024], a[512], b[512];
	const char *dir = h_root_only_files(2, policy, sizeof(policy));

	snprintf(a, sizeof(a), "%s/f0", dir);
	snprintf(b, sizeof(b), "%s/f1", dir);
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "fork", a, b, "3000", NULL });

	cr_assert(strstr(r.out, "child opens=3000 wrong=0 failed=0\n"), "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "ok parent opens=3000 wrong=0 failed=0 child_status=0\n"), "%s %s",
		  r.out, r.err);
	h_free(&r);
}

Test(fork, prefork_eight_workers)
{
	char policy[1024];
	const char *dir = h_root_only_files(9, policy, sizeof(policy));
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "prefork", (char *)dir,
						   "8", "1000", NULL });

	cr_assert_str_eq(r.out, "ok workers=8 bad_workers=0 master_wrong=0 master_failed=0\n",
			 "%s", r.err);
	h_free(&r);
}

/*
 * A child forked while other threads hold kept connections has none of
 * them: they would be descriptors of the parent's it never opened, and
 * connections speaking for the parent (a child that drops its privileges
 * could ask on them).  The child's own brokered open connects afresh.
 */
Test(fork, child_keeps_no_connection_of_the_parents_threads)
{
	char policy[1024], a[512];
	const char *dir = h_root_only_files(1, policy, sizeof(policy));

	snprintf(a, sizeof(a), "%s/f0", dir);
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "forkfds", a, "4", NULL });

	cr_assert_str_eq(r.out, "ok parent_extra=4 child_extra=0 child_open=1\n", "%s", r.err);
	h_free(&r);
}
