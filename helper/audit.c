/*
 * The audit trail; see audit.h for the line format.
 *
 * A log that cannot be written (disk full, quota, I/O error, file too big)
 * must not stop the broker, nor fill the journal: the first line lost in an
 * outage is reported on stderr (the journal under systemd), later ones are
 * only counted, and when a line goes through again the log and stderr both
 * say how many were lost.  Nothing is reported on stderr when stderr is
 * the log itself.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY)

/* What kind of file the log is: only a regular file can be removed and re-created. */
static void describe(struct audit *a)
{
	struct stat st, err;

	a->regular = false;
	a->is_stderr = a->fd == STDERR_FILENO;
	if (fstat(a->fd, &st) < 0)
		return;
	a->regular = S_ISREG(st.st_mode);
	/* --log /dev/stderr, or a file that stderr was sent to as well */
	if (fstat(STDERR_FILENO, &err) == 0 && st.st_dev == err.st_dev && st.st_ino == err.st_ino)
		a->is_stderr = true;
}

int audit_open(struct audit *a, const char *dest)
{
	/*
	 * The pid is read once: the broker never writes the audit from a child.
	 * serve does not fork; run forks PROGRAM only to exec it, and that child
	 * (child_exec in run.c) reports its failures on stderr, not here.
	 */
	*a = (struct audit){ .fd = -1, .path = dest ? dest : "stderr", .pid = getpid(), .sec = -1 };
	if (!dest || strcmp(dest, "stderr") == 0) {
		a->fd = STDERR_FILENO;
		a->is_stderr = true;
		return 0;
	}
	if (strcmp(dest, "syslog") == 0) {
		openlog("fdbroker", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		a->use_syslog = true;
		return 0;
	}
	a->fd = open(dest, LOG_FLAGS, 0640);
	if (a->fd < 0)
		return -1;
	a->own_fd = true;
	describe(a);
	return 0;
}

void audit_close(struct audit *a)
{
	if (a->fd >= 0)
		audit_flush(a);
	if (a->own_fd)
		close(a->fd);
	if (a->use_syslog)
		closelog();
	a->fd = -1;
}

int audit_reopen(struct audit *a, const char *dest)
{
	int fd, saved;

	if (!a->own_fd)
		return 0;
	audit_flush(a); /* what was decided before belongs to the old file */
	fd = open(dest, LOG_FLAGS, 0640);
	if (fd < 0)
		return -1;
	if (dup3(fd, a->fd, O_CLOEXEC) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	a->path = dest;
	a->gone_told = false;
	describe(a);
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

/* "YYYY-MM-DDTHH:MM:SS": gmtime_r and strftime once a second, not once a line. */
static void new_second(struct audit *a, time_t sec)
{
	struct tm tm;

	a->sec = sec;
	gmtime_r(&sec, &tm);
	strftime(a->stamp, sizeof(a->stamp), "%Y-%m-%dT%H:%M:%S", &tm);
}

/* "STAMP.mmmZ fdbroker[PID]: BODY\n" into out (cut to fit, newline kept); its length. */
static size_t format_line(const struct audit *a, const struct timespec *ts, const char *body,
			  char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s.%03ldZ fdbroker[%d]: %s\n", a->stamp,
			 ts->tv_nsec / 1000000, (int)a->pid, body);
	size_t len = n < 0 ? 0 : (size_t)n;

	if (len > cap - 1) {
		len = cap - 1;
		out[len - 1] = '\n';
	}
	return len;
}

/*
 * Whole lines, one write(2), so lines from one broker never interleave with
 * another writer's.  When the kernel stops short (it ran out of space
 * partway through), the rest is asked for at once: that either completes
 * the lines or fails with the errno that says why.  A line left partial
 * marks the log broken, and the next write starts with a newline so it
 * does not run on from the stump.  0, or -1 with errno (0: no progress).
 */
static int write_all(struct audit *a, const char *p, size_t len)
{
	size_t done = 0;

	if (a->broken && write(a->fd, "\n", 1) != 1)
		return -1;
	a->broken = false;
	while (done < len) {
		ssize_t w = write(a->fd, p + done, len - done);

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = 0;
		if (done)
			a->broken = p[done - 1] != '\n';
		return -1;
	}
	return 0;
}

/* Lines that did not make it: counted; the first of an outage is told on stderr. */
static void lost_lines(struct audit *a, int err, unsigned long n)
{
	bool first = a->lost == 0;

	a->lost += n;
	if (!first || a->is_stderr)
		return;
	fprintf(stderr, "fdbroker: audit log %s: %s; decisions are not being recorded until "
		"it can be written again\n", a->path, err ? strerror(err) : "short write");
}

/*
 * After an outage, the first lines to go through are preceded by one that
 * says how many were lost, in the log and on stderr.  False while the log
 * still cannot be written.
 */
static bool back_again(struct audit *a)
{
	char note[128], line[256];
	struct timespec ts;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(note, sizeof(note), "audit log writable again; %lu %s lost", a->lost,
		 a->lost == 1 ? "line was" : "lines were");
	len = format_line(a, &ts, note, line, sizeof(line));
	if (write_all(a, line, len) < 0)
		return false;
	if (!a->is_stderr)
		fprintf(stderr, "fdbroker: audit log %s writable again; %lu %s lost\n", a->path,
			a->lost, a->lost == 1 ? "line was" : "lines were");
	a->lost = 0;
	return true;
}

/* n whole lines to the log now, or counted lost. */
static void write_lines(struct audit *a, const char *p, size_t len, unsigned long n)
{
	if (a->lost && !back_again(a)) {
		a->lost += n;
		return;
	}
	if (write_all(a, p, len) < 0)
		lost_lines(a, errno, n);
}

void audit_flush(struct audit *a)
{
	int saved = errno;

	if (!a->held)
		return;
	write_lines(a, a->buf, a->buflen, a->held);
	a->buflen = 0;
	a->held = 0;
	errno = saved;
}

void audit_hold(struct audit *a, bool on)
{
	a->hold = on && !a->use_syslog;
	if (!a->hold)
		audit_flush(a);
}

/* One line: into the held batch, or straight to the log. */
static void put_line(struct audit *a, const char *line, size_t len)
{
	if (!a->hold) {
		write_lines(a, line, len, 1);
		return;
	}
	if (a->buflen + len > sizeof(a->buf))
		audit_flush(a);
	if (len > sizeof(a->buf)) {
		write_lines(a, line, len, 1);
		return;
	}
	memcpy(a->buf + a->buflen, line, len);
	a->buflen += len;
	a->held++;
}

/*
 * A removed log file (a careless rm, logrotate without the SIGHUP) takes
 * every line and looks healthy: writes to an unlinked file succeed.  Once a
 * second fstat says whether the file still has a name; if not, it is
 * created again at its path and moved onto our descriptor, as audit_reopen
 * does, and its first line says why.  O_NOFOLLOW: the directory may have
 * changed hands, and a symlink planted there must not make root append to
 * another file.  If that fails (the directory is gone too), the broker says
 * so once, writes on to the removed file and tries again next second.
 */
static void check_removed(struct audit *a, const struct timespec *ts)
{
	char note[4200], line[4300];
	struct stat st;
	int fd, err;

	if (fstat(a->fd, &st) < 0 || st.st_nlink > 0)
		return;
	audit_flush(a); /* lines made before the check belong to the old file */
	fd = open(a->path, LOG_FLAGS | O_NOFOLLOW, 0640);
	if (fd < 0 || dup3(fd, a->fd, O_CLOEXEC) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		if (!a->gone_told && !a->is_stderr)
			fprintf(stderr, "fdbroker: audit log %s was removed and cannot be re-created: "
				"%s; writing on to the removed file\n", a->path, strerror(err));
		a->gone_told = true;
		return;
	}
	close(fd);
	a->gone_told = false;
	a->broken = false; /* a stump is in the old file, not this one */
	describe(a);
	snprintf(note, sizeof(note), "audit log %s was removed; re-created it", a->path);
	if (!a->is_stderr)
		fprintf(stderr, "fdbroker: %s\n", note);
	put_line(a, line, format_line(a, ts, note, line, sizeof(line)));
}

static void emit(struct audit *a, const char *body)
{
	char line[8192];
	struct timespec ts;
	int saved = errno;

	if (a->use_syslog) {
		syslog(LOG_NOTICE, "%s", body);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != a->sec) {
		new_second(a, ts.tv_sec);
		if (a->regular)
			check_removed(a, &ts);
	}
	put_line(a, line, format_line(a, &ts, body, line, sizeof(line)));
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
