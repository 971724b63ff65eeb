/*
 * sys/closer: which closes are made inline and which on a closer thread,
 * and that a close which never ends keeps neither the caller nor the next
 * closes waiting.  A close that waits is made with closer_test_close (a
 * FUSE server that never answers a flush needs a mount no unit test has).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sys/closer.h"

/* The account of most closes here; OTHER's are another user's. */
#define ME 1000
#define OTHER 1001

TestSuite(closer, .timeout = 30);

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Wait (polling every 2 ms, 5 s at most) until fd is closed. */
static void until_closed(int fd)
{
	long end = now_ms() + 5000;

	while (is_open(fd) && now_ms() < end)
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	cr_assert(!is_open(fd) && errno == EBADF, "fd %d never closed", fd);
}

/* A regular file of a temporary directory of its own, opened; the directory is gone already. */
static int regular_file(void)
{
	char dir[] = "/tmp/closer-XXXXXX", path[64];
	int fd;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd >= 0);
	unlink(path);
	rmdir(dir);
	return fd;
}

Test(closer, socket_and_fifo_close_inline)
{
	int sv[2], p[2];

	cr_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	errno = 1234;
	closer_close(ME, sv[0]);
	closer_close(ME, p[0]);
	cr_assert_eq(errno, 1234, "errno kept");
	cr_assert(!is_open(sv[0]) && errno == EBADF, "the socket is closed on return");
	cr_assert(!is_open(p[0]) && errno == EBADF, "the pipe is closed on return");
	cr_assert_eq(closer_queued_total(), 0);
	cr_assert_eq(closer_threads(), 0, "no thread for them");
	close(sv[1]);
	close(p[1]);
}

/* A unix socket with a record queued (even an empty one) may hold descriptors in flight. */
Test(closer, unix_socket_with_something_queued_goes_to_a_thread)
{
	int sv[2];

	cr_assert(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	cr_assert(send(sv[1], "", 0, 0) == 0);
	closer_close(ME, sv[0]);
	cr_assert_eq(closer_queued_total(), 1);
	until_closed(sv[0]);
	close(sv[1]);
}

/* Unconnected (a socket sent to be bound), it has no queue; listening, its connections may. */
Test(closer, unix_socket_unconnected_inline_listening_to_a_thread)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int loose = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(loose >= 0 && lfd >= 0);
	/* an abstract name of its own (autobind: an empty one picks it) */
	cr_assert(bind(lfd, (struct sockaddr *)&sa, sizeof(sa_family_t)) == 0);
	cr_assert(listen(lfd, 1) == 0);
	closer_close(ME, loose);
	cr_assert(!is_open(loose), "closed on return");
	cr_assert_eq(closer_queued_total(), 0);
	closer_close(ME, lfd);
	cr_assert_eq(closer_queued_total(), 1);
	until_closed(lfd);
}

Test(closer, lingering_socket_goes_to_a_thread)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 30 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(s >= 0);
	cr_assert(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	closer_close(ME, s);
	cr_assert_eq(closer_queued_total(), 1);
	until_closed(s);
}

/* The broker's own connection: closed here, its SO_LINGER (the listener's) taken off first. */
Test(closer, own_socket_closes_inline_without_linger)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 30 }, now;
	socklen_t len = sizeof(now);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), other;

	cr_assert(s >= 0);
	cr_assert(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	other = dup(s); /* to see the socket after the close */
	closer_close_socket(s);
	cr_assert(!is_open(s));
	cr_assert_eq(closer_queued_total(), 0);
	cr_assert(getsockopt(other, SOL_SOCKET, SO_LINGER, &now, &len) == 0);
	cr_assert_eq(now.l_onoff, 0);
	close(other);
}

Test(closer, regular_file_and_directory_go_to_a_thread)
{
	int f = regular_file(), d = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert(d >= 0);
	closer_close(ME, f);
	closer_close(ME, d);
	cr_assert_eq(closer_queued_total(), 2);
	cr_assert_geq(closer_threads(), 1);
	until_closed(f);
	until_closed(d);
}

