/*
 * The socket and bind requests.
 *
 * socket: the broker creates the socket a rule allows and hands it over.
 * bind under a bind rule: the program's own socket comes over SCM_RIGHTS and
 * the broker binds it in place, so options set before bind keep their
 * effect and the program's descriptor number is unchanged.
 * bind under a bind rule for a unix path: see unix_bind.c.
 * bind under an accept rule: see listener.c.
 * A socket from another network namespace is never bound (foreign_netns);
 * socket requests need no such check, as the broker's sockets are made in
 * its own namespace.
 */
#include "core/broker.h"
#include "core/listener.h"
#include "grant/unix_bind.h"
#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * The network namespace a socket belongs to, by its never-reused cookie
 * (SO_NETNS_COOKIE, kernel 5.14): 0 and the cookie, or -errno (ENOTSOCK for
 * a descriptor that is no socket; ENOPROTOOPT on a kernel that cannot say).
 */
static int netns_cookie(int sock, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	*cookie = 0;
	return getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0 ? -errno : 0;
}

/*
 * The broker's own namespace, read once from a socket of its own (it never
 * changes namespace, so the first bind request reads what start-up would).
 */
static uint64_t broker_netns(void)
{
	static uint64_t cookie;
	static bool asked;

	if (!asked) {
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (s >= 0) {
			asked = true; /* a kernel that cannot say will not say later */
			netns_cookie(s, &cookie);
			close(s);
		}
	}
	return cookie;
}

/*
 * A socket made in a network namespace of the program's own (unshare -n, a
 * container) is not the broker's to bind: an address there is not the
 * host's address the policy names, and a held listener or a socket rule's
 * socket would hand a host socket to a program its administrator put in a
 * private network.  Unknown (a kernel without SO_NETNS_COOKIE) counts as
 * foreign.  -1 when sock is no socket at all.
 */
static int foreign_netns(int sock)
{
	uint64_t mine = broker_netns(), theirs;

	if (netns_cookie(sock, &theirs) == -ENOTSOCK)
		return -1;
	return !mine || theirs != mine;
}

int serve_socket(struct broker *b, struct client *c, const struct fdb_hdr *h,
		 const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct fdb_socket_req req;
	struct subject s = client_subject(c);
	struct request r = { .op = OP_SOCKET };
	struct decision d;
	const char *fam, *tname;
	char object[64];
	int fd, type, err, foreign;

	/* the one descriptor: a socket the program made, to tell its network namespace */
	if (wire_decode_socket(msg, len, &req) < 0 || nfds != 1 ||
	    (foreign = foreign_netns(fds[0])) < 0) {
		audit_note(b->audit, "pid=%d: malformed socket request: client dropped",
			   (int)c->cred.pid);
		return -1;
	}
	type = req.type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	r.u.socket.family = req.family;
	r.u.socket.type = type;
	r.u.socket.protocol = req.protocol;
	fam = socket_family_name(req.family);
	tname = socket_type_name(type);
	snprintf(object, sizeof(object), "%s/%s/%d", fam ? fam : "?", tname ? tname : "?",
		 req.protocol);
	if (foreign) {
		/* the broker's socket would be the host's: not what the program's namespace has */
		broker_learn(b, c, &r, NULL, 0, "refused beside the policy: a program in another "
			     "network namespace", NULL);
		client_audit(b, c, "socket", object, "netns=foreign", "deny", NULL, EPERM);
		return broker_reply(b, c, h->seq, EPERM, FDB_REPLY_DENIED, -1);
	}
	d = policy_decide(b->policy, &s, &r);
	if (d.verdict != VERDICT_ALLOW) {
		broker_learn(b, c, &r, d.rule, EPERM, NULL, NULL);
		client_audit(b, c, "socket", object, NULL, "deny", d.rule, EPERM);
		return broker_reply(b, c, h->seq, EPERM, FDB_REPLY_DENIED, -1);
	}
	fd = socket(req.family, type | (req.type & SOCK_NONBLOCK) | SOCK_CLOEXEC, req.protocol);
	err = fd >= 0 ? 0 : errno;
	broker_learn(b, c, &r, d.rule, err, NULL, NULL);
	client_audit(b, c, "socket", object, NULL, fd >= 0 ? "allow" : "error", d.rule, err);
	if (fd < 0)
		return broker_reply(b, c, h->seq, err, 0, -1);
	return broker_reply(b, c, h->seq, 0, 0, fd);
}

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

