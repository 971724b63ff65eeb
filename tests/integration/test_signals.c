/*
 * Signals: a timer storm (every 100 us) whose handler makes a brokered open
 * of B, over a main loop of brokered opens of A.  The handler often lands
 * while the main loop is inside its own brokered request (counted as
 * "nested"); nothing deadlocks, fails or crosses.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(signals, .fini = h_cleanup, .timeout = 60);

static void storm(const char *timer)
{
	const char *dir = h_dir("files", 0711);
	const char *a = h_file("files/a", "a\n", 0600), *b = h_file("files/b", "b\n", 0600);
	char policy[1024];
	int opens, wrong, failed, hopens, hwrong, hfailed, nested;

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "signals", (char *)timer,
						   (char *)a, (char *)b, "3000", NULL });

	cr_assert_eq(sscanf(r.out,
			    "ok opens=%d wrong=%d failed=%d handler_opens=%d handler_wrong=%d "
			    "handler_failed=%d nested=%d",
			    &opens, &wrong, &failed, &hopens, &hwrong, &hfailed, &nested),
		     7, "%s %s", r.out, r.err);
	cr_assert_eq(opens, 3000, "%s", r.out);
	cr_assert_eq(hwrong + hfailed, 0, "%s", r.out);
	cr_assert_gt(hopens, 100, "a storm, not a drizzle: %s", r.out);
	cr_assert_gt(nested, 0, "no handler ran inside a brokered request: %s", r.out);
	h_free(&r);
}

/* setitimer, SIGALRM without SA_RESTART: the shim's own calls see EINTR */
Test(signals, itimer_storm)
{
	storm("itimer");
}

/* timer_create, a real-time signal with SA_RESTART */
Test(signals, posix_timer_storm)
{
	storm("posix");
}
