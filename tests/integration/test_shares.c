/*
 * Fair shares on serve (issue 12, item 9): one uid cannot lock another out.
 *
 *  - nobody holding more connections than the per-user limit (2,048 by
 *    default) is refused the excess, and a uid with no passwd entry is
 *    still served meanwhile; the refusals are logged at most once a second
 *    for the uid, with a count of the ones not logged one by one;
 *  - the total limit is shared: past it every uid is refused, with its line;
 *  - held listeners of one uid stop at the limit (the bind gets EDQUOT and
 *    an audit line), and are released a grace period after no program holds
 *    them any more (a short one here: --listener-grace 1);
 *  - a 500-thread program of one user (the shim keeps up to two connections
 *    per thread) works under the defaults.
 * Attackers are tests/bin/rawclient, which speaks the wire itself (the
 * codec's records, malformed bytes written over them by hand).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000
#define OTHER_UID "4242" /* no passwd entry: rawclient sets it with setresuid */

TestSuite(shares, .fini = p_suite_fini, .timeout = 90);

static struct served srv;

/*
 * rawclient as uid:uid (groups cleared; in a user namespace of its own if
 * userns) left running; its first line.
 */
static const char *raw_start_in(struct proc *p, const char *uid, bool userns,
				char *const args[])
{
	char *argv[16] = { (char *)h_rawclient(), "-u", (char *)uid, "-g", (char *)uid };
	int n = 5;
	const char *line;

	if (userns)
		argv[n++] = "-U";
	argv[n++] = (char *)srv.sock;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	p_start(p, argv, NULL, h_path("raw.err"));
	line = p_line(p, WAIT_MS);
	cr_assert_not_null(line, "rawclient %s said nothing", args[0]);
	return line;
}

static const char *raw_start(struct proc *p, const char *uid, char *const args[])
{
	return raw_start_in(p, uid, false, args);
}

/* Poll (bounded) until the broker has at most n descriptors more than its baseline. */
static void fds_settle(int n)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < WAIT_MS / 10 && served_fds(&srv) > srv.base_fds + n; i++)
		nanosleep(&tick, NULL);
	cr_assert_leq(served_fds(&srv), srv.base_fds + n, "the broker still holds %d descriptors",
		      served_fds(&srv) - srv.base_fds);
}

/* The CLOCK_REALTIME ms of an audit line's stamp ("2026-12-01T19:12:17.088Z ..."). */
static long long stamp_ms(const char *line)
{
	struct tm tm = { 0 };
	int ms;

	cr_assert_eq(sscanf(line, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms), 7, "stamp of %s", line);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

static long long realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The refusal lines of uid in log: at most one a second (asserted), and
 * the refusals they account for, returned: one for each "refused pid=" line
 * plus the counts of those not logged one by one.
 */
static int refusals_of(const char *log, const char *uid)
{
	char *text = h_slurp_must(log), *save = NULL, uidfield[32], more[64];
	long long last = -1;
	int total = 0;

	snprintf(uidfield, sizeof(uidfield), " uid=%s ", uid);
	snprintf(more, sizeof(more), "more connections or binds of uid=%s ", uid);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *p;
		unsigned n;

		if (strstr(l, "]: refused pid=") && strstr(l, uidfield)) {
			total++;
			p = strstr(l, "(and ");
			if (p && sscanf(p, "(and %u more", &n) == 1)
				total += (int)n;
		} else if ((p = strstr(l, "]: refused ")) && strstr(l, more)) {
			cr_assert_eq(sscanf(p, "]: refused %u more", &n), 1, "%s", l);
			total += (int)n;
		} else {
			continue;
		}
		if (last >= 0)
			cr_assert_geq(stamp_ms(l) - last, 1000, "two refusal lines within a second:\n%s",
				      l);
		last = stamp_ms(l);
	}
	free(text);
	return total;
}

