/*
 * The broker loop: accept clients, read one request record at a time,
 * dispatch on its operation, reply, log.
 *
 * Bounded everywhere: connections in all and per uid (b->limits, see
 * shares.h), FDB_MSG_MAX bytes and FDB_FDS_MAX descriptors per record.
 * Sockets are non-blocking; a client whose reply cannot be written at once
 * (it does not read) is dropped rather than allowed to stall the others.
 * Out of descriptors, new clients are refused at once (see
 * broker_refuse_pending), never left waiting.
 */
#include "core/broker.h"
#include "fdpass.h"
#include "core/listener.h"
#include "sys/proc.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Most connections taken in one wake-up (accept_clients). */
#define ACCEPT_BURST 32
/* How long the listener rests when a pending client can be neither taken nor refused. */
#define ACCEPT_REST_MS 100
/* Fewer clients than this at the peak leave too little behind to give back. */
#define TRIM_MIN_PEAK 64
/*
 * Descriptors kept out of the limits' budget: the broker's own (log,
 * epoll, signalfd, spare, policy reads), a record's FDB_FDS_MAX, the
 * replies of a batch and what a request opens.
 */
#define FD_RESERVE 256

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

static void client_reject(struct broker *b, struct client *c);
static void replies_forget(struct broker *b, const struct client *c);

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

static void client_free(struct broker *b, struct client *c)
{
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	client_reject(b, c);
}

/* Forget a connection (in the loop or not yet). */
static void client_reject(struct broker *b, struct client *c)
{
	replies_forget(b, c);
	if (c->prev)
		c->prev->next = c->next;
	else if (b->clients == c)
		b->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* why it goes is in the log before the client sees its connection end */
	audit_flush(b->audit);
	close(c->fd);
	free(c->groups);
	if (c->share) {
		c->share->conns--;
		b->shares.conns--;
		share_release(&b->shares, c->share, broker_now_ms());
	}
	free(c);
	b->nclients--;
	clients_shrunk(b);
}

/* Set up a new connection; -1 if it is refused (already logged). */
static int client_admit(struct broker *b, struct client *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	char esc[AUDIT_PROG_ESC];

	if (peer_groups(c) < 0) {
		audit_note(b->audit, "refused a client: no credentials: %s", strerror(errno));
		return -1;
	}
	prog_name(c->cred.pid, c->prog, sizeof(c->prog));
	if (b->tree_root > 0 && !in_tree(c->cred.pid, b->tree_root)) {
		audit_note(b->audit,
			   "refused pid=%d uid=%u prog=%s: not in the program's process tree",
			   (int)c->cred.pid, (unsigned)c->cred.uid,
			   audit_escape(c->prog, esc, sizeof(esc)));
		return -1;
	}
	if (b->tree_root > 0 && !b->allow_dumpable && dumpable(c->cred.pid, c->cred.uid)) {
		audit_note(b->audit,
			   "refused pid=%d uid=%u prog=%s: dumpable, so any process of uid %u could "
			   "be asking through it (give fdbroker run FDBROKER_DUMPABLE=1 to allow)",
			   (int)c->cred.pid, (unsigned)c->cred.uid,
			   audit_escape(c->prog, esc, sizeof(esc)), (unsigned)c->cred.uid);
		return -1;
	}
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		audit_note(b->audit, "refused a client: %s", strerror(errno));
		return -1;
	}
	return 0;
}

long broker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void broker_tick_by(struct broker *b, long at_ms)
{
	if (!b->tick_at || at_ms < b->tick_at)
		b->tick_at = at_ms;
}

void broker_refusal(struct broker *b, struct share *s, const struct ucred *cred,
		    const char *prog, const char *what)
{
	char name[17], esc[AUDIT_PROG_ESC], more[64] = "";
	unsigned untold = 0;
	long now = broker_now_ms();

	if (s && !share_refused(s, now, &untold)) {
		broker_tick_by(b, s->noted + 1000);
		return;
	}
	if (!prog) {
		prog_name(cred->pid, name, sizeof(name));
		prog = name;
	}
	if (untold)
		snprintf(more, sizeof(more), " (and %u more of uid=%u not logged)", untold,
			 (unsigned)cred->uid);
	audit_note(b->audit, "refused pid=%d uid=%u prog=%s: %s%s", (int)cred->pid,
		   (unsigned)cred->uid, audit_escape(prog, esc, sizeof(esc)), what, more);
	if (s) {
		/* a second from the line's own stamp, not from before prog_name read /proc */
		s->noted = broker_now_ms();
		broker_tick_by(b, s->noted + 1000);
	}
}

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
	next = listeners_expire(b, now);
	if (next)
		broker_tick_by(b, next);
}

