/*
 * The writes into targets, shared out among owners; see write_queue.h.
 */
#include "front/write_queue.h"
#include "front/notif.h"

/* A free place owner may take, or -1. */
static int place_for(const struct write_queue *q, uid_t owner)
{
	unsigned owners = 0;
	int free_at = -1;

	for (int i = 0; i < WQ_POSTED; i++) {
		if (!q->posted[i].used) {
			if (free_at < 0)
				free_at = i;
		} else if (q->posted[i].owner == owner) {
			owners++;
		}
	}
	return owners < WQ_OWNER_POSTED ? free_at : -1;
}

static void take(struct write_queue *q, struct notif *n, int place)
{
	q->posted[place].owner = n->wq_owner;
	q->posted[place].used = true;
	n->wq_place = place;
}

enum wq_verdict wq_add(struct write_queue *q, struct notif *n, uid_t owner)
{
	int place = place_for(q, owner);
	unsigned waiting = 0;

	n->wq_owner = owner;
	if (place >= 0) {
		take(q, n, place);
		return WQ_POST;
	}
	for (struct notif *w = q->head; w; w = w->next)
		waiting += w->wq_owner == owner;
	if (waiting >= WQ_OWNER_WAITING)
		return WQ_REFUSE;
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	return WQ_WAIT;
}

void wq_done(struct write_queue *q, struct notif *n)
{
	if (n->wq_place >= 0)
		q->posted[n->wq_place].used = false;
	n->wq_place = -1;
}

/* Take w, which follows prev (NULL: w is first), out of the waiting list. */
static struct notif *unlink_after(struct write_queue *q, struct notif *prev, struct notif *w)
{
	if (prev)
		prev->next = w->next;
	else
		q->head = w->next;
	if (q->tail == w)
		q->tail = prev;
	w->next = NULL;
	return w;
}

struct notif *wq_next(struct write_queue *q)
{
	for (struct notif *w = q->head, *prev = NULL; w; prev = w, w = w->next) {
		int place = place_for(q, w->wq_owner);

		if (place >= 0) {
			take(q, unlink_after(q, prev, w), place);
			return w;
		}
	}
	return NULL;
}

struct notif *wq_drain(struct write_queue *q)
{
	return q->head ? unlink_after(q, NULL, q->head) : NULL;
}
