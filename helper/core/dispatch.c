/*
 * Dispatch: a table of grants by operation (an unknown operation never
 * gets here: the front end drops its sender), then what every decision
 * shares: the held listener of an accept rule, learning, the audit line.
 * An option on a held listener is no grant's: the core owns its listeners.
 */
#include "core/dispatch.h"
#include "core/listener.h"
#include "grant/grant.h"
#include "learn/learn.h"
#include "policy/str.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef void (*grant_fn)(const struct policy *p, const struct req *r, struct outcome *o);

static const grant_fn grants[] = {
	[REQ_OPEN] = grant_open,     [REQ_STAT] = grant_stat,   [REQ_REOPEN] = grant_reopen,
	[REQ_SOCKET] = grant_socket, [REQ_BIND] = grant_bind,
};

/*
 * A bind an accept rule grants: the program gets a channel of the held
 * listener.  A front end with no client connection (seccomp) has no
 * channel to give it and asks with no_hold, so that the grant binds the
 * socket in place instead; one that forgot is refused, and the line says why.
 */
static void hold(struct broker *b, struct client *c, const struct req *r, struct outcome *o)
{
	const struct req_bind *q = &r->u.bind;
	int chfd = -1;

	if (!c) {
		o->denied = true;
		o->err = EACCES;
		o->teach = false;
		snprintf(o->detail, sizeof(o->detail), "proto=tcp reason=accept-rule-not-served-via-%s",
			 r->who.via ? r->who.via : "this-way");
		return;
	}

	o->err = -listener_attach(b, c, o->rule, q->sock, q->sa, q->salen, &o->taught.u.net.ep,
				  &chfd);
	if (!o->err) {
		o->fd = chfd;
		o->listener = true;
	}
}

static void learn(struct broker *b, const struct req *r, const struct outcome *o)
{
	const char *why = o->why;

	if (!why && o->unresolved)
		why = learn_why_unresolved(o->walk_err);
	learn_decision(b->learn, &r->who.id, r->who.prog, r->who.via, &o->taught, o->rule, o->taught_err, why,
		       o->reason);
}

/* One audit line for the decision. */
static void audit(struct broker *b, const struct req_who *who, const struct outcome *o)
{
	char name[PATH_MAX + 16];
	const char *verdict = outcome_verdict(o);
	struct audit_rec rec = {
		.pid = who->pid, .uid = who->id.uid, .gid = who->id.gid, .prog = who->prog,
		.op = o->op, .object = o->object, .detail = o->detail[0] ? o->detail : NULL,
		.verdict = verdict, .rule = name, .err = o->err, .via = who->via,
	};

	if (rule_is_learned(o->rule) && !strcmp(verdict, "allow"))
		rec.verdict = "allow-learn";
	if (o->rule_held)
		str_copy(name, sizeof(name), o->rule_held);
	else
		rule_name(o->rule, name, sizeof(name));
	audit_decision(b->audit, &rec);
	if (o->denied)
		b->denied++;
}

void dispatch(struct broker *b, struct client *c, const struct req *r, struct outcome *o)
{
	/* an option on a held listener: the core's, no rule decides it, nothing to learn */
	if (r->op == REQ_SOCKOPT) {
		listener_sockopt(b, r, o);
		audit(b, &r->who, o);
		return;
	}
	grants[r->op](b->policy, r, o);
	if (o->malformed)
		return;
	if (o->hold)
		hold(b, c, r, o);
	if (o->teach && b->learn)
		learn(b, r, o);
	audit(b, &r->who, o);
}

bool dispatch_would(struct broker *b, const struct req *r)
{
	/* learning needs the refusals the grant would log */
	return b->learn || grant_would(b->policy, r);
}
