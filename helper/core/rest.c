/* Resting connections (rest.h): a list in the broker, woken by the closer's eventfd. */
#include "core/rest.h"
#include "core/broker.h"
#include "fdpass.h"
#include "sys/closer.h"

#include <sys/socket.h>
#include <unistd.h>

/* Close sock, drained as left says: here if empty, else on a closer thread (rest.h). */
static void let_go(uid_t account, int sock, enum fdpass_left left)
{
	if (left == FDPASS_NONE) {
		close(sock);
		return;
	}
	/*
	 * Busy, or the socket would not say: parked or queued (sys/closer.h),
	 * shut both ways now, so that the program sees its connection end.
	 */
	shutdown(sock, SHUT_RDWR);
	closer_close(account, sock);
}

static void unlink_rest(struct broker *b, struct rest *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		b->resting = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->resting = false;
}

/* An account has eased: every source whose account is not busy now resumes. */
static void eased(struct broker *b, struct evsrc *src, uint32_t events)
{
	(void)src;
	(void)events;
	closer_eased_clear();
	for (struct rest *r = b->resting, *after; r; r = after) {
		after = r->next; /* resume only watches its own source again */
		if (closer_busy(r->account))
			continue;
		unlink_rest(b, r);
		r->resume(b, r);
	}
}

static const struct evsrc_ops eased_ops = {
	.ready = eased,
};

int rest_init(struct broker *b)
{
	int fd = closer_eased_fd();

	b->resting = NULL;
	if (fd < 0)
		return -1;
	b->eased_src.ops = &eased_ops;
	return loop_add(b, fd, &b->eased_src, EPOLLIN);
}

bool rest_if_busy(struct broker *b, struct rest *r, uid_t account,
		  void (*resume)(struct broker *b, struct rest *r))
{
	if (r->resting)
		return true;
	if (!closer_busy(account))
		return false;
	r->account = account;
	r->resume = resume;
	r->resting = true;
	r->prev = NULL;
	r->next = b->resting;
	if (b->resting)
		b->resting->prev = r;
	b->resting = r;
	return true;
}

void rest_cancel(struct broker *b, struct rest *r)
{
	if (r->resting)
		unlink_rest(b, r);
}

void rest_let_go(uid_t account, int sock)
{
	const struct fdpass_dispose to_closer = { closer_dispose, &account };
	enum fdpass_left left = FDPASS_MORE;

	while (left == FDPASS_MORE && !closer_busy(account))
		left = fdpass_drain(sock, 1, false, &to_closer);
	/* busy: what carries no descriptor is still taken, so only a socket with some goes on */
	if (left == FDPASS_MORE)
		rest_let_go_plain(account, sock);
	else
		let_go(account, sock, left);
}

void rest_let_go_plain(uid_t account, int sock)
{
	const struct fdpass_dispose to_closer = { closer_dispose, &account };

	let_go(account, sock, fdpass_drain(sock, FDPASS_DRAIN_MAX, true, &to_closer));
}
