/*
 * The broker: sets up its parts (loop.c, clients.c, reserve.c, outbox.c,
 * listener.c, shares.c) and runs the loop.  A client's record goes to the
 * front end that speaks its protocol (b->client_ready), which hands the
 * request to dispatch.c.
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
#include "sys/proc.h"
#include "fdpass.h"
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
		   "second (not logged one by one)", s->suppressed, (unsigned)s->uid);
}

/* Housekeeping once b->tick_at is reached: refusal counts, idle listeners. */
static void broker_tick(struct broker *b)
{
	long now = broker_now_ms(), next;

	if (!b->tick_at || now < b->tick_at)
		return;
	b->tick_at = 0;
	if (shares_tick(&b->shares, now, tell_untold, b))
		broker_tick_by(b, now + SHARES_QUIET_MS);
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
	 * (reserve_refuse_pending), as the faults suite tests at 32.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur < 2 * FD_RESERVE)
		return;
	budget = rl.rlim_cur - FD_RESERVE;
	/*
	 * A tree: its listener, until its proof its owner's /proc directory,
	 * and the /proc/TID/status its first reader keeps open.
	 */
	if ((unsigned long)l->clients + 2ul * l->listeners + 3ul * l->trees <= budget)
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
	if (l->trees > budget / 16) {
		l->trees_per_user = scale(l->trees_per_user, budget / 16, l->trees);
		l->trees = (unsigned)(budget / 16);
	}
	audit_note(b->audit, "limits cut to fit RLIMIT_NOFILE %lu: --max-clients %u "
		   "--max-clients-per-user %u --max-listeners %u --max-listeners-per-user %u "
		   "--max-trees %u --max-trees-per-user %u",
		   (unsigned long)rl.rlim_cur, l->clients, l->clients_per_user, l->listeners,
		   l->listeners_per_user, l->trees, l->trees_per_user);
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
	if (loop_init(b) < 0 || clients_listen(b) < 0 || rest_init(b) < 0)
		return -1;
	/* the objects of requests are re-opened through it (grant/open.c) */
	if (proc_self_fd_init() < 0)
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
