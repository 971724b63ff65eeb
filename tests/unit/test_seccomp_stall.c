/*
 * A target whose memory stalls never blocks the broker (issue 16, "Never
 * block the loop on a target"; helper/front/seccomp.c).  A child under the
 * seccomp filter opens a name that lies in a page registered with a
 * userfaultfd nobody serves: the tree's reader (front/reader.h) that reads
 * the name stalls on it, as on the page of a FUSE file system that stops
 * answering.  The broker runs in this process, one broker_step at a time;
 * the test needs root (a userfaultfd that also stops the kernel's own
 * accesses, such as process_vm_readv's, needs CAP_SYS_PTRACE) and is
 * skipped without it.
 *
 * What is observed, and how.  The userfaultfd has UFFD_FEATURE_THREAD_ID:
 * each fault on the page is reported, with the id of the thread that
 * faulted, to the child's main thread, which passes it on to the test.
 * Reading such a report does not resolve the fault: the thread stays
 * stopped.  So, in the order the child's reports come:
 *
 *   1. the first fault is a thread of this process: the reader reading
 *      thread A's name, stalled from then on;
 *   2. thread B, started then, opens a file that no rule names and gets its
 *      descriptor, which nothing but the broker's CONTINUE gives it while
 *      its call is trapped: a second reader was started for the tree
 *      (within two of the loop's looks, READERS_WATCH_MS apart), and the
 *      loop went on serving;
 *   3. no fault of thread A's own has come: its call was not given back to
 *      the kernel (which would copy the name itself, and fault), and it has
 *      not ended (an errno or a descriptor would end it, and the child would
 *      report that): it waits for its read, as it would under the least
 *      supervisor.
 *
 * The page is never resolved, so the first reader is still stuck when the
 * child is killed: the kernel then releases the userfaultfd, the read
 * ends, and its notification is collected; the tree's end then ends its
 * readers, and the tree is closed.  The broker's descriptors are then what
 * they were before the child, plus the worker pool's eventfd (made by the
 * first seccomp_attach, kept until broker_close), and broker_close frees
 * everything (the ASan build checks for leaks).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "audit/audit.h"
#include "core/broker.h"
#include "core/loop.h"
#include "fdpass.h"
#include "filter.h"
#include "front/reader.h"
#include "front/seccomp.h"
#include "policy_fixture.h"

/* How late past its time B's answer may come on a loaded machine, under ASan */
#define SLACK_MS 1500
/* Each phase of the test, at most */
#define PHASE_MS 10000

/* What the child reports, one record per write (far below PIPE_BUF: never split). */
enum { MSG_A, MSG_FAULT, MSG_B, MSG_A_DONE };

struct msg {
	int kind;
	pid_t tid; /* MSG_A: thread A; MSG_FAULT: the thread that faulted */
	long ret;  /* MSG_B, MSG_A_DONE: the open's result and errno */
	int err;
	ino_t ino; /* MSG_B: what it opened */
};

/* The child's set-up, sent with the listener: 0, or the errno of what failed. */
struct setup {
	int uffd_err;
	int install_err;
};

/* A report as the loop read it: when, and its place among the reports. */
struct seen {
	struct msg m;
	long at;
	unsigned seq; /* 0: not seen */
};

static struct {
	char dir[64], plain[128];
	struct audit audit;
	struct broker b;
	int lfd;
	bool up, watched, stopped;
	pid_t pid;        /* the child, until reaped */
	char *page;       /* the child's: the stalling page */
	int sock[2], rep[2], cmd[2];
	struct evsrc src; /* the child's reports, read by the broker's loop */
	unsigned seq, faults;
	pid_t a_tid;
	struct seen stall, b_done, cont, a_done;
} t = { .lfd = -1, .sock = { -1, -1 }, .rep = { -1, -1 }, .cmd = { -1, -1 } };

/* ---- the child ---- */

static void tell(const struct msg *m)
{
	/* the test reads every record; a failed write means it is gone */
	if (write(t.rep[1], m, sizeof(*m)) != (ssize_t)sizeof(*m))
		_exit(1);
}

