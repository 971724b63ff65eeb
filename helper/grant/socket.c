/*
 * The socket grant: the broker creates the socket a rule allows and hands
 * it over.  It is made in the broker's network namespace, so a program in
 * another one is refused (its socket would be the host's, not what its
 * namespace has): the request carries a socket of the program's to tell.
 */
#include "grant/grant.h"
#include "grant/netns.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

void grant_socket(const struct policy *p, const struct req *r, struct outcome *o)
{
	const struct req_socket *q = &r->u.socket;
	int type = q->type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	const char *fam = socket_family_name(q->family), *tname = socket_type_name(type);
	int foreign = netns_foreign(q->probe);
	struct decision d;

	if (foreign < 0) {
		o->malformed = true;
		return;
	}
	snprintf(o->object, sizeof(o->object), "%s/%s/%d", fam ? fam : "?", tname ? tname : "?",
		 q->protocol);
	o->teach = true;
	o->taught.op = OP_SOCKET;
	o->taught.u.socket.family = q->family;
	o->taught.u.socket.type = type;
	o->taught.u.socket.protocol = q->protocol;
	if (foreign) {
		snprintf(o->detail, sizeof(o->detail), "netns=foreign");
		o->why = "refused beside the policy: a program in another network namespace";
		o->denied = true;
		o->err = EPERM;
		return;
	}
	d = policy_decide(p, &r->who.id, &o->taught);
	o->rule = d.rule;
	if (d.verdict != VERDICT_ALLOW) {
		o->denied = true;
		o->err = o->taught_err = EPERM;
		return;
	}
	o->fd = socket(q->family, type | (q->type & SOCK_NONBLOCK) | SOCK_CLOEXEC, q->protocol);
	o->err = o->taught_err = o->fd >= 0 ? 0 : errno;
}