int serve_bind(struct broker *b, struct client *c, const struct fdb_hdr *h,
	       const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct subject s = client_subject(c);
	struct request r = { .op = OP_BIND };
	struct unix_target ut = { .dirfd = -1 };
	const struct sockaddr *sa;
	struct fdb_bind_req req;
	struct decision d;
	char object[PATH_MAX + 16], detail[64];
	const char *proto_name;
	int proto, err, chfd = -1;

	if (wire_decode_bind(msg, len, &req) < 0 || nfds != 1) {
		audit_note(b->audit, "pid=%d: malformed bind request: client dropped",
			   (int)c->cred.pid);
		return -1;
	}
	sa = (const struct sockaddr *)req.a.addr;
	/* not a socket at all: getsockopt says ENOTSOCK */
	proto = socket_proto(fds[0], sa->sa_family);
	if (proto < 0 || endpoint_from_sockaddr(sa, req.a.len, &r.u.net.ep) < 0) {
		client_audit(b, c, "bind", "-", "unsupported-socket", "deny", NULL, EACCES);
		return broker_reply(b, c, h->seq, EACCES, FDB_REPLY_DENIED, -1);
	}
	r.u.net.proto = (enum proto)proto;
	proto_name = proto == PROTO_TCP ? "tcp" : proto == PROTO_UDP ? "udp" : "unix";
	snprintf(detail, sizeof(detail), "proto=%s", proto_name);
	if (proto == PROTO_UNIX) {
		err = -unix_resolve((const struct sockaddr_un *)sa, req.a.len, &ut);
		snprintf(r.u.net.ep.path, sizeof(r.u.net.ep.path), "%s", ut.canon);
		if (err) {
			broker_learn(b, c, &r, NULL, 0, "its directory did not resolve", NULL);
			client_audit(b, c, "bind", r.u.net.ep.path, detail, "deny", NULL, EACCES);
			return broker_reply(b, c, h->seq, EACCES, FDB_REPLY_DENIED, -1);
		}
	}
	endpoint_format(&r.u.net.ep, object, sizeof(object));
	if (foreign_netns(fds[0])) {
		/* before any rule: no rule speaks for another namespace's addresses */
		snprintf(detail, sizeof(detail), "proto=%s netns=foreign", proto_name);
		broker_learn(b, c, &r, NULL, 0, "refused beside the policy: a socket of another "
			     "network namespace", NULL);
		client_audit(b, c, "bind", object, detail, "deny", NULL, EACCES);
		unix_target_close(&ut);
		return broker_reply(b, c, h->seq, EACCES, FDB_REPLY_DENIED, -1);
	}
	d = policy_decide(b->policy, &s, &r);
	if (d.verdict != VERDICT_ALLOW && !d.rule && proto == PROTO_TCP) {
		/* no bind rule speaks for it: perhaps an accept rule does */
		r.op = OP_ACCEPT;
		d = policy_decide(b->policy, &s, &r);
		if (d.verdict == VERDICT_ALLOW) {
			err = -listener_attach(b, c, d.rule, fds[0], sa, req.a.len, &r.u.net.ep,
					       &chfd);
			client_audit(b, c, "bind", object, "proto=tcp listener=held",
				     err ? "error" : "allow", d.rule, err);
			return broker_reply(b, c, h->seq, err, err ? 0 : FDB_REPLY_LISTENER, chfd);
		}
	}
	if (d.verdict != VERDICT_ALLOW) {
		/* no rule at all: what is learned is a bind rule, never an accept */
		if (!d.rule)
			r.op = OP_BIND;
		broker_learn(b, c, &r, d.rule, EACCES, NULL, NULL);
		client_audit(b, c, "bind", object, detail, "deny", d.rule, EACCES);
		unix_target_close(&ut);
		return broker_reply(b, c, h->seq, EACCES, FDB_REPLY_DENIED, -1);
	}
	if (proto == PROTO_UNIX) {
		err = unix_bind(fds[0], &ut, s.uid, s.gid, req.umask);
		snprintf(detail, sizeof(detail), "proto=unix%s%s", ut.relative ? " name=relative" : "",
			 ut.replaced ? " stale=replaced" : "");
		unix_target_close(&ut);
	} else {
		err = bind(fds[0], sa, req.a.len) < 0 ? errno : 0;
	}
	broker_learn(b, c, &r, d.rule, err, NULL, NULL);
	client_audit(b, c, "bind", object, detail, err ? "error" : "allow", d.rule, err);
	return broker_reply(b, c, h->seq, err, 0, -1);
}
