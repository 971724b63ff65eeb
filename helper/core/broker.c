/*
 * The broker: sets up its parts (loop.c, clients.c, reserve.c, outbox.c,
 * listener.c, shares.c), runs the loop, and dispatches each request record
 * on its operation.
 *
 * Bounded everywhere: connections in all and per uid (b->limits, see
 * shares.h), FDB_MSG_MAX bytes and FDB_FDS_MAX descriptors per record.
 * Sockets are non-blocking; a client whose reply cannot be written at once
 * (it does not read) is dropped rather than allowed to stall the others.
 * Out of descriptors, new clients are refused at once (see reserve.h),
 * never left waiting.
 */
#include "core/broker.h"
#include "core/clients.h"
#include "fdpass.h"
#include "learn/learn.h"
#include "grant/open.h"
#include "grant/reopen.h"
#include "grant/stat.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Descriptors kept out of the limits' budget: the broker's own (log,
 * epoll, signalfd, spare, policy reads), a record's FDB_FDS_MAX, the
 * replies of a batch and what a request opens.
 */
#define FD_RESERVE 256

/* What shares_tick has to say: refusals of a uid not logged in the last second. */
static void tell_untold(void *ctx, const struct share *s)
{
	struct broker *b = ctx;

	audit_note(b->audit, "refused %u more connections or binds of uid=%u in the last "
		   "second (over its limits; not logged one by one)", s->suppressed,
		   (unsigned)s->uid);
}

/* Housekeeping once b->tick_at is reached: refusal counts, idle listeners. */
static void broker_tick(struct broker *b)
{
	long now = broker_now_ms(), next;

	if (!b->tick_at || now < b->tick_at)
		return;
	b->tick_at = 0;
	if (shares_tick(&b->shares, now, tell_untold, b))
		broker_tick_by(b, now + 1000);
	next = loop_expire(b, now);
	if (next)
		broker_tick_by(b, next);
}

/* epoll_wait's timeout: none, unless the listener rests or housekeeping waits. */
static int wait_ms(struct broker *b)
{
	long at = reserve_rest_until(b), left;

	if (b->tick_at && (!at || b->tick_at < at))
		at = b->tick_at;
	if (!at)
		return -1;
	left = at - broker_now_ms();
	return left > 0 ? (int)left : 0;
}

void rule_name(const struct rule *r, char *buf, size_t len)
{
	/* a permissive grant is the default's, under --learn=permissive */
	if (r && !rule_is_learned(r))
		snprintf(buf, len, "%s:%u", r->file, r->line);
	else
		snprintf(buf, len, "default");
}

struct subject client_subject(const struct client *c)
{
	struct subject s = {
		.uid = c->cred.uid,
		.gid = c->cred.gid,
		.groups = c->groups,
		.ngroups = c->ngroups,
	};

	return s;
}

void client_audit(struct broker *b, const struct client *c, const char *op, const char *object,
		  const char *detail, const char *verdict, const struct rule *rule, int err)
{
	char name[PATH_MAX + 16];
	struct audit_rec rec = {
		.pid = c->cred.pid, .uid = c->cred.uid, .gid = c->cred.gid,
		.prog = c->prog, .op = op, .object = object, .detail = detail,
		.verdict = verdict, .rule = name, .err = err,
	};

	if (rule_is_learned(rule) && !strcmp(verdict, "allow"))
		rec.verdict = "allow-learn";
	rule_name(rule, name, sizeof(name));
	audit_decision(b->audit, &rec);
	if (strcmp(verdict, "deny") == 0)
		b->denied++;
}

void broker_learn(struct broker *b, const struct client *c, const struct request *r,
		  const struct rule *rule, int err, const char *why, const char *reason)
{
	struct subject s;

	if (!b->learn)
		return;
	s = client_subject(c);
	learn_decision(b->learn, &s, c->prog, r, rule, err, why, reason);
}