/* The spare descriptor: one slot held back for broker_refuse_pending(). */
static int spare_take(struct broker *b)
{
	if (!b->spare_held) {
		b->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		b->spare_held = b->spare >= 0;
	}
	return b->spare_held ? 0 : -1;
}

static void spare_give_up(struct broker *b)
{
	if (b->spare_held)
		close(b->spare);
	b->spare_held = false;
}

/* One note when an episode begins and one when it ends, not one per client. */
static void starved_begin(struct broker *b, int err)
{
	if (!b->starved)
		audit_note(b->audit, "out of descriptors (%s): refusing new clients",
			   strerror(err));
	b->starved = true;
}

void broker_accepted(struct broker *b)
{
	if (!b->starved)
		return;
	audit_note(b->audit, "descriptors available again; %u %s refused", b->nrefused,
		   b->nrefused == 1 ? "client was" : "clients were");
	b->starved = false;
	b->nrefused = 0;
}

/*
 * accept() failed with EMFILE or ENFILE.  A connection it could not take
 * would stay pending: the listener would wake the loop again at once, and
 * the client would wait for a reply that never comes.  So (as libev and
 * nginx do) give up the spare descriptor, take the connection in its slot
 * and close it: the client sees its connection end, and the shim gives the
 * program its own errno.  Then take the spare back: the slot just freed is
 * ours again unless, under ENFILE, another process got there first.
 *
 * 1: a connection was refused, look for the next; 0: none was pending (a
 * full table fails accept() before it looks); -1: none could be refused (no
 * spare, or even its slot was not enough).  lfd is the broker's socket or a
 * held listener (whose TCP client sees a reset).
 */
int broker_refuse_pending(struct broker *b, int lfd, int err)
{
	int fd, again;

	if (!b->spare_held)
		return -1;
	spare_give_up(b);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	again = errno;
	if (fd >= 0) {
		close(fd);
		starved_begin(b, err);
		b->nrefused++;
	}
	spare_take(b);
	if (fd >= 0 || again == EINTR || again == ECONNABORTED)
		return 1;
	return again == EAGAIN ? 0 : -1;
}

/*
 * A pending client that can be neither taken nor refused (no spare to give
 * up, or the kernel short of memory) keeps the listener ready: polling it
 * would spin.  The listener rests ACCEPT_REST_MS instead (nginx pauses
 * accepting the same way), and broker_run wakes it.
 */
static void listener_rest(struct broker *b, int err)
{
	struct epoll_event ev = { .events = 0, .data.ptr = &b->listen_src };

	/* short of descriptors, one note for the episode; short of memory, one a rest */
	if (err == EMFILE || err == ENFILE)
		starved_begin(b, err);
	else
		audit_note(b->audit, "accept: %s: new clients wait", strerror(err));
	epoll_ctl(b->epfd, EPOLL_CTL_MOD, b->listen_fd, &ev);
	b->resting = true;
	b->rest_until = broker_now_ms() + ACCEPT_REST_MS;
}

static void listener_wake(struct broker *b)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &b->listen_src };

	if (!b->resting || broker_now_ms() < b->rest_until)
		return;
	spare_take(b);
	epoll_ctl(b->epfd, EPOLL_CTL_MOD, b->listen_fd, &ev);
	b->resting = false;
}

/* epoll_wait's timeout: none, unless the listener rests or housekeeping waits. */
static int wait_ms(struct broker *b)
{
	long at = b->resting ? b->rest_until : 0, left;

	if (b->tick_at && (!at || b->tick_at < at))
		at = b->tick_at;
	if (!at)
		return -1;
	left = at - broker_now_ms();
	return left > 0 ? (int)left : 0;
}

/*
 * A new connection from cred: within the limits, or refused (logged at
 * most once a second per uid).  Its uid's record, or NULL if refused.
 */
