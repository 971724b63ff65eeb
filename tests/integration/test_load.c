/*
 * Load and fairness (issue 6, fourth item; SPEC §5 "bounded clients,
 * non-blocking I/O ... never stalls other clients"), against a real
 * `fdbroker serve` (root), loopback/unix only:
 *
 *  - 1,000 clients connected at once, all served (one uid: what a
 *    500-thread program keeps); up to a per-user limit of 1,024 (set with
 *    --max-clients-per-user: the RSS bound below was measured for 1,024;
 *    the default, 2,048, is the shares suite's) admitted, the 1,025th refused with a
 *    log line, the rest still served;
 *  - 64 clients making many requests each.  The issue asks for 50,000 each
 *    (3.2 million brokered opens); that took 113 s on a 2-core machine, so
 *    this CI-sized run makes 64 x 2,000 = 128,000 real opens (a few
 *    seconds).  With FDB_LOAD_FULL=1 in the environment,
 *    load/sixty_four_clients_full_size makes the 64 x 50,000 too
 *    (otherwise it is skipped);
 *  - clients SIGKILLed at random points mid-request (reply in flight, a
 *    descriptor in flight, holding a received descriptor) while others work;
 *  - a client that sends half a message and stalls, one that connects and
 *    says nothing, and one that never reads its replies: every other client
 *    still completes, within a generous bound.
 * Afterwards the broker's descriptor count is exactly its baseline, its RSS
 * within 10% of it, and no process is left a zombie.
 *
 * Clients are tests/bin/rawclient (as nobody) except the 1,000 connections,
 * which this test process holds itself (RLIMIT_NOFILE raised for it).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "harness.h"
#include "served.h"
#include "spawn.h"
#include "wire.h"

#define WAIT_MS 20000
#define MAX_CLIENTS 1024 /* --max-clients-per-user: all the test's clients are root */

/* Client processes of this test, by pid, so .fini can stop every one. */
struct client_proc {
	pid_t pid;
	int out;
};
static struct client_proc procs[160];
static int nprocs;

static void load_fini(void)
{
	for (int i = 0; i < nprocs; i++)
		if (procs[i].pid > 0) {
			kill(procs[i].pid, SIGKILL);
			waitpid(procs[i].pid, NULL, 0);
		}
	nprocs = 0;
	p_kill_all();
	h_cleanup();
}

TestSuite(load, .fini = load_fini, .timeout = 45);

static struct served srv;
static const char *secret;

static void start_broker_args(char *const args[])
{
	char text[1024];

	secret = h_file("secret", "root only\n", 0600);
	snprintf(text, sizeof(text), "allow user nobody open %s read\n"
		 "allow user root open %s read\n", secret, secret);
	const char *policy = h_file("policy", text, 0644);

	served_start_args(&srv, policy, args, WAIT_MS);
}

static void start_broker(void)
{
	start_broker_args(NULL);
}

