/*
 * The broker's side of the seccomp hand-over (wire ADMIT, HANDOVER and the
 * marker; front/seccomp.c): against a real fdbroker serve, as nobody, with
 * tests/bin/handprobe speaking the protocol itself.
 *
 *   - a process that hands over its own listener and proves it is
 *     supervised: a static busybox reads a root-only file;
 *   - issue 18, acceptance 3: a listener the sender did not create (its
 *     child's) is refused and logged, whether the child's call comes first
 *     or no marker comes at all; the child is never served;
 *   - HANDOVER without ADMIT, and of a descriptor that is not a listener,
 *     are answered EPERM and EBADF;
 *   - --max-trees-per-user and --max-trees bound ADMIT (EAGAIN, logged),
 *     and an admission that never hands over is given back with its
 *     connection.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front/write_queue.h"
#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000

TestSuite(handover, .fini = p_suite_fini, .timeout = 60);

/* A policy file letting nobody read secret. */
static const char *policy_for(const char *secret)
{
	char text[600];

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	return h_file("policy", text, 0644);
}

/* handprobe ARGS... as nobody, to completion. */
static struct result probe(char *const args[])
{
	char *argv[16] = { (char *)h_handprobe() };
	int n = 1;

	while (args[n - 1] && n < 15) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	return h_run(argv, NULL, true);
}

