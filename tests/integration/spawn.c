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
#include <sys/wait.h>
#include <unistd.h>

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

void p_start(struct proc *p, char *const argv[], char *const env[], const char *errpath)
{
	int o[2];

	memset(p, 0, sizeof(*p));
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		int e = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

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
