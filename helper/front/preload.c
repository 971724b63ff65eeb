/*
 * The preload front end, the shim's way in: a wire record and its
 * descriptors become a request (request/request.h), the core decides it
 * (core/dispatch.h), and the outcome becomes the reply record and the
 * descriptor passed with it.
 * Each operation's decoder checks the body's length and fields (the codec)
 * and the exact number of descriptors; anything else drops the client.
 *
 * ADMIT and HANDOVER ask for no object: they carry a seccomp listener from
 * this front end to the other (front/seccomp.h), which answers them.
 */
#include "front/preload.h"
#include "audit/audit.h"
#include "core/dispatch.h"
#include "front/seccomp.h"
#include "sys/closer.h"
#include "fdpass.h"
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* The decoded bodies a request points into while it is served. */
union body {
	struct fdb_open_req open;
	struct fdb_stat_req stat;
	struct fdb_reopen_req reopen;
	struct fdb_socket_req socket;
	struct fdb_bind_req bind;
	struct fdb_sockopt_req sockopt;
};

/* A decoder: 0 with r filled, or -1 (malformed). */
typedef int (*decode_fn)(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
			 union body *u, struct req *r);

static int decode_open(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
		       union body *u, struct req *r)
{
	if (wire_decode_open(msg, len, &u->open) < 0 || nfds != u->open.has_dirfd)
		return -1;
	r->u.open.path = u->open.path;
	r->u.open.dirfd = nfds ? fds[0] : -1;
	r->u.open.flags = u->open.flags;
	r->u.open.mode = u->open.mode;
	return 0;
}

static int decode_stat(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
		       union body *u, struct req *r)
{
	if (wire_decode_stat(msg, len, &u->stat) < 0 || nfds != u->stat.has_dirfd)
		return -1;
	r->u.stat.path = u->stat.path;
	r->u.stat.dirfd = nfds ? fds[0] : -1;
	r->u.stat.at_flags = u->stat.at_flags;
	r->u.stat.amode = u->stat.amode;
	r->u.stat.mask = u->stat.mask;
	return 0;
}

static int decode_reopen(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
			 union body *u, struct req *r)
{
	if (wire_decode_reopen(msg, len, &u->reopen) < 0 || nfds != 1)
		return -1;
	r->u.reopen.name = u->reopen.name;
	r->u.reopen.fd = u->reopen.fd;
	r->u.reopen.flags = u->reopen.flags;
	r->u.reopen.held = fds[0];
	return 0;
}

/* the one descriptor: a socket the program made, to tell its network namespace */
static int decode_socket(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
			 union body *u, struct req *r)
{
	int type;
	socklen_t tlen = sizeof(type);

	if (wire_decode_socket(msg, len, &u->socket) < 0 || nfds != 1)
		return -1;
	/*
	 * A socket, and nothing else (no file of the program's is ever looked
	 * at, which on a FUSE mount of its own could wait): SO_TYPE says
	 * ENOTSOCK for anything else without touching it.
	 */
	if (getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
		return -1;
	r->u.socket.family = u->socket.family;
	r->u.socket.type = u->socket.type;
	r->u.socket.protocol = u->socket.protocol;
	r->u.socket.probe = fds[0];
	return 0;
}

/* the one descriptor: the program's socket, bound in place */
static int decode_bind(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
		       union body *u, struct req *r)
{
	if (wire_decode_bind(msg, len, &u->bind) < 0 || nfds != 1)
		return -1;
	r->u.bind.sock = fds[0];
	r->u.bind.sa = (const struct sockaddr *)u->bind.a.addr;
	r->u.bind.salen = u->bind.a.len;
	r->u.bind.umask = u->bind.umask;
	return 0;
}

/* the one descriptor: the program's end of a listener channel, it says */
static int decode_sockopt(const unsigned char *msg, size_t len, const int *fds, size_t nfds,
			  union body *u, struct req *r)
{
	if (wire_decode_sockopt(msg, len, &u->sockopt) < 0 || nfds != 1)
		return -1;
	r->u.sockopt.chan = fds[0];
	r->u.sockopt.level = u->sockopt.level;
	r->u.sockopt.optname = u->sockopt.optname;
	r->u.sockopt.value = u->sockopt.value;
	r->u.sockopt.len = u->sockopt.vlen;
	return 0;
}

static const struct wire_op {
	uint16_t op;
	enum req_op req;
	const char *name; /* the audit line's op=, and the malformed note's */
	decode_fn decode;
} ops[] = {
	{ FDB_OP_OPEN, REQ_OPEN, "open", decode_open },
	{ FDB_OP_SOCKET, REQ_SOCKET, "socket", decode_socket },
	{ FDB_OP_BIND, REQ_BIND, "bind", decode_bind },
	{ FDB_OP_REOPEN, REQ_REOPEN, "reopen", decode_reopen },
	{ FDB_OP_STAT, REQ_STAT, "stat", decode_stat },
	{ FDB_OP_SOCKOPT, REQ_SOCKOPT, "sockopt", decode_sockopt },
};

static const struct wire_op *op_find(uint16_t op)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return &ops[i];
	return NULL;
}