static int serve_open(struct broker *b, struct client *c, const struct fdb_hdr *h,
		      const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct subject s = client_subject(c);
	struct fdb_open_req req;
	struct open_result res;
	char rights[64], detail[80];
	int rc = wire_decode_open(msg, len, &req);

	if (rc == 0 && nfds != req.has_dirfd)
		rc = -EBADMSG;
	if (rc < 0) {
		audit_note(b->audit, "pid=%d: malformed open request: client dropped",
			   (int)c->cred.pid);
		return -1;
	}
	open_serve(b->policy, &s, &req, nfds ? fds[0] : -1, &res);
	rights_format(res.rights, rights, sizeof(rights));
	snprintf(detail, sizeof(detail), "rights=%s%s%s", rights, res.reason ? " reason=" : "",
		 res.reason ? res.reason : "");
	if (b->learn) {
		/* a refusal beside the policy, or a name not resolved, is no rule to learn */
		struct request r = { .op = OP_OPEN,
				     .u.open = { .path = res.object, .rights = res.rights } };
		const char *why = res.reason ? "refused beside the policy" :
				  !res.resolved ? learn_why_unresolved(res.walk_err) : NULL;

		broker_learn(b, c, &r, res.rule, res.fd >= 0 ? 0 : res.err, why, res.reason);
	}
	client_audit(b, c, "open", res.object, detail,
		     res.denied ? "deny" : res.fd >= 0 ? "allow" : "error", res.rule,
		     res.fd >= 0 ? 0 : res.err);
	return broker_reply(b, c, h->seq, res.fd >= 0 ? 0 : res.err,
			    res.denied ? FDB_REPLY_DENIED : 0, res.fd);
}

/*
 * A reopen of the program's own descriptor: no rule decides it (it grants
 * nothing the program does not hold), so nothing is learnt, and the line
 * says rule=default.
 */
static int serve_reopen(struct broker *b, struct client *c, const struct fdb_hdr *h,
			const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct fdb_reopen_req req;
	struct reopen_result res;
	char rights[64], detail[128];

	if (wire_decode_reopen(msg, len, &req) < 0 || nfds != 1) {
		audit_note(b->audit, "pid=%d: malformed reopen request: client dropped",
			   (int)c->cred.pid);
		return -1;
	}
	reopen_serve(&req, fds[0], &res);
	rights_format(res.o.rights, rights, sizeof(rights));
	snprintf(detail, sizeof(detail), "fd=%u rights=%s%s%s%s%s", (unsigned)req.fd, rights,
		 res.kind ? " kind=" : "", res.kind ? res.kind : "",
		 res.o.reason ? " reason=" : "", res.o.reason ? res.o.reason : "");
	client_audit(b, c, "reopen", res.o.object, detail,
		     res.o.denied ? "deny" : res.o.fd >= 0 ? "allow" : "error", NULL,
		     res.o.fd >= 0 ? 0 : res.o.err);
	return broker_reply(b, c, h->seq, res.o.fd >= 0 ? 0 : res.o.err,
			    res.o.denied ? FDB_REPLY_DENIED : 0, res.o.fd);
}

/* access(2)'s mode for the log: "F_OK", or "R_OK|W_OK" and so on. */
static void amode_format(uint32_t amode, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", amode ? "" : "F_OK", (amode & R_OK) ? "R_OK" : "",
		 (amode & W_OK) ? ((amode & R_OK) ? "|W_OK" : "W_OK") : "",
		 (amode & X_OK) ? ((amode & (R_OK | W_OK)) ? "|X_OK" : "X_OK") : "");
}

/*
 * stat and access: judged as an open (stat_handler.c), logged and learned
 * as one: op=stat or op=access, and --learn writes the open rule that would
 * allow the request.  A name that led to no object is not learned: no rule
 * would make it answer more than ENOENT, and programs probe many (a shell
 * or Python searching a PATH through directories they may not search).
 */