Test(shares, one_uid_holding_connections_does_not_lock_out_another)
{
	const char *secret = h_file("secret", "root only\n", 0600);
	char text[1024], want[64];
	struct proc hog;
	const char *line;

	cr_assert_null(getpwuid(4242), "uid 4242 has a passwd entry here");
	snprintf(text, sizeof(text), "allow user nobody open %s read\nallow user %s open %s read\n"
		 "allow user root open %s read\n", secret, OTHER_UID, secret, secret);
	served_start(&srv, h_file("policy", text, 0644), WAIT_MS);
	/* the defaults: 2,048 connections per user */
	line = raw_start(&hog, "65534", (char *[]){ "hold", (char *)secret, "2100", NULL });
	cr_assert_str_eq(line, "served 2048 refused 52");
	/* while nobody holds its 2,048, another uid is served */
	cr_assert_str_eq(served_raw(&srv, OTHER_UID, OTHER_UID, false,
				    (char *[]){ "open", (char *)secret, "3", NULL }),
			 "ok 3");
	cr_assert_str_eq(served_raw(&srv, "0", "0", false,
				    (char *[]){ "open", (char *)secret, "1", NULL }),
			 "ok 1");
	/* the 52 refused: one line, then the count of the rest a second later */
	cr_assert_eq(wait_for_text(srv.log, "more connections or binds of uid=65534 ", WAIT_MS), 0,
		     "no count of the refusals not logged:\n%s", h_slurp(srv.log));
	cr_assert_eq(refusals_of(srv.log, "65534"), 52, "%s", h_slurp(srv.log));
	snprintf(want, sizeof(want), "uid=%s gid=%s prog=rawclient op=open", OTHER_UID, OTHER_UID);
	cr_assert_eq(h_count_lines(h_slurp(srv.log), want, "verdict=allow"), 3);
	cr_assert_eq(h_count_lines(h_slurp(srv.log), "uid 65534 has 2048 connections already "
				   "(--max-clients-per-user)", "prog=rawclient"), 1);
	p_stop(&hog);
	cr_assert_eq(served_stop(&srv), 0);
}

Test(shares, the_total_limit_refuses_every_uid_with_a_line)
{
	const char *secret = h_file("secret", "root only\n", 0600);
	char text[1024];
	struct proc a, b;

	snprintf(text, sizeof(text), "allow user nobody open %s read\nallow user %s open %s read\n",
		 secret, OTHER_UID, secret);
	served_start_args(&srv, h_file("policy", text, 0644),
			  (char *[]){ "--max-clients", "40", "--max-clients-per-user", "25", NULL },
			  WAIT_MS);
	cr_assert_eq(wait_for_text(srv.log, "limits: connections 40 in all, 25 per user;", WAIT_MS),
		     0);
	cr_assert_str_eq(raw_start(&a, "65534", (char *[]){ "hold", (char *)secret, "30", NULL }),
			 "served 25 refused 5");
	cr_assert_str_eq(raw_start(&b, OTHER_UID,
				   (char *[]){ "hold", (char *)secret, "20", NULL }),
			 "served 15 refused 5");
	cr_assert_eq(wait_for_text(srv.log, "uid=4242 prog=rawclient: 40 clients connected already "
				   "(--max-clients)", WAIT_MS), 0, "%s", h_slurp(srv.log));
	/* once nobody lets go (and the broker has seen it go), the other uid gets room */
	p_stop(&a);
	fds_settle(15);
	cr_assert_str_eq(raw_start(&a, OTHER_UID, (char *[]){ "hold", (char *)secret, "10", NULL }),
			 "served 10 refused 0");
	cr_assert_eq(wait_for_text(srv.log, "more connections or binds of uid=4242 ", WAIT_MS), 0);
	cr_assert_eq(refusals_of(srv.log, "4242"), 5);
	cr_assert_eq(refusals_of(srv.log, "65534"), 5);
	p_stop(&a);
	p_stop(&b);
	cr_assert_eq(served_stop(&srv), 0);
}

