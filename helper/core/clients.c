/*
 * Clients (see clients.h): admission at connect(), one event source each,
 * their replies over the wire through the outbox.
 *
 * Bounded: connections in all and per uid (b->limits, see shares.h).  A
 * client whose reply cannot be written at once (it does not read) is
 * dropped rather than allowed to stall the others.
 */
#include "core/clients.h"
#include "core/broker.h"
#include "fdpass.h"
#include "sys/proc.h"
#include "sys/subids.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Most connections taken in one wake-up (accept_clients). */
#define ACCEPT_BURST 32
/* Fewer clients than this at the peak leave too little behind to give back. */
#define TRIM_MIN_PEAK 64
/*
 * A connection's send buffer (the kernel doubles it): room for 11 replies
 * a client has not read yet, each with its descriptor, against 278 with
 * the default 208 KiB.  The shim has one request at a time on a
 * connection; a client that leaves more unread is dropped (reply_send),
 * so each of its connections keeps at most that many of the broker's
 * descriptors in flight, which count against the broker's own
 * RLIMIT_NOFILE for descriptors in flight, and its replies need it.
 */
#define CLIENT_SNDBUF 4096

static void prog_name(pid_t pid, char *out, size_t cap)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	snprintf(out, cap, "?");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, cap - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, cap, "?");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static pid_t parent_of(pid_t pid)
{
	pid_t ppid;
	char state;

	return proc_stat(pid, &ppid, &state) < 0 ? -1 : ppid;
}

/*
 * Can another process of the same user ptrace pid?  The kernel gives a
 * process's /proc files (not the 0555 directory itself) to root while it is
 * not dumpable, and to its effective uid while it is; the shim makes every
 * process it enters
 * non-dumpable.  A dumpable tree member (a static program, one with
 * FDBROKER_DUMPABLE=1 that run was not given) could be ptraced by a process
 * outside the tree and made to ask on its behalf, so run refuses it.
 */
static bool dumpable(pid_t pid, uid_t uid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (stat(path, &st) < 0)
		return true; /* gone, or not ours to see: refuse */
	return uid != 0 && st.st_uid == uid;
}

/* /proc/PID/uid_map's text (self for the broker's own), "" if unreadable. */
static void uid_map(const char *pid, char *out, size_t cap)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/uid_map", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, cap - 1);
		close(fd);
	}
	out[n > 0 ? n : 0] = '\0';
}

/*
 * Is pid in another user namespace than the broker's?  A process that
 * executed there is not dumpable, yet its /proc files belong to that
 * namespace's root, or to the broker's root when it maps none: dumpable()
 * takes it for protected, while the user who made the namespace holds
 * CAP_SYS_PTRACE over it and can ptrace it from outside the tree.  Its
 * uid_map (anyone may read it) tells: the user's namespace maps less than
 * the broker's.  Unreadable: refused.
 */
static bool own_user_ns(pid_t pid)
{
	static char mine[256];
	char theirs[256], num[16];

	if (!mine[0])
		uid_map("self", mine, sizeof(mine));
	snprintf(num, sizeof(num), "%d", (int)pid);
	uid_map(num, theirs, sizeof(theirs));
	return !theirs[0] || strcmp(theirs, mine) != 0;
}

/* Is pid root or one of its descendants?  (run: the broker is a subreaper.) */
static bool in_tree(pid_t pid, pid_t root)
{
	for (int depth = 0; depth < 4096 && pid > 0; depth++) {
		if (pid == root)
			return true;
		if (pid == 1)
			return false;
		pid = parent_of(pid);
	}
	return false;
}

static int peer_groups(struct client *c)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (int i = 0; i < 8; i++) {
		gid_t *g = realloc(c->groups, len);

		if (!g)
			return -1;
		c->groups = g;
		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			c->ngroups = len / sizeof(gid_t);
			return 0;
		}
		if (errno != ERANGE)
			return -1;
	}
	return -1;
}

/*
 * After a crowd leaves, give its memory back.  Client records and their
 * group lists are small, interleaved allocations that glibc keeps once
 * freed: after 1,024 clients came and went the broker stayed ~350 kB (17%)
 * above its idle RSS for good.  Trimming each time the count falls to a
 * quarter of its peak costs a few trims per crowd, none in steady use.
 */