/* setpriv ... handprobe ARGS as nobody, its output piped (p_line). */
static void probe_start(struct proc *p, char *const args[])
{
	char *argv[20] = { "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			   (char *)h_handprobe() };
	int n = 5;

	for (int i = 0; args[i] && n < 19; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	p_start(p, argv, NULL, h_path("probe.err"));
}

Test(handover, own_listener_is_supervised_after_its_marker)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start(&s, policy_for(secret), WAIT_MS);
	r = probe((char *[]){ "self", (char *)s.sock, "/bin/busybox", "cat", (char *)secret, NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "the secret\n");
	h_free(&r);
	h_audit_has("prog=handprobe: supervised under the seccomp filter");
	h_audit_has("prog=busybox op=open");
	cr_assert_eq(served_stop(&s), 0);
}

/* Acceptance 3: the child's listener, handed over by its parent as if it were the parent's. */
Test(handover, listener_of_another_process_is_refused_and_logged)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;
	char *log;

	served_start(&s, policy_for(secret), WAIT_MS);
	r = probe((char *[]){ "foreign", (char *)s.sock, (char *)secret, NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	/* the child's open went on to the kernel: the rule for nobody did not serve it */
	cr_assert(h_has_line(r.out, "child=EACCES"), "%s", r.out);
	/* the broker took the listener, waiting for a marker that could not come */
	cr_assert(h_has_line(r.out, "handover=0 marker=EINVAL"), "%s", r.out);
	h_free(&r);
	/* the line may follow the child's answer: it is written at the end of the loop's pass */
	cr_assert_eq(wait_for_text(s.log, "seccomp listener refused: its first call came from pid=",
				   WAIT_MS), 0, "%s", h_slurp(s.log));
	log = h_slurp(s.log);
	cr_assert(!strstr(log, "supervised under"), "%s", log);
	cr_assert(!strstr(log, "op=open"), "nothing of the child's was served: %s", log);
	free(log);
	cr_assert_eq(served_stop(&s), 0);
}

/* No marker at all: refused when SC_PROOF_MS (5 s) has passed; the child's filter is then dead. */
Test(handover, listener_without_its_marker_is_refused_in_time)
{
	const char *fifo = h_path("go");
	struct served s;
	struct proc p;
	const char *line;
	FILE *f;

	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0);
	served_start(&s, policy_for(h_file("secret", "x\n", 0600)), WAIT_MS);
	probe_start(&p, (char *[]){ "foreign-quiet", (char *)s.sock, (char *)fifo, NULL });
	line = p_line(&p, WAIT_MS);
	cr_assert(line && strcmp(line, "handover=0 marker=EINVAL") == 0, "%s",
		  line ? line : h_slurp(h_path("probe.err")));
	cr_assert_eq(wait_for_text(s.log, "seccomp listener refused: no marker call came in time",
				   WAIT_MS), 0, "%s", h_slurp(s.log));
	f = fopen(fifo, "w");
	cr_assert_not_null(f);
	fputc('g', f);
	fclose(f);
	line = p_line(&p, WAIT_MS);
	/* nobody reads its listener any more: the kernel answers ENOSYS */
	cr_assert(line && strcmp(line, "child=ENOSYS") == 0, "%s", line ? line : "(none)");
	cr_assert_eq(p_wait(&p), 0);
	cr_assert_eq(served_stop(&s), 0);
}

/*
 * A proven tree whose owner kept a copy of the listener (given to a child
 * that takes calls first): the broker's RECV finds nothing; it waits
 * SC_RECV_MS at most, disowns the tree, and goes on serving others.
 */
Test(handover, a_listener_someone_else_reads_too_stalls_nobody)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start(&s, policy_for(secret), WAIT_MS);
	/* the tree's reader waits in RECV for what the thief took: nobody else does */
	r = probe((char *[]){ "steal", (char *)s.sock, "2000", NULL });
	cr_assert_str_eq(r.out, "calls=2000\n", "%s%s", r.out, r.err);
	h_free(&r);
	r = probe((char *[]){ "self", (char *)s.sock, "/bin/busybox", "cat", (char *)secret, NULL });
	cr_assert_str_eq(r.out, "the secret\n", "%s%s", r.out, r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}

Test(handover, handover_needs_admit_and_a_listener)
{
	struct served s;
	struct result r;

	served_start(&s, policy_for(h_file("secret", "x\n", 0600)), WAIT_MS);
	r = probe((char *[]){ "bad", (char *)s.sock, NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "noadmit=EPERM notlistener=EBADF\n");
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}

/* A client through the broker's loop and gone: the hang-ups queued before it are handled. */
static void round_trip(void)
{
	struct result r = probe((char *[]){ "bad", (char *)h_path("broker.sock"), NULL });

	h_free(&r);
}

/* Admissions are bounded per uid, refused with EAGAIN and logged, and given back with their connection. */
Test(handover, admissions_are_bounded_and_given_back)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct proc p;
	const char *line;
	struct result r;

	served_start_args(&s, policy_for(secret), (char *[]){ "--max-trees-per-user", "2", NULL },
			  WAIT_MS);
	probe_start(&p, (char *[]){ "admit", (char *)s.sock, "3", NULL });
	line = p_line(&p, WAIT_MS);
	cr_assert(line && strcmp(line, "admitted 2 refused 1 status=EAGAIN") == 0, "%s",
		  line ? line : "(none)");
	cr_assert_eq(wait_for_text(s.log, "2 supervised trees of uid 65534 (--max-trees-per-user)",
				   WAIT_MS), 0, "%s", h_slurp(s.log));
	/* while the two admissions are held, a third program runs without the filter */
	r = probe((char *[]){ "self", (char *)s.sock, "/bin/busybox", "true", NULL });
	cr_assert(strstr(r.out, "skipped: the broker supervises as many programs as it may"), "%s",
		  r.out);
	h_free(&r);
	/* their connections end: the admissions are the uid's again */
	cr_assert_eq(p_stop(&p), 128 + SIGTERM);
	served_settle_fds(&s, s.base_fds, round_trip);
	r = probe((char *[]){ "self", (char *)s.sock, "/bin/busybox", "cat", (char *)secret, NULL });
	cr_assert_str_eq(r.out, "the secret\n", "%s%s", r.out, r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}

/*
 * One user's writes of results into its programs that stall (the page
 * never comes: tests/bin/statstall) hold at most WQ_OWNER_POSTED (4) of the
 * broker's workers; its other writes wait, and another user's results are
 * still written (front/write_queue.h).  Once the page comes, every write
 * that waited is made.  The stalling tree is root's (statstall makes its
 * page as root, then becomes nobody, whose stat of a file in a root-only
 * directory the policy serves); the other is nobody's.  Before, the
 * stalled writes took all 16 workers, and the other user's stat waited
 * behind them for ever.
 */
Test(handover, one_users_stalled_writes_leave_others_served)
{
	enum { THREADS = 20, SHARE = WQ_OWNER_POSTED };
	const char *secret;
	char stallprog[512], threads[16];
	struct follow decided;
	struct served s;
	struct proc stall, other;
	const char *line;
	int faults = 0, done = 0;

	h_dir("priv", 0700);
	secret = h_file("priv/secret", "the secret\n", 0600);
	snprintf(stallprog, sizeof(stallprog), "%s/tests/statstall", FDB_BUILD_DIR);
	snprintf(threads, sizeof(threads), "%d", THREADS);
	served_start(&s, policy_for(secret), WAIT_MS);
	follow_init(&decided, s.log, "prog=statstall op=stat ");
	p_start(&stall, (char *[]){ (char *)h_handprobe(), "self", (char *)s.sock, stallprog,
				    (char *)secret, threads, NULL },
		NULL, h_path("stall.err"));
	/* each call decided and logged before its write is even posted */
	cr_assert_eq(follow_wait(&decided, THREADS, WAIT_MS), 0, "%d of %d: %s", decided.count,
		     THREADS, h_slurp(s.log));
	follow_close(&decided);
	/* the writes it may have with the pool have stopped on its page */
	while (faults < SHARE) {
		line = p_line(&stall, WAIT_MS);
		cr_assert(line && !strcmp(line, "fault other"), "%s (after %d faults): %s",
			  line ? line : "(nothing)", faults, h_slurp(h_path("stall.err")));
		faults++;
	}
	probe_start(&other, (char *[]){ "self", (char *)s.sock, "/bin/busybox", "stat", "-c", "%s",
					(char *)secret, NULL });
	line = p_line(&other, WAIT_MS);
	cr_assert(line && !strcmp(line, "11"), "the other user's stat: %s, %s",
		  line ? line : "(nothing)", h_slurp(h_path("probe.err")));
	cr_assert_eq(p_wait(&other), 0);
	/* the page comes: the four stalled writes end, and the sixteen that waited are made */
	cr_assert_eq(kill(stall.pid, SIGUSR1), 0);
	while (done < THREADS) {
		line = p_line(&stall, WAIT_MS);
		cr_assert_not_null(line, "%d of %d stats returned", done, THREADS);
		if (!strcmp(line, "fault other"))
			cr_assert_leq(++faults, SHARE, "more writes than its share stalled");
		else if (strcmp(line, "page"))
			cr_assert_str_eq(line, "done ok");
		done += !strcmp(line, "done ok");
	}
	p_stop(&stall);
	cr_assert_eq(served_stop(&s), 0, "%s", h_slurp(h_path("serve.err")));
}
