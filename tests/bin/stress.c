/*
 * stress: the hostile "legacy program" of the robustness tests (threads,
 * fork, signals, descriptor clean-ups, identity changes, exec, a broker that
 * goes away).  It knows nothing of fdbroker; the tests run it under the shim
 * and read one result line per command:
 *   ok [details]      or      err ENAME / bad [details]
 * Every descriptor a brokered open returns is checked against the file that
 * was asked for by device and inode.  The modes that run until told to stop
 * (flip, hold) stop on SIGTERM and report what they saw.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define SHIM_FD_MIN 500 /* the shim keeps its descriptors above this */

static long num(const char *s)
{
	return strtol(s, NULL, 10);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Open path read-only; 1 if the descriptor is want, 0 if another object, -1 (errno) if none. */
static int open_check(const char *path, const struct stat *want, int flags)
{
	struct stat st;
	int fd = open(path, O_RDONLY | flags), saved;

	if (fd < 0)
		return -1;
	saved = fstat(fd, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino;
	close(fd);
	return saved;
}

/* Open descriptors, the one used for listing excluded. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/* The shim's descriptors: sockets above SHIM_FD_MIN.  Returns how many (up to max). */
static int shim_fds(int *out, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], link[64];
		int fd = atoi(e->d_name);
		ssize_t len;

		if (e->d_name[0] == '.' || fd < SHIM_FD_MIN || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0 && strncmp(link, "socket:", 7) == 0 && n < max)
			out[n++] = fd;
	}
	closedir(d);
	return n;
}

/* ---- threads DIR NTHREADS N: thread i opens DIR/f<i> N times ---- */

struct worker {
	pthread_t tid;
	char path[512];
	struct stat want;
	long n, wrong, failed;
};

static pthread_barrier_t start_line;

static void *thread_loop(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start_line);
	for (long i = 0; i < w->n; i++) {
		/* half the opens ask for O_CLOEXEC: the other receive path */
		int r = open_check(w->path, &w->want, (i & 1) ? O_CLOEXEC : 0);

		if (r < 0)
			w->failed++;
		else if (r == 0)
			w->wrong++;
	}
	return NULL;
}

static int cmd_threads(char **av)
{
	long nthreads = num(av[1]), n = num(av[2]), wrong = 0, failed = 0;
	struct worker *w = calloc((size_t)nthreads, sizeof(*w));
	int before, after;

	before = count_fds();
	pthread_barrier_init(&start_line, NULL, (unsigned)nthreads);
	for (long i = 0; i < nthreads; i++) {
		snprintf(w[i].path, sizeof(w[i].path), "%s/f%ld", av[0], i);
		w[i].n = n;
		if (stat(w[i].path, &w[i].want) < 0)
			return print_err();
	}
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].tid, NULL, thread_loop, &w[i]) != 0)
			return print_err();
	for (long i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		wrong += w[i].wrong;
		failed += w[i].failed;
	}
	after = count_fds();
	printf("ok opens=%ld wrong=%ld failed=%ld leaked=%d\n", nthreads * n - failed - wrong,
	       wrong, failed, after - before);
	free(w);
	return 0;
}

/* ---- fork A B N: parent opens A, child opens B, both N times at once ---- */

static void loop_file(const char *path, long n, long *wrong, long *failed)
{
	struct stat want;

	*wrong = *failed = 0;
	if (stat(path, &want) < 0) {
		*failed = n;
		return;
	}
	for (long i = 0; i < n; i++) {
		int r = open_check(path, &want, 0);

		if (r < 0)
			(*failed)++;
		else if (r == 0)
			(*wrong)++;
	}
}

