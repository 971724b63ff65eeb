/*
 * Closer threads (closer.h).  One mutex guards the accounts (each with its
 * queue of descriptors and its count of closes under way) and the thread
 * counts.  A thread takes the oldest descriptor of the next account, in
 * turn, that has fewer than CLOSER_PER_ACCOUNT closes under way; a new
 * thread is made whenever there are more descriptors threads could take
 * than threads without a close, so a descriptor never waits behind a
 * close that may never end while a thread could still be made for it.
 * An account is kept while it holds a descriptor, has sockets parked, or
 * was found busy and has not been told it eased.
 *
 * Parking: a socket of a busy account does not wait in its queue but in
 * flight, in a socket pair made for the account (its carrier), and the
 * broker's descriptor of it is closed at once.  That close cannot wait: the
 * copy in flight keeps the socket, so it is not the last, and a socket has
 * no flush.  So a connection let go while its user's closes are stuck
 * (core/rest.h), with whatever it still has queued, costs the broker no
 * descriptor.  Once the account eases the carrier is sealed: its receiving
 * end goes to the account's queue, and its close on a closer thread frees
 * what it holds.  An account has one carrier at a time, of
 * CLOSER_PARKED sockets at most (fewer if its send buffer fills first:
 * ~250), and all accounts' carriers hold CLOSER_PARKED_ALL at most: what
 * is in flight counts against the broker's own RLIMIT_NOFILE for it, which
 * its replies need too, and past 2024 descriptors in flight a sender may
 * have to wait for the kernel's collection of unix sockets (Linux 6.10).
 * Past either, a socket is queued as any descriptor.
 */
#include "sys/closer.h"
#include "fdpass.h"
#include "sys/caps.h"
#include "sys/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Room for this many descriptors in an account's first queue (then twice as many when full). */
#define QUEUE_FIRST 16

struct account {
	uid_t uid;
	unsigned running;          /* its closes under way */
	unsigned head, count, cap; /* its queue: ring[head], count of them, room for cap */
	int *ring;
	bool told;                 /* found busy: closer_eased_fd is told when it eases */
	int park[2];               /* its carrier: [0] sends, [1] holds the parked sockets; -1: none */
	unsigned parked;           /* sockets in its carrier */
	int sealed;                /* its carrier's [1], sealed and queued, until closed; -1: none */
	unsigned sealed_parked;    /* the sockets in that one */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t eased = PTHREAD_COND_INITIALIZER; /* closer_wait's */
static struct account *accounts; /* naccounts of them, room for room_accounts */
static unsigned naccounts, room_accounts, turn; /* turn: where the next look starts */
static unsigned nthreads, nfree; /* threads made; those without a close */
static unsigned queued_total;
static unsigned parked_all; /* sockets in every carrier, sealed or not */
static unsigned long wake_gen; /* one more at each closer_wait_end */
static int eased_fd = -1;
static int (*close_fn)(int) = close;

static unsigned held(const struct account *a)
{
	return a->count + a->running;
}

/* Does a (NULL: none) hold the backlog, or half of it at most (closer.h)? */
static bool busy(const struct account *a)
{
	return a && held(a) >= CLOSER_BACKLOG;
}

static bool eased_enough(const struct account *a)
{
	return held(a) <= CLOSER_BACKLOG / 2;
}

static struct account *find(uid_t uid)
{
	for (unsigned i = 0; i < naccounts; i++)
		if (accounts[i].uid == uid)
			return &accounts[i];
	return NULL;
}

/* uid's account, made if need be; NULL when no memory.  The lock held (so for all of these). */
static struct account *account_of(uid_t uid)
{
	struct account *a = find(uid);

	if (a)
		return a;
	if (naccounts == room_accounts) {
		unsigned room = room_accounts ? 2 * room_accounts : 8;
		struct account *more = reallocarray(accounts, room, sizeof(*accounts));

		if (!more)
			return NULL;
		accounts = more;
		room_accounts = room;
	}
	a = &accounts[naccounts++];
	*a = (struct account){ .uid = uid, .park = { -1, -1 }, .sealed = -1 };
	return a;
}

/* One more descriptor at the end of a's queue (which doubles when full): 0, or -1 for no memory. */
static int push(struct account *a, int fd)
{
	if (a->count == a->cap) {
		unsigned room = a->cap ? 2 * a->cap : QUEUE_FIRST;
		int *bigger = room > a->cap && room <= UINT_MAX / sizeof(int) ?
				      malloc(room * sizeof(int)) : NULL;

		if (!bigger)
			return -1;
		for (unsigned i = 0; i < a->count; i++)
			bigger[i] = a->ring[(a->head + i) % a->cap];
		free(a->ring);
		a->ring = bigger;
		a->head = 0;
		a->cap = room;
	}
	a->ring[(a->head + a->count) % a->cap] = fd;
	a->count++;
	return 0;
}

/* The account whose turn it is among those a thread may take a descriptor of, or NULL. */
static struct account *next_account(void)
{
	for (unsigned i = 0; i < naccounts; i++) {
		struct account *a = &accounts[(turn + i) % naccounts];

		if (a->count && a->running < CLOSER_PER_ACCOUNT) {
			turn = (turn + i + 1) % naccounts;
			return a;
		}
	}
	return NULL;
}

/* How many descriptors threads could take now. */
static unsigned takeable(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < naccounts; i++) {
		const struct account *a = &accounts[i];

		if (a->running < CLOSER_PER_ACCOUNT)
			n += a->count < CLOSER_PER_ACCOUNT - a->running ?
				     a->count : CLOSER_PER_ACCOUNT - a->running;
	}
	return n;
}

