/*
 * Broker gone mid-run (issue 4, item 7): threads brokering in a loop when the
 * broker is killed.  Requests in flight and every later one fail promptly
 * with the program's own errno (EACCES); nothing hangs, no SIGPIPE.  When a
 * broker is at the socket path again, the next request uses it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

static pid_t broker = -1, prog = -1;

/* anything still running after a failed assertion */
static void gone_fini(void)
{
	if (prog > 0)
		kill(prog, SIGKILL);
	if (broker > 0)
		kill(broker, SIGKILL);
	p_kill_all();
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
	/* the killed broker's socket is left in the test's own directory */
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

/* The second half of item 7: a broker back at the socket path is used again. */
Test(gone, reconnects_to_a_new_broker)
{
	const char *dir = h_dir("files", 0711), *f = h_file("files/secret", "s\n", 0600);
	const char *sock = h_path("socket"), *fifo = h_path("cmds"), *pol;
	char policy[1024];
	struct proc srv, prog_p;
	FILE *cmds;

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
	pol = h_file("served.policy", policy, 0644);
	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0); /* past the umask: nobody reads it */
	served_spawn(&srv, pol, sock, h_path("audit.log"), NULL);
	cr_assert_eq(wait_for_file(sock, 20000), 0);
	p_start(&prog_p, (char *[]){ "setpriv", "--reuid=nobody", "--regid=nogroup",
				     "--clear-groups", (char *)h_stress(), "reconnect", (char *)f,
				     (char *)fifo, NULL },
		h_shim_env(sock), h_path("prog.err"));
	cmds = fopen(fifo, "we"); /* no broker started later may hold it open */
	cr_assert_not_null(cmds);
	setvbuf(cmds, NULL, _IOLBF, 0);

	fputs("open\n", cmds);
	cr_assert_str_eq(p_line(&prog_p, 20000), "ok");
	cr_assert_eq(p_stop(&srv), 0);
	fputs("open\n", cmds);
	cr_assert_str_eq(p_line(&prog_p, 20000), "err EACCES", "no broker: the program's own errno");
	served_spawn(&srv, pol, sock, h_path("audit.log"), NULL);
	cr_assert_eq(wait_for_file(sock, 20000), 0);
	fputs("open\n", cmds);
	cr_assert_str_eq(p_line(&prog_p, 20000), "ok", "the new broker answers");
	fclose(cmds);
	cr_assert_eq(p_wait(&prog_p), 0);
	cr_assert_eq(p_stop(&srv), 0);
}