static void *thread_a(void *arg)
{
	struct msg m = { .kind = MSG_A, .tid = gettid() };

	(void)arg;
	tell(&m);
	/* syscall(), not openat(): no wrapper or interceptor (ASan's) reads the name first */
	m.ret = syscall(SYS_openat, AT_FDCWD, t.page, O_RDONLY | O_CLOEXEC);
	m.err = errno;
	m.kind = MSG_A_DONE;
	tell(&m);
	return NULL;
}

static void *thread_b(void *arg)
{
	struct msg m = { .kind = MSG_B, .tid = gettid() };
	struct stat st;

	(void)arg;
	m.ret = open(t.plain, O_RDONLY | O_CLOEXEC);
	m.err = errno;
	if (m.ret >= 0 && fstat((int)m.ret, &st) == 0)
		m.ino = st.st_ino;
	tell(&m);
	return NULL;
}

/* The page and its userfaultfd: 0 or errno. */
static int stalling_page(int *uffd)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_THREAD_ID };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	t.page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t.page == MAP_FAILED)
		return errno;
	/*
	 * No UFFD_USER_MODE_ONLY: the kernel's accesses stall too.  Non-blocking,
	 * or poll would answer POLLERR.
	 */
	*uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg.range.start = (uintptr_t)t.page;
	reg.range.len = len;
	if (*uffd < 0 || ioctl(*uffd, UFFDIO_API, &api) < 0 ||
	    ioctl(*uffd, UFFDIO_REGISTER, &reg) < 0)
		return errno;
	return 0;
}

/*
 * The page is made before the filter (none of its calls is trapped), so
 * that its failure is told with the listener.  Then thread A's open; the
 * main thread passes on each fault and starts thread B when told to.
 */
static void child(void)
{
	struct setup s = { 0 };
	pthread_t a, bt;
	int uffd = -1, fd = -1;

	/* a test that failed leaves no child behind */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(t.sock[0]);
	close(t.rep[0]);
	close(t.cmd[1]);
	s.uffd_err = stalling_page(&uffd);
	if (!s.uffd_err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		s.install_err = errno;
	else if (!s.uffd_err && (fd = filter_install()) < 0)
		s.install_err = -fd;
	if (fdpass_send(t.sock[1], &s, sizeof(s), &fd, fd < 0 ? 0 : 1, 0) < 0 || fd < 0)
		_exit(0);
	close(fd);
	if (pthread_create(&a, NULL, thread_a, NULL))
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { .fd = uffd, .events = POLLIN },
				       { .fd = t.cmd[0], .events = POLLIN } };
		struct uffd_msg u;
		char c;

		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[0].revents & POLLIN && read(uffd, &u, sizeof(u)) == (ssize_t)sizeof(u) &&
		    u.event == UFFD_EVENT_PAGEFAULT)
			tell(&(struct msg){ .kind = MSG_FAULT,
					    .tid = (pid_t)u.arg.pagefault.feat.ptid });
		if (p[1].revents) {
			if (read(t.cmd[0], &c, 1) != 1 || pthread_create(&bt, NULL, thread_b, NULL))
				_exit(1);
		}
	}
}

/* ---- the test's side ---- */

/* The child's reports, as the loop finds them readable. */
static void reports_ready(struct broker *b, struct evsrc *src, uint32_t events)
{
	struct msg m;

	(void)b;
	(void)src;
	(void)events;
	while (read(t.rep[0], &m, sizeof(m)) == (ssize_t)sizeof(m)) {
		struct seen s = { m, broker_now_ms(), ++t.seq };

		switch (m.kind) {
		case MSG_A:
			t.a_tid = m.tid;
			break;
		case MSG_FAULT:
			t.faults++;
			if (m.tid == t.a_tid && !t.cont.seq)
				t.cont = s;
			else if (m.tid != t.a_tid && !t.stall.seq)
				t.stall = s;
			break;
		case MSG_B:
			t.b_done = s;
			break;
		case MSG_A_DONE:
			t.a_done = s;
			break;
		}
	}
}

static const struct evsrc_ops reports_ops = { .ready = reports_ready };

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The test's own descriptors, its reports out of the loop first. */
static void close_ours(void)
{
	if (t.watched)
		loop_remove(&t.b, t.rep[0], &t.src);
	t.watched = false;
	for (int i = 0; i < 2; i++) {
		close_fd(&t.sock[i]);
		close_fd(&t.rep[i]);
		close_fd(&t.cmd[i]);
	}
}

