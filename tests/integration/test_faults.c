/*
 * Faults (issue 6, faults bullet), against a real `fdbroker serve` and
 * programs running as nobody under the shim (tests/bin/stress):
 *
 *  - the broker SIGKILLed under load and started again on the same socket:
 *    while it is down every client's brokered open fails with the
 *    program's own errno (EACCES), promptly, never another errno, no
 *    SIGPIPE; once it is back every client is served again;
 *  - the broker out of descriptors (RLIMIT_NOFILE set low with prlimit):
 *    clients beyond what it can hold get EACCES at once instead of waiting,
 *    the episode is logged once, and when the holders leave, clients are
 *    served again and the broker's descriptor count is its baseline.  This
 *    broker runs as a user of its own, not root: see STARVED_UID.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000
#define PROMPT_MS 3000 /* "an error quickly": a refused client's bound */
#define NFLIP 8
#define NOFILE 32 /* the starved broker's RLIMIT_NOFILE */
#define MAX_HOLDERS (NOFILE + 8)
/*
 * The kernel lets a user have at most as many descriptors in flight in
 * SCM_RIGHTS messages (sent, not yet received) as the sender's
 * RLIMIT_NOFILE, counted over all of that user's processes; beyond it
 * sendmsg fails with ETOOMANYREFS.  Run as root with a limit of 32, the
 * starved broker's replies failed whenever root brokers of tests running
 * alongside (64 clients receiving at once) had more than 32 in flight.  A
 * user of its own keeps the count to this broker's replies.
 */
#define STARVED_UID 64321

static struct served srv;
/* every client process of a test, stopped by pid in .fini if a test fails */
static struct proc clients[MAX_HOLDERS];
static int nclients;

static void faults_fini(void)
{
	for (int i = 0; i < nclients; i++)
		if (clients[i].pid > 0) {
			kill(clients[i].pid, SIGKILL);
			p_wait(&clients[i]);
		}
	nclients = 0;
	if (srv.proc.pid > 0) {
		kill(srv.proc.pid, SIGKILL);
		p_wait(&srv.proc);
	}
	p_kill_all();
	h_cleanup();
}

TestSuite(faults, .fini = faults_fini, .timeout = 90);

/* The root-only file the clients open, and a policy file allowing nobody to read it. */
static const char *setup_files(const char **policy)
{
	char text[1024];

	h_root_only_files(1, text, sizeof(text));
	*policy = h_file("policy", text, 0644);
	return h_path("files/f0");
}

/* stress MODE FILE as nobody under the shim, talking to srv; its slot in clients[]. */
static struct proc *spawn_client(const char *mode, const char *file)
{
	struct proc *p;

