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

/*
 * The socket is the program's user's, mode 0600: a process of another uid
 * cannot connect at all, so it can neither make the broker walk its
 * ancestry nor write a line.  (One of the user's own outside the tree
 * connects and is refused: escape::run_tree_refusal_escapes_the_program_name.)
 */
Test(admission, only_the_programs_user_can_connect)
{
	struct proc other;
	struct stat st;
	const char *line;
	char *log;

	h_gated_start(&run);
	cr_assert_eq(lstat(run.sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "mode %o", st.st_mode & 07777);
	cr_assert_eq(st.st_uid, 65534, "the socket is the program's user's");
	p_start(&other, (char *[]){ (char *)h_rawclient(), "-u", "4242", "-g", "4242", run.sock,
				    "stall", "silent", NULL },
		NULL, h_path("other.err"));
	line = p_line(&other, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "connect EACCES");
	cr_assert_eq(p_wait(&other), 2, "rawclient's exit when it cannot connect");
	h_gated_release(&run);
	log = h_slurp_must(h_path("audit.log"));
	cr_assert_eq(h_count_lines(log, "uid=4242", NULL), 0, "%s", log);
	free(log);
}

/*
 * A process outside the tree may connect as often as it likes: its
 * refusals are logged as other refusals of its uid are, one line a
 * second, and the rest counted in the next.  Before, each connection
 * wrote its own line.
 */
Test(admission, refusals_outside_the_tree_are_one_line_a_second)
{
	struct proc hold;
	const char *line;
	char *log;

	h_gated_start(&run);
	p_start(&hold, (char *[]){ (char *)h_rawclient(), "-u", "65534", "-g", "65534", run.sock,
				   "hold", "/etc/hostname", "6", NULL },
		NULL, h_path("hold.err"));
	line = p_line(&hold, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "served 0 refused 6", "%s",
			 h_slurp(h_path("hold.err")));
	cr_assert_eq(wait_for_text(h_path("audit.log"), "more connections or binds of uid=65534 ",
				   WAIT_MS), 0, "%s", h_slurp(h_path("audit.log")));
	p_stop(&hold);
	h_gated_release(&run);
	log = h_slurp_must(h_path("audit.log"));
	cr_assert_eq(h_count_lines(log, "not in the program's process tree", "uid=65534"), 1, "%s",
		     log);
	cr_assert_eq(h_count_lines(log, "refused 5 more connections or binds of uid=65534 ", NULL),
		     1, "%s", log);
	free(log);
}