static void stop(void)
{
	char cmd[160];

	if (t.stopped)
		return;
	t.stopped = true;
	if (t.pid > 0) {
		kill(t.pid, SIGKILL);
		waitpid(t.pid, NULL, 0);
		t.pid = 0;
	}
	close_ours();
	if (t.up) {
		broker_close(&t.b);
		close_fd(&t.lfd);
		audit_close(&t.audit);
		t.up = false;
	}
	policy_fixture_fini();
	if (t.dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", t.dir);
	}
}

TestSuite(seccomp_stall, .init = policy_fixture_init, .fini = stop, .timeout = 30);

/* Root, and a userfaultfd that reports the faulting thread; else the reason to skip. */
static const char *cannot_stall(void)
{
	static char why[160];
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_THREAD_ID };
	int fd;

	if (geteuid() != 0)
		return "needs root: a userfaultfd that stops the kernel's accesses needs CAP_SYS_PTRACE";
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) < 0) {
		snprintf(why, sizeof(why), "no userfaultfd with UFFD_FEATURE_THREAD_ID here: %s",
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return why;
	}
	close(fd);
	return NULL;
}

/* The test's directory, its file no rule names, and the broker under a rule for another. */
static void start(void)
{
	char rule[256], path[128];
	int fd;

	strcpy(t.dir, "/tmp/fdb-stall.XXXXXX");
	cr_assert_not_null(mkdtemp(t.dir));
	snprintf(t.plain, sizeof(t.plain), "%s/plain", t.dir);
	fd = open(t.plain, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(rule, sizeof(rule), "allow user 0 open %s/granted read\n", t.dir);
	parse_ok(rule);
	snprintf(path, sizeof(path), "%s/audit.log", t.dir);
	cr_assert_eq(audit_open(&t.audit, path), 0);
	snprintf(path, sizeof(path), "%s/broker.sock", t.dir);
	t.lfd = broker_listen(path);
	cr_assert_geq(t.lfd, 0);
	t.b.policy = &pol;
	t.b.audit = &t.audit;
	cr_assert_eq(broker_init(&t.b, t.lfd, NULL), 0);
	t.up = true;
}

/* This process's descriptors, by what they are (their /proc links), sorted. */
#define FDS_MAX 128

struct fds {
	int n;
	char what[FDS_MAX][64];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void fds_read(struct fds *f)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	cr_assert_not_null(d);
	f->n = 0;
	while ((e = readdir(d))) {
		char path[300];
		ssize_t len;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		cr_assert_lt(f->n, FDS_MAX);
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, f->what[f->n], sizeof(f->what[0]) - 1);
		f->what[f->n][len < 0 ? 0 : len] = '\0';
		f->n++;
	}
	closedir(d);
	qsort(f->what, (size_t)f->n, sizeof(f->what[0]), by_name);
}

static bool fds_same(const struct fds *a, const struct fds *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->what[i], b->what[i]))
			return false;
	return true;
}