static int serve_stat(struct broker *b, struct client *c, const struct fdb_hdr *h,
		      const unsigned char *msg, size_t len, const int *fds, size_t nfds)
{
	struct subject s = client_subject(c);
	struct fdb_stat_req req;
	struct open_result res;
	char rights[64], mode[32] = "", detail[128];
	bool is_stat, ok;
	int rc = wire_decode_stat(msg, len, &req);

	if (rc == 0 && nfds != req.has_dirfd)
		rc = -EBADMSG;
	if (rc < 0) {
		audit_note(b->audit, "pid=%d: malformed stat request: client dropped",
			   (int)c->cred.pid);
		return -1;
	}
	is_stat = req.amode == FDB_AMODE_STAT;
	stat_serve(b->policy, &s, &req, nfds ? fds[0] : -1, &res);
	rights_format(res.rights, rights, sizeof(rights));
	if (!is_stat)
		amode_format(req.amode, mode, sizeof(mode));
	snprintf(detail, sizeof(detail), "rights=%s%s%s%s%s", rights, is_stat ? "" : " mode=", mode,
		 res.reason ? " reason=" : "", res.reason ? res.reason : "");
	ok = !res.denied && (is_stat ? res.fd >= 0 : res.err == 0);
	if (b->learn && res.rights && !res.unresolved) {
		struct request r = { .op = OP_OPEN,
				     .u.open = { .path = res.object, .rights = res.rights } };

		broker_learn(b, c, &r, res.rule, ok ? 0 : res.err,
			     res.reason ? "refused beside the policy" : NULL, res.reason);
	}
	client_audit(b, c, is_stat ? "stat" : "access", res.object, detail,
		     res.denied ? "deny" : ok ? "allow" : "error", res.rule, ok ? 0 : res.err);
	return broker_reply(b, c, h->seq, ok ? 0 : res.err, res.denied ? FDB_REPLY_DENIED : 0,
			    res.fd);
}

/* One record from c; -1 means drop the client. */
int client_request(struct broker *b, struct client *c)
{
	unsigned char msg[FDB_MSG_MAX];
	struct fdb_hdr h;
	int fds[FDB_FDS_MAX], rc;
	size_t nfds;
	ssize_t n = fdpass_recv(c->fd, msg, sizeof(msg), fds, FDB_FDS_MAX, &nfds,
				MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

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
		switch (h.op) {
		case FDB_OP_OPEN:
			rc = serve_open(b, c, &h, msg, (size_t)n, fds, nfds);
			break;
		case FDB_OP_SOCKET:
			rc = serve_socket(b, c, &h, msg, (size_t)n, fds, nfds);
			break;
		case FDB_OP_BIND:
			rc = serve_bind(b, c, &h, msg, (size_t)n, fds, nfds);
			break;
		case FDB_OP_REOPEN:
			rc = serve_reopen(b, c, &h, msg, (size_t)n, fds, nfds);
			break;
		case FDB_OP_STAT:
			rc = serve_stat(b, c, &h, msg, (size_t)n, fds, nfds);
			break;
		default:
			audit_note(b->audit, "pid=%d: unknown operation %u: client dropped",
				   (int)c->cred.pid, h.op);
			rc = -1;
			break;
		}
	}
	fdpass_close_all(fds, nfds);
	return rc;
}

/*
 * Descriptors are the broker's working stock: one per client, and the
 * kernel caps how many a user may have in flight over unix sockets at the
 * sender's RLIMIT_NOFILE (ETOOMANYREFS once the capabilities that lift it
 * are gone), so a soft limit of 1024 fails replies under a burst of
 * clients.
 */
void broker_raise_nofile(struct rlimit *old)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	*old = rl;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * Every connection and held listener costs descriptors (a listener two:
 * itself and a connection it accepted for a program), all within the soft
 * RLIMIT_NOFILE (raised to the hard one by broker_raise_nofile).  Limits
 * that would not fit are cut, so the broker refuses a connection by its
 * rule, logged, before it runs out of descriptors for the ones it has.
 */
static unsigned scale(unsigned v, unsigned long to, unsigned from)
{
	unsigned long r = (unsigned long)v * to / from;

	return r < 1 ? 1 : r > to ? (unsigned)to : (unsigned)r;
}

