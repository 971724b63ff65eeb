/*
 * Broker-held listeners (accept rules).
 *
 * The program never holds the listening socket: it could then accept
 * connections the rule's "from" list refuses.  Instead its descriptor becomes
 * one end of a SOCK_SEQPACKET channel; the broker accepts on the real
 * listener, drops peers outside "from", logs each connection, and sends the
 * ones it keeps down the channel, one record (peer address + descriptor)
 * each.  So the channel is readable exactly when a connection waits, which
 * keeps poll/epoll and blocking accept() working, and prefork workers that
 * share the descriptor each receive whole records.
 *
 * Backpressure: when no channel can take a connection, the broker holds the
 * one it accepted and stops polling the listener, so further connections
 * wait in the kernel's backlog; a channel becoming writable resumes it.  The
 * listener outlives its programs, so a restarted program finds its backlog,
 * for a grace period (b->limits.grace_s, 60 s by default): a listener no
 * program has held for that long is closed.
 *
 * Options: setsockopt on a channel sets a short list of options on the
 * real listener (listener_sockopt), so they last as long as the listener,
 * across program restarts, for every program of the rule.
 *
 * Shares: a listener counts against the uid that opened it (at most
 * limits.listeners_per_user, and limits.listeners in all); a channel is a
 * connection of the uid that bound it, counted with its clients.  Past a
 * limit the bind fails with EDQUOT, and a note (once a second per uid)
 * says which limit.
 */
#include "core/listener.h"
#include "core/loop.h"
#include "core/reserve.h"
#include "core/rest.h"
#include "fdpass.h"
#include "sys/closer.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct channel {
	struct evsrc src;
	int fd; /* broker's end */
	struct listener *l;
	struct channel *next;
	struct share *share; /* of the uid that bound it: one of its connections */
	uid_t uid; /* that uid (share's may be its owner's, sys/subids.h) */
	bool blocked; /* waiting for EPOLLOUT */
	struct rest rest; /* nothing read from it while its account's closes are stuck */
	struct sockaddr_un name; /* the broker's end's, as bound (channel_find) */
	socklen_t namelen;
	dev_t dev; /* the program's end, as made: the inode a SOCKOPT must come with */
	ino_t ino;
};

struct listener {
	struct evsrc src;
	int fd;
	struct endpoint ep;
	char ep_text[128]; /* ep as the audit line of each connection names it */
	struct sockaddr_storage sa;
	socklen_t salen;
	struct cidr from[POLICY_MAX_FROM];
	unsigned nfrom;
	char rule[PATH_MAX + 16];
	/* who bound it, for the audit lines of its connections */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char prog[17];
	struct channel *channels;
	int pending;                /* accepted, not yet delivered; -1 = none */
	struct sockaddr_storage pending_peer;
	socklen_t pending_len;
	bool polling;
	struct share *owner; /* the uid that opened it: counted in owner->listeners */
	long idle_since;     /* CLOCK_MONOTONIC ms since no channel is left; 0: held */
	struct listener *next;
};

static void listener_ready(struct broker *b, struct listener *l);
static const struct evsrc_ops listener_ops, channel_ops;

static void listener_poll(struct broker *b, struct listener *l, bool on)
{
	if (l->polling != on)
		loop_modify(b, l->fd, &l->src, on ? EPOLLIN : 0);
	l->polling = on;
}

/* Copy what a program set on its socket before bind to the real listener. */
static void copy_options(int from, int to)
{
	static const struct {
		int level, name;
	} opts[] = {
		{ SOL_SOCKET, SO_REUSEADDR },  { SOL_SOCKET, SO_REUSEPORT },
		{ SOL_SOCKET, SO_KEEPALIVE },  { SOL_SOCKET, SO_RCVBUF },
		{ SOL_SOCKET, SO_SNDBUF },     { SOL_SOCKET, SO_LINGER },
		{ IPPROTO_IPV6, IPV6_V6ONLY }, { IPPROTO_TCP, TCP_NODELAY },
		{ IPPROTO_TCP, TCP_DEFER_ACCEPT }, { IPPROTO_TCP, TCP_KEEPIDLE },
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		unsigned char val[64];
		socklen_t len = sizeof(val);

		if (getsockopt(from, opts[i].level, opts[i].name, val, &len) < 0)
			continue;
		if (opts[i].name == SO_RCVBUF || opts[i].name == SO_SNDBUF) {
			int v;

			memcpy(&v, val, sizeof(v));
			v /= 2; /* the kernel reports twice what was set */
			memcpy(val, &v, sizeof(v));
		}
		setsockopt(to, opts[i].level, opts[i].name, val, len);
	}
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->ip, b->ip, 16);
}