static int cmd_fork(char **av)
{
	long n = num(av[2]), wrong, failed;
	int go[2], status;
	pid_t pid;
	char c = 0;

	/* a channel exists before fork: the child inherits it and must not use it */
	loop_file(av[0], 1, &wrong, &failed);
	if (wrong || failed || pipe(go) < 0)
		return print_err();
	pid = fork();
	if (pid < 0)
		return print_err();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		loop_file(av[1], n, &wrong, &failed);
		printf("child opens=%ld wrong=%ld failed=%ld\n", n - wrong - failed, wrong, failed);
		_exit(wrong || failed ? 1 : 0);
	}
	close(go[0]);
	(void)!write(go[1], &c, 1);
	loop_file(av[0], n, &wrong, &failed);
	waitpid(pid, &status, 0);
	printf("ok parent opens=%ld wrong=%ld failed=%ld child_status=%d\n", n - wrong - failed,
	       wrong, failed, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

/*
 * ---- forkfds PATH THREADS: THREADS threads broker an open of PATH each and
 * stay (their connections kept), then the main thread forks; the child
 * counts its descriptors before any call of its own, and again after a
 * brokered open: "ok parent_extra=P child_extra=C child_open=0|1"
 * (extras over the count before any thread brokered) ----
 */
static pthread_barrier_t forkfds_opened, forkfds_done;
static const char *forkfds_path;

static void *forkfds_thread(void *arg)
{
	long wrong, failed;

	(void)arg;
	loop_file(forkfds_path, 1, &wrong, &failed);
	pthread_barrier_wait(&forkfds_opened);
	pthread_barrier_wait(&forkfds_done);
	return NULL;
}

static int cmd_forkfds(char **av)
{
	long n = num(av[1]);
	int base = count_fds(), parent, status, p[2];
	pthread_t t[16];
	char line[128];
	pid_t pid;

	if (n < 1 || n > 16 || pipe(p) < 0)
		return print_err();
	forkfds_path = av[0];
	pthread_barrier_init(&forkfds_opened, NULL, (unsigned)n + 1);
	pthread_barrier_init(&forkfds_done, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, forkfds_thread, NULL) != 0)
			return print_err();
	pthread_barrier_wait(&forkfds_opened);
	parent = count_fds() - base - 2; /* the pipe */
	pid = fork();
	if (pid < 0)
		return print_err();
	if (pid == 0) {
		int child = count_fds() - base - 2, fd = open(av[0], O_RDONLY);

		snprintf(line, sizeof(line), "child_extra=%d child_open=%d", child, fd >= 0);
		(void)!write(p[1], line, strlen(line));
		_exit(0);
	}
	close(p[1]);
	memset(line, 0, sizeof(line));
	(void)!read(p[0], line, sizeof(line) - 1);
	waitpid(pid, &status, 0);
	pthread_barrier_wait(&forkfds_done);
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("ok parent_extra=%d %s\n", parent, line);
	return 0;
}

/*
 * ---- prefork DIR WORKERS N: a master that brokers, then WORKERS workers
 * (worker i opens DIR/f<i+1>) while the master keeps opening DIR/f0 ----
 */
static int cmd_prefork(char **av)
{
	long workers = num(av[1]), n = num(av[2]), wrong, failed, bad = 0;
	char path[512];
	pid_t pids[64];

	snprintf(path, sizeof(path), "%s/f0", av[0]);
	loop_file(path, 1, &wrong, &failed);
	if (wrong || failed || workers > 64)
		return print_err();
	for (long i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return print_err();
		if (pids[i] == 0) {
			snprintf(path, sizeof(path), "%s/f%ld", av[0], i + 1);
			loop_file(path, n, &wrong, &failed);
			_exit(wrong || failed ? 1 : 0);
		}
	}
	loop_file(path, n, &wrong, &failed);
	for (long i = 0; i < workers; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			bad++;
	}
	printf("ok workers=%ld bad_workers=%ld master_wrong=%ld master_failed=%ld\n", workers, bad,
	       wrong, failed);
	return 0;
}

/*
 * ---- signals itimer|posix A B N: the main loop opens A N times while a
 * timer signal every 100 us opens B from its handler ----
 */
static struct stat sig_want;
static const char *sig_path;
static volatile sig_atomic_t main_in_open;
static volatile sig_atomic_t h_opens, h_wrong, h_failed, h_nested, h_errno;

static void on_timer(int sig)
{
	int saved = errno, r;

	(void)sig;
	if (main_in_open)
		h_nested++;
	r = open_check(sig_path, &sig_want, 0);
	if (r < 0) {
		h_failed++;
		h_errno = errno;
	} else if (r == 0) {
		h_wrong++;
	} else {
		h_opens++;
	}
	errno = saved;
}