/* Seal a's carrier, if any (see the top): to its queue, for one of its threads to close. */
static void seal(struct account *a)
{
	if (a->park[0] < 0 || push(a, a->park[1]) < 0)
		return; /* none, or no room: kept for the next try */
	close(a->park[0]); /* nothing is ever sent to it */
	a->sealed = a->park[1];
	a->sealed_parked = a->parked;
	a->park[0] = a->park[1] = -1;
	a->parked = 0;
	pthread_cond_signal(&work);
}

/* Park the socket fd of busy a (see the top): 0, or -1 to queue it instead. */
static int park(struct account *a, int fd)
{
	if (a->parked >= CLOSER_PARKED || parked_all >= CLOSER_PARKED_ALL)
		return -1;
	if (a->park[0] < 0) {
		/* one at a time: a sealed one is closed first */
		if (a->sealed >= 0 || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, a->park) < 0) {
			a->park[0] = a->park[1] = -1;
			return -1;
		}
	}
	/* -EAGAIN: full (its send buffer); -ETOOMANYREFS: this one is nested too deep */
	if (fdpass_send(a->park[0], "", 1, &fd, 1, MSG_DONTWAIT) < 0)
		return -1;
	close(fd);
	a->parked++;
	parked_all++;
	return 0;
}

/*
 * a has given up a descriptor: once it holds half the backlog or less,
 * its carrier goes and whoever waits is told; it is let go when it holds
 * nothing.
 */
static void settle(struct account *a)
{
	if (eased_enough(a))
		seal(a);
	if (a->told && eased_enough(a)) {
		uint64_t one = 1;

		a->told = false;
		if (eased_fd >= 0 && write(eased_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the count is full, so the loop is told already */
		}
		pthread_cond_broadcast(&eased);
	}
	if (!held(a) && !a->told && a->park[0] < 0 && a->sealed < 0) {
		free(a->ring);
		*a = accounts[--naccounts];
		if (turn >= naccounts)
			turn = 0;
	}
}

static void *closer_main(void *arg)
{
	unsigned caps_seen = 0;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		struct account *a;
		int fd;
		uid_t uid;
		int (*fn)(int);
		bool carrier;

		while (!(a = next_account())) {
			pthread_cond_wait(&work, &mu);
			if (!takeable()) {
				/* closer_wake: what a reload gave up goes now */
				pthread_mutex_unlock(&mu);
				caps_follow(&caps_seen);
				pthread_mutex_lock(&mu);
			}
		}
		fd = a->ring[a->head];
		a->head = (a->head + 1) % a->cap;
		a->count--;
		a->running++;
		uid = a->uid;
		carrier = fd == a->sealed; /* still open, so the number is its own */
		nfree--;
		fn = close_fn;
		pthread_mutex_unlock(&mu);
		/* it needs none; what a reload gave up goes too (if no wake-up came first) */
		caps_follow(&caps_seen);
		fn(fd);
		pthread_mutex_lock(&mu);
		nfree++;
		a = find(uid); /* there: its close under way kept it */
		a->running--;
		if (carrier) {
			parked_all -= a->sealed_parked;
			a->sealed = -1;
			a->sealed_parked = 0;
		}
		settle(a);
	}
	return NULL;
}

/* One more closer thread (signals blocked: sys/thread.h); 0 or an errno. */
static int start(void)
{
	int rc = thread_detached(closer_main, NULL);

	if (rc == 0) {
		nthreads++;
		nfree++;
	}
	return rc;
}

/*
 * May closing this socket wait?  With SO_LINGER (read without the
 * socket's lock), or, for a unix socket, with anything queued: the last
 * close frees the descriptors in flight in its queue (or in the queues of
 * the connections a listener has not accepted), and one of them may be a
 * lingering socket, which a program can nest there.  A listener may wait;
 * otherwise a peek (which takes nothing) tells a record, even an empty
 * one, from an empty queue (EAGAIN) or none (EINVAL, ENOTCONN: not
 * connected, as a socket sent to be bound is).
 */
