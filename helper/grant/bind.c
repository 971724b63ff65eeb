/*
 * The bind grant.  Under a bind rule the program's own socket (it came
 * over SCM_RIGHTS) is bound in place, so options set before bind keep
 * their effect and the program's descriptor number is unchanged; a unix
 * path is bound through the directory the broker judged (unix_bind.c).
 * Under an accept rule the core holds the listener (core/listener.c),
 * unless the front end has no channel to hand it down (seccomp): then the
 * socket is bound in place as under a bind rule, behind a filter that also
 * keeps it from completing any connection of its own (the rule grants
 * accepting, never connecting from the port).  A rule's `from` list
 * becomes a locked kernel filter on the socket before it is bound
 * (peer_filter.h), so no packet from elsewhere ever reaches it.  A socket
 * from another network namespace is never bound (netns.h).
 */
#include "grant/grant.h"
#include "grant/netns.h"
#include "grant/peer_filter.h"
#include "grant/unix_bind.h"
#include "sys/sockjob.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
 * What the socket is filtered by, if anything: the deciding rule's from
 * list.  A [::] socket also takes IPv4 peers (unless IPV6_V6ONLY, which
 * the program may set until the bind): when another rule decides 0.0.0.0
 * on that port and a from list is involved, the filter takes the IPv6
 * networks of the one and the IPv4 networks of the other (none when
 * 0.0.0.0 is refused), so no IPv4 peer gets round an IPv4 rule's from.
 * When the policy refuses 0.0.0.0 on that port, the socket is made
 * IPv6-only before the bind (v6only): the rule names the IPv6 wildcard,
 * and a dual-stack bind would take the IPv4 port too, against the policy.
 * An accept rule served by binding is always filtered, inbound only.
 */
struct peers {
	struct cidr nets[PEER_FILTER_NETS];
	unsigned n, flags;
	bool filter;
	bool v6only;
	const char *ipv4; /* NULL, or what decides the IPv4 side, for the line */
};

/* How bind_judged would decide 0.0.0.0 on the same port: bind rules, then accept ones. */
static struct decision ipv4_side(const struct policy *p, const struct req *r,
				 const struct request *t)
{
	struct request t4 = *t;
	struct decision d;

	memset(&t4.u.net.ep, 0, sizeof(t4.u.net.ep));
	t4.u.net.ep.family = AF_INET;
	t4.u.net.ep.port = t->u.net.ep.port;
	t4.op = OP_BIND;
	d = policy_decide(p, &r->who.id, &t4);
	if (d.verdict != VERDICT_ALLOW && !d.rule && t4.u.net.proto == PROTO_TCP) {
		t4.op = OP_ACCEPT;
		d = policy_decide(p, &r->who.id, &t4);
	}
	return d;
}

static bool dual_stack(const struct req_bind *q)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)q->sa;

	return q->sa->sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
}

/* The networks of family a rule lets in: its from list's, or all of them. */
static void add_family(struct peers *ps, const struct rule *rule, int family)
{
	if (!rule->u.net.nfrom) {
		ps->nets[ps->n++] = (struct cidr){ .family = family };
		return;
	}
	for (unsigned i = 0; i < rule->u.net.nfrom; i++)
		if (rule->u.net.from[i].family == family)
			ps->nets[ps->n++] = rule->u.net.from[i];
}

static void peers_of(const struct policy *p, const struct req *r, const struct request *t,
		     const struct rule *rule, bool inbound_only, struct peers *ps)
{
	struct decision d4 = { .verdict = VERDICT_ALLOW, .rule = rule };
	bool split;

	*ps = (struct peers){ .flags = inbound_only ? PEER_FILTER_INBOUND_ONLY : 0 };
	if (dual_stack(&r->u.bind))
		d4 = ipv4_side(p, r, t);
	split = d4.rule != rule;
	ps->v6only = split && d4.verdict != VERDICT_ALLOW;
	if (ps->v6only)
		ps->ipv4 = "refused";
	/*
	 * IPV6_V6ONLY is the program's to clear again until the bind, from a
	 * thread of its own: a filter that lets in no IPv4 peer is locked on
	 * too, where the broker may (bind_job_fn).
	 */
	ps->filter = inbound_only || rule->u.net.nfrom || ps->v6only ||
		     (split && d4.verdict == VERDICT_ALLOW && d4.rule->u.net.nfrom);
	if (!ps->filter)
		return;
	if (!split) {
		add_family(ps, rule, AF_INET);
		add_family(ps, rule, AF_INET6);
		return;
	}
	add_family(ps, rule, AF_INET6);
	if (d4.verdict == VERDICT_ALLOW)
		add_family(ps, d4.rule, AF_INET);
	ps->ipv4 = d4.verdict == VERDICT_ALLOW ? "other-rule" : "refused";
}