static int cmd_signals(char **av)
{
	bool posix = strcmp(av[0], "posix") == 0;
	long n = num(av[3]), wrong = 0, failed = 0;
	struct sigaction sa = { .sa_handler = on_timer };
	struct stat want;
	timer_t timer;
	int sig = posix ? SIGRTMIN : SIGALRM;

	sig_path = av[2];
	if (stat(av[1], &want) < 0 || stat(av[2], &sig_want) < 0)
		return print_err();
	/* itimer: no SA_RESTART, so the shim's own calls see EINTR */
	sa.sa_flags = posix ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		return print_err();
	if (posix) {
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig };
		struct itimerspec its = { .it_interval = { 0, 100000 }, .it_value = { 0, 100000 } };

		if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0 ||
		    timer_settime(timer, 0, &its, NULL) < 0)
			return print_err();
	} else {
		struct itimerval it = { .it_interval = { 0, 100 }, .it_value = { 0, 100 } };

		if (setitimer(ITIMER_REAL, &it, NULL) < 0)
			return print_err();
	}
	for (long i = 0; i < n; i++) {
		int r;

		main_in_open = 1;
		r = open_check(av[1], &want, 0);
		main_in_open = 0;
		if (r < 0)
			failed++;
		else if (r == 0)
			wrong++;
	}
	if (posix) {
		timer_delete(timer);
	} else {
		struct itimerval off = { 0 };

		setitimer(ITIMER_REAL, &off, NULL);
	}
	printf("ok opens=%ld wrong=%ld failed=%ld handler_opens=%d handler_wrong=%d "
	       "handler_failed=%d nested=%d%s%s\n",
	       n - wrong - failed, wrong, failed, (int)h_opens, (int)h_wrong, (int)h_failed,
	       (int)h_nested, h_errno ? " handler_errno=" : "",
	       h_errno ? strerrorname_np(h_errno) : "");
	return 0;
}

/*
 * ---- closeall close_range|closefrom|procfd|dup2 FILE ----
 * Broker once (the shim now holds a channel), wipe descriptors the way
 * MODE does, set up program descriptors (a pipe at 20/21), broker again:
 * the new open must work, every program descriptor must be what it was,
 * and the shim's descriptor must be high and close-on-exec.
 */
struct fdid {
	int fd;
	dev_t dev;
	ino_t ino;
	int fdflags;
};

/* The program's descriptors: everything below SHIM_FD_MIN, and extra[]. */
static int snapshot(struct fdid *s, int max, const int *extra, int nextra)
{
	int n = 0;

	for (int i = 0; i < SHIM_FD_MIN + nextra && n < max; i++) {
		int fd = i < SHIM_FD_MIN ? i : extra[i - SHIM_FD_MIN];
		int fl = fcntl(fd, F_GETFD);
		struct stat st;

		if (fl < 0 || fstat(fd, &st) < 0)
			continue;
		s[n++] = (struct fdid){ fd, st.st_dev, st.st_ino, fl };
	}
	return n;
}

/* Descriptors in a that are not the same object in b, ignoring fd skip. */
static int changed(const struct fdid *a, int na, const struct fdid *b, int nb, int skip)
{
	int diff = 0;

	for (int i = 0; i < na; i++) {
		bool same = false;

		for (int j = 0; j < nb; j++)
			if (b[j].fd == a[i].fd)
				same = b[j].dev == a[i].dev && b[j].ino == a[i].ino &&
				       b[j].fdflags == a[i].fdflags;
		diff += !same;
	}
	for (int j = 0; j < nb; j++) {
		bool known = b[j].fd == skip;

		for (int i = 0; i < na; i++)
			known |= a[i].fd == b[j].fd;
		diff += !known;
	}
	return diff;
}

static void close_listed(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d))
			close(fd);
	}
	if (d)
		closedir(d);
}

/* Shim descriptors that are not FD_CLOEXEC, and the lowest one (or -1). */
static int shim_report(int *lowest)
{
	int fds[64], n = shim_fds(fds, 64), open_on_exec = 0;

	*lowest = n ? fds[0] : -1;
	for (int i = 0; i < n; i++) {
		if (fds[i] < *lowest)
			*lowest = fds[i];
		if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
			open_on_exec++;
	}
	return open_on_exec;
}