static bool socket_may_wait(int fd)
{
	struct linger lg;
	socklen_t len = sizeof(lg);
	int domain, listening;
	char c;

	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) < 0 || (lg.l_onoff && lg.l_linger > 0))
		return true;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return true;
	if (domain != AF_UNIX)
		return false;
	len = sizeof(listening);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening)
		return true;
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
		return true;
	return errno != EAGAIN && errno != EINVAL && errno != ENOTCONN;
}

/*
 * May closing fd wait?  Asked of the inode the kernel has, never of the
 * driver: STATX_TYPE with AT_STATX_DONT_SYNC sends FUSE and NFS nothing.
 * A FIFO's close never flushes; a socket's: socket_may_wait.  Anything
 * unknown may wait.  *sock: whether it is a socket.
 */
static bool may_wait(int fd, bool *sock)
{
	struct statx stx;

	*sock = false;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		return errno != EBADF; /* not open: close() only says EBADF */
	if (!(stx.stx_mask & STATX_TYPE))
		return true;
	if (S_ISFIFO(stx.stx_mode))
		return false;
	*sock = S_ISSOCK(stx.stx_mode);
	if (*sock)
		return socket_may_wait(fd);
	return true;
}

/*
 * Close fd here and now: the last resort.  A lingering socket has its
 * SO_LINGER taken off first, so that its close cannot wait (the kernel
 * finishes it in the background).  That changes the option for any other
 * holder too, which only a program with closes stuck for this long, or
 * the broker's own socket (closer_close_socket), can see.
 */
static void close_now(int fd)
{
	struct linger off = { 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off)); /* ENOTSOCK: not one */
	close(fd);
}

void closer_close_socket(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close_now(fd);
	errno = saved;
}

void closer_close(uid_t account, int fd)
{
	int saved = errno;
	struct account *a;
	bool sock;

	if (fd < 0)
		return;
	if (!may_wait(fd, &sock)) {
		close(fd);
		errno = saved;
		return;
	}
	pthread_mutex_lock(&mu);
	a = account_of(account);
	if (sock && busy(a) && park(a, fd) == 0) {
		pthread_mutex_unlock(&mu);
		errno = saved;
		return;
	}
	if (!a || push(a, fd) < 0) {
		/* no room for it: the last resort, inline */
		if (a)
			settle(a);
		pthread_mutex_unlock(&mu);
		close_now(fd);
		errno = saved;
		return;
	}
	if (takeable() > nfree && nthreads < CLOSER_THREADS && start() != 0 && nthreads == 0) {
		/*
		 * No thread to take it, ever: inline.  With threads made but
		 * busy it waits for one of them instead, as a close that may
		 * never end must not be made on the loop.
		 */
		a->count--;
		settle(a);
		pthread_mutex_unlock(&mu);
		close_now(fd);
		errno = saved;
		return;
	}
	queued_total++;
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&mu);
	errno = saved;
}

void closer_dispose(void *account, int fd)
{
	closer_close(*(const uid_t *)account, fd);
}

bool closer_busy(uid_t account)
{
	struct account *a;
	bool is;

	pthread_mutex_lock(&mu);
	a = find(account);
	is = busy(a);
	if (is)
		a->told = true;
	pthread_mutex_unlock(&mu);
	return is;
}

bool closer_wait(uid_t account, int timeout_ms)
{
	struct timespec until = thread_deadline(timeout_ms);
	struct account *a;
	unsigned long gen;
	bool is;

	pthread_mutex_lock(&mu);
	gen = wake_gen;
	/* found anew after each wait: the accounts move as they come and go */
	while ((is = busy(a = find(account))) && gen == wake_gen) {
		a->told = true;
		if (pthread_cond_clockwait(&eased, &mu, CLOCK_MONOTONIC, &until) == ETIMEDOUT) {
			is = busy(find(account));
			break;
		}
	}
	pthread_mutex_unlock(&mu);
	return !is;
}

void closer_wait_end(void)
{
	pthread_mutex_lock(&mu);
	wake_gen++;
	pthread_cond_broadcast(&eased);
	pthread_mutex_unlock(&mu);
}

int closer_eased_fd(void)
{
	int fd;

	pthread_mutex_lock(&mu);
	if (eased_fd < 0)
		eased_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fd = eased_fd;
	pthread_mutex_unlock(&mu);
	return fd;
}

void closer_eased_clear(void)
{
	uint64_t n;

	if (eased_fd >= 0 && read(eased_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing to clear */
	}
}

unsigned closer_queued_total(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = queued_total;
	pthread_mutex_unlock(&mu);
	return n;
}

unsigned closer_threads(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = nthreads;
	pthread_mutex_unlock(&mu);
	return n;
}

void closer_test_close(int (*fn)(int fd))
{
	pthread_mutex_lock(&mu);
	close_fn = fn ? fn : close;
	pthread_mutex_unlock(&mu);
}

void closer_wake(void)
{
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&mu);
}