static bool our_thread(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

Test(seccomp_stall, a_stalled_read_never_blocks_the_loop)
{
	const char *why = cannot_stall();
	struct fds before, want, now;
	struct setup s;
	struct stat plain;
	long until, gap;
	ssize_t len;
	bool asked = false;
	size_t nfds;
	int listener = -1, status;

	if (why)
		cr_skip_test("%s", why);
	start();
	cr_assert_eq(stat(t.plain, &plain), 0);
	fds_read(&before);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t.sock), 0);
	cr_assert_eq(pipe2(t.rep, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(t.cmd, O_CLOEXEC), 0);
	cr_assert_eq(fcntl(t.rep[0], F_SETFL, O_NONBLOCK), 0);
	t.pid = fork();
	cr_assert_geq(t.pid, 0);
	if (t.pid == 0)
		child();
	close_fd(&t.sock[1]);
	close_fd(&t.rep[1]);
	close_fd(&t.cmd[0]);
	cr_assert_eq(fdpass_recv(t.sock[0], &s, sizeof(s), &listener, 1, &nfds, MSG_CMSG_CLOEXEC),
		     (ssize_t)sizeof(s));
	if (s.uffd_err)
		cr_skip_test("the child's userfaultfd: %s", strerror(s.uffd_err));
	if (s.install_err == EBUSY)
		cr_skip_test("a seccomp listener is in place already (a supervisor above the tests)");
	cr_assert_eq(s.install_err, 0, "filter_install: %s", strerror(s.install_err));
	cr_assert_eq(nfds, 1);
	cr_assert_eq(seccomp_attach(&t.b, listener, getuid()), 0, "seccomp_attach: %m");
	t.src.ops = &reports_ops;
	cr_assert_eq(loop_add(&t.b, t.rep[0], &t.src, EPOLLIN), 0);
	t.watched = true;

	/* until B has its answer, or A's call ended */
	until = broker_now_ms() + PHASE_MS;
	while (!t.b_done.seq && !t.a_done.seq && broker_now_ms() < until) {
		cr_assert(broker_step(&t.b, 100) >= 0 || errno == EINTR, "broker_step: %m");
		if (t.stall.seq && !asked) {
			cr_assert_eq(write(t.cmd[1], "b", 1), 1);
			asked = true;
		}
	}
	cr_assert(!t.a_done.seq, "thread A's open ended (%ld, %s): the broker answered it itself",
		  t.a_done.m.ret, strerror(t.a_done.m.err));
	cr_assert(t.stall.seq, "no read of thread A's name reached its page (faults: %u)", t.faults);
	cr_assert(our_thread(t.stall.m.tid), "the first fault, by %d, is not the broker's",
		  (int)t.stall.m.tid);
	cr_assert(t.b_done.seq, "thread B's open was never answered: the loop stopped serving");
	cr_assert_geq(t.b_done.m.ret, 0, "thread B's open: %s", strerror(t.b_done.m.err));
	cr_assert_eq(t.b_done.m.ino, plain.st_ino, "thread B opened another file");
	cr_assert(!t.cont.seq, "thread A's call went back to the kernel while its read stalled");
	gap = t.b_done.at - t.stall.at;
	cr_assert_leq(gap, 2 * READERS_WATCH_MS + SLACK_MS,
		      "thread B was answered %ld ms after A's read stalled, not within two looks "
		      "(%d ms each)", gap, READERS_WATCH_MS);

	/*
	 * The first reader is still stuck in A's page.  The child killed, its
	 * userfaultfd is released and the read ends: stepping collects the
	 * job, then the tree, whose listener is then closed.
	 */
	cr_assert_eq(kill(t.pid, SIGKILL), 0);
	close_ours();
	want = before;
	cr_assert_lt(want.n + 1, FDS_MAX);
	strcpy(want.what[want.n++], "anon_inode:[eventfd]");
	/* the broker's own mount namespace, open since B's call was checked against it (front/target.c) */
	len = readlink("/proc/self/ns/mnt", want.what[want.n], sizeof(want.what[0]) - 1);
	cr_assert_gt(len, 0);
	want.what[want.n++][len] = '\0';
	qsort(want.what, (size_t)want.n, sizeof(want.what[0]), by_name);
	until = broker_now_ms() + PHASE_MS;
	do {
		cr_assert(broker_step(&t.b, 100) >= 0 || errno == EINTR, "broker_step: %m");
		if (t.pid > 0 && waitpid(t.pid, &status, WNOHANG) == t.pid)
			t.pid = 0;
		fds_read(&now);
	} while ((t.pid > 0 || !fds_same(&now, &want)) && broker_now_ms() < until);
	cr_assert_eq(t.pid, 0, "the killed child was never reaped");
	cr_assert(fds_same(&now, &want),
		  "%d descriptors, not the %d from before the child, the pool's eventfd and the "
		  "broker's mount namespace",
		  now.n, want.n);

	/*
	 * Criterion counts a test before LeakSanitizer's check at the
	 * worker's exit, whose finding then fails nothing: checked here.
	 * (tests/lsan.supp's leak:libcriterion.so matches every allocation
	 * made under a test, the loop's included: run with it, this check
	 * sees only what the workers allocated.)
	 */
	stop();
#ifdef __SANITIZE_ADDRESS__
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "the broker leaked (listed above)");
#endif
}
