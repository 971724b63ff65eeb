/*
 * The broker channel.
 *
 * Why one connection per thread, kept and checked before each use.
 * Measured with tests/bench/channel_alternatives.c (a minimal epoll server
 * that opens a file and sends the fd back; 2 vCPUs, kernel 6.18, glibc
 * 2.36; medians of 3 runs of 20,000 requests per thread):
 *
 *   design                          1 thread       4 threads
 *                                   median  req/s  median  p99    req/s
 *   per-thread kept connection      21 us   27k    81 us   0.26ms  38k
 *   shared connection + mutex       21 us   39k*   46 us   1.6 ms  21k
 *   fresh socketpair per request    37 us   20k   117 us   1.8 ms  17k
 *   (* single-thread req/s swapped places between runs: noise)
 *
 * - A shared connection needs a lock around send+receive.  Uncontended it
 *   is as fast, but under four threads glibc's unfair mutex starves some
 *   (p99 six times worse, half the throughput); and a signal handler that
 *   opens a file while its thread holds the lock deadlocks, as does a
 *   child forked while another thread held it.
 * - A fresh socketpair per request (Chromium's broker) needs no lock but
 *   costs two more descriptors and 1.4-1.75x the round trip, and its shared
 *   connection still needs care across fork.
 * - A per-thread connection needs neither: each thread has its own stream of
 *   request/reply records, so answers cannot cross.  A signal handler that
 *   arrives while its thread is mid-request sees the depth count and uses
 *   the thread's second kept connection; a handler interrupting that one
 *   (another signal) uses a one-off connection.  The second connection is
 *   kept because a one-off costs the broker an accept and a process-tree
 *   check on every request: under a 100 us timer whose handler brokers, a
 *   loop of 300 brokered opens did not finish in 60 s on one-off
 *   connections (each handler outlasted the period), while 3,000 finish in
 *   about 2 s on a kept one.  Everything on the path is async-signal-safe
 *   (socket, connect, sendmsg, recvmsg, close, fstat, getpid, getgroups,
 *   prctl); the one-time set-up runs from a constructor, so no handler
 *   waits in pthread_once for the thread it interrupted.
 *
 * The connection is only trusted after checking that it is still ours:
 * - the process forked: a fork handler closes every thread's kept
 *   connection in the child (up to CHAN_REGISTRY of them), which opens its
 *   own; a child that ran no handler (vfork, a raw clone: the pid is not
 *   the one they were kept for) asks on one-off connections and leaves the
 *   kept ones, which it may share the memory of, alone;
 * - the effective ids or the supplementary groups changed: the broker
 *   judges a connection by the credentials it had at connect()
 *   (SO_PEERCRED, SO_PEERGROUPS), so a new identity needs a new one.  The
 *   ids and groups are recorded before connect(), so a change racing the
 *   connect (glibc's setgroups reaches every thread by a signal) can only
 *   cause one needless reconnect, never a stale connection.  The group
 *   check is one getgroups() per request into a fixed stack buffer of
 *   CHAN_GROUPS entries and a compare.  Measured (2 vCPUs shared with
 *   other work, so loosely): 0.2 us with one group, 1 us with 16, 3.5 us
 *   with 64 (the kernel maps each gid), against a 30-55 us brokered open.
 *   A program with more supplementary groups than that cannot be compared
 *   exactly without a buffer as large as NGROUPS_MAX (65536, 256 kB),
 *   which a signal handler's stack cannot spare, so it never trusts a kept
 *   connection and connects afresh for every request: an accept and a
 *   tree check in the broker each time, 100-200 us per open in the same
 *   measurement;
 * - the program closed or dup2()ed over our descriptor: fstat shows another
 *   object (or none); we forget the number without closing it, since it
 *   may now belong to the program.
 * Descriptors are moved high (above what programs normally use) and are
 * close-on-exec; they exist only after the first brokered call.
 */
#include "shim.h"
#include "fdpass.h"
#include "wire.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Supplementary groups a kept connection can be checked against; the
 * kernel sorts the list (set_groups), so equal sets compare equal.
 */
#define CHAN_GROUPS 64

struct chan {
	int fd;
	pid_t pid;
	uid_t euid;
	gid_t egid;
	int ngroups; /* -1: more than CHAN_GROUPS, never current */
	gid_t groups[CHAN_GROUPS];
	dev_t dev;
	ino_t ino;
	uint32_t seq;
};

/* [0] for the thread, [1] for a signal handler interrupting its request */
#define CHAN_KEPT 2
static SHIM_TLS struct chan tls_chan[CHAN_KEPT] = { { .fd = -1 }, { .fd = -1 } };
/* requests of this thread in progress (handlers nest and restore it) */
static SHIM_TLS volatile int tls_depth;
static SHIM_TLS bool tls_keyed;