/* Is the socket bound already?  Then the bind fails on its own: no filter is locked onto it. */
static bool bound_already(int sock)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(sock, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_port != 0;
	return ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port != 0;
}

/* Are the peers only there for IPV6_V6ONLY's sake: the rule's IPv6 networks, no from list? */
static bool only_v6(const struct peers *ps)
{
	return ps->v6only && ps->n == 1 && ps->nets[0].family == AF_INET6 &&
	       ps->nets[0].prefix_len == 0;
}

/*
 * The calls that take the socket's lock, which a thread of the program may
 * hold for good (sys/sockjob.h): on a sockjob thread, with a copy of all
 * they need, so that a job left to its thread touches nothing of the
 * request's.  The peers go on the socket as a locked filter before the
 * bind, so that not one packet from elsewhere is queued.
 */
struct bind_job {
	struct sockjob job;
	int sock; /* the broker's own copy of the program's socket */
	struct sockaddr_storage sa;
	socklen_t salen;
	struct peers ps;
	bool filtered;  /* the filter was tried: filter_rc says how it went */
	int v6only_err; /* setting IPV6_V6ONLY's errno, or 0 */
	bool v6only_lost; /* cleared again by the time of the bind (the program's doing) */
	int filter_rc;  /* peer_filter_lock's */
	int err;        /* bind's errno, or 0 */
};

static void bind_job_fn(struct sockjob *j)
{
	struct bind_job *b = (struct bind_job *)j;

	/*
	 * getsockname takes the lock first: where a thread of the program holds
	 * it, this is where the job waits.  The program was answered without it
	 * by then: bind nothing behind its back (a program that takes the lock
	 * again, between here and the bind, may see its socket bound late).
	 */
	bool bound = bound_already(b->sock);

	if (sockjob_left(j))
		return;
	if (b->ps.v6only && !bound &&
	    setsockopt(b->sock, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 }, sizeof(int)) < 0) {
		b->v6only_err = errno;
		return;
	}
	/* a socket bound already fails its bind on its own: no filter is locked onto it */
	b->filtered = b->ps.filter && !bound;
	if (b->filtered && (b->filter_rc = peer_filter_lock(b->sock, b->ps.nets, b->ps.n,
							    b->ps.flags))) {
		/*
		 * A filter for IPV6_V6ONLY's sake alone, on a tcp socket, with no
		 * CAP_NET_ADMIN (caps.c keeps it for a rule on [::] only): the
		 * bind goes on without, and the read-back below still tells.
		 */
		if (b->filter_rc != -EACCES || b->ps.flags || !only_v6(&b->ps))
			return;
		b->filtered = false;
		b->filter_rc = 0;
	}
	/* each step takes the lock again: asked again before the one that counts */
	if (sockjob_left(j))
		return;
	b->err = bind(b->sock, (const struct sockaddr *)&b->sa, b->salen) < 0 ? errno : 0;
	if (!b->err && b->ps.v6only) {
		int v6only = 1;
		socklen_t len = sizeof(v6only);

		getsockopt(b->sock, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
		b->v6only_lost = !v6only;
	}
}

static void bind_job_release(struct sockjob *j)
{
	struct bind_job *b = (struct bind_job *)j;

	close(b->sock);
	free(b);
}

/* What the job found: 0 or the program's errno; the line says how the filter went. */
static int bind_job_result(const struct bind_job *b, struct outcome *o)
{
	size_t at = strlen(o->detail);
	int rc = b->filter_rc;

	if (b->ps.v6only) {
		snprintf(o->detail + at, sizeof(o->detail) - at,
			 b->v6only_lost ? " v6only=cleared-by-program" : " v6only=set");
		at = strlen(o->detail);
		if (b->v6only_err)
			return b->v6only_err;
	}
	/* bound to the IPv4 port too: refused (a filter, if locked, lets no IPv4 peer in) */
	if (b->v6only_lost)
		o->denied = true;
	if (!b->filtered) {
		if (b->ps.v6only)
			snprintf(o->detail + at, sizeof(o->detail) - at, " ipv4-side=refused");
		return b->v6only_lost ? EACCES : b->err;
	}
	snprintf(o->detail + at, sizeof(o->detail) - at, " filter=%s%s%s",
		 rc == -EPERM ? "refused-locked-by-program" :
		 rc == -EACCES ? "refused-no-cap-net-admin" : rc ? "failed" : "locked",
		 b->ps.ipv4 ? " ipv4-side=" : "", b->ps.ipv4 ? b->ps.ipv4 : "");
	if (rc == -EPERM || rc == -EACCES || b->v6only_lost) {
		o->denied = true;
		return EACCES;
	}
	return rc ? -rc : b->err;
}

