/* Servers in integration tests; see spawn.h. */
#include "spawn.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Every process group started here, so a failed test still stops them all. */
static pid_t started[32];
static int nstarted;

void p_kill_all(void)
{
	for (int i = 0; i < nstarted; i++)
		if (started[i] > 0 && kill(-started[i], SIGKILL) == 0)
			waitpid(started[i], NULL, 0);
	nstarted = 0;
}

void p_suite_fini(void)
{
	p_kill_all();
	h_cleanup();
}

/* stderr to errpath (opened in the child), or to errfd when errpath is NULL. */
static void start(struct proc *p, char *const argv[], char *const env[], const char *errpath,
		  int errfd)
{
	int o[2];

	pid_t self = getpid();

	memset(p, 0, sizeof(*p));
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		int e = errpath ? open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0644) : errfd;

		h_die_with_parent(self);
		setpgid(0, 0);
		dup2(o[1], 1);
		if (e >= 0)
			dup2(e, 2);
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(p->pid, p->pid);
	if (nstarted < 32)
		started[nstarted++] = p->pid;
	close(o[1]);
	p->out = o[0];
}

void p_start(struct proc *p, char *const argv[], char *const env[], const char *errpath)
{
	start(p, argv, env, errpath, -1);
}

void p_start_fd(struct proc *p, char *const argv[], char *const env[], int errfd)
{
	start(p, argv, env, NULL, errfd);
}

const char *p_line(struct proc *p, int timeout_ms)
{
	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		struct pollfd pf = { .fd = p->out, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - p->buf);

			snprintf(p->line, sizeof(p->line), "%.*s", (int)l, p->buf);
			memmove(p->buf, nl + 1, p->len - l - 1);
			p->len -= l + 1;
			return p->line;
		}
		if (p->len == sizeof(p->buf) || poll(&pf, 1, timeout_ms) <= 0)
			return NULL;
		n = read(p->out, p->buf + p->len, sizeof(p->buf) - p->len);
		if (n <= 0)
			return NULL;
		p->len += (size_t)n;
	}
}

int p_wait(struct proc *p)
{
	int st;

	if (p->pid <= 0)
		return -1;
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < nstarted; i++)
		if (started[i] == p->pid)
			started[i] = 0;
	p->pid = 0;
	close(p->out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int p_stop(struct proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGTERM);
	return p_wait(p);
}

int tcp_talk(const char *src, int port, const char *request, char *out, size_t cap)
{
	return tcp_talk_to(src, "127.0.0.1", port, request, out, cap);
}