static struct share *admit_share(struct broker *b, const struct ucred *cred)
{
	struct share *s = share_get(&b->shares, cred->uid);
	char what[128];

	if (!s) {
		broker_refusal(b, NULL, cred, NULL, "out of memory");
		return NULL;
	}
	if (b->shares.conns >= b->limits.clients)
		snprintf(what, sizeof(what), "%u clients connected already (--max-clients)",
			 b->shares.conns);
	else if (s->conns >= b->limits.clients_per_user)
		snprintf(what, sizeof(what), "uid %u has %u connection%s already "
			 "(--max-clients-per-user)", (unsigned)cred->uid, s->conns,
			 s->conns == 1 ? "" : "s");
	else
		return s;
	broker_refusal(b, s, cred, NULL, what);
	share_release(&b->shares, s, broker_now_ms());
	return NULL;
}

/*
 * Take pending connections, at most ACCEPT_BURST a wake-up: the listener is
 * level-triggered, so the rest wait for the next pass, and requests already
 * queued are served in between.  Without the cap one user connecting and
 * closing in a loop kept the loop here and stalled every other client.
 */
static void accept_clients(struct broker *b)
{
	for (int burst = 0; burst < ACCEPT_BURST; burst++) {
		struct client *c;
		struct share *share;
		struct ucred cred;
		socklen_t len;
		int fd = accept4(b->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err = errno, rc;

		if (fd < 0) {
			if (err == EMFILE || err == ENFILE) {
				rc = broker_refuse_pending(b, b->listen_fd, err);
				if (rc > 0)
					continue;
				if (rc < 0)
					listener_rest(b, err);
			} else if (err == ENOMEM || err == ENOBUFS) {
				listener_rest(b, err);
			} else if (err != EAGAIN && err != EINTR && err != ECONNABORTED) {
				audit_note(b->audit, "accept: %s", strerror(err));
			}
			return;
		}
		broker_accepted(b);
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			audit_note(b->audit, "refused a client: no credentials: %s",
				   strerror(errno));
			close(fd);
			continue;
		}
		share = admit_share(b, &cred);
		c = share ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			if (share)
				share_release(&b->shares, share, broker_now_ms());
			close(fd);
			continue;
		}
		c->src.kind = SRC_CLIENT;
		c->fd = fd;
		c->cred = cred;
		c->share = share;
		share->conns++;
		b->shares.conns++;
		c->next = b->clients;
		if (b->clients)
			b->clients->prev = c;
		b->clients = c;
		b->nclients++;
		if (b->nclients > b->peak_clients)
			b->peak_clients = b->nclients;
		if (client_admit(b, c) < 0)
			client_reject(b, c);
	}
}

/* Send one encoded reply; -1 (logged) if the client must go. */
static int reply_send(struct broker *b, struct client *c, const unsigned char *buf, size_t len,
		      int fd)
{
	ssize_t n = fdpass_send(c->fd, buf, len, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);

	if (n < 0) {
		audit_note(b->audit, "pid=%d: reply not sent (%s): client dropped",
			   (int)c->cred.pid, strerror((int)-n));
		return -1;
	}
	return 0;
}

/* A client is going: its held replies go nowhere. */
static void replies_forget(struct broker *b, const struct client *c)
{
	for (unsigned i = 0; i < b->npending; i++) {
		struct pending_reply *r = &b->pending[i];

		if (r->c != c)
			continue;
		if (r->fd >= 0)
			close(r->fd);
		r->c = NULL;
		r->fd = -1;
	}
}

/*
 * The end of a batch: the audit lines first, in one write, then the
 * replies they record.  A client whose reply cannot be sent is dropped.
 */
static void replies_flush(struct broker *b)
{
	audit_flush(b->audit);
	for (unsigned i = 0; i < b->npending; i++) {
		struct pending_reply *r = &b->pending[i];
		struct client *c = r->c;
		int rc;

		if (!c)
			continue;
		rc = reply_send(b, c, r->buf, r->len, r->fd);
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
		if (rc < 0)
			client_free(b, c);
	}
	b->npending = 0;
	audit_flush(b->audit); /* what the sends had to say */
}

