/*
 * Closer threads (closer.h).  One mutex guards the ring of descriptors and
 * the thread counts.  A job is taken by a thread waiting for one (nidle);
 * a new thread is made whenever the queue holds more descriptors than
 * there are threads waiting, so a descriptor never waits behind a close
 * that may never end while a thread could still be made for it.
 */
#include "sys/closer.h"
#include "sys/caps.h"
#include "sys/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
/* the queued descriptors: ring[head], count of them, in room for cap (closer.h) */
static int first_ring[CLOSER_QUEUE];
static int *ring = first_ring;
static unsigned cap = CLOSER_QUEUE, head, count;
static unsigned nthreads, nidle; /* threads made; those waiting for a job */
static unsigned queued_total;
static int (*close_fn)(int) = close;

static void *closer_main(void *arg)
{
	unsigned caps_seen = 0;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		int fd;
		int (*fn)(int);

		while (!count) {
			nidle++;
			pthread_cond_wait(&work, &mu);
			nidle--;
			if (!count) {
				/* closer_wake: what a reload gave up goes now */
				pthread_mutex_unlock(&mu);
				caps_follow(&caps_seen);
				pthread_mutex_lock(&mu);
			}
		}
		fd = ring[head];
		head = (head + 1) % cap;
		count--;
		fn = close_fn;
		pthread_mutex_unlock(&mu);
		/* it needs none; what a reload gave up goes too (if no wake-up came first) */
		caps_follow(&caps_seen);
		fn(fd);
		pthread_mutex_lock(&mu);
	}
	return NULL;
}

/*
 * Room in the ring for one more: twice the room when it is full (kept
 * after; a full ring means closes stuck).  0, or -1 when no more memory
 * can be had.  The lock held.
 */
static int room(void)
{
	int *bigger;

	if (count < cap)
		return 0;
	if (cap > UINT_MAX / 2 || !(bigger = malloc(2 * (size_t)cap * sizeof(*ring))))
		return -1;
	for (unsigned i = 0; i < count; i++)
		bigger[i] = ring[(head + i) % cap];
	if (ring != first_ring)
		free(ring);
	ring = bigger;
	head = 0;
	cap *= 2;
	return 0;
}

/* One more closer thread (signals blocked: sys/thread.h); 0 or an errno.  The lock held. */
static int start(void)
{
	int rc = thread_detached(closer_main, NULL);

	if (rc == 0)
		nthreads++;
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
 * unknown may wait.
 */
static bool may_wait(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &stx) < 0)
		return errno != EBADF; /* not open: close() only says EBADF */
	if (!(stx.stx_mask & STATX_TYPE))
		return true;
	if (S_ISFIFO(stx.stx_mode))
		return false;
	if (S_ISSOCK(stx.stx_mode))
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

void closer_close(int fd)
{
	int saved = errno;

	if (fd < 0)
		return;
	if (!may_wait(fd)) {
		close(fd);
		errno = saved;
		return;
	}
	pthread_mutex_lock(&mu);
	if (room() < 0) {
		/* the queue cannot grow: the last resort, inline */
		pthread_mutex_unlock(&mu);
		close_now(fd);
		errno = saved;
		return;
	}
	ring[(head + count) % cap] = fd;
	count++;
	if (count > nidle && nthreads < CLOSER_THREADS && start() != 0 && nthreads == 0) {
		/*
		 * No thread to take it, ever: inline.  With threads made but
		 * busy it waits for one of them instead, as a close that may
		 * never end must not be made on the loop.
		 */
		count--;
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