/* The kernel's word for who asks: the credentials of c's connection. */
static struct req_who who_of(const struct client *c)
{
	struct req_who w = {
		.pid = c->cred.pid,
		.id = { .uid = c->cred.uid, .gid = c->cred.gid, .groups = c->groups,
			.ngroups = c->ngroups },
		.prog = c->prog,
	};

	return w;
}

/* ADMIT or HANDOVER: answered by the seccomp front end; -1 drops c. */
static int supervise(struct broker *b, struct client *c, const struct fdb_hdr *h,
		     const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct fdb_supervise_req sv;
	bool handover = h->op == FDB_OP_HANDOVER;

	if (wire_decode_supervise(msg, len, &sv) < 0 || nfds != (handover ? 1u : 0u)) {
		audit_note(b->audit, "pid=%d: malformed %s request: client dropped",
			   (int)c->cred.pid, handover ? "handover" : "admit");
		return -1;
	}
	return broker_reply(b, c, h->seq, handover ? seccomp_adopt(b, c, fds[0])
						   : seccomp_admit(b, c), 0, -1);
}

/* One request record: decoded, decided, answered; -1 drops c. */
static int serve(struct broker *b, struct client *c, const struct fdb_hdr *h,
		 const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	const struct wire_op *op = op_find(h->op);
	struct req r = { .who = who_of(c) };
	struct outcome o;
	union body u;

	if (h->op == FDB_OP_ADMIT || h->op == FDB_OP_HANDOVER)
		return supervise(b, c, h, msg, len, fds, nfds);
	if (!op) {
		audit_note(b->audit, "pid=%d: unknown operation %u: client dropped",
			   (int)c->cred.pid, h->op);
		return -1;
	}
	r.op = op->req;
	outcome_init(&o, op->name);
	if (op->decode(msg, len, fds, nfds, &u, &r) == 0)
		dispatch(b, c, &r, &o);
	else
		o.malformed = true;
	if (o.malformed) {
		audit_note(b->audit, "pid=%d: malformed %s request: client dropped",
			   (int)c->cred.pid, op->name);
		return -1;
	}
	if (o.has_stx)
		return broker_reply_stat(b, c, h->seq, &o.stx);
	return broker_reply(b, c, h->seq, o.err,
			    (o.denied ? FDB_REPLY_DENIED : 0) | (o.listener ? FDB_REPLY_LISTENER : 0),
			    o.fd);
}

int preload_client_ready(struct broker *b, struct client *c)
{
	unsigned char msg[FDB_MSG_MAX];
	struct fdb_hdr h;
	int fds[FDB_FDS_MAX], rc;
	size_t nfds;
	uid_t account = client_account(c);
	const struct fdpass_dispose to_closer = { closer_dispose, &account };
	ssize_t n = fdpass_recv_from(c->fd, msg, sizeof(msg), fds, FDB_FDS_MAX, &nfds,
				     MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &to_closer);

	if (n == -EAGAIN)
		return 0;
	if (n == 0)
		return -1;
	if (n < 0) {
		audit_note(b->audit, "pid=%d: unreadable record (%s): client dropped",
			   (int)c->cred.pid, strerror((int)-n));
		return -1;
	}
	rc = wire_decode_hdr(msg, (size_t)n, &h);
	if (rc == -EPROTONOSUPPORT) {
		char esc[AUDIT_PROG_ESC];

		audit_note(b->audit, "pid=%d prog=%s: protocol version %u, this broker speaks %u: "
			   "client refused", (int)c->cred.pid,
			   audit_escape(c->prog, esc, sizeof(esc)), h.version, FDB_VERSION);
		broker_reply_now(b, c, h.seq, EPROTONOSUPPORT, FDB_REPLY_DENIED, -1);
		rc = -1;
	} else if (rc < 0) {
		audit_note(b->audit, "pid=%d: bad record header (%s): client dropped",
			   (int)c->cred.pid, strerror(-rc));
		rc = -1;
	} else {
		rc = serve(b, c, &h, msg, (size_t)n, fds, nfds);
	}
	/* the program's descriptors, whatever it sent: their close may wait */
	for (size_t i = 0; i < nfds; i++)
		closer_close(account, fds[i]);
	return rc;
}
