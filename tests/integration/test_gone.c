/*
 * Broker gone mid-run (the first half of issue 4, item 7): threads brokering
 * in a loop when the broker is killed.  Requests in flight and every later
 * one fail promptly with the program's own errno (EACCES); nothing hangs,
 * no SIGPIPE.  (Reconnecting to a new broker needs `fdbroker serve`.)
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static pid_t broker = -1, prog = -1;

/* anything still running after a failed assertion */
static void gone_fini(void)
{
	if (prog > 0)
		kill(prog, SIGKILL);
	if (broker > 0)
		kill(broker, SIGKILL);
	h_cleanup();
}

TestSuite(gone, .fini = gone_fini, .timeout = 30);

Test(gone, broker_killed_while_threads_broker)
{
	const char *dir = h_dir("files", 0711);
	const char *f = h_file("files/secret", "secret\n", 0600);
	char policy[1024], tmpdir[600], line[256];
	int first_other, later_bad, wrong, slowest, status, bpid;
	FILE *out;

	/* the program outlives its broker: it is reparented to us, to be reaped here */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
	/* the killed broker's socket directory lands in the test's own */
	snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", h_tmpdir());
	broker = h_broker_spawn("nobody", policy,
				(char *[]){ (char *)h_stress(), "gone", (char *)f, "8", NULL },
				(char *[]){ tmpdir, NULL }, &out);
	cr_assert_not_null(fgets(line, sizeof(line), out), "no ready line");
	cr_assert_eq(sscanf(line, "ready pid=%d broker=%d", &prog, &bpid), 2, "%s", line);
	cr_assert_eq(bpid, broker);

	cr_assert_eq(kill(broker, SIGKILL), 0);
	cr_assert_eq(waitpid(broker, &status, 0), broker);
	broker = -1;

	cr_assert_not_null(fgets(line, sizeof(line), out), "no result line");
	cr_assert_eq(sscanf(line, "ok first_not_eacces=%d later_bad=%d wrong=%d slowest_ms=%d",
			    &first_other, &later_bad, &wrong, &slowest),
		     4, "%s", line);
	cr_assert_eq(first_other, 0, "%s", line);
	cr_assert_eq(later_bad, 0, "%s", line);
	cr_assert_eq(wrong, 0, "%s", line);
	cr_assert_lt(slowest, 1000, "a failing request took %d ms", slowest);
	cr_assert_eq(waitpid(prog, &status, 0), prog);
	prog = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "program status %#x", status);
	fclose(out);
}