static void clients_shrunk(struct broker *b)
{
	if (b->peak_clients < TRIM_MIN_PEAK || b->nclients > b->peak_clients / 4)
		return;
	malloc_trim(0);
	b->peak_clients = b->nclients;
}

/* Forget a connection (in the loop or not yet). */
static void client_reject(struct broker *b, struct client *c)
{
	outbox_forget(&b->outbox, c);
	/* why it goes is in the log before the client sees its connection end */
	audit_flush(b->audit);
	rest_cancel(b, &c->rest);
	/* descriptors it sent and the broker did not read: their close may wait (rest.h) */
	rest_let_go(client_account(c), c->fd);
	free(c->groups);
	if (c->share) {
		c->share->conns--;
		b->shares.conns--;
		if (c->admitted) { /* admitted, never handed over */
			c->share->trees--;
			b->shares.trees--;
		}
		share_release(&b->shares, c->share, broker_now_ms());
	}
	free(c);
	b->nclients--;
	clients_shrunk(b);
}

void client_free(struct broker *b, struct client *c)
{
	loop_remove(b, c->fd, &c->src);
	client_reject(b, c);
}

/* Its account has eased (rest.h): its records are read again. */
static void client_resume(struct broker *b, struct rest *r)
{
	struct client *c = (struct client *)((char *)r - offsetof(struct client, rest));

	loop_modify(b, c->fd, &c->src, EPOLLIN);
}

/*
 * A record is ready (or the connection ended): serve it, or let the
 * client go; nothing while its account's closes are stuck (rest.h).
 */
static void client_ready(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct client *c = (struct client *)src;

	(void)events;
	if (c->rest.resting)
		return; /* a hang-up, reported once: seen when it resumes */
	if (rest_if_busy(b, &c->rest, client_account(c), client_resume)) {
		loop_modify(b, c->fd, &c->src, EPOLLET);
		return;
	}
	if (b->client_ready(b, c) < 0)
		client_free(b, c);
}

static void client_close(struct broker *b, struct evsrc *src)
{
	client_free(b, (struct client *)src);
}

static const struct evsrc_ops client_ops = {
	.ready = client_ready,
	.close = client_close,
};

/*
 * The connecting process itself, for the tree's checks: a pidfd of the pid
 * SO_PEERCRED names (SO_PEERPIDFD, Linux 6.5), -1 where the kernel has no
 * such option, -2 when that process is gone already.  The checks read
 * /proc by pid; only while the process lives is that pid still its, not a
 * new process's (a tree member's, say) that was given the number.
 */
static int peer_pidfd(int fd)
{
	int pidfd = proc_peer_pidfd(fd);

	if (pidfd >= 0)
		return pidfd;
	return pidfd == -ENOPROTOOPT ? -1 : -2;
}

/* Is the process of pidfd still there (-1: no pidfd, so it cannot be told)? */
static bool peer_lives(int pidfd)
{
	return pidfd < 0 || proc_pidfd_signal(pidfd, 0) == 0;
}

/*
 * Is c's process one of the tree's, not dumpable (see dumpable), and still
 * the one that connected when both were read?  false: refused, logged as
 * other refusals of its uid are, a line a second at most (broker_refusal):
 * a process outside the tree can connect as often as it likes.
 */
static bool tree_member(struct broker *b, struct client *c)
{
	int pidfd = peer_pidfd(c->fd);
	char what[256];
	bool ok = false;

	if (pidfd == -2 || !peer_lives(pidfd))
		snprintf(what, sizeof(what), "gone before it was admitted");
	else if (!in_tree(c->cred.pid, b->tree_root))
		snprintf(what, sizeof(what), "not in the program's process tree");
	else if (!b->allow_dumpable && dumpable(c->cred.pid, c->cred.uid))
		snprintf(what, sizeof(what), "dumpable, so any process of uid %u could be asking "
			 "through it (give fdbroker run FDBROKER_DUMPABLE=1 to allow)",
			 (unsigned)c->cred.uid);
	else if (!b->allow_dumpable && own_user_ns(c->cred.pid))
		snprintf(what, sizeof(what), "in a user namespace of its own, so its maker could be "
			 "asking through it (give fdbroker run FDBROKER_DUMPABLE=1 to allow)");
	else if (!peer_lives(pidfd))
		snprintf(what, sizeof(what), "gone while it was checked (its pid may be another's "
			 "now)");
	else
		ok = true;
	if (pidfd >= 0)
		close(pidfd);
	if (!ok)
		broker_refusal(b, c->share, &c->cred, c->prog, what);
	return ok;
}