Test(closer, not_open_is_harmless)
{
	int fd = regular_file();

	close(fd);
	closer_close(ME, fd);
	closer_close(ME, -1);
	cr_assert_eq(closer_queued_total(), 0);
}

/* The closes that wait: each of a descriptor marked stuck reads a byte of gate, then closes. */
static int gate[2];
static bool stuck[65536];

static int waiting_close(int fd)
{
	char c;

	if (fd >= 0 && fd < (int)(sizeof(stuck) / sizeof(stuck[0])) && stuck[fd]) {
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		stuck[fd] = false; /* the number may be another's next */
	}
	return close(fd);
}

/* A regular file whose close waits for a byte of gate. */
static int stuck_file(void)
{
	int fd = regular_file();

	cr_assert_lt(fd, (int)(sizeof(stuck) / sizeof(stuck[0])));
	stuck[fd] = true;
	return fd;
}

static void gate_open(void)
{
	cr_assert(pipe2(gate, O_CLOEXEC) == 0);
	closer_test_close(waiting_close);
}

/* Let n stuck closes end. */
static void gate_pass(int n)
{
	static char go[4096];

	cr_assert_leq(n, (int)sizeof(go));
	memset(go, 'x', sizeof(go));
	cr_assert(write(gate[1], go, (size_t)n) == n);
}

/*
 * Stuck closes of many accounts: one thread for each, up to CLOSER_THREADS
 * in all, and the caller never waits; once they end, every queued one is
 * made too.
 */
Test(closer, stuck_closes_block_no_one)
{
	enum { N = CLOSER_THREADS + 4 };
	int fds[N];
	long t0;

	gate_open();
	for (int i = 0; i < N; i++)
		fds[i] = stuck_file();
	t0 = now_ms();
	for (int i = 0; i < N; i++)
		closer_close((uid_t)(2000 + i / CLOSER_PER_ACCOUNT), fds[i]);
	cr_assert_lt(now_ms() - t0, 1000, "the caller did not wait for the closes");
	cr_assert_eq(closer_queued_total(), N);
	cr_assert_eq(closer_threads(), CLOSER_THREADS, "a thread per stuck close, no more");
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]), "fd %d closed though its close waits", fds[i]);
	/* the stuck ones end: every close is made, the queued ones too */
	gate_pass(N);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
	cr_assert_eq(closer_threads(), CLOSER_THREADS);
}

/*
 * One account's closes that never end take CLOSER_PER_ACCOUNT threads,
 * no more: another user's descriptors are closed meanwhile.  Before, the
 * first account's took every thread and everyone's waited behind them.
 */
Test(closer, one_accounts_stuck_closes_hold_no_other_accounts)
{
	enum { N = CLOSER_THREADS + 4 };
	int fds[N], theirs;

	gate_open();
	for (int i = 0; i < N; i++) {
		fds[i] = stuck_file();
		closer_close(ME, fds[i]);
	}
	cr_assert_eq(closer_threads(), CLOSER_PER_ACCOUNT, "one account's closes: its threads only");
	theirs = regular_file();
	closer_close(OTHER, theirs);
	until_closed(theirs);
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]), "fd %d closed though its close waits", fds[i]);
	gate_pass(N);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
}

/* Has fd something to read (an eventfd with a count)? */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/*
 * Past CLOSER_BACKLOG descriptors held an account is busy, another is not;
 * once it holds half as many the eased eventfd is readable, and closer_wait
 * returns.  Every descriptor is kept, none closed inline.
 */
Test(closer, an_account_holding_the_backlog_is_busy_until_it_eases)
{
	enum { N = CLOSER_BACKLOG };
	int fds[N], efd = closer_eased_fd();

	cr_assert_geq(efd, 0);
	gate_open();
	for (int i = 0; i < N - 1; i++) {
		fds[i] = stuck_file();
		closer_close(ME, fds[i]);
	}
	cr_assert_not(closer_busy(ME), "%d held: not yet", N - 1);
	fds[N - 1] = stuck_file();
	closer_close(ME, fds[N - 1]);
	cr_assert(closer_busy(ME), "%d held", N);
	cr_assert_not(closer_busy(OTHER));
	cr_assert_not(closer_wait(ME, 50), "still busy after the wait");
	cr_assert_not(readable(efd));
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]));
	/* half of them end: not busy, and told */
	gate_pass(N / 2);
	cr_assert(closer_wait(ME, 5000), "eased");
	cr_assert_not(closer_busy(ME));
	cr_assert(readable(efd), "the eased eventfd is told");
	closer_eased_clear();
	cr_assert_not(readable(efd));
	gate_pass(N / 2);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
}

