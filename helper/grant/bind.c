/*
 * The bind grant.  Under a bind rule the program's own socket (it came
 * over SCM_RIGHTS) is bound in place, so options set before bind keep
 * their effect and the program's descriptor number is unchanged; a unix
 * path is bound through the directory the broker judged (unix_bind.c).
 * Under an accept rule the core holds the listener (core/listener.c),
 * unless the front end has no channel to hand it down (seccomp): then the
 * socket is bound in place as under a bind rule.  A rule's `from` list
 * becomes a locked kernel filter on the socket before it is bound
 * (peer_filter.h), so no packet from elsewhere ever reaches it.  A socket
 * from another network namespace is never bound (netns.h).
 */
#include "grant/grant.h"
#include "grant/netns.h"
#include "grant/peer_filter.h"
#include "grant/unix_bind.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* tcp, udp or unix, from what the socket is; -1 for anything else. */
static int socket_proto(int sock, int family)
{
	int domain, type, protocol;
	socklen_t len = sizeof(int);

	if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0 || domain != family)
		return -1;
	if (domain == AF_UNIX)
		return PROTO_UNIX;
	if (domain != AF_INET && domain != AF_INET6)
		return -1;
	if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		return PROTO_TCP;
	if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		return PROTO_UDP;
	return -1;
}

/* Refused before any rule: learned (if why says so) as the bind it was. */
static void refuse(struct outcome *o, const char *why)
{
	o->teach = why != NULL;
	o->why = why;
	o->denied = true;
	o->err = EACCES;
}

/*
 * The rule's peer list on the socket, as a locked filter, before the bind,
 * so that not one packet from elsewhere is queued.  0, or the program's
 * errno; a socket the program locked itself (or raced) is refused.
 */
static int filter_first(const struct req *r, const struct rule *rule, struct outcome *o)
{
	size_t at = strlen(o->detail);
	int rc;

	if (!rule->u.net.nfrom)
		return 0;
	rc = peer_filter_lock(r->u.bind.sock, rule->u.net.from, rule->u.net.nfrom);
	snprintf(o->detail + at, sizeof(o->detail) - at, " filter=%s",
		 rc == -EPERM ? "refused-locked-by-program" :
		 rc == -EACCES ? "refused-no-cap-net-admin" : rc ? "failed" : "locked");
	if (rc == -EPERM || rc == -EACCES) {
		o->denied = true;
		return EACCES;
	}
	return -rc;
}

/* The bind itself, as the rule allows: 0 or the program's errno. */
static int bind_in_place(const struct req *r, const struct rule *rule, struct unix_target *ut,
			 enum proto proto, struct outcome *o)
{
	const struct req_bind *q = &r->u.bind;
	int err;

	if (proto != PROTO_UNIX) {
		err = filter_first(r, rule, o);
		if (err)
			return err;
		return bind(q->sock, q->sa, q->salen) < 0 ? errno : 0;
	}
	err = -unix_bind(q->sock, ut, r->who.id.uid, r->who.id.gid, q->umask);
	snprintf(o->detail, sizeof(o->detail), "proto=unix%s%s", ut->relative ? " name=relative" : "",
		 ut->replaced ? " stale=replaced" : "");
	return err;
}

/* After the checks beside the policy: what the rules say, and the bind. */
static void bind_judged(const struct policy *p, const struct req *r, struct unix_target *ut,
			struct outcome *o)
{
	struct request *t = &o->taught;
	enum proto proto = t->u.net.proto;
	struct decision d = policy_decide(p, &r->who.id, t);

	if (d.verdict != VERDICT_ALLOW && !d.rule && proto == PROTO_TCP) {
		/* no bind rule speaks for it: perhaps an accept rule does */
		t->op = OP_ACCEPT;
		d = policy_decide(p, &r->who.id, t);
		if (d.verdict == VERDICT_ALLOW && !r->u.bind.no_hold) {
			o->rule = d.rule;
			o->hold = true;
			snprintf(o->detail, sizeof(o->detail), "proto=tcp listener=held");
			return;
		}
		if (d.verdict == VERDICT_ALLOW) {
			/* no channel to hold it for: the program's own listener, filtered */
			o->rule = d.rule;
			o->teach = false;
			snprintf(o->detail, sizeof(o->detail), "proto=tcp listener=bound");
			o->err = bind_in_place(r, d.rule, ut, proto, o);
			return;
		}
	}
	o->rule = d.rule;
	if (d.verdict != VERDICT_ALLOW) {
		/* no rule at all: what is learned is a bind rule, never an accept */
		if (!d.rule)
			t->op = OP_BIND;
		o->teach = true;
		o->denied = true;
		o->err = o->taught_err = EACCES;
		return;
	}
	o->teach = true;
	o->err = o->taught_err = bind_in_place(r, d.rule, ut, proto, o);
}

void grant_bind(const struct policy *p, const struct req *r, struct outcome *o)
{
	const struct req_bind *q = &r->u.bind;
	struct unix_target ut = { .dirfd = -1 };
	struct request *t = &o->taught;
	const char *proto_name;
	int proto;

	t->op = OP_BIND;
	/* not a socket at all: getsockopt says ENOTSOCK */
	proto = socket_proto(q->sock, q->sa->sa_family);
	if (proto < 0 || endpoint_from_sockaddr(q->sa, q->salen, &t->u.net.ep) < 0) {
		snprintf(o->object, sizeof(o->object), "-");
		snprintf(o->detail, sizeof(o->detail), "unsupported-socket");
		refuse(o, NULL);
		return;
	}
	t->u.net.proto = (enum proto)proto;
	proto_name = proto == PROTO_TCP ? "tcp" : proto == PROTO_UDP ? "udp" : "unix";
	snprintf(o->detail, sizeof(o->detail), "proto=%s", proto_name);
	if (proto == PROTO_UNIX) {
		int rc = unix_resolve((const struct sockaddr_un *)q->sa, q->salen, &ut);

		snprintf(t->u.net.ep.path, sizeof(t->u.net.ep.path), "%s", ut.canon);
		if (rc < 0) {
			snprintf(o->object, sizeof(o->object), "%s", t->u.net.ep.path);
			refuse(o, "its directory did not resolve");
			return;
		}
	}
	endpoint_format(&t->u.net.ep, o->object, sizeof(o->object));
	if (netns_foreign(q->sock)) {
		/* before any rule: no rule speaks for another namespace's addresses */
		snprintf(o->detail, sizeof(o->detail), "proto=%s netns=foreign", proto_name);
		refuse(o, "refused beside the policy: a socket of another network namespace");
	} else {
		bind_judged(p, r, &ut, o);
	}
	unix_target_close(&ut);
}