int tcp_talk_to(const char *src, const char *dst, int port, const char *request, char *out,
		size_t cap)
{
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	bool v6 = strchr(dst, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0;

	if (v6)
		inet_pton(AF_INET6, dst, &to6.sin6_addr);
	else
		inet_pton(AF_INET, dst, &to.sin_addr);
	if (src) {
		struct sockaddr_in from = { .sin_family = AF_INET };

		inet_pton(AF_INET, src, &from.sin_addr);
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
			goto fail;
	}
	if (v6 ? connect(fd, (struct sockaddr *)&to6, sizeof(to6)) :
		 connect(fd, (struct sockaddr *)&to, sizeof(to)))
		goto fail;
	if (request && write(fd, request, strlen(request)) < 0)
		goto fail;
	for (;;) {
		ssize_t n = read(fd, out + got, cap - 1 - got);

		if (n < 0 && errno == ECONNRESET)
			break;
		if (n < 0)
			goto fail;
		if (n == 0 || got + (size_t)n >= cap - 1) {
			got += (size_t)(n > 0 ? n : 0);
			break;
		}
		got += (size_t)n;
	}
	out[got] = '\0';
	close(fd);
	return (int)got;
fail:
	close(fd);
	return -1;
}

int wait_for_file(const char *path, int timeout_ms)
{
	char dir[512], *slash;
	int in = inotify_init1(IN_CLOEXEC), rc = -1;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	cr_assert_not_null(slash);
	*slash = '\0';
	/* watch first, then look: a file made in between is not missed */
	inotify_add_watch(in, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
	while (access(path, F_OK) != 0) {
		struct pollfd pf = { .fd = in, .events = POLLIN };
		char buf[4096];

		if (poll(&pf, 1, timeout_ms) <= 0)
			goto out;
		(void)!read(in, buf, sizeof(buf));
	}
	rc = 0;
out:
	close(in);
	return rc;
}

void p_track(pid_t pgid)
{
	/* never 1 (or less): kill(-1) would be everything */
	if (pgid > 1 && pgid != getpgrp() && nstarted < 32)
		started[nstarted++] = pgid;
}

int p_wait_ms(struct proc *p, int timeout_ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	struct pollfd pf = { .fd = pfd, .events = POLLIN };
	int ready;

	cr_assert_geq(pfd, 0, "pidfd_open %d: %s", (int)p->pid, strerror(errno));
	while ((ready = poll(&pf, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	close(pfd);
	return ready > 0 ? p_wait(p) : -1;
}

void follow_init(struct follow *f, const char *path, const char *needle)
{
	memset(f, 0, sizeof(*f));
	cr_assert_lt(strlen(needle), sizeof(f->carry));
	f->path = path;
	f->needle = needle;
	f->fd = -1;
}

void follow_close(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Count the needle in what was appended since the last look. */
static void follow_scan(struct follow *f)
{
	size_t nlen = strlen(f->needle);
	char buf[65536 + sizeof(f->carry)];
	ssize_t n;

	if (f->fd < 0)
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return;
	memcpy(buf, f->carry, f->ncarry);
	while ((n = read(f->fd, buf + f->ncarry, sizeof(buf) - sizeof(f->carry))) > 0) {
		size_t len = f->ncarry + (size_t)n;
		const char *at = buf, *end = buf + len;

		while ((at = memmem(at, (size_t)(end - at), f->needle, nlen))) {
			f->count++;
			at += nlen;
		}
		/* keep a tail too short to hold a whole needle: nothing is counted twice */
		f->ncarry = len < nlen - 1 ? len : nlen - 1;
		memmove(buf, end - f->ncarry, f->ncarry);
	}
	memcpy(f->carry, buf, f->ncarry);
}

int follow_wait(struct follow *f, int count, int timeout_ms)
{
	char dir[512], *slash;
	struct timespec t0, now;
	int in = inotify_init1(IN_CLOEXEC), rc = -1;

	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	cr_assert_not_null(slash);
	*slash = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* watch first, then look: what is written in between is not missed */
	inotify_add_watch(in, dir, IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE);
	for (;;) {
		struct pollfd pf = { .fd = in, .events = POLLIN };
		char buf[4096];
		long left;

		follow_scan(f);
		if (f->count >= count)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 +
				     (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			goto out;
		(void)!read(in, buf, sizeof(buf));
	}
	rc = 0;
out:
	close(in);
	return rc;
}

int wait_for_text(const char *path, const char *needle, int timeout_ms)
{
	struct follow f;
	int rc;

	follow_init(&f, path, needle);
	rc = follow_wait(&f, 1, timeout_ms);
	follow_close(&f);
	return rc;
}

void h_wait_port(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	long deadline = h_now_ms() + 20000;

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int rc = connect(fd, (struct sockaddr *)&to, sizeof(to));

		close(fd);
		if (rc == 0)
			return;
		cr_assert_lt(h_now_ms(), deadline, "nothing listens on port %d: %s", port,
			     h_slurp(h_path("server.err")));
		poll(NULL, 0, 20);
	}
}

const char *h_curl(const char *url)
{
	static char body[4096];
	struct result r = h_run((char *[]){ "timeout", "30", "curl", "-sS", "-g", "--noproxy", "*",
					    "--max-time", "20", (char *)url, NULL },
				(char *[]){ "LD_PRELOAD=", NULL }, false);

	cr_assert_eq(r.status, 0, "curl %s: %s", url, r.err);
	snprintf(body, sizeof(body), "%s", r.out);
	h_free(&r);
	return body;
}