/*
 * Past the first room of its queue an account's queue grows: none is
 * closed on the caller's thread (there, a flush that never ends would hold
 * the broker's loop), and every one is closed once the stuck ones end.
 * Before, the 1025th descriptor queued was closed inline.
 */
Test(closer, a_full_queue_grows_and_closes_nothing_inline)
{
	enum { N = 2 * 1024 + 5 };
	static int fds[N];
	struct rlimit rl;
	int fd;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N + 64)
		cr_skip_test("needs %d descriptors, RLIMIT_NOFILE allows %lu", N + 64,
			     (unsigned long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	gate_open();
	fd = regular_file();
	for (int i = 0; i < N; i++) {
		fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		cr_assert_geq(fds[i], 0);
		cr_assert_lt(fds[i], (int)(sizeof(stuck) / sizeof(stuck[0])));
		stuck[fds[i]] = true;
	}
	for (int i = 0; i < N; i++)
		closer_close(ME, fds[i]);
	cr_assert_eq(closer_queued_total(), N);
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]), "fd %d (the %dth) closed, though its close waits", fds[i],
			  i + 1);
	gate_pass(N);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
	close(fd);
}

/* Entries of /proc/self/fd (the directory's own included). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A unix socket pair with a record queued in [0] (so its close may wait); [1] to *peer. */
static int queued_socket(int *peer)
{
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(send(sv[1], "x", 1, 0), 1, "a record queued: its close may wait");
	*peer = sv[1];
	return sv[0];
}

/* Has the socket of peer's other end gone (POLLHUP), within ms? */
static bool hung_up(int peer, int ms)
{
	struct pollfd p = { .fd = peer, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLHUP);
}

/*
 * A busy account's sockets wait in flight, parked, not in the descriptor
 * table: the caller's descriptor of each is closed at once, yet the socket
 * lives (its peer sees no hang-up) until the account eases, when the
 * carrier's close on a closer thread lets them go.  Before, each waited in
 * the queue as one of the broker's descriptors.  Past CLOSER_PARKED (or a
 * full carrier) they are queued again, and let go too.
 */
Test(closer, a_busy_accounts_sockets_are_parked_in_flight)
{
	enum { N = CLOSER_BACKLOG, P = 200, MORE = CLOSER_PARKED + 50 - P };
	static int peers[P + MORE];
	int fds[N], before, after, queued = 0;
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	gate_open();
	for (int i = 0; i < N; i++) {
		fds[i] = stuck_file();
		closer_close(ME, fds[i]);
	}
	cr_assert(closer_busy(ME));
	before = open_fds();
	for (int i = 0; i < P; i++) {
		int s = queued_socket(&peers[i]);

		closer_close(ME, s);
		cr_assert_not(is_open(s), "the %dth socket still in the table", i + 1);
	}
	after = open_fds();
	cr_assert_leq(after, before + P + 2, "%d descriptors more than the peers and a carrier",
		      after - before - P - 2);
	for (int i = 0; i < P; i++)
		cr_assert_not(hung_up(peers[i], 0), "the %dth parked socket is gone already", i + 1);
	/* past CLOSER_PARKED: queued, as one of the table's each */
	for (int i = P; i < P + MORE; i++) {
		int s = queued_socket(&peers[i]);

		closer_close(ME, s);
		queued += is_open(s);
	}
	cr_assert_geq(queued, P + MORE - CLOSER_PARKED, "%d of %d queued", queued, P + MORE);
	/* the stuck closes end: the carrier goes, and the sockets with it; the queued ones too */
	gate_pass(N);
	for (int i = 0; i < P + MORE; i++)
		cr_assert(hung_up(peers[i], 5000), "the %dth socket never let go", i + 1);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
}