/* Set up a new connection; -1 if it is refused (already logged). */
static int client_admit(struct broker *b, struct client *c)
{
	if (peer_groups(c) < 0) {
		audit_note(b->audit, "refused a client: no credentials: %s", strerror(errno));
		return -1;
	}
	prog_name(c->cred.pid, c->prog, sizeof(c->prog));
	if (b->tree_root > 0 && !tree_member(b, c))
		return -1;
	c->src.ops = &client_ops;
	if (loop_add(b, c->fd, &c->src, EPOLLIN) < 0) {
		audit_note(b->audit, "refused a client: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void broker_refusal(struct broker *b, struct share *s, const struct ucred *cred,
		    const char *prog, const char *what)
{
	char name[17], esc[AUDIT_PROG_ESC], more[64] = "";
	unsigned untold = 0;
	long now = broker_now_ms();

	if (s && !share_refused(s, now, &untold)) {
		broker_tick_by(b, s->noted + SHARES_QUIET_MS);
		return;
	}
	if (!prog) {
		prog_name(cred->pid, name, sizeof(name));
		prog = name;
	}
	if (untold)
		snprintf(more, sizeof(more), " (and %u more of uid=%u not logged)", untold,
			 (unsigned)(s ? s->uid : cred->uid));
	audit_note(b->audit, "refused pid=%d uid=%u prog=%s: %s%s", (int)cred->pid,
		   (unsigned)cred->uid, audit_escape(prog, esc, sizeof(esc)), what, more);
	if (s) {
		/* a second from the line's own stamp, not from before prog_name read /proc */
		s->noted = broker_now_ms();
		broker_tick_by(b, s->noted + SHARES_QUIET_MS);
	}
}

/*
 * Whose share a connection of cred (on fd) is: a subordinate uid's owner's
 * (sys/subids.h) when the process is in a user namespace below the
 * broker's, or cannot be told to be in the broker's own (it is gone); in
 * the broker's own namespace a uid is an account of its own, even inside
 * a range (an ID map of a directory service may overlap them).
 */
static uid_t share_uid(int fd, const struct ucred *cred)
{
	uid_t owner = subids_account(cred->uid);

	if (owner != cred->uid && proc_peer_own_userns(fd, cred->pid) == 1)
		return cred->uid;
	return owner;
}

/*
 * A new connection from cred, counted as uid as: within the limits, or
 * refused (logged at most once a second per uid).  Its uid's record, or
 * NULL if refused.
 */
static struct share *admit_share(struct broker *b, uid_t as, const struct ucred *cred)
{
	struct share *s = share_get(&b->shares, as);
	char what[160];

	if (!s) {
		broker_refusal(b, NULL, cred, NULL, "out of memory");
		return NULL;
	}
	if (b->shares.conns >= b->limits.clients)
		snprintf(what, sizeof(what), "%u clients connected already (--max-clients)",
			 b->shares.conns);
	else if (s->conns >= b->limits.clients_per_user)
		snprintf(what, sizeof(what), "uid %u%s has %u connection%s already "
			 "(--max-clients-per-user)", (unsigned)as,
			 as != cred->uid ? " (with its subordinate uids)" : "", s->conns,
			 s->conns == 1 ? "" : "s");
	else
		return s;
	broker_refusal(b, s, cred, NULL, what);
	share_release(&b->shares, s, broker_now_ms());
	return NULL;
}

int broker_adopt(struct broker *b, int fd)
{
	struct client *c;
	struct share *share;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uid_t as;

	/* refused, it may have sent descriptors already: let go as any connection (rest.h) */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		audit_note(b->audit, "refused a client: no credentials: %s", strerror(errno));
		rest_let_go((uid_t)-1, fd);
		return -1;
	}
	as = share_uid(fd, &cred);
	share = admit_share(b, as, &cred);
	c = share ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		if (share)
			share_release(&b->shares, share, broker_now_ms());
		rest_let_go(as, fd);
		return -1;
	}
	c->fd = fd;
	c->cred = cred;
	c->share = share;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ CLIENT_SNDBUF }, sizeof(int));
	share->conns++;
	b->shares.conns++;
	b->nclients++;
	if (b->nclients > b->peak_clients)
		b->peak_clients = b->nclients;
	if (client_admit(b, c) < 0) {
		client_reject(b, c);
		return -1;
	}
	return 0;
}