/* A lock the bind waits for is held by a program: refused, not waited for (" reason=WHAT"). */
static int busy(struct outcome *o, const char *what)
{
	size_t at = strlen(o->detail);

	snprintf(o->detail + at, sizeof(o->detail) - at, " reason=%s", what);
	o->denied = true;
	o->teach = false;
	return EACCES;
}

/* Filter and bind an inet socket, off the loop: 0 or the program's errno. */
static int bind_inet(const struct policy *p, const struct req *r, const struct rule *rule,
		     bool inbound_only, struct outcome *o)
{
	const struct req_bind *q = &r->u.bind;
	struct bind_job *b = calloc(1, sizeof(*b));
	int rc, err;

	if (!b)
		return ENOMEM;
	b->job = (struct sockjob){ .fn = bind_job_fn, .release = bind_job_release,
				   .uid = r->who.id.uid };
	b->sock = fcntl(q->sock, F_DUPFD_CLOEXEC, 3);
	if (b->sock < 0) {
		err = errno;
		free(b);
		return err;
	}
	memcpy(&b->sa, q->sa, q->salen);
	b->salen = q->salen;
	peers_of(p, r, &o->taught, rule, inbound_only, &b->ps);
	rc = sockjob_call(&b->job);
	if (rc == -EBUSY)
		return busy(o, "socket-busy"); /* a thread of the program holds the socket's lock */
	if (rc < 0)
		return -rc;
	err = bind_job_result(b, o);
	bind_job_release(&b->job);
	return err;
}

/*
 * A unix bind makes its socket file, which waits for its directory's lock,
 * and a program can hold that (grant/open_job.h): on a sockjob thread of
 * its own (once), whose working directory and umask are its own (unshare
 * CLONE_FS), since unix_bind changes both for the call, with copies of all
 * it needs.  A job left to its thread that binds late removes the socket
 * file again; the socket stays bound, to no name, and the program, which
 * was refused, gets EINVAL should it bind it again.
 */
struct unix_job {
	struct sockjob job;
	int sock; /* the broker's own copy of the program's socket */
	struct unix_target t;
	gid_t gid;
	mode_t umask;
	int err;   /* unix_bind's: 0 or -errno */
	bool kept; /* the caller took the result */
};

static void unix_job_fn(struct sockjob *j)
{
	struct unix_job *u = (struct unix_job *)j;

	if (sockjob_left(j))
		return;
	u->err = unshare(CLONE_FS) < 0 ? -errno :
					 unix_bind(u->sock, &u->t, u->job.uid, u->gid, u->umask);
}

static void unix_job_release(struct sockjob *j)
{
	struct unix_job *u = (struct unix_job *)j;

	if (!u->kept && u->err == 0)
		unlinkat(u->t.dirfd, u->t.base, 0);
	close(u->sock);
	unix_target_close(&u->t);
	free(u);
}

/* unix_bind off the loop: its result, ut's relative and replaced set; -EBUSY as sockjob_call. */
static int bind_unix(const struct req *r, struct unix_target *ut)
{
	const struct req_bind *q = &r->u.bind;
	struct unix_job *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return -ENOMEM;
	*u = (struct unix_job){ .job = { .fn = unix_job_fn, .release = unix_job_release,
					 .uid = r->who.id.uid, .once = true },
				.t = *ut, .gid = r->who.id.gid, .umask = q->umask, .err = -EBUSY };
	u->sock = fcntl(q->sock, F_DUPFD_CLOEXEC, 3);
	u->t.dirfd = fcntl(ut->dirfd, F_DUPFD_CLOEXEC, 3);
	if (u->sock < 0 || u->t.dirfd < 0) {
		rc = -errno;
		if (u->sock >= 0)
			close(u->sock);
		unix_target_close(&u->t);
		free(u);
		return rc;
	}
	rc = sockjob_call(&u->job);
	if (rc < 0)
		return rc;
	rc = u->err;
	ut->relative = u->t.relative;
	ut->replaced = u->t.replaced;
	u->kept = true;
	unix_job_release(&u->job);
	return rc;
}

/* The bind itself, as the rule allows: 0 or the program's errno. */
static int bind_in_place(const struct policy *p, const struct req *r, const struct rule *rule,
			 struct unix_target *ut, bool inbound_only, struct outcome *o)
{
	int err;

	if (o->taught.u.net.proto != PROTO_UNIX)
		return bind_inet(p, r, rule, inbound_only, o);
	err = -bind_unix(r, ut);
	if (err == EBUSY)
		return busy(o, "directory-busy"); /* "proto=unix" is there already */
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
			o->err = bind_in_place(p, r, d.rule, ut, true, o);
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
	o->err = o->taught_err = bind_in_place(p, r, d.rule, ut, false, o);
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
