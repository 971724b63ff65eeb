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

static pid_t broker;      /* fdbroker run, stopped by .fini on failure */
static char gate[700];    /* the FIFO its program waits on */

static void admission_fini(void)
{
	if (broker > 0) {
		int g = open(gate, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		kill(broker, SIGCONT);
		if (g >= 0) {
			(void)!write(g, "go\n", 3);
			close(g);
		}
		kill(broker, SIGKILL);
		waitpid(broker, NULL, 0);
		broker = 0;
	}
	h_cleanup();
}

TestSuite(admission, .fini = admission_fini, .timeout = 60);

/*
 * A connection whose process has exited by the time the broker takes it:
 * refused as gone (the broker is stopped meanwhile, so the order is sure).
 */
Test(admission, a_client_gone_before_its_checks_is_refused)
{
	char script[800], sockpath[600];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *out, *g;
	char *log;
	int s, status;
	pid_t child;

	snprintf(gate, sizeof(gate), "%s", h_path("gate"));
	cr_assert_eq(mkfifo(gate, 0666), 0);
	cr_assert_eq(chmod(gate, 0666), 0);
	snprintf(script, sizeof(script), "echo \"$FDBROKER_SOCKET\"; read go < %s", gate);
	broker = h_broker_spawn("nobody", NULL, (char *[]){ "sh", "-c", script, NULL }, NULL, &out);
	cr_assert_not_null(fgets(sockpath, sizeof(sockpath), out), "the program said nothing");
	sockpath[strcspn(sockpath, "\n")] = '\0';
	cr_assert(sockpath[0] == '/' && strlen(sockpath) < sizeof(sa.sun_path), "%s", sockpath);
	strcpy(sa.sun_path, sockpath);

	cr_assert_eq(kill(broker, SIGSTOP), 0);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	/* the connecting process is a child, which goes; the connection stays with us */
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		_exit(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 1);
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "connect failed");
	cr_assert_eq(kill(broker, SIGCONT), 0);

	cr_assert_eq(wait_for_text(h_path("audit.log"), ": gone ", WAIT_MS), 0, "%s",
		     h_slurp(h_path("audit.log")));
	g = fopen(gate, "w");
	cr_assert_not_null(g);
	fputs("go\n", g);
	fclose(g);
	cr_assert_eq(waitpid(broker, &status, 0), broker);
	broker = 0;
	fclose(out);
	close(s);
	log = h_slurp_must(h_path("audit.log"));
	{
		char want[64];

		snprintf(want, sizeof(want), "refused pid=%d uid=0 ", (int)child);
		cr_assert_eq(h_count_lines(log, want, ": gone "), 1, "%s", log);
	}
	free(log);
}
