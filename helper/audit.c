/* The audit trail; see audit.h for the line format. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

int audit_open(struct audit *a, const char *dest)
{
	a->fd = -1;
	a->use_syslog = false;
	a->own_fd = false;
	if (!dest || strcmp(dest, "stderr") == 0) {
		a->fd = STDERR_FILENO;
		return 0;
	}
	if (strcmp(dest, "syslog") == 0) {
		openlog("fdbroker", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		a->use_syslog = true;
		return 0;
	}
	a->fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (a->fd < 0)
		return -1;
	a->own_fd = true;
	return 0;
}

void audit_close(struct audit *a)
{
	if (a->own_fd)
		close(a->fd);
	if (a->use_syslog)
		closelog();
	a->fd = -1;
}

int audit_reopen(struct audit *a, const char *dest)
{
	int fd;

	if (!a->own_fd)
		return 0;
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -1;
	dup3(fd, a->fd, O_CLOEXEC);
	close(fd);
	return 0;
}

/* Copy s, escaping what would break a space-separated line. */
static void escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '\\' || c >= 0x7f) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

static void emit(struct audit *a, const char *body)
{
	char line[8192];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int saved = errno;

	if (a->use_syslog) {
		syslog(LOG_NOTICE, "%s", body);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(line + n, sizeof(line) - n, ".%03ldZ fdbroker[%d]: %s\n", ts.tv_nsec / 1000000,
		 (int)getpid(), body);
	/* one write per line, so lines from one broker never interleave */
	(void)!write(a->fd, line, strlen(line));
	errno = saved;
}

void audit_decision(struct audit *a, const struct audit_rec *r)
{
	char body[6144], prog[64], object[4608];
	const char *ename = r->err ? strerrorname_np(r->err) : "0";

	escape(r->prog ? r->prog : "?", prog, sizeof(prog));
	escape(r->object, object, sizeof(object));
	snprintf(body, sizeof(body),
		 "pid=%d uid=%u gid=%u prog=%s op=%s object=%s%s%s verdict=%s rule=%s errno=%s",
		 (int)r->pid, (unsigned)r->uid, (unsigned)r->gid, prog, r->op, object,
		 r->detail ? " " : "", r->detail ? r->detail : "", r->verdict, r->rule,
		 ename ? ename : "?");
	emit(a, body);
}

void audit_note(struct audit *a, const char *fmt, ...)
{
	char body[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	emit(a, body);
}
