/*
 * Would a grant do anything for a request?  The seccomp front end asks
 * before it involves the broker: a call no rule could grant goes on to the
 * kernel untouched (the program gets its own result and nothing is logged),
 * so the answer may say yes too often (the grant then refuses, and logs),
 * never no where the grant would say yes.  Nothing is opened, created,
 * bound or logged here.
 */
#include "grant/grant.h"
#include "grant/open.h"
#include "grant/stat.h"

#include <fcntl.h>
#include <unistd.h>

static bool allows(const struct policy *p, const struct subject *s, const struct request *rq)
{
	return policy_decide(p, s, rq).verdict == VERDICT_ALLOW;
}

static bool stat_would(const struct policy *p, const struct subject *s, const struct req_stat *q)
{
	struct open_result out;
	bool any;
	unsigned rights = stat_rights(q->amode, &any);
	int extra = (q->at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0;
	int opath = object_resolve(p, s, q->path, q->dirfd, extra, rights, any, &out);

	if (opath >= 0)
		close(opath);
	return opath >= 0 || !out.denied;
}

static bool socket_would(const struct policy *p, const struct subject *s,
			 const struct req_socket *q)
{
	struct request rq = { .op = OP_SOCKET };

	rq.u.socket.family = q->family;
	rq.u.socket.type = q->type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	rq.u.socket.protocol = q->protocol;
	return allows(p, s, &rq);
}

/* A bind or, for tcp, an accept rule for the address (grant_bind's fallback). */
static bool bind_would(const struct policy *p, const struct subject *s, const struct req_bind *q)
{
	struct request rq = { .op = OP_BIND };

	if (endpoint_from_sockaddr(q->sa, q->salen, &rq.u.net.ep) < 0)
		return false;
	if (q->sa->sa_family == AF_UNIX) {
		rq.u.net.proto = PROTO_UNIX;
		return true; /* its name is judged once its directory is resolved: by the grant */
	}
	for (int proto = PROTO_TCP; proto <= PROTO_UDP; proto++) {
		rq.op = OP_BIND;
		rq.u.net.proto = (enum proto)proto;
		if (allows(p, s, &rq))
			return true;
		rq.op = OP_ACCEPT;
		if (proto == PROTO_TCP && allows(p, s, &rq))
			return true;
	}
	return false;
}

bool grant_would(const struct policy *p, const struct req *r)
{
	const struct subject *s = &r->who.id;

	switch (r->op) {
	case REQ_OPEN:
		return open_would(p, s, &r->u.open);
	case REQ_STAT:
		return stat_would(p, s, &r->u.stat);
	case REQ_SOCKET:
		return socket_would(p, s, &r->u.socket);
	case REQ_BIND:
		return bind_would(p, s, &r->u.bind);
	case REQ_REOPEN:
		return true; /* no rule decides it: the program's own descriptor */
	case REQ_SOCKOPT:
		return false; /* no grant's: the core's held listener (shim only) */
	}
	return false;
}
