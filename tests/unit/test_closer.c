/*
 * sys/closer: which closes are made inline and which on a closer thread,
 * and that a close which never ends keeps neither the caller nor the next
 * closes waiting.  A close that waits is made with closer_test_close (a
 * FUSE server that never answers a flush needs a mount no unit test has).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sys/closer.h"

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
	closer_close(sv[0]);
	closer_close(p[0]);
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
	closer_close(sv[0]);
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
	closer_close(loose);
	cr_assert(!is_open(loose), "closed on return");
	cr_assert_eq(closer_queued_total(), 0);
	closer_close(lfd);
	cr_assert_eq(closer_queued_total(), 1);
	until_closed(lfd);
}

Test(closer, lingering_socket_goes_to_a_thread)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 30 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(s >= 0);
	cr_assert(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	closer_close(s);
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
	closer_close(f);
	closer_close(d);
	cr_assert_eq(closer_queued_total(), 2);
	cr_assert_geq(closer_threads(), 1);
	until_closed(f);
	until_closed(d);
}

Test(closer, not_open_is_harmless)
{
	int fd = regular_file();

	close(fd);
	closer_close(fd);
	closer_close(-1);
	cr_assert_eq(closer_queued_total(), 0);
}

/* The closes that wait: each reads a byte of gate, then closes. */
static int gate[2];

static int waiting_close(int fd)
{
	char c;

	while (read(gate[0], &c, 1) < 0 && errno == EINTR)
		;
	return close(fd);
}

Test(closer, stuck_closes_block_no_one)
{
	enum { N = CLOSER_THREADS + 4 };
	int fds[N];
	long t0;

	cr_assert(pipe2(gate, O_CLOEXEC) == 0);
	closer_test_close(waiting_close);
	for (int i = 0; i < N; i++)
		fds[i] = regular_file();
	t0 = now_ms();
	for (int i = 0; i < N; i++)
		closer_close(fds[i]);
	cr_assert_lt(now_ms() - t0, 1000, "the caller did not wait for the closes");
	cr_assert_eq(closer_queued_total(), N);
	cr_assert_eq(closer_threads(), CLOSER_THREADS, "a thread per stuck close, no more");
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]), "fd %d closed though its close waits", fds[i]);
	/* the stuck ones end: every close is made, the queued ones too */
	cr_assert(write(gate[1], "xxxxxxxxxxxx", N) == N);
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
	cr_assert_eq(closer_threads(), CLOSER_THREADS);
}

/*
 * Past CLOSER_QUEUE descriptors waiting behind stuck closes the queue
 * grows: none is closed on the caller's thread (there, a flush that never
 * ends would hold the broker's loop), and every one is closed once the
 * stuck ones end.  Before, the queue's 1025th was closed inline.
 */
Test(closer, a_full_queue_grows_and_closes_nothing_inline)
{
	enum { N = CLOSER_THREADS + 2 * CLOSER_QUEUE + 5 };
	static int fds[N];
	static char go[N];
	struct rlimit rl;
	int fd;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < N + 64)
		cr_skip_test("needs %d descriptors, RLIMIT_NOFILE allows %lu", N + 64,
			     (unsigned long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert(pipe2(gate, O_CLOEXEC) == 0);
	closer_test_close(waiting_close);
	fd = regular_file();
	for (int i = 0; i < N; i++) {
		fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		cr_assert_geq(fds[i], 0);
	}
	for (int i = 0; i < N; i++)
		closer_close(fds[i]);
	cr_assert_eq(closer_queued_total(), N);
	for (int i = 0; i < N; i++)
		cr_assert(is_open(fds[i]), "fd %d (the %dth) closed, though its close waits", fds[i],
			  i + 1);
	memset(go, 'x', sizeof(go));
	cr_assert(write(gate[1], go, sizeof(go)) == (ssize_t)sizeof(go));
	for (int i = 0; i < N; i++)
		until_closed(fds[i]);
	close(fd);
}
