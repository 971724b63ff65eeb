/*
 * The event loop (see loop.h): epoll, and the list of sources it watches so
 * that housekeeping and close reach each one through its ops; and the
 * loop's clock, broker_now_ms and broker_tick_by (declared in broker.h).
 */
#include "core/loop.h"
#include "core/broker.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

/* Most events taken from one epoll_wait. */
#define LOOP_EVENTS 64

long broker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void broker_tick_by(struct broker *b, long at_ms)
{
	if (!b->tick_at || at_ms < b->tick_at)
		b->tick_at = at_ms;
}

int loop_init(struct broker *b)
{
	b->srcs = NULL;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	return b->epfd < 0 ? -1 : 0;
}

void loop_close(struct broker *b)
{
	/* a close may remove other sources too (a listener its channels): take the head anew */
	while (b->srcs) {
		struct evsrc *src = b->srcs;

		if (src->ops && src->ops->close)
			src->ops->close(b, src);
		if (b->srcs == src)
			loop_remove(b, -1, src);
	}
	if (b->epfd >= 0)
		close(b->epfd);
	b->epfd = -1;
}

static void link_src(struct broker *b, struct evsrc *src)
{
	src->prev = NULL;
	src->next = b->srcs;
	if (b->srcs)
		b->srcs->prev = src;
	b->srcs = src;
}

static void unlink_src(struct broker *b, struct evsrc *src)
{
	if (src->prev)
		src->prev->next = src->next;
	else if (b->srcs == src)
		b->srcs = src->next;
	else
		return; /* not linked */
	if (src->next)
		src->next->prev = src->prev;
	src->prev = src->next = NULL;
}

int loop_add(struct broker *b, int fd, struct evsrc *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	link_src(b, src);
	return 0;
}

int loop_modify(struct broker *b, int fd, struct evsrc *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(b->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_remove(struct broker *b, int fd, struct evsrc *src)
{
	if (fd >= 0)
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL);
	unlink_src(b, src);
}

int loop_wait(struct broker *b, int timeout_ms)
{
	struct epoll_event evs[LOOP_EVENTS];
	int n = epoll_wait(b->epfd, evs, LOOP_EVENTS, timeout_ms);

	for (int i = 0; i < n && !b->stop; i++) {
		struct evsrc *src = evs[i].data.ptr;

		src->ops->ready(b, src, evs[i].events);
	}
	return n;
}

long loop_expire(struct broker *b, long now)
{
	long next = 0;

	for (struct evsrc *src = b->srcs, *after; src; src = after) {
		long at;

		after = src->next; /* src may close itself */
		if (!src->ops || !src->ops->expire)
			continue;
		at = src->ops->expire(b, src, now);
		if (at && (!next || at < next))
			next = at;
	}
	return next;
}