static int cmd_closeall(char **av)
{
	const char *mode = av[0], *path = av[1];
	struct fdid before[256], after[256];
	int first_fd, first_noexec, fd, shimfd, noexec, nb, na, p[2], victims[64], nvictims = 0;
	struct stat want, st;
	char c = 'x';

	if (stat(path, &want) < 0 || open_check(path, &want, 0) != 1)
		return print_err();
	first_noexec = shim_report(&first_fd);
	if (!strcmp(mode, "close_range")) {
		if (close_range(3, ~0U, 0) < 0)
			return print_err();
	} else if (!strcmp(mode, "closefrom")) {
		closefrom(3);
	} else if (!strcmp(mode, "procfd")) {
		close_listed();
	} else if (strcmp(mode, "dup2") != 0) {
		fprintf(stderr, "stress: unknown closeall mode %s\n", mode);
		return 2;
	}
	if (pipe(p) < 0 || dup2(p[0], 20) < 0 || dup2(p[1], 21) < 0)
		return print_err();
	close(p[0]);
	close(p[1]);
	if (!strcmp(mode, "dup2")) {
		/* the program takes over every number the shim used */
		nvictims = shim_fds(victims, 64);
		for (int i = 0; i < nvictims; i++)
			if (dup2(21, victims[i]) < 0)
				return print_err();
	}
	nb = snapshot(before, 256, victims, nvictims);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return print_err();
	na = snapshot(after, 256, victims, nvictims);
	if (fstat(fd, &st) < 0 || st.st_dev != want.st_dev || st.st_ino != want.st_ino) {
		printf("bad wrong file\n");
		return 0;
	}
	/* the pipe still works, through its old numbers and any it was dup2()ed to */
	for (int i = 0; i < nvictims + 1; i++) {
		int w = i < nvictims ? victims[i] : 21;

		if (write(w, &c, 1) != 1 || read(20, &c, 1) != 1) {
			printf("bad pipe at %d\n", w);
			return 0;
		}
	}
	noexec = shim_report(&shimfd);
	printf("ok first_shimfd=%d first_noexec=%d shimfd=%d noexec=%d victims=%d changed=%d\n",
	       first_fd, first_noexec, shimfd, noexec, nvictims, changed(before, nb, after, na, fd));
	return 0;
}

/*
 * ---- daemon FILE: broker once, then double fork + setsid + close_range
 * and broker again from the grandchild (stdout kept to report) ----
 */
static int cmd_daemon(char **av)
{
	struct stat want;
	pid_t pid;
	int r;

	if (stat(av[0], &want) < 0 || open_check(av[0], &want, 0) != 1)
		return print_err();
	pid = fork();
	if (pid < 0)
		return print_err();
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid != 0)
		_exit(pid < 0);
	if (close_range(3, ~0U, 0) < 0 || chdir("/") < 0)
		_exit(1);
	r = open_check(av[0], &want, 0);
	if (r < 0)
		print_err();
	else
		printf(r ? "ok daemon pid=%d\n" : "bad daemon wrong file pid=%d\n", (int)getpid());
	_exit(0);
}

/*
 * ---- identity FILEA FILEB UIDA GIDA UIDB GIDB (started as root): A, B,
 * A, B again, the saved set-user-ID kept root; at each step open both ----
 */
static int become(uid_t uid, gid_t gid)
{
	if (seteuid(0) < 0 || setgroups(1, &gid) < 0 || setegid(gid) < 0 || seteuid(uid) < 0)
		return -1;
	return 0;
}

static void report_open(const char *tag, const char *path, const struct stat *want)
{
	int r = open_check(path, want, 0);

	printf(" %s=%s", tag, r < 0 ? strerrorname_np(errno) : r ? "ok" : "WRONG");
}

static int cmd_identity(char **av)
{
	uid_t uid[2] = { (uid_t)num(av[2]), (uid_t)num(av[4]) };
	gid_t gid[2] = { (gid_t)num(av[3]), (gid_t)num(av[5]) };
	struct stat a, b;
	uid_t r, e, s;

	if (geteuid() != 0 || stat(av[0], &a) < 0 || stat(av[1], &b) < 0)
		return print_err();
	printf("ok");
	for (int step = 0; step < 4; step++) {
		int who = step & 1;

		if (become(uid[who], gid[who]) < 0)
			return print_err();
		getresuid(&r, &e, &s);
		printf(" %s(euid=%u,suid=%u):", who ? "B" : "A", (unsigned)e, (unsigned)s);
		report_open("a", av[0], &a);
		report_open("b", av[1], &b);
	}
	if (seteuid(0) < 0)
		return print_err();
	printf("\n");
	return 0;
}