	cr_assert_lt(nclients, MAX_HOLDERS);
	p = &clients[nclients++];
	p_start(p,
		(char *[]){ "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			    (char *)h_stress(), (char *)mode, (char *)file, NULL },
		h_shim_env(srv.sock), h_path("clients.err"));
	return p;
}

/* The next line of p, which must come within timeout_ms. */
static const char *next_line(struct proc *p, int timeout_ms, const char *what)
{
	const char *line = p_line(p, timeout_ms);

	cr_assert_not_null(line, "client %d: no line within %d ms (%s)", (int)p->pid, timeout_ms,
			   what);
	return line;
}

/* Log occurrences of needle so far. */
static int log_count(const char *needle)
{
	struct follow f;
	int n;

	follow_init(&f, srv.log, needle);
	follow_wait(&f, 1 << 30, 0);
	n = f.count;
	follow_close(&f);
	return n;
}

/* One raw round trip (served_settle_fds). */
static void good_client(void)
{
	served_raw(&srv, "65534", "65534", false,
		   (char *[]){ "open", (char *)h_path("files/f0"), "1", NULL });
}

Test(faults, broker_killed_and_restarted_under_load)
{
	const char *policy, *file = setup_files(&policy);
	struct proc *flip[NFLIP];
	struct follow f;
	int base;

	served_start(&srv, policy, WAIT_MS);
	base = srv.base_fds;
	for (int i = 0; i < NFLIP; i++)
		flip[i] = spawn_client("flip", file);
	for (int i = 0; i < NFLIP; i++)
		cr_assert_str_eq(next_line(flip[i], WAIT_MS, "first open"), "ok");
	/* under load: thousands of decisions logged, the clients still going */
	follow_init(&f, srv.log, "verdict=allow");
	cr_assert_eq(follow_wait(&f, 2000, WAIT_MS), 0, "%d allow lines", f.count);
	follow_close(&f);

	cr_assert_eq(kill(srv.proc.pid, SIGKILL), 0);
	cr_assert_eq(p_wait(&srv.proc), 128 + SIGKILL);
	/* each client's next outcome is its own errno; any other would print first */
	for (int i = 0; i < NFLIP; i++)
		cr_assert_str_eq(next_line(flip[i], WAIT_MS, "broker down"), "err EACCES",
				 "client %d with the broker down", i);

	/* a new broker on the same path (the dead one's socket file is stale) */
	follow_init(&f, srv.log, "serving ");
	served_spawn(&srv.proc, policy, srv.sock, srv.log, NULL);
	cr_assert_eq(follow_wait(&f, 2, WAIT_MS), 0, "the new broker did not start");
	follow_close(&f);
	for (int i = 0; i < NFLIP; i++)
		cr_assert_str_eq(next_line(flip[i], WAIT_MS, "broker back"), "ok",
				 "client %d with the broker back", i);

	for (int i = 0; i < NFLIP; i++) {
		long ok, eacces, other, wrong, slowest;
		const char *line;

		cr_assert_eq(kill(flip[i]->pid, SIGTERM), 0);
		line = next_line(flip[i], WAIT_MS, "totals");
		cr_assert_eq(sscanf(line, "done ok=%ld eacces=%ld other=%ld wrong=%ld "
				    "slowest_fail_ms=%ld", &ok, &eacces, &other, &wrong, &slowest),
			     5, "client %d: %s", i, line);
		cr_assert(ok > 0 && eacces > 0 && other == 0 && wrong == 0, "client %d: %s", i,
			  line);
		/*
		 * A hang would last until the test's timeout.  Failing opens take
		 * well under a second normally, but up to 2.1 s were seen with
		 * three ASan runs of this suite at once on two cores.
		 */
		cr_assert_lt(slowest, 5000, "client %d: a failing open took %ld ms", i, slowest);
		/* exit 0, not SIGPIPE (nor any other signal) */
		cr_assert_eq(p_wait(flip[i]), 0, "client %d", i);
	}
	/* the new broker is the same program with the same policy: the same baseline */
	srv.base_fds = base;
	served_settle_fds(&srv, srv.base_fds, good_client);
	cr_assert_eq(served_stop(&srv), 0);
}

/* A hold client's next outcome ("ok", "err ENAME") and how long its open took. */
static const char *hold_outcome(struct proc *p, const char *what, long *ms)
{
	static char outcome[64];
	const char *line = next_line(p, WAIT_MS, what), *at = strstr(line, " ms=");

	cr_assert_not_null(at, "client %d: %s", (int)p->pid, line);
	snprintf(outcome, sizeof(outcome), "%.*s", (int)(at - line), line);
	*ms = atol(at + 4);
	return outcome;
}

/* N of the log's "descriptors available again; N clients were refused". */
static int episode_refused(void)
{
	char *log = h_slurp_must(srv.log);
	const char *at = strstr(log, "descriptors available again; ");
	int n = -1;

	cr_assert_not_null(at);
	cr_assert_eq(sscanf(at, "descriptors available again; %d clients were refused", &n), 1,
		     "%.80s", at);
	free(log);
	return n;
}

/* fdbroker serve as STARVED_UID with RLIMIT_NOFILE at NOFILE, its files in h_path("run"). */
static void start_starved(const char *policy, const char *file)
{
	char nofile[32], uid[32], gid[32];

	/* its own directory for its socket and log; the file is its to open, not nobody's */
	cr_assert_eq(chown(h_dir("run", 0755), STARVED_UID, STARVED_UID), 0);
	cr_assert_eq(chown(file, STARVED_UID, STARVED_UID), 0);
	srv.sock = h_path("run/broker.sock");
	srv.log = h_path("run/audit.log");
	snprintf(nofile, sizeof(nofile), "--nofile=%d", NOFILE);
	snprintf(uid, sizeof(uid), "--reuid=%d", STARVED_UID);
	snprintf(gid, sizeof(gid), "--regid=%d", STARVED_UID);
	p_start(&srv.proc,
		(char *[]){ "prlimit", nofile, "setpriv", uid, gid, "--clear-groups",
			    (char *)h_fdbroker(), "serve", "-p", (char *)policy, "-s",
			    (char *)srv.sock, "--log", (char *)srv.log, NULL },
		NULL, h_path("serve.err"));
	cr_assert_eq(wait_for_file(srv.sock, WAIT_MS), 0, "broker did not start");
	cr_assert_eq(wait_for_text(srv.log, "serving ", WAIT_MS), 0, "broker did not start");
	srv.base_fds = served_fds(&srv);
}

/*
 * Out of descriptors.  Holders (stress hold: one open, the connection kept)
 * are started one at a time until the broker refuses one.  The last ones
 * admitted get no file: the broker needs a descriptor more for the open
 * itself.  Every later client is refused.
 */
Test(faults, out_of_descriptors)
{
	const char *policy, *file = setup_files(&policy), *what;
	struct proc *h[MAX_HOLDERS], *late;
	int nh = 0, nok = 0, nerr = 0, refused = 0, before, room;
	struct follow f;
	long ms;

	start_starved(policy, file);
	room = NOFILE - pid_fds_below(srv.proc.pid, NOFILE);
	cr_assert_gt(room, 4, "baseline %d", srv.base_fds);

	/* fill it up: served, then admitted but failing, then refused */
	while (!refused) {
		cr_assert_lt(nh, NOFILE, "%d holders and none refused", nh);
		h[nh] = spawn_client("hold", file);
		what = hold_outcome(h[nh], "filling up", &ms);
		cr_assert(!strcmp(what, "ok") || !strcmp(what, "err EACCES"), "holder %d: %s", nh,
			  what);
		if (!strcmp(what, "ok")) {
			cr_assert_eq(nerr, 0, "holder %d served after one that was not", nh);
			nok++;
		} else if (log_count("errno=EMFILE") > nerr) {
			/*
			 * Admitted, but its open failed in the broker: the
			 * program keeps its own errno, the log says why (the
			 * line is written before the reply is sent).
			 */
			nerr++;
		} else {
			refused = 1;
			cr_assert_lt(ms, PROMPT_MS, "the refused client waited %ld ms", ms);
		}
		nh++;
	}
	cr_assert_geq(nok, room - 2, "%d served, room for %d", nok, room);
	cr_assert_eq(nok + nerr, room, "admitted %d, room for %d", nok + nerr, room);

	/* more clients: each refused at once, the episode noted once */
	for (int i = 0; i < 3; i++, nh++) {
		h[nh] = spawn_client("hold", file);
		cr_assert_str_eq(hold_outcome(h[nh], "refused", &ms), "err EACCES");
		cr_assert_lt(ms, PROMPT_MS, "refused client %d waited %ld ms", i, ms);
	}
	cr_assert_eq(log_count("out of descriptors (Too many open files): refusing new clients"),
		     1);

	/*
	 * A client already connected asks while the table is full: its open
	 * fails in the broker, logged as such; the program gets its own errno
	 * (EMFILE would say its own table is full, which it is not).
	 */
	before = log_count("verdict=error");
	kill(h[0]->pid, SIGUSR1);
	cr_assert_str_eq(hold_outcome(h[0], "asking while full", &ms), "err EACCES");
	cr_assert_eq(log_count("verdict=error"), before + 1);
	cr_assert_geq(log_count("errno=EMFILE"), 1);
	/*
	 * Full, spare included: counted only now, after a round trip, since a
	 * refused client sees its connection end just before the broker takes
	 * its spare back.
	 */
	cr_assert_eq(pid_fds_below(srv.proc.pid, NOFILE), NOFILE, "the table is not full");

	/* the others leave; the first asks again: served (their hang-ups came first) */
	for (int i = 1; i < nh; i++)
		cr_assert_eq(p_stop(h[i]), 0);
	kill(h[0]->pid, SIGUSR1);
	cr_assert_str_eq(hold_outcome(h[0], "after the others left", &ms), "ok");
	/* and a new client is admitted and served, which ends the episode */
	follow_init(&f, srv.log, "descriptors available again; ");
	late = spawn_client("hold", file);
	cr_assert_str_eq(hold_outcome(late, "new client", &ms), "ok");
	cr_assert_eq(follow_wait(&f, 1, WAIT_MS), 0, "the end of the episode was not logged");
	follow_close(&f);
	/* 4 refused clients; a shim client makes one or two connections (a retry after EPIPE) */
	refused = episode_refused();
	cr_assert(refused >= 4 && refused <= 8, "%d clients refused", refused);
	cr_assert_eq(log_count("out of descriptors"), 1);
	cr_assert_eq(log_count("descriptors available again"), 1);

	cr_assert_eq(p_stop(h[0]), 0);
	cr_assert_eq(p_stop(late), 0);
	served_settle_fds(&srv, srv.base_fds, good_client);
	cr_assert_eq(served_stop(&srv), 0);
}