static struct listener *listener_find(struct broker *b, const struct endpoint *ep)
{
	for (struct listener *l = b->listeners; l; l = l->next)
		if (same_endpoint(&l->ep, ep))
			return l;
	return NULL;
}

/* No program holds l: it is closed grace_s from now unless one binds it again. */
static void listener_idle(struct broker *b, struct listener *l)
{
	l->idle_since = broker_now_ms();
	broker_tick_by(b, l->idle_since + (long)b->limits.grace_s * 1000);
}

static int listener_open(struct broker *b, struct share *owner, int progsock,
			 const struct sockaddr *sa, socklen_t salen, const struct endpoint *ep,
			 struct listener **out)
{
	struct listener *l;
	int domain, type, protocol, fd, e;
	socklen_t len = sizeof(int);

	getsockopt(progsock, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	getsockopt(progsock, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
	type = SOCK_STREAM;
	fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	copy_options(progsock, fd);
	if (bind(fd, sa, salen) < 0 || listen(fd, SOMAXCONN) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->src.ops = &listener_ops;
	l->fd = fd;
	l->ep = *ep;
	endpoint_format(ep, l->ep_text, sizeof(l->ep_text));
	memcpy(&l->sa, sa, salen);
	l->salen = salen;
	l->pending = -1;
	if (loop_add(b, fd, &l->src, EPOLLIN) < 0) {
		e = errno;
		close(fd);
		free(l);
		return -e;
	}
	l->polling = true;
	l->owner = owner;
	owner->listeners++;
	b->shares.listeners++;
	listener_idle(b, l); /* until its first channel */
	l->next = b->listeners;
	b->listeners = l;
	*out = l;
	return 0;
}

/* A new channel for l: the broker's end bound to the name the shim reads. */
static int channel_open(struct broker *b, struct listener *l, const struct client *c,
			int *progend)
{
	struct sockaddr_un name = { .sun_family = AF_UNIX };
	struct channel *ch;
	struct stat st;
	int sv[2], n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	n = snprintf(name.sun_path + 1, sizeof(name.sun_path) - 1, "%s%d:%u:", FDB_LISTENER_PREFIX,
		     (int)getpid(), ++b->channel_seq);
	for (socklen_t i = 0; i < l->salen && n + 2 < (int)sizeof(name.sun_path) - 1; i++)
		n += snprintf(name.sun_path + 1 + n, 3, "%02x", ((unsigned char *)&l->sa)[i]);
	ch = calloc(1, sizeof(*ch));
	if (ch) {
		ch->name = name;
		ch->namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	}
	if (!ch || bind(sv[0], (struct sockaddr *)&ch->name, ch->namelen) < 0) {
		int e = ch ? errno : ENOMEM;

		free(ch);
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	if (fstat(sv[1], &st) == 0) {
		ch->dev = st.st_dev;
		ch->ino = st.st_ino;
	}
	ch->src.ops = &channel_ops;
	ch->fd = sv[0];
	ch->l = l;
	ch->share = c->share;
	ch->uid = c->cred.uid;
	c->share->conns++;
	b->shares.conns++;
	l->idle_since = 0;
	loop_add(b, ch->fd, &ch->src, EPOLLIN);
	ch->next = l->channels;
	l->channels = ch;
	*progend = sv[1];
	return 0;
}

/*
 * Within c's uid's shares: a channel is one more connection, a new listener
 * one more held listener.  0, or -EDQUOT with the refusal noted.
 */
static int within_shares(struct broker *b, const struct client *c, bool new_listener)
{
	const struct limits *lim = &b->limits;
	struct share *s = c->share;
	char what[160];

	if (b->shares.conns >= lim->clients)
		snprintf(what, sizeof(what), "bind: %u connections in all already (--max-clients)",
			 b->shares.conns);
	else if (s->conns >= lim->clients_per_user)
		snprintf(what, sizeof(what), "bind: uid %u%s has %u connection%s already "
			 "(--max-clients-per-user)", (unsigned)s->uid,
			 s->uid != c->cred.uid ? " (with its subordinate uids)" : "", s->conns,
			 s->conns == 1 ? "" : "s");
	else if (new_listener && b->shares.listeners >= lim->listeners)
		snprintf(what, sizeof(what), "bind: %u held listeners in all already "
			 "(--max-listeners)", b->shares.listeners);
	else if (new_listener && s->listeners >= lim->listeners_per_user)
		snprintf(what, sizeof(what), "bind: uid %u%s holds %u listener%s already "
			 "(--max-listeners-per-user)", (unsigned)s->uid,
			 s->uid != c->cred.uid ? " (with its subordinate uids)" : "", s->listeners,
			 s->listeners == 1 ? "" : "s");
	else
		return 0;
	broker_refusal(b, s, &c->cred, c->prog, what);
	return -EDQUOT;
}

int listener_attach(struct broker *b, const struct client *c, const struct rule *rule,
		    int progsock, const struct sockaddr *sa, socklen_t salen,
		    const struct endpoint *ep, int *chfd)
{
	struct listener *l = listener_find(b, ep);
	int rc;

	if (salen > sizeof(struct sockaddr_storage))
		return -EINVAL;
	/*
	 * Held for another user's programs: the address is in use, as the
	 * kernel says of a port another uid listens on (SO_REUSEPORT shares
	 * only within one uid).  Otherwise its connections would go to both
	 * users, under the rule of whoever bound last.
	 */
	if (l && l->channels && l->uid != c->cred.uid)
		return -EADDRINUSE;
	rc = within_shares(b, c, !l);
	if (rc < 0)
		return rc;
	if (!l) {
		rc = listener_open(b, c->share, progsock, sa, salen, ep, &l);
		if (rc < 0)
			return rc;
	}
	/* the latest rule that granted the address decides who may connect */
	l->nfrom = rule->u.net.nfrom < POLICY_MAX_FROM ? rule->u.net.nfrom : POLICY_MAX_FROM;
	for (unsigned i = 0; i < l->nfrom; i++)
		l->from[i] = rule->u.net.from[i];
	rule_name(rule, l->rule, sizeof(l->rule));
	l->pid = c->cred.pid;
	l->uid = c->cred.uid;
	l->gid = c->cred.gid;
	memcpy(l->prog, c->prog, sizeof(l->prog));
	rc = channel_open(b, l, c, chfd);
	if (rc == 0) {
		listener_poll(b, l, true);
		/* a connection held back while no program listened goes first */
		if (l->pending >= 0)
			listener_ready(b, l);
	}
	return rc;
}

static void conn_audit(struct broker *b, struct listener *l, const struct endpoint *peer,
		       const char *verdict, int err)
{
	char detail[160];
	struct audit_rec rec = {
		.pid = l->pid, .uid = l->uid, .gid = l->gid, .prog = l->prog, .op = "accept",
		.object = l->ep_text, .detail = detail, .verdict = verdict, .rule = l->rule,
		.err = err,
	};

	strcpy(detail, "peer=");
	endpoint_format(peer, detail + 5, sizeof(detail) - 5);
	audit_decision(b->audit, &rec);
}

static bool peer_allowed(const struct listener *l, const struct endpoint *peer)
{
	if (l->nfrom == 0)
		return true;
	for (unsigned i = 0; i < l->nfrom; i++)
		if (cidr_matches(&l->from[i], peer))
			return true;
	return false;
}

/* What to watch ch for: input unless it rests (rest.h), output while a delivery waits. */
static void channel_arm(struct broker *b, struct channel *ch)
{
	loop_modify(b, ch->fd, &ch->src,
		    (ch->rest.resting ? EPOLLET : EPOLLIN) | (ch->blocked ? EPOLLOUT : 0));
}

/* Send l's pending connection to a channel that takes it; false if none can. */
static bool deliver(struct broker *b, struct listener *l)
{
	unsigned char msg[FDB_HDR_LEN + 4 + FDB_SOCKADDR_MAX];
	struct fdb_addr a = { .len = l->pending_len };
	int len;

	memcpy(a.addr, &l->pending_peer, l->pending_len);
	len = wire_encode_addr(msg, sizeof(msg), FDB_OP_CONN, 0, &a);
	/* the connection's audit line goes out before the connection does */
	audit_flush(b->audit);
	for (struct channel *ch = l->channels; ch; ch = ch->next) {
		ssize_t n;

		if (ch->blocked)
			continue;
		n = fdpass_send(ch->fd, msg, (size_t)len, &l->pending, 1, MSG_DONTWAIT);
		if (n >= 0) {
			close(l->pending);
			l->pending = -1;
			return true;
		}
		if (n == -EAGAIN) {
			ch->blocked = true;
			channel_arm(b, ch);
		}
	}
	return false;
}

static void listener_ready(struct broker *b, struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct endpoint peer;
		int fd;

		if (l->pending >= 0 && !deliver(b, l)) {
			listener_poll(b, l, false);
			return;
		}
		l->pending_len = sizeof(l->pending_peer);
		fd = accept4(l->fd, (struct sockaddr *)&l->pending_peer, &l->pending_len,
			     SOCK_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			/* out of descriptors: reset the client rather than spin on it */
			if ((err == EMFILE || err == ENFILE) &&
			    reserve_refuse_pending(b, l->fd, err) > 0)
				continue;
			if (err != EAGAIN && err != EINTR && err != ECONNABORTED)
				audit_note(b->audit, "accept on a held listener: %s", strerror(err));
			return;
		}
		reserve_accepted(b);
		if (endpoint_from_sockaddr((struct sockaddr *)&l->pending_peer, l->pending_len,
					   &peer) < 0 || !peer_allowed(l, &peer)) {
			conn_audit(b, l, &peer, "deny", 0);
			closer_close_socket(fd); /* it may linger as the listener does */
			continue;
		}
		conn_audit(b, l, &peer, "allow", 0);
		l->pending = fd;
	}
	if (l->pending >= 0 && !deliver(b, l))
		listener_poll(b, l, false);
}

static void channel_resume(struct broker *b, struct rest *r)
{
	channel_arm(b, (struct channel *)((char *)r - offsetof(struct channel, rest)));
}

static void channel_remove(struct broker *b, struct channel *ch)
{
	struct channel **pp = &ch->l->channels;

	while (*pp != ch)
		pp = &(*pp)->next;
	*pp = ch->next;
	loop_remove(b, ch->fd, &ch->src);
	rest_cancel(b, &ch->rest);
	rest_let_go(ch->share->uid, ch->fd); /* what the program queued: rest.h */
	ch->share->conns--;
	b->shares.conns--;
	share_release(&b->shares, ch->share, broker_now_ms());
	if (!ch->l->channels)
		listener_idle(b, ch->l);
	free(ch);
}

static void channel_event(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct channel *ch = (struct channel *)src;
	struct listener *l = ch->l;
	/* nothing is read from it while it rests (rest.h) */
	bool readable = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !ch->rest.resting;

	if (readable && rest_if_busy(b, &ch->rest, ch->share->uid, channel_resume)) {
		channel_arm(b, ch);
	} else if (readable) {
		uid_t account = ch->share->uid;
		const struct fdpass_dispose to_closer = { closer_dispose, &account };
		char buf[64];
		int fds[FDB_FDS_MAX];
		size_t nfds;
		ssize_t n = fdpass_recv_from(ch->fd, buf, sizeof(buf), fds, FDB_FDS_MAX, &nfds,
					     MSG_DONTWAIT | MSG_CMSG_CLOEXEC, &to_closer);

		/* whatever a program sent: their close may wait (sys/closer.h) */
		for (size_t i = 0; i < nfds; i++)
			closer_close(account, fds[i]);
		/* programs only ever read from a channel: anything else ends it */
		if (n != -EAGAIN) {
			channel_remove(b, ch);
			return;
		}
	}
	if (events & EPOLLOUT) {
		ch->blocked = false;
		channel_arm(b, ch);
		listener_poll(b, l, true);
		listener_ready(b, l);
	}
}

static void listener_unlink(struct broker *b, struct listener *l)
{
	struct listener **pp = &b->listeners;

	while (*pp != l)
		pp = &(*pp)->next;
	*pp = l->next;
}

/* Close l (it has no channels left). */
static void listener_close(struct broker *b, struct listener *l)
{
	listener_unlink(b, l);
	if (l->pending >= 0)
		closer_close_socket(l->pending);
	loop_remove(b, l->fd, &l->src);
	close(l->fd);
	l->owner->listeners--;
	b->shares.listeners--;
	share_release(&b->shares, l->owner, broker_now_ms());
	free(l);
}

static void listener_event(struct broker *b, struct evsrc *src, uint32_t events)
{
	(void)events;
	listener_ready(b, (struct listener *)src);
}

/*
 * A listener no program has held for the grace period is closed; else when
 * it will be due (0: it is held).
 */
static long listener_expire(struct broker *b, struct evsrc *src, long now)
{
	struct listener *l = (struct listener *)src;
	long grace = (long)b->limits.grace_s * 1000;
	char object[128];

	if (l->channels || !l->idle_since)
		return 0;
	if (now - l->idle_since < grace)
		return l->idle_since + grace;
	endpoint_format(&l->ep, object, sizeof(object));
	audit_note(b->audit, "released the held listener %s of uid=%u: no program held "
		   "it for %u s", object, (unsigned)l->owner->uid, b->limits.grace_s);
	listener_close(b, l);
	return 0;
}

/* The broker closes: the listener's channels go with it. */
static void listener_free(struct broker *b, struct evsrc *src)
{
	struct listener *l = (struct listener *)src;

	while (l->channels)
		channel_remove(b, l->channels);
	listener_close(b, l);
}

static void channel_free(struct broker *b, struct evsrc *src)
{
	channel_remove(b, (struct channel *)src);
}

/*
 * The channel whose program end sock is, or NULL.  The shim's test (the
 * peer's abstract name) is no proof: abstract names are per network
 * namespace, so a program in one of its own can bind a channel's exact name
 * to a socket of its own and pass us the other end.  What it cannot make is
 * a peer with the broker's credentials: SO_PEERCRED gives the process that
 * created the pair (socketpair) or called listen() on the peer's side, and
 * of the sockets this process creates only channel ends ever get a name
 * under FDB_LISTENER_PREFIX, each its own (the sequence number), bound in
 * this process's network namespace where no one else can take it, and
 * connected for good to the end it gave out (a socketpair end never
 * listens, so nothing connects to it later).  A socket of the broker's own
 * that a program can reach (a connection to the broker's socket) has the
 * broker's credentials too, but a peer named by a path.  So: a unix
 * SOCK_SEQPACKET socket whose peer this process made and whose peer is
 * named exactly as a live channel is that channel's program end.
 */
static struct channel *channel_find(struct broker *b, int sock)
{
	struct sockaddr_un peer;
	struct ucred cred;
	socklen_t len = sizeof(int), plen = sizeof(peer), clen = sizeof(cred);
	struct stat st;
	int type;

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET ||
	    getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    clen != sizeof(cred) || cred.pid != getpid() ||
	    getpeername(sock, (struct sockaddr *)&peer, &plen) < 0 || peer.sun_family != AF_UNIX ||
	    plen > sizeof(peer))
		return NULL;
	/* and the very socket the broker made and gave out: its inode (a socket's fstat waits for nothing) */
	if (fstat(sock, &st) < 0)
		return NULL;
	for (struct listener *l = b->listeners; l; l = l->next)
		for (struct channel *ch = l->channels; ch; ch = ch->next)
			if (ch->namelen == plen && !memcmp(&ch->name, &peer, plen) &&
			    ch->dev == st.st_dev && ch->ino == st.st_ino)
				return ch;
	return NULL;
}

/*
 * The options a program may set on the listener it was given: those the
 * socket's owner may set without privilege and whose effect is the same
 * set by the broker as by the owner (SO_RCVBUF and SO_SNDBUF are capped
 * by net.core.[rw]mem_max for root too; the *FORCE forms are not), and
 * which shape only connections accepted later (Linux copies them from the
 * listener to each new connection) or the listener's own queue
 * (TCP_DEFER_ACCEPT, SO_RCVLOWAT).  Nothing that would use the broker's
 * capabilities (SO_BINDTODEVICE, SO_MARK, SO_PRIORITY above 6,
 * IP_TRANSPARENT), reach beyond the socket (TCP_CONGESTION may load a
 * module), or filter (the rule's from list is the broker's): the listener
 * is shared by every program of its rule.  shim/accept.c has the same list.
 */
static const struct held_opt {
	int level, name;
	socklen_t need; /* the length the kernel checks for */
	const char *text;
} held_opts[] = {
	{ SOL_SOCKET, SO_KEEPALIVE, sizeof(int), "level=socket opt=keepalive" },
	{ SOL_SOCKET, SO_RCVBUF, sizeof(int), "level=socket opt=rcvbuf" },
	{ SOL_SOCKET, SO_SNDBUF, sizeof(int), "level=socket opt=sndbuf" },
	{ SOL_SOCKET, SO_LINGER, sizeof(struct linger), "level=socket opt=linger" },
	{ SOL_SOCKET, SO_RCVLOWAT, sizeof(int), "level=socket opt=rcvlowat" },
	{ IPPROTO_TCP, TCP_NODELAY, sizeof(int), "level=tcp opt=nodelay" },
	{ IPPROTO_TCP, TCP_KEEPIDLE, sizeof(int), "level=tcp opt=keepidle" },
	{ IPPROTO_TCP, TCP_KEEPINTVL, sizeof(int), "level=tcp opt=keepintvl" },
	{ IPPROTO_TCP, TCP_KEEPCNT, sizeof(int), "level=tcp opt=keepcnt" },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, sizeof(int), "level=tcp opt=user-timeout" },
	{ IPPROTO_TCP, TCP_DEFER_ACCEPT, sizeof(int), "level=tcp opt=defer-accept" },
};

/*
 * Set the option on the listener whose channel came with the request: only
 * for the uid the channel was given to, while it is the uid that bound the
 * listener last (whose rule holds it).  Connections accepted before (one
 * the broker holds back, those in the backlog) keep what they had.
 */
/*
 * Does every program of the listener run as uid?  Its options reach every
 * connection it hands out: one user may not set them for another's.
 */
static bool one_user(const struct listener *l, uid_t uid)
{
	for (const struct channel *ch = l->channels; ch; ch = ch->next)
		if (ch->uid != uid)
			return false;
	return true;
}

void listener_sockopt(struct broker *b, const struct req *r, struct outcome *o)
{
	const struct req_sockopt *q = &r->u.sockopt;
	const struct held_opt *h = NULL;
	struct channel *ch = channel_find(b, q->chan);

	for (size_t i = 0; i < sizeof(held_opts) / sizeof(held_opts[0]); i++)
		if (held_opts[i].level == q->level && held_opts[i].name == q->optname)
			h = &held_opts[i];
	if (h && q->len >= h->need && h->need == sizeof(int)) {
		int v;

		memcpy(&v, q->value, sizeof(v));
		snprintf(o->detail, sizeof(o->detail), "%s value=%d", h->text, v);
	} else if (h && q->len >= h->need) {
		struct linger lg;

		memcpy(&lg, q->value, sizeof(lg));
		snprintf(o->detail, sizeof(o->detail), "%s value=%d,%d", h->text, lg.l_onoff,
			 lg.l_linger);
	} else if (h) {
		snprintf(o->detail, sizeof(o->detail), "%s", h->text);
	} else {
		snprintf(o->detail, sizeof(o->detail), "level=%d opt=%d", q->level, q->optname);
	}
	if (!ch) {
		snprintf(o->object, sizeof(o->object), "-");
		snprintf(o->detail + strlen(o->detail), sizeof(o->detail) - strlen(o->detail),
			 " reason=not-a-listener-channel");
		o->denied = true;
		o->err = EPERM;
		return;
	}
	endpoint_format(&ch->l->ep, o->object, sizeof(o->object));
	o->rule_held = ch->l->rule;
	if (r->who.id.uid != ch->uid || r->who.id.uid != ch->l->uid ||
	    !one_user(ch->l, r->who.id.uid)) {
		if (r->who.id.uid == ch->uid && r->who.id.uid == ch->l->uid)
			snprintf(o->detail + strlen(o->detail), sizeof(o->detail) - strlen(o->detail),
				 " reason=listener-shared-with-another-uid");
		else
			snprintf(o->detail + strlen(o->detail), sizeof(o->detail) - strlen(o->detail),
				 " reason=listener-of-uid-%u", (unsigned)ch->l->uid);
		o->denied = true;
		o->err = EPERM;
		return;
	}
	if (!h) {
		o->denied = true;
		o->err = ENOPROTOOPT;
		return;
	}
	if (q->len < h->need)
		o->err = EINVAL; /* as the kernel says it */
	else if (setsockopt(ch->l->fd, h->level, h->name, q->value, h->need) < 0)
		o->err = errno;
}

static const struct evsrc_ops listener_ops = {
	.ready = listener_event,
	.expire = listener_expire,
	.close = listener_free,
};

static const struct evsrc_ops channel_ops = {
	.ready = channel_event,
	.close = channel_free,
};