/*
 * ---- execself FILE: broker, then exec this program's "inherited FILE
 * BEFORE" (BEFORE: the descriptors it had before brokering), which reports
 * any other descriptor it got and brokers again ----
 */
static void list_fds(char *list, size_t cap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	list[0] = '\0';
	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d))
			snprintf(list + strlen(list), cap - strlen(list), ",%d,", fd);
	}
	if (d)
		closedir(d);
}

static int cmd_execself(char **av)
{
	struct stat want;
	char before[1024];

	list_fds(before, sizeof(before));
	if (stat(av[0], &want) < 0 || open_check(av[0], &want, 0) != 1)
		return print_err();
	fflush(stdout);
	execl("/proc/self/exe", "stress", "inherited", av[0], before, (char *)NULL);
	return print_err();
}

static int cmd_inherited(char **av)
{
	char now[1024], extra[1024] = "", *p;
	struct stat want;
	int r;

	list_fds(now, sizeof(now));
	for (p = now; (p = strchr(p, ',')) && p[1]; p = strchr(p + 1, ',') + 1) {
		char item[16];

		snprintf(item, sizeof(item), ",%d,", atoi(p + 1));
		if (!strstr(av[1], item))
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%d,",
				 atoi(p + 1));
	}
	if (stat(av[0], &want) < 0)
		return print_err();
	r = open_check(av[0], &want, 0);
	if (r < 0)
		return print_err();
	printf("%s inherited=%s\n", r ? "ok" : "bad", extra[0] ? extra : "none");
	return 0;
}

/*
 * ---- gone FILE NTHREADS: threads open FILE in a loop; once each has been
 * answered, print "ready" and go on until the broker is gone (the test
 * kills it): the first failure and 100 more must all fail with EACCES,
 * each quickly ----
 */
struct goner {
	pthread_t tid;
	const char *path;
	struct stat want;
	int first_err, later_bad, wrong;
	double slowest_ms;
};

static atomic_int answered;

static void *gone_loop(void *arg)
{
	struct goner *g = arg;
	bool counted = false;
	int r;

	for (;;) {
		double t = now_ms();

		r = open_check(g->path, &g->want, 0);
		if (r < 0) {
			g->first_err = errno;
			g->slowest_ms = now_ms() - t;
			break;
		}
		g->wrong += r == 0;
		if (!counted) {
			counted = true;
			atomic_fetch_add(&answered, 1);
		}
	}
	for (int i = 0; i < 100; i++) {
		double t = now_ms();

		r = open_check(g->path, &g->want, 0);
		if (now_ms() - t > g->slowest_ms)
			g->slowest_ms = now_ms() - t;
		if (r >= 0 || errno != EACCES)
			g->later_bad++;
	}
	return NULL;
}

static int cmd_gone(char **av)
{
	long n = num(av[1]);
	struct goner *g = calloc((size_t)n, sizeof(*g));
	int later_bad = 0, wrong = 0, first_other = 0;
	double slowest = 0;

	for (long i = 0; i < n; i++) {
		g[i].path = av[0];
		if (stat(av[0], &g[i].want) < 0)
			return print_err();
		if (pthread_create(&g[i].tid, NULL, gone_loop, &g[i]) != 0)
			return print_err();
	}
	/* a spin, not a sleep: the threads are busy brokering meanwhile */
	while (atomic_load(&answered) < n)
		sched_yield();
	printf("ready pid=%d broker=%d\n", (int)getpid(), (int)getppid());
	for (long i = 0; i < n; i++) {
		pthread_join(g[i].tid, NULL);
		later_bad += g[i].later_bad;
		wrong += g[i].wrong;
		first_other += g[i].first_err != EACCES;
		if (g[i].slowest_ms > slowest)
			slowest = g[i].slowest_ms;
	}
	printf("ok first_not_eacces=%d later_bad=%d wrong=%d slowest_ms=%.0f\n", first_other,
	       later_bad, wrong, slowest);
	free(g);
	return 0;
}

