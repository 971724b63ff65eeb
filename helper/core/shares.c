/*
 * Fair shares: see shares.h.  A small chained hash on the uid; records
 * live while their uid holds something, and a second past its last
 * refusal line, so the rate limit outlives the connections it refused.
 */
#include "core/shares.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>


void limits_default(struct limits *l)
{
	if (!l->clients)
		l->clients = SHARES_CLIENTS;
	if (!l->clients_per_user)
		l->clients_per_user = SHARES_CLIENTS_PER_USER;
	if (!l->listeners)
		l->listeners = SHARES_LISTENERS;
	if (!l->listeners_per_user)
		l->listeners_per_user = SHARES_LISTENERS_PER_USER;
	if (!l->grace_s)
		l->grace_s = SHARES_GRACE_S;
	if (!l->trees)
		l->trees = SHARES_TREES;
	if (!l->trees_per_user)
		l->trees_per_user = SHARES_TREES_PER_USER;
}

int limits_option(struct limits *l, int opt, const char *arg)
{
	static const char *const names[] = { "max-clients", "max-clients-per-user",
					     "max-listeners", "max-listeners-per-user",
					     "listener-grace", "max-trees", "max-trees-per-user" };
	unsigned *field[] = { &l->clients, &l->clients_per_user, &l->listeners,
			      &l->listeners_per_user, &l->grace_s, &l->trees, &l->trees_per_user };
	unsigned i = (unsigned)(opt - LIMITS_OPT_BASE);
	unsigned long v;
	char *end;

	if (opt < LIMITS_OPT_BASE || i >= sizeof(names) / sizeof(names[0]))
		return 0;
	errno = 0;
	v = strtoul(arg, &end, 10);
	/* 0 would mean "the default" inside: a limit is at least 1 */
	if (errno || end == arg || *end || v == 0 || v > 1000000 || arg[0] == '-') {
		fprintf(stderr, "fdbroker: --%s wants a number from 1 to 1000000, not %s\n",
			names[i], arg);
		return -1;
	}
	*field[i] = (unsigned)v;
	return 1;
}

static struct share **slot(struct shares *t, uid_t uid)
{
	struct share **pp = &t->bucket[(uid ^ (uid >> 8) ^ (uid >> 16)) % SHARES_BUCKETS];

	while (*pp && (*pp)->uid != uid)
		pp = &(*pp)->next;
	return pp;
}

struct share *share_get(struct shares *t, uid_t uid)
{
	struct share **pp = slot(t, uid);

	if (!*pp) {
		*pp = calloc(1, sizeof(**pp));
		if (*pp)
			(*pp)->uid = uid;
	}
	return *pp;
}

static bool idle(const struct share *s, long now)
{
	return !s->conns && !s->listeners && !s->trees && !s->suppressed &&
	       (!s->noted || now - s->noted >= SHARES_QUIET_MS);
}

void share_release(struct shares *t, struct share *s, long now)
{
	struct share **pp;

	if (!idle(s, now))
		return;
	pp = slot(t, s->uid);
	*pp = s->next;
	free(s);
}

bool share_refused(struct share *s, long now, unsigned *untold)
{
	if (s->noted && now - s->noted < SHARES_QUIET_MS) {
		s->suppressed++;
		return false;
	}
	s->noted = now;
	*untold = s->suppressed;
	s->suppressed = 0;
	return true;
}

bool shares_tick(struct shares *t, long now, share_tell_fn fn, void *ctx)
{
	bool more = false;

	for (unsigned i = 0; i < SHARES_BUCKETS; i++) {
		struct share **pp = &t->bucket[i];

		while (*pp) {
			struct share *s = *pp;

			if (s->suppressed && now - s->noted >= SHARES_QUIET_MS) {
				fn(ctx, s);
				s->suppressed = 0;
				s->noted = now;
			} else if (!s->suppressed && now - s->noted >= SHARES_QUIET_MS) {
				s->noted = 0; /* quiet a second: the next refusal is told at once */
			}
			if (idle(s, now)) {
				*pp = s->next;
				free(s);
				continue;
			}
			/* a record with only connections needs no tick */
			if (s->suppressed || s->noted)
				more = true;
			pp = &s->next;
		}
	}
	return more;
}

void shares_free(struct shares *t)
{
	for (unsigned i = 0; i < SHARES_BUCKETS; i++)
		while (t->bucket[i]) {
			struct share *s = t->bucket[i];

			t->bucket[i] = s->next;
			free(s);
		}
}