/* the process whose kept connections tls_chan holds: set at start and by the fork handler */
static pid_t chan_pid;

/*
 * The kept connections of the process, so that a forked child closes every
 * thread's (only the forking thread lives on in it, and the others' would
 * stay open in it, visible to it and speaking for the parent).  A slot is
 * claimed with a compare-and-swap (a signal handler may connect) and holds
 * fd + 1, 0 when free; dev and ino tell a number the program reused.  More
 * connections than slots stay unregistered: a child keeps those open.
 */
#define CHAN_REGISTRY 64
static struct {
	int fd1;
	unsigned dev, ino; /* low bits: a check, as the fd numbers are known */
} registry[CHAN_REGISTRY];

static void chan_register(const struct chan *c)
{
	for (int i = 0; i < CHAN_REGISTRY; i++) {
		int free_slot = 0;

		if (__atomic_compare_exchange_n(&registry[i].fd1, &free_slot, c->fd + 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			registry[i].dev = (unsigned)c->dev;
			registry[i].ino = (unsigned)c->ino;
			return;
		}
	}
}

static void chan_unregister(int fd)
{
	for (int i = 0; i < CHAN_REGISTRY; i++) {
		int mine = fd + 1;

		if (__atomic_compare_exchange_n(&registry[i].fd1, &mine, 0, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	}
}

/* In a forked child: every registered connection that is still ours is closed. */
static void chan_forked(void)
{
	for (int i = 0; i < CHAN_REGISTRY; i++) {
		int fd = registry[i].fd1 - 1;
		struct stat st;

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    (unsigned)st.st_dev == registry[i].dev && (unsigned)st.st_ino == registry[i].ino)
			close(fd);
		registry[i].fd1 = 0;
	}
	for (int i = 0; i < CHAN_KEPT; i++) {
		tls_chan[i].fd = -1;
		tls_chan[i].seq = 0;
	}
	chan_pid = getpid();
}

static pthread_once_t chan_once = PTHREAD_ONCE_INIT;
static pthread_key_t chan_key;
static struct sockaddr_un broker_addr;
static socklen_t broker_addrlen;
static int fd_floor;

/* Is c->fd still the socket we connected? */
static bool chan_is_ours(const struct chan *c)
{
	struct stat st;

	return c->fd >= 0 && fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == c->dev && st.st_ino == c->ino;
}

static void chan_drop(struct chan *c)
{
	if (chan_is_ours(c)) {
		chan_unregister(c->fd);
		close(c->fd);
	}
	c->fd = -1;
}

/* Thread exit: give the broker its slots back. */
static void chan_thread_exit(void *unused)
{
	(void)unused;
	for (int i = 0; i < CHAN_KEPT; i++)
		if (tls_chan[i].pid == getpid())
			chan_drop(&tls_chan[i]);
}

static void chan_setup(void)
{
	const char *path = getenv("FDBROKER_SOCKET");
	struct rlimit rl;
	size_t len;

	pthread_key_create(&chan_key, chan_thread_exit);
	pthread_atfork(NULL, NULL, chan_forked);
	chan_pid = getpid();
	if (!path || path[0] == '\0')
		path = "/run/fdbroker/socket";
	len = strlen(path);
	if (len < sizeof(broker_addr.sun_path)) {
		broker_addr.sun_family = AF_UNIX;
		memcpy(broker_addr.sun_path, path, len + 1);
		broker_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	/* high, but below the limit and inside FD_SETSIZE for small limits */
	fd_floor = 960;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
		fd_floor = (int)(rl.rlim_cur * 3 / 4);
}

__attribute__((constructor)) static void chan_constructor(void)
{
	pthread_once(&chan_once, chan_setup);
}

/* Connect a new channel; -1 with errno on failure. */
static int chan_open(struct chan *c)
{
	struct stat st;
	int fd, high;

	if (broker_addrlen == 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* the identity the broker will see, taken before it can see it (see the top) */
	c->pid = getpid();
	c->euid = geteuid();
	c->egid = getegid();
	c->ngroups = getgroups(CHAN_GROUPS, c->groups);
	/* a credential change may have made us dumpable again (libfdshim(7)) */
	shim_protect();
	/* straight to the kernel: socket() is one of our own wrappers */
	fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&broker_addr, broker_addrlen) < 0)
		goto fail;
	high = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	c->fd = fd;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return 0;
fail:
	close(fd);
	return -1;
}

/* Are the supplementary groups still the ones c was connected with? */
static bool chan_groups_same(const struct chan *c)
{
	gid_t now[CHAN_GROUPS];
	int n;

	if (c->ngroups < 0)
		return false;
	n = getgroups(CHAN_GROUPS, now);
	return n == c->ngroups && memcmp(now, c->groups, (size_t)n * sizeof(gid_t)) == 0;
}

static bool chan_current(const struct chan *c, pid_t me)
{
	return c->fd >= 0 && c->pid == me && c->euid == geteuid() &&
	       c->egid == getegid() && chan_groups_same(c) && chan_is_ours(c);
}

/* One request/reply exchange on c.  Returns 0, or a negative errno. */
static int chan_exchange(struct chan *c, void *req, size_t len, int sendfd, bool close_sendfd,
			 int recv_flags, bool *sent, struct fdb_reply *rep, int *fd_out)
{
	unsigned char buf[FDB_REPLY_MAX];
	struct fdb_hdr hdr;
	uint32_t seq = ++c->seq;
	size_t nfds;
	int fd = -1, rc;
	ssize_t n;

	wire_set_seq(req, seq);
	n = fdpass_send(c->fd, req, len, &sendfd, sendfd >= 0 ? 1 : 0, 0);
	if (n < 0)
		return (int)n;
	*sent = true;
	if (close_sendfd && sendfd >= 0) {
		/* gone before the reply arrives, so the reply's fd gets the lowest number */
		close(sendfd);
	}
	do /* the reply is on its way: a signal does not end the call */
		n = fdpass_recv(c->fd, buf, sizeof(buf), &fd, 1, &nfds, recv_flags);
	while (n == -EINTR);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : (int)n;
	rc = wire_decode_hdr(buf, (size_t)n, &hdr);
	if (rc == 0 && (hdr.op != FDB_OP_REPLY || hdr.seq != seq))
		rc = -EPROTO;
	if (rc == 0)
		rc = wire_decode_reply(buf, (size_t)n, rep);
	/*
	 * a refusal never carries a descriptor, nor a stat's answer; a success
	 * may (open) or not (bind)
	 */
	if (rc == 0 && (rep->status != 0 || (rep->rflags & FDB_REPLY_STATX)) && nfds != 0)
		rc = -EPROTO;
	if (rc < 0) {
		fdpass_close_all(&fd, nfds);
		return rc;
	}
	*fd_out = nfds ? fd : -1;
	return 0;
}

int shim_call(void *req, size_t len, int sendfd, bool close_sendfd, int recv_flags,
	      struct fdb_reply *rep, int *fd_out)
{
	struct chan oneoff = { .fd = -1 };
	int saved = errno, rc = -1, depth = tls_depth++;
	pid_t me;
	struct chan *c = depth < CHAN_KEPT ? &tls_chan[depth] : &oneoff;
	bool sent = false;

	pthread_once(&chan_once, chan_setup);
	me = getpid();
	/*
	 * Not the process the kept connections are for, and no fork handler
	 * ran: a vfork child, or a clone's, which may share our memory.  It
	 * asks on a connection of its own and leaves the kept ones alone.
	 */
	if (me != chan_pid)
		c = &oneoff;
	if (c != &oneoff && !chan_current(c, me)) {
		chan_drop(c);
		c->seq = 0;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (c->fd < 0) {
			if (chan_open(c) < 0) {
				shim_debug("no broker at %s: %s", broker_addr.sun_path,
					   strerror(errno));
				break;
			}
			if (c != &oneoff)
				chan_register(c);
		}
		rc = chan_exchange(c, req, len, sendfd, close_sendfd, recv_flags, &sent, rep,
				   fd_out);
		if (rc == 0)
			break;
		shim_debug("broker exchange failed: %s", strerror(-rc));
		chan_drop(c);
		/*
		 * A kept connection whose broker has restarted fails at send:
		 * one retry on a new connection.  Once a request went out it is
		 * never sent twice.
		 */
		if (sent || (rc != -EPIPE && rc != -ECONNRESET && rc != -ENOTCONN))
			break;
	}
	if (close_sendfd && sendfd >= 0 && !sent)
		close(sendfd);
	if (c == &oneoff)
		chan_drop(c);
	/* outside any handler's request: register for the thread-exit clean-up */
	if (depth == 0 && !tls_keyed && (tls_chan[0].fd >= 0 || tls_chan[1].fd >= 0)) {
		pthread_setspecific(chan_key, tls_chan);
		tls_keyed = true;
	}
	tls_depth = depth;
	errno = saved;
	return rc == 0 ? 0 : -1;
}
