/*
 * The event loop: epoll over event sources that carry their own ops.
 *
 * Every object the loop watches (the broker's socket, the signalfd, a
 * client, a held listener, a listener's channel) starts with a struct evsrc
 * whose ops say what to do when it is ready, what to do at housekeeping time,
 * and how to close it when the broker closes.  Nothing outside loop.c touches
 * the epoll descriptor.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno; a
 * request-path function that may drop a client returns -1 meaning "drop this
 * client (already logged)".
 */
#ifndef FDB_LOOP_H
#define FDB_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct broker;
struct evsrc;

struct evsrc_ops {
	/* events (EPOLLIN, EPOLLOUT, EPOLLHUP...) are ready on the source */
	void (*ready)(struct broker *b, struct evsrc *src, uint32_t events);
	/*
	 * Housekeeping at b's tick (broker_tick_by): the CLOCK_MONOTONIC ms at
	 * which the source wants the next one, or 0.  May close the source.
	 * NULL: nothing to keep.
	 */
	long (*expire)(struct broker *b, struct evsrc *src, long now);
	/* broker_close: let go of the source (and loop_remove it); NULL: the owner does */
	void (*close)(struct broker *b, struct evsrc *src);
};

struct evsrc {
	const struct evsrc_ops *ops;
	/* loop.c's: every source added, newest first */
	struct evsrc *prev, *next;
};

/* The loop's state is b->epfd and b->srcs (loop.c's alone). */
int loop_init(struct broker *b);
/* Close every source still added (ops->close), then the loop itself. */
void loop_close(struct broker *b);

/* Watch fd for events on behalf of src (src->ops set by the caller). */
int loop_add(struct broker *b, int fd, struct evsrc *src, uint32_t events);
/* Watch for other events (0: none, the source rests). */
int loop_modify(struct broker *b, int fd, struct evsrc *src, uint32_t events);
/* Stop watching fd; before the caller closes it. */
void loop_remove(struct broker *b, int fd, struct evsrc *src);

/*
 * Wait up to timeout_ms (-1: no limit) and call the ready sources, stopping
 * early once b->stop is set.  The number of events, or -1 with errno
 * (EINTR included).
 */
int loop_wait(struct broker *b, int timeout_ms);
/* Every source's ops->expire; the earliest next time any asks for, or 0. */
long loop_expire(struct broker *b, long now);

#endif