/* rawclient as nobody, left running; returns its index in procs. */
static int spawn_raw(char *const args[])
{
	char *argv[20] = { (char *)h_rawclient(), "-u", "65534", "-g", "65534", (char *)srv.sock };
	int n = 6, o[2];
	pid_t pid;

	for (int i = 0; args[i] && n < 19; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cr_assert_lt(nprocs, (int)(sizeof(procs) / sizeof(procs[0])));
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int e = open(h_path("clients.err"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			     0644);

		dup2(o[1], 1);
		if (e >= 0)
			dup2(e, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	procs[nprocs] = (struct client_proc){ .pid = pid, .out = o[0] };
	return nprocs++;
}

/* Client i's first line of output, waiting until deadline (CLOCK_MONOTONIC ms). */
static const char *raw_line(int i, long deadline)
{
	static char buf[512];
	size_t len = 0;

	for (;;) {
		struct pollfd pf = { .fd = procs[i].out, .events = POLLIN };
		struct timespec ts;
		long now;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline || poll(&pf, 1, (int)(deadline - now)) <= 0)
			return NULL;
		n = read(procs[i].out, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return NULL;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n') || len == sizeof(buf) - 1) {
			buf[strcspn(buf, "\n")] = '\0';
			return buf;
		}
	}
}

/* Reap client i; its status as p_wait gives it. */
static int raw_wait(int i)
{
	int st;

	while (waitpid(procs[i].pid, &st, 0) < 0 && errno == EINTR)
		;
	procs[i].pid = 0;
	close(procs[i].out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void raw_kill(int i)
{
	kill(procs[i].pid, SIGKILL);
	cr_assert_eq(raw_wait(i), 128 + SIGKILL);
}

/* One good client (nobody, 3 real opens), run to completion. */
static void good_client(void)
{
	char *argv[] = { (char *)h_rawclient(), "-u", "65534", "-g", "65534", (char *)srv.sock, "open",
			 (char *)secret, "3", NULL };
	struct result r = h_run(argv, NULL, false);

	cr_assert_eq(r.status, 0, "good client: %d %s", r.status, r.err);
	cr_assert_str_eq(r.out, "ok 3\n", "good client: %s", r.out);
	h_free(&r);
}

/*
 * RSS within 10% of the baseline, with no fixed floor and no exception for
 * the sanitizer build.  Measured after each test here, the broker came back
 * to within 0-16 kB of a ~2,000 kB baseline, so page granularity needs no
 * slack; under ASan (baseline ~7,970 kB) the 1,024-client test ends up to
 * 504 kB (6.3%) above it, the memory ASan's quarantine holds, the others
 * within 52 kB.  Before the broker trimmed its heap after a crowd left, the
 * 1,024-client test stayed 356 kB (17%) above its baseline.
 */
static void check_rss(long base)
{
	long now = served_rss_kb(&srv);

	cr_assert_leq(now, base + base / 10, "broker RSS %ld kB, baseline %ld kB", now, base);
}

/* No zombie whose parent is the broker or this test. */
static void no_zombies(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc");

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512], *p, state;
		int ppid, fd;
		ssize_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
			continue;
		cr_assert(!(state == 'Z' && (ppid == getpid() || ppid == srv.proc.pid)),
			  "zombie %s (parent %d)", e->d_name, ppid);
	}
	closedir(d);
}

/* The encoded OPEN of path, O_RDONLY, no dirfd (the test's own client). */
static size_t open_record(unsigned char *buf, const char *path)
{
	struct fdb_open_req r = { .flags = O_RDONLY, .path = path };
	int n = wire_encode_open(buf, FDB_MSG_MAX, 1, &r);

	cr_assert_gt(n, 0, "encode OPEN %s: %s", path, strerror(-n));
	return (size_t)n;
}

static int connect_broker(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", srv.sock);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect: %s",
		     strerror(errno));
	return fd;
}

/*
 * The reply on s: 1 a success with one descriptor (closed here), 0 end of
 * stream without a reply, -1 anything else.  Waits up to WAIT_MS.
 */
static int read_reply(int s)
{
	unsigned char buf[FDB_MSG_MAX];
	struct pollfd pf = { .fd = s, .events = POLLIN };
	struct fdb_hdr h;
	struct fdb_reply r;
	size_t nfds;
	ssize_t n;
	int fd = -1;

	if (poll(&pf, 1, WAIT_MS) != 1)
		return -1;
	n = fdpass_recv(s, buf, sizeof(buf), &fd, 1, &nfds, MSG_CMSG_CLOEXEC);
	if (n == 0 || n == -ECONNRESET)
		return 0;
	if (n > 0 && nfds == 1)
		close(fd);
	if (n < 0 || wire_decode_hdr(buf, (size_t)n, &h) < 0 || h.op != FDB_OP_REPLY ||
	    wire_decode_reply(buf, (size_t)n, &r) < 0)
		return -1;
	return r.status == 0 && nfds == 1 ? 1 : -1;
}

Test(load, a_thousand_clients_at_once_and_the_limit)
{
	static int s[MAX_CLIENTS + 1];
	unsigned char req[FDB_MSG_MAX];
	struct rlimit rl;
	struct follow f;
	size_t len;
	long rss;
	int base, extra;

	/* this process holds every connection; the broker inherits the limit too */
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max < 4096)
		rl.rlim_max = 4096; /* root may raise the hard limit */
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "RLIMIT_NOFILE: %s", strerror(errno));
	start_broker_args((char *[]){ "--max-clients-per-user", "1024", NULL });
	good_client();
	base = srv.base_fds;
	rss = served_rss_kb(&srv);
	len = open_record(req, secret);

	/* 1,000 at once: all connected, then every one asks, then every one is answered */
	for (int i = 0; i < 1000; i++)
		s[i] = connect_broker();
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(send(s[i], req, len, MSG_NOSIGNAL), (ssize_t)len);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(read_reply(s[i]), 1, "client %d of 1000 not served", i);
	/* one each (the warm-up client's hang-up may not be handled yet: +1 at most) */
	cr_assert(served_fds(&srv) >= base + 1000 && served_fds(&srv) <= base + 1001,
		  "broker descriptors %d for 1000 clients, baseline %d", served_fds(&srv), base);

	/* up to the limit, admitted and served */
	for (int i = 1000; i < MAX_CLIENTS; i++) {
		s[i] = connect_broker();
		cr_assert_eq(send(s[i], req, len, MSG_NOSIGNAL), (ssize_t)len);
		cr_assert_eq(read_reply(s[i]), 1, "client %d not served", i);
	}
	/* one more: connected by the kernel, then closed by the broker, with a log line */
	follow_init(&f, srv.log, "uid 0 has 1024 connections already (--max-clients-per-user)");
	extra = connect_broker();
	(void)!send(extra, req, len, MSG_NOSIGNAL);
	cr_assert_eq(read_reply(extra), 0, "client 1025 was not refused");
	close(extra);
	cr_assert_eq(follow_wait(&f, 1, WAIT_MS), 0, "no log line for the refused client");
	follow_close(&f);

	/* everyone admitted is still served */
	for (int i = 0; i < MAX_CLIENTS; i += 97) {
		cr_assert_eq(send(s[i], req, len, MSG_NOSIGNAL), (ssize_t)len);
		cr_assert_eq(read_reply(s[i]), 1, "client %d not served after the refusal", i);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		close(s[i]);
	served_settle_fds(&srv, base, good_client);
	check_rss(rss);
	no_zombies();
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * 64 clients x nreq opens, all at once, each done within deadline_ms; every
 * open decided and logged; then descriptors and RSS back to their baseline.
 */
#define MANY_CLIENTS 64

static void many_requests(int nreq, long deadline_ms)
{
	int idx[MANY_CLIENTS], base;
	long rss, deadline, t0;
	char n[16], want[32];
	struct follow f;

	snprintf(n, sizeof(n), "%d", nreq);
	snprintf(want, sizeof(want), "ok %d", nreq);
	start_broker();
	good_client();
	base = srv.base_fds;
	rss = served_rss_kb(&srv);
	t0 = h_now_ms();
	for (int i = 0; i < MANY_CLIENTS; i++)
		idx[i] = spawn_raw((char *[]){ "open", (char *)secret, n, NULL });
	deadline = t0 + deadline_ms;
	for (int i = 0; i < MANY_CLIENTS; i++) {
		const char *line = raw_line(idx[i], deadline);

		cr_assert(line && !strcmp(line, want), "client %d: %s", i,
			  line ? line : "(no answer in time)");
		cr_assert_eq(raw_wait(idx[i]), 0);
	}
	/* every open was decided and logged (a full-size log is ~600 MB to read) */
	follow_init(&f, srv.log, "verdict=allow");
	cr_assert_eq(follow_wait(&f, MANY_CLIENTS * nreq, WAIT_MS + (int)(deadline_ms / 4)), 0,
		     "%d allow lines", f.count);
	follow_close(&f);
	served_settle_fds(&srv, base, good_client);
	check_rss(rss);
	cr_log_info("64 clients x %d opens: %ld ms; broker descriptors %d, baseline %d; "
		    "RSS %ld kB, baseline %ld kB", nreq, h_now_ms() - t0, served_fds(&srv), base,
		    served_rss_kb(&srv), rss);
	no_zombies();
	cr_assert_eq(served_stop(&srv), 0);
}

/* The 64 x 50,000 scaled to fit a CI run on two cores: see the top of the file. */
Test(load, sixty_four_clients_many_requests_each)
{
	many_requests(2000, 45000);
}

/* The figure, 3.2 million opens: run by hand with FDB_LOAD_FULL=1. */
Test(load, sixty_four_clients_full_size, .timeout = 3600)
{
	const char *full = getenv("FDB_LOAD_FULL");

	if (!full || strcmp(full, "1") != 0)
		cr_skip_test("the full-size run needs FDB_LOAD_FULL=1");
	many_requests(50000, 3000L * 1000);
}

Test(load, clients_killed_mid_request)
{
	int good[8], dying[96], base;
	long rss, deadline;

	start_broker();
	good_client();
	base = srv.base_fds;
	rss = served_rss_kb(&srv);
	for (int i = 0; i < 8; i++)
		good[i] = spawn_raw((char *[]){ "open", (char *)secret, "1000", NULL });
	/*
	 * Each dies by SIGKILL at a point its seed picks: after 0..N-1 good
	 * requests, then right after connecting, with a request (and its reply)
	 * in flight, with a descriptor in flight to the broker, or holding one
	 * the broker sent.
	 */
	for (int i = 0; i < 96; i++) {
		char seed[16];

		snprintf(seed, sizeof(seed), "%d", i + 1);
		dying[i] = spawn_raw((char *[]){ "die", (char *)secret, seed, "20", NULL });
	}
	for (int i = 0; i < 96; i++)
		cr_assert_eq(raw_wait(dying[i]), 128 + SIGKILL, "client %d did not die as planned",
			     i);
	deadline = h_now_ms() + 30000;
	for (int i = 0; i < 8; i++) {
		const char *line = raw_line(good[i], deadline);

		cr_assert(line && !strcmp(line, "ok 1000"), "good client %d: %s", i,
			  line ? line : "(no answer in time)");
		cr_assert_eq(raw_wait(good[i]), 0);
	}
	cr_assert_eq(kill(srv.proc.pid, 0), 0, "broker gone");
	served_settle_fds(&srv, base, good_client);
	check_rss(rss);
	no_zombies();
	cr_assert_eq(served_stop(&srv), 0);
}

Test(load, stalled_and_deaf_clients_do_not_delay_others)
{
	int silent, half, deaf, good[16], base, sent;
	long rss, deadline, t0, allowed;
	char *text;
	const char *line;
	struct follow f;

	start_broker();
	good_client();
	base = srv.base_fds;
	rss = served_rss_kb(&srv);

	/* says nothing at all, holding its connection */
	silent = spawn_raw((char *[]){ "stall", "silent", NULL });
	line = raw_line(silent, h_now_ms() + WAIT_MS);
	cr_assert(line && !strcmp(line, "stalled"));
	/* half a header, then nothing: dropped as a bad record */
	follow_init(&f, srv.log, "bad record header");
	half = spawn_raw((char *[]){ "stall", "half", NULL });
	line = raw_line(half, h_now_ms() + WAIT_MS);
	cr_assert(line && !strcmp(line, "stalled"));
	cr_assert_eq(follow_wait(&f, 1, WAIT_MS), 0, "the half-message client was not logged");
	follow_close(&f);
	/* asks and asks, never reads: the broker gives up on it rather than wait */
	text = h_slurp_must(srv.log);
	allowed = h_count_lines(text, "verdict=allow", NULL);
	free(text);
	follow_init(&f, srv.log, "reply not sent (Resource temporarily unavailable): client dropped");
	deaf = spawn_raw((char *[]){ "noread", (char *)secret, "5000", NULL });
	line = raw_line(deaf, h_now_ms() + WAIT_MS);
	cr_assert(line && sscanf(line, "sent %d", &sent) == 1, "deaf client: %s",
		  line ? line : "(none)");
	cr_assert_lt(sent, 5000, "the broker kept answering a client that never reads");
	cr_assert_eq(follow_wait(&f, 1, WAIT_MS), 0, "the deaf client's drop was not logged");
	follow_close(&f);
	/*
	 * It left at most a dozen replies unread, each with a descriptor in
	 * flight (the connection's small send buffer), not 278 (the default).
	 */
	text = h_slurp_must(srv.log);
	allowed = h_count_lines(text, "verdict=allow", NULL) - allowed;
	free(text);
	cr_assert_leq(allowed, 16, "the broker answered %ld opens of a client that reads none",
		      allowed);

	/* with all three still there, everyone else completes, within a generous bound */
	t0 = h_now_ms();
	for (int i = 0; i < 16; i++)
		good[i] = spawn_raw((char *[]){ "open", (char *)secret, "500", NULL });
	deadline = t0 + 20000;
	for (int i = 0; i < 16; i++) {
		line = raw_line(good[i], deadline);
		cr_assert(line && !strcmp(line, "ok 500"), "good client %d: %s after %ld ms", i,
			  line ? line : "(no answer)", h_now_ms() - t0);
		cr_assert_eq(raw_wait(good[i]), 0);
	}
	cr_assert_eq(kill(srv.proc.pid, 0), 0, "broker gone");
	/* the silent one is still connected (it did nothing wrong) until it goes */
	raw_kill(silent);
	raw_kill(half);
	raw_kill(deaf);
	served_settle_fds(&srv, base, good_client);
	check_rss(rss);
	no_zombies();
	cr_assert_eq(served_stop(&srv), 0);
}