static void limits_fit(struct broker *b)
{
	struct limits *l = &b->limits;
	struct rlimit rl;
	unsigned long budget;

	limits_default(l);
	/*
	 * Below twice the reserve there is nothing worth sharing out: the
	 * broker relies on refusing clients when out of descriptors
	 * (broker_refuse_pending), as the faults suite tests at 32.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur < 2 * FD_RESERVE)
		return;
	budget = rl.rlim_cur - FD_RESERVE;
	if ((unsigned long)l->clients + 2ul * l->listeners <= budget)
		return;
	/* the per-user limits shrink in proportion: a user's share stays a share */
	if (l->clients > budget / 2) {
		l->clients_per_user = scale(l->clients_per_user, budget / 2, l->clients);
		l->clients = (unsigned)(budget / 2);
	}
	if (l->listeners > budget / 4) {
		l->listeners_per_user = scale(l->listeners_per_user, budget / 4, l->listeners);
		l->listeners = (unsigned)(budget / 4);
	}
	audit_note(b->audit, "limits cut to fit RLIMIT_NOFILE %lu: --max-clients %u "
		   "--max-clients-per-user %u --max-listeners %u --max-listeners-per-user %u",
		   (unsigned long)rl.rlim_cur, l->clients, l->clients_per_user, l->listeners,
		   l->listeners_per_user);
}

static void drain_signals(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)src;
	(void)events;
	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si))
		if (b->on_signal)
			b->on_signal(b, &si);
}

static const struct evsrc_ops signal_ops = {
	.ready = drain_signals,
};

int broker_init(struct broker *b, int listen_fd, const sigset_t *sigs)
{
	b->listeners = NULL;
	b->listen_fd = listen_fd;
	b->stop = false;
	b->nclients = 0;
	b->peak_clients = 0;
	memset(&b->reserve, 0, sizeof(b->reserve));
	outbox_init(&b->outbox, b->audit, b);
	memset(&b->shares, 0, sizeof(b->shares));
	b->tick_at = 0;
	limits_fit(b);
	b->sigfd = -1;
	if (loop_init(b) < 0 || clients_listen(b) < 0)
		return -1;
	/* held from the start: out of descriptors is too late to get one */
	if (reserve_init(b) < 0)
		return -1;
	if (sigs) {
		b->sigfd = signalfd(-1, sigs, SFD_NONBLOCK | SFD_CLOEXEC);
		b->signal_src.ops = &signal_ops;
		if (b->sigfd < 0 || loop_add(b, b->sigfd, &b->signal_src, EPOLLIN) < 0)
			return -1;
	}
	return 0;
}

/* One pass: housekeeping, then one epoll batch, waiting at most max_ms (-1: as long as need be). */
static int step(struct broker *b, int max_ms)
{
	int n, timeout, saved;

	reserve_wake(b);
	broker_tick(b);
	timeout = wait_ms(b);
	if (max_ms >= 0 && (timeout < 0 || timeout > max_ms))
		timeout = max_ms;
	/*
	 * A batch: the audit lines of the ready requests go out in one write,
	 * then their replies (outbox_flush), OUTBOX_BATCH replies at a time.
	 * Under load that is one write for up to eight decisions instead of
	 * one each.
	 */
	outbox_begin(&b->outbox);
	audit_hold(b->audit, true);
	n = loop_wait(b, timeout);
	saved = errno;
	outbox_flush(&b->outbox);
	audit_hold(b->audit, false);
	errno = saved;
	return n;
}

int broker_step(struct broker *b, int timeout_ms)
{
	return step(b, timeout_ms);
}

int broker_run(struct broker *b)
{
	while (!b->stop)
		if (step(b, -1) < 0 && errno != EINTR)
			return -1;
	return 0;
}

void broker_close(struct broker *b)
{
	/* every client, listener and channel, through its own close */
	loop_close(b);
	shares_free(&b->shares);
	reserve_close(b);
	if (b->sigfd >= 0)
		close(b->sigfd);
}

/*
 * Bound and listening under a temporary name, then renamed into place: the
 * socket file appears only once connect() can succeed, so "the socket
 * exists" is a safe readiness test for clients and tests.
 */
int broker_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fdbroker: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, tmp);
	unlink(tmp);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(tmp, 0666) < 0 ||
	    listen(fd, 128) < 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "fdbroker: cannot listen on %s: %s\n", path, strerror(errno));
		unlink(tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