/*
 * reconnect PATH FIFO: for each line read from FIFO, open PATH once and
 * print the result; ends at end of FIFO.  The test restarts the broker
 * between lines.
 */
static int cmd_reconnect(char **av)
{
	FILE *cmds = fopen(av[1], "r");
	char line[64];

	if (!cmds)
		return print_err();
	while (fgets(line, sizeof(line), cmds)) {
		int fd = open(av[0], O_RDONLY);

		if (fd < 0) {
			printf("err %s\n", strerrorname_np(errno));
			continue;
		}
		printf("ok\n");
		close(fd);
	}
	return 0;
}

/*
 * ---- flip FILE: open FILE in a loop until SIGTERM, printing a line each
 * time the outcome changes ("ok", "err ENAME", "bad wrong file"), then
 * "done ok=N eacces=N other=N wrong=N slowest_fail_ms=T".  The fault tests
 * kill and restart the broker underneath it and read the transitions. ----
 */
static volatile sig_atomic_t flip_stop;

static void on_term(int sig)
{
	(void)sig;
	flip_stop = 1;
}

static int cmd_flip(char **av)
{
	struct sigaction sa = { .sa_handler = on_term, .sa_flags = SA_RESTART };
	long ok = 0, eacces = 0, other = 0, wrong = 0;
	int last = INT_MIN;
	double slowest = 0;
	struct stat want;

	sigemptyset(&sa.sa_mask);
	if (stat(av[0], &want) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		return print_err();
	while (!flip_stop) {
		double t = now_ms();
		int r = open_check(av[0], &want, 0);
		/* the outcome: 0 ok, -1 another file, else the errno */
		int what = r > 0 ? 0 : r == 0 ? -1 : errno;

		t = now_ms() - t;
		if (r < 0 && t > slowest)
			slowest = t;
		ok += what == 0;
		wrong += what == -1;
		eacces += what == EACCES;
		other += what > 0 && what != EACCES;
		if (what == last)
			continue;
		last = what;
		if (what == 0)
			printf("ok\n");
		else if (what < 0)
			printf("bad wrong file\n");
		else
			printf("err %s\n", strerrorname_np(what));
	}
	printf("done ok=%ld eacces=%ld other=%ld wrong=%ld slowest_fail_ms=%.0f\n", ok, eacces,
	       other, wrong, slowest);
	return 0;
}

/*
 * ---- hold FILE: open FILE and print the outcome and how long the open
 * took ("ok ms=T" / "err ENAME ms=T"); again on each SIGUSR1, until
 * SIGTERM.  Between opens it keeps the shim's connection (the tests fill a
 * broker's descriptor table with these). ----
 */
static int cmd_hold(char **av)
{
	struct stat want;
	sigset_t sigs;
	int sig = SIGUSR1;

	/* blocked before the first line: a signal sent after reading it waits for us */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGTERM);
	if (stat(av[0], &want) < 0 || sigprocmask(SIG_BLOCK, &sigs, NULL) < 0)
		return print_err();
	while (sig == SIGUSR1) {
		double t = now_ms();
		int r = open_check(av[0], &want, 0), err = errno;

		t = now_ms() - t;
		if (r < 0)
			printf("err %s ms=%.0f\n", strerrorname_np(err), t);
		else
			printf(r ? "ok ms=%.0f\n" : "bad wrong file ms=%.0f\n", t);
		if (sigwait(&sigs, &sig) != 0)
			return print_err();
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "threads", 3, cmd_threads },   { "fork", 3, cmd_fork },
		{ "prefork", 3, cmd_prefork },   { "signals", 4, cmd_signals },
		{ "closeall", 2, cmd_closeall }, { "daemon", 1, cmd_daemon },
		{ "identity", 6, cmd_identity }, { "execself", 1, cmd_execself },
		{ "inherited", 2, cmd_inherited }, { "gone", 2, cmd_gone },
		{ "reconnect", 2, cmd_reconnect }, { "flip", 1, cmd_flip },
		{ "hold", 1, cmd_hold },         { "forkfds", 2, cmd_forkfds },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("stress", cmds, CMD_COUNT(cmds), argc, argv);
}