/*
 * Take pending connections, at most ACCEPT_BURST a wake-up: the listener is
 * level-triggered, so the rest wait for the next pass, and requests already
 * queued are served in between.  Without the cap one user connecting and
 * closing in a loop kept the loop here and stalled every other client.
 * Out of descriptors, new clients are refused at once (reserve.h), never
 * left waiting.
 */
static void accept_clients(struct broker *b, struct evsrc *src, uint32_t events)
{
	(void)src;
	(void)events;
	for (int burst = 0; burst < ACCEPT_BURST; burst++) {
		int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err = errno, rc;

		if (fd < 0) {
			if (err == EMFILE || err == ENFILE) {
				rc = reserve_refuse_pending(b, b->listen_fd, err);
				if (rc > 0)
					continue;
				if (rc < 0)
					reserve_rest(b, err);
			} else if (err == ENOMEM || err == ENOBUFS) {
				reserve_rest(b, err);
			} else if (err != EAGAIN && err != EINTR && err != ECONNABORTED) {
				audit_note(b->audit, "accept: %s", strerror(err));
			}
			return;
		}
		reserve_accepted(b);
		broker_adopt(b, fd);
	}
}

static const struct evsrc_ops listen_ops = {
	.ready = accept_clients,
};

int clients_listen(struct broker *b)
{
	b->listen_src.ops = &listen_ops;
	return loop_add(b, b->listen_fd, &b->listen_src, EPOLLIN);
}

/* The outbox's sink for a client: one encoded reply record, with its descriptor. */
static int reply_send(void *ctx, void *dest, const void *msg, size_t len, int fd)
{
	struct broker *b = ctx;
	struct client *c = dest;
	ssize_t n = fdpass_send(c->fd, msg, len, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);

	if (n < 0) {
		audit_note(b->audit, "pid=%d: reply not sent (%s): client dropped",
			   (int)c->cred.pid, strerror((int)-n));
		return -1;
	}
	return 0;
}

static void reply_drop(void *ctx, void *dest)
{
	client_free(ctx, dest);
}

static const struct outbox_sink reply_sink = {
	.send = reply_send,
	.drop = reply_drop,
};

_Static_assert(FDB_REPLY_MAX <= OUTBOX_MSG_MAX, "a stat's reply fits an outbox entry");

static int reply(struct broker *b, struct client *c, uint32_t seq, int status, unsigned rflags,
		 int fd, const struct statx *stx, bool now)
{
	struct fdb_reply r = { .status = status, .rflags = rflags };
	unsigned char msg[OUTBOX_MSG_MAX];
	int len;

	/*
	 * The broker's own shortage is not the program's: EMFILE would tell it
	 * its descriptor table is full.  It keeps its own errno, as when no
	 * broker answers; the audit line has the broker's.
	 */
	if (status == EMFILE || status == ENFILE || status == ENOMEM || status == ENOBUFS)
		r.rflags |= FDB_REPLY_DENIED;
	if (stx) {
		r.rflags |= FDB_REPLY_STATX;
		r.stx = *stx;
	}
	len = wire_encode_reply(msg, sizeof(msg), seq, &r);
	if (len < 0) {
		/* a reply record is a fixed 24 bytes, or a stat's 280: not reached */
		audit_note(b->audit, "pid=%d: reply not encoded: client dropped", (int)c->cred.pid);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return outbox_put(&b->outbox, c, &reply_sink, msg, (size_t)len, fd, now);
}

int broker_reply(struct broker *b, struct client *c, uint32_t seq, int status, unsigned rflags,
		 int fd)
{
	return reply(b, c, seq, status, rflags, fd, NULL, false);
}

int broker_reply_stat(struct broker *b, struct client *c, uint32_t seq, const struct statx *stx)
{
	return reply(b, c, seq, 0, 0, -1, stx, false);
}

int broker_reply_now(struct broker *b, struct client *c, uint32_t seq, int status,
		     unsigned rflags, int fd)
{
	return reply(b, c, seq, status, rflags, fd, NULL, true);
}
