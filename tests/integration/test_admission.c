/*
 * Admission to a run broker: a connection is the tree's only if the
 * process that connected is one of the tree's, and still that process
 * when the broker has read what it checks.  The checks read /proc by the
 * pid SO_PEERCRED names, and a process that connected and went may have
 * its pid given to another, a tree member say, before they run: the
 * broker holds a pidfd of the connecting process (SO_PEERPIDFD, 6.5) and
 * refuses the connection when that process is gone.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

#define WAIT_MS 20000

static struct gated_run run; /* stopped by .fini on failure */

static void admission_fini(void)
{
	h_gated_stop(&run);
	h_cleanup();
}

TestSuite(admission, .fini = admission_fini, .timeout = 60);

/*
 * A connection whose process has exited by the time the broker takes it:
 * refused as gone (the broker is stopped meanwhile, so the order is sure).
 */
Test(admission, a_client_gone_before_its_checks_is_refused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *log;
	int s, status;
	pid_t child;

	h_gated_start(&run);
	cr_assert(strlen(run.sock) < sizeof(sa.sun_path), "%s", run.sock);
	strcpy(sa.sun_path, run.sock);

	cr_assert_eq(kill(run.broker, SIGSTOP), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	/* the connecting process is a child, which goes; the connection stays with us */
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 1);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "connect failed");
	cr_assert_eq(kill(run.broker, SIGCONT), 0);

	cr_assert_eq(wait_for_text(h_path("audit.log"), ": gone ", WAIT_MS), 0, "%s",
		     h_slurp(h_path("audit.log")));
	h_gated_release(&run);
	close(s);
	log = h_slurp_must(h_path("audit.log"));
	{
		char want[64];

		snprintf(want, sizeof(want), "refused pid=%d uid=0 ", (int)child);
		cr_assert_eq(h_count_lines(log, want, ": gone "), 1, "%s", log);
	}
	free(log);
}
