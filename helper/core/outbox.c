/*
 * Reply batching (see outbox.h).
 */
#include "core/outbox.h"
#include "audit/audit.h"

#include <string.h>
#include <unistd.h>

void outbox_init(struct outbox *o, struct audit *audit, void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->audit = audit;
	o->ctx = ctx;
}

void outbox_begin(struct outbox *o)
{
	o->batching = true;
}

/* The held messages, sent; the batch goes on if it was going. */
static void send_held(struct outbox *o)
{
	audit_flush(o->audit);
	for (unsigned i = 0; i < o->n; i++) {
		struct outbox_entry *e = &o->e[i];
		void *dest = e->dest;
		int rc;

		if (!dest)
			continue;
		rc = e->sink->send(o->ctx, dest, e->msg, e->len, e->fd);
		if (e->fd >= 0)
			close(e->fd);
		e->fd = -1;
		if (rc < 0)
			e->sink->drop(o->ctx, dest);
	}
	o->n = 0;
	audit_flush(o->audit); /* what the sends had to say */
}

void outbox_flush(struct outbox *o)
{
	o->batching = false;
	send_held(o);
}

int outbox_put(struct outbox *o, void *dest, const struct outbox_sink *sink, const void *msg,
	       size_t len, int fd, bool now)
{
	struct outbox_entry *e;
	int rc;

	if (o->batching && o->n == OUTBOX_BATCH)
		send_held(o);
	if (now || !o->batching) {
		audit_flush(o->audit);
		rc = sink->send(o->ctx, dest, msg, len, fd);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	e = &o->e[o->n++];
	e->dest = dest;
	e->sink = sink;
	e->fd = fd;
	e->len = len;
	memcpy(e->msg, msg, len);
	return 0;
}

void outbox_forget(struct outbox *o, const void *dest)
{
	for (unsigned i = 0; i < o->n; i++) {
		struct outbox_entry *e = &o->e[i];

		if (e->dest != dest)
			continue;
		if (e->fd >= 0)
			close(e->fd);
		e->dest = NULL;
		e->fd = -1;
	}
}