/* broker_reply; now: send at once (the client is dropped next), batch or not. */
static int reply(struct broker *b, struct client *c, uint32_t seq, int status, unsigned rflags,
		 int fd, bool now)
{
	struct fdb_reply r = { .status = status, .rflags = rflags };
	struct pending_reply *p;
	int len, rc;

	/*
	 * The broker's own shortage is not the program's: EMFILE would tell it
	 * its descriptor table is full.  It keeps its own errno, as when no
	 * broker answers; the audit line has the broker's.
	 */
	if (status == EMFILE || status == ENFILE || status == ENOMEM || status == ENOBUFS)
		r.rflags |= FDB_REPLY_DENIED;
	if (b->batching && b->npending == BROKER_BATCH)
		replies_flush(b);
	p = &b->pending[b->npending];
	len = wire_encode_reply(p->buf, sizeof(p->buf), seq, &r);
	if (now || !b->batching) {
		audit_flush(b->audit);
		rc = reply_send(b, c, p->buf, (size_t)len, fd);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	p->c = c;
	p->fd = fd;
	p->len = (size_t)len;
	b->npending++;
	return 0;
}

int broker_reply(struct broker *b, struct client *c, uint32_t seq, int status, unsigned rflags,
		 int fd)
{
	return reply(b, c, seq, status, rflags, fd, false);
}

int broker_reply_now(struct broker *b, struct client *c, uint32_t seq, int status,
		     unsigned rflags, int fd)
{
	return reply(b, c, seq, status, rflags, fd, true);
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

int broker_init(struct broker *b, int listen_fd, const sigset_t *sigs)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &b->listen_src };

	b->listen_src.kind = SRC_LISTEN;
	b->signal_src.kind = SRC_SIGNAL;
	b->listeners = NULL;
	b->listen_fd = listen_fd;
	b->stop = false;
	b->nclients = 0;
	b->peak_clients = 0;
	b->spare_held = false;
	b->starved = false;
	b->nrefused = 0;
	b->resting = false;
	b->clients = NULL;
	memset(&b->shares, 0, sizeof(b->shares));
	b->tick_at = 0;
	limits_fit(b);
	b->sigfd = -1;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0 || epoll_ctl(b->epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
		return -1;
	/* held from the start: out of descriptors is too late to get one */
	if (spare_take(b) < 0)
		return -1;
	if (sigs) {
		b->sigfd = signalfd(-1, sigs, SFD_NONBLOCK | SFD_CLOEXEC);
		ev.data.ptr = &b->signal_src;
		if (b->sigfd < 0 || epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->sigfd, &ev) < 0)
			return -1;
	}
	return 0;
}

static void drain_signals(struct broker *b)
{
	struct signalfd_siginfo si;

	while (read(b->sigfd, &si, sizeof(si)) == sizeof(si))
		if (b->on_signal)
			b->on_signal(b, &si);
}

int broker_run(struct broker *b)
{
	struct epoll_event evs[64];

	while (!b->stop) {
		int n;

		listener_wake(b);
		broker_tick(b);
		n = epoll_wait(b->epfd, evs, 64, wait_ms(b));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/*
		 * A batch: the audit lines of the ready requests go out in one
		 * write, then their replies (replies_flush), BROKER_BATCH
		 * replies at a time.  Under load that is one write for up to
		 * eight decisions instead of one each.
		 */
		b->batching = true;
		audit_hold(b->audit, true);
		for (int i = 0; i < n && !b->stop; i++) {
			struct evsrc *src = evs[i].data.ptr;

			switch (src->kind) {
			case SRC_LISTEN:
				accept_clients(b);
				break;
			case SRC_SIGNAL:
				drain_signals(b);
				break;
			case SRC_CLIENT:
				if (b->client_ready(b, (struct client *)src) < 0)
					client_free(b, (struct client *)src);
				break;
			case SRC_LISTENER:
				listener_ready(b, (struct listener *)src);
				break;
			case SRC_CHANNEL:
				channel_event(b, (struct channel *)src, evs[i].events);
				break;
			}
		}
		b->batching = false;
		replies_flush(b);
		audit_hold(b->audit, false);
	}
	return 0;
}

void broker_close(struct broker *b)
{
	while (b->clients)
		client_free(b, b->clients);
	listeners_free(b);
	shares_free(&b->shares);
	spare_give_up(b);
	if (b->sigfd >= 0)
		close(b->sigfd);
	if (b->epfd >= 0)
		close(b->epfd);
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