/* connect() to 127.0.0.1:port: 0, or the errno. */
static int tcp_connect(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;

	cr_assert_geq(c, 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (connect(c, (struct sockaddr *)&to, sizeof(to)) < 0)
		err = errno;
	close(c);
	return err;
}

Test(shares, held_listeners_stop_at_the_limit_and_are_released_after_grace)
{
	const char *policy = h_file("policy", "allow user nobody accept tcp 127.0.0.1:741-745\n",
				    0644);
	char *log;
	struct proc p;
	long long gone;

	served_start_args(&srv, policy,
			  (char *[]){ "--max-listeners-per-user", "3", "--listener-grace", "1",
				      NULL },
			  WAIT_MS);
	cr_assert_str_eq(raw_start(&p, "65534",
				   (char *[]){ "listeners", "127.0.0.1", "741", "5", NULL }),
			 "held 3 refused 2 status=EDQUOT");
	log = h_slurp_must(srv.log);
	cr_assert_eq(h_count_lines(log, "op=bind object=127.0.0.1:74", "listener=held verdict=allow"),
		     3, "%s", log);
	cr_assert_eq(h_count_lines(log, "op=bind object=127.0.0.1:74", "policy:1 errno=EDQUOT"), 2,
		     "%s", log);
	cr_assert_eq(h_count_lines(log, "uid 65534 holds 3 listeners already "
				   "(--max-listeners-per-user)", NULL), 1, "%s", log);
	free(log);
	cr_assert_eq(tcp_connect(741), 0, "the held listener does not accept");
	cr_assert_eq(tcp_connect(744), ECONNREFUSED, "a listener past the limit exists");

	/* the program goes: its listeners stay for the grace period, then are closed */
	gone = realtime_ms();
	p_stop(&p);
	cr_assert_eq(wait_for_text(srv.log, "released the held listener 127.0.0.1:743 of uid=65534: "
				   "no program held it for 1 s", WAIT_MS), 0, "%s", h_slurp(srv.log));
	cr_assert_eq(wait_for_text(srv.log, "released the held listener 127.0.0.1:741 ", WAIT_MS), 0);
	cr_assert_eq(wait_for_text(srv.log, "released the held listener 127.0.0.1:742 ", WAIT_MS), 0);
	log = h_slurp_must(srv.log);
	{
		const char *rel = h_line_with(log, "released the held listener");

		cr_assert_geq(stamp_ms(rel) - gone, 1000, "released before the grace period: %s",
			      rel);
	}
	free(log);
	cr_assert_eq(tcp_connect(741), ECONNREFUSED, "a released listener still accepts");
	/* released listeners count no more: the uid may hold three again */
	cr_assert_str_eq(raw_start(&p, "65534",
				   (char *[]){ "listeners", "127.0.0.1", "743", "3", NULL }),
			 "held 3 refused 0 status=0");
	p_stop(&p);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * A listener held for one user's programs is no other user's to join, as
 * the kernel's port of another uid is not (EADDRINUSE), even where a rule
 * allows that user the address too: else its connections, under the rule
 * of whoever bound last, would go to both.
 */
Test(shares, a_held_listener_is_not_shared_across_users)
{
	char text[256];
	const char *policy;
	struct proc p, q;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(746) };
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	char *log;
	int c;

	snprintf(text, sizeof(text), "allow user nobody accept tcp 127.0.0.1:746 from 127.0.0.2\n"
		 "allow user %s accept tcp 127.0.0.1:746\n", OTHER_UID);
	policy = h_file("policy", text, 0644);
	served_start(&srv, policy, WAIT_MS);
	cr_assert_str_eq(raw_start(&p, "65534",
				   (char *[]){ "listeners", "127.0.0.1", "746", "1", NULL }),
			 "held 1 refused 0 status=0");
	cr_assert_str_eq(raw_start(&q, OTHER_UID,
				   (char *[]){ "listeners", "127.0.0.1", "746", "1", NULL }),
			 "held 0 refused 1 status=EADDRINUSE");
	p_stop(&q);
	log = h_slurp_must(srv.log);
	cr_assert_eq(h_count_lines(log, "uid=4242 ", "op=bind object=127.0.0.1:746"), 1, "%s", log);
	cr_assert_eq(h_count_lines(log, "uid=4242 ", "errno=EADDRINUSE"), 1, "%s", log);
	free(log);
	/* nobody's rule still decides: a peer outside its from is refused */
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	cr_assert_eq(connect(c, (struct sockaddr *)&to, sizeof(to)), 0, "%s", strerror(errno));
	cr_assert_eq(wait_for_text(srv.log, "op=accept object=127.0.0.1:746 peer=127.0.0.1:", WAIT_MS),
		     0);
	/* a reset, after the broker's close: no TIME_WAIT keeps the port from the next run */
	cr_assert_eq(setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)), 0);
	close(c);
	log = h_slurp_must(srv.log);
	cr_assert(strstr(h_line_with(log, "op=accept object=127.0.0.1:746"), "uid=65534 "), "%s", log);
	cr_assert(strstr(h_line_with(log, "op=accept object=127.0.0.1:746"), " verdict=deny "), "%s",
		  log);
	free(log);
	p_stop(&p);
	cr_assert_eq(served_stop(&srv), 0);
}

/* What a 500-thread program keeps (up to two connections a thread) fits the defaults. */
Test(shares, five_hundred_threads_of_one_user)
{
	const char *dir = h_dir("files", 0711);
	char policy[1024];
	struct result r;

	/* h_root_only_files' 500 files one by one: more than the harness keeps paths for */
	for (int i = 0; i < 500; i++) {
		char path[700];
		int fd;

		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
		close(fd);
	}
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);

	served_start(&srv, h_file("policy", policy, 0644), WAIT_MS);
	r = h_run((char *[]){ (char *)h_stress(), "threads", (char *)dir, "500", "20", NULL },
		  h_shim_env(srv.sock), true);
	cr_assert_str_eq(r.out, "ok opens=10000 wrong=0 failed=0 leaked=0\n", "%s", r.err);
	cr_assert_eq(r.status, 0);
	h_free(&r);
	cr_assert_null(strstr(h_slurp(srv.log), "refused"), "%s", h_slurp(srv.log));
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * A subordinate uid (--subuid) counts as its owner's when its process is
 * in a user namespace below the broker's (rawclient -U), as in one nobody
 * mapped with newuidmap: processes of nobody's range, each under a uid of
 * its own, share nobody's connections, and another uid is served
 * meanwhile.  The same uid in the broker's own namespace is an account of
 * its own.  A SIGHUP reads the file anew: a range no longer nobody's
 * counts uid by uid again.  Before, each uid of the range had a limit of
 * its own.
 */
Test(shares, subordinate_uids_count_as_their_owners)
{
	const char *secret = h_file("secret", "root only\n", 0600);
	const char *subuid = h_file("subuid", "nobody:100000:65536\n", 0644);
	char text[1024];
	struct proc a, b, c, d;

	snprintf(text, sizeof(text), "allow user 100001 open %s read\n"
		 "allow user 100002 open %s read\nallow user 100003 open %s read\n"
		 "allow user 100004 open %s read\nallow user %s open %s read\n", secret, secret,
		 secret, secret, OTHER_UID, secret);
	served_start_args(&srv, h_file("policy", text, 0644),
			  (char *[]){ "--max-clients-per-user", "3", "--subuid", (char *)subuid,
				      NULL },
			  WAIT_MS);
	cr_assert_eq(wait_for_text(srv.log, "subordinate uid ranges counted as their owners': 1 ",
				   WAIT_MS), 0, "%s", h_slurp(srv.log));
	cr_assert_str_eq(raw_start_in(&a, "100001", true,
				      (char *[]){ "hold", (char *)secret, "2", NULL }),
			 "served 2 refused 0");
	cr_assert_str_eq(raw_start_in(&b, "100002", true,
				      (char *[]){ "hold", (char *)secret, "2", NULL }),
			 "served 1 refused 1");
	cr_assert_eq(wait_for_text(srv.log, "uid=100002 prog=rawclient: uid 65534 (with its "
				   "subordinate uids) has 3 connections already "
				   "(--max-clients-per-user)", WAIT_MS), 0, "%s", h_slurp(srv.log));
	cr_assert_str_eq(served_raw(&srv, OTHER_UID, OTHER_UID, false,
				    (char *[]){ "open", (char *)secret, "1", NULL }),
			 "ok 1");
	/* in the broker's own namespace, uid 100003 is an account of its own */
	cr_assert_str_eq(raw_start(&c, "100003", (char *[]){ "hold", (char *)secret, "3", NULL }),
			 "served 3 refused 0");
	/* the range given to another user: uid 100004 is its own again */
	h_file("subuid", "nobody:500000:10\n", 0644);
	cr_assert_eq(kill(srv.proc.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(srv.log, "policy reloaded", WAIT_MS), 0, "%s", h_slurp(srv.log));
	cr_assert_str_eq(raw_start_in(&d, "100004", true,
				      (char *[]){ "hold", (char *)secret, "3", NULL }),
			 "served 3 refused 0");
	p_stop(&a);
	p_stop(&b);
	p_stop(&c);
	p_stop(&d);
	cr_assert_eq(served_stop(&srv), 0);
}
