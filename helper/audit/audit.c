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
#include "audit/audit.h"

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
	*a = (struct audit){ .fd = -1, .path = dest ? dest : "stderr", .pid = getpid(), .sec = -1,
			     .journal = { .fd = -1 } };
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
	if (strcmp(dest, "journal") == 0) {
		if (journal_open(&a->journal) < 0)
			return -1;
		a->use_journal = true;
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
	if (a->use_journal) {
		/* no entry went through since: the count would otherwise be told nowhere */
		if (a->lost)
			fprintf(stderr, "fdbroker: audit log journal: %lu %s lost\n", a->lost,
				a->lost == 1 ? "line was" : "lines were");
		journal_close(&a->journal);
	}
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

/* "YYYY-MM-DDTHH:MM:SS": gmtime_r and strftime once a second, not once a line. */
static void new_second(struct audit *a, time_t sec)
{
	struct tm tm;

	a->sec = sec;
	gmtime_r(&sec, &tm);
	strftime(a->stamp, sizeof(a->stamp), "%Y-%m-%dT%H:%M:%S", &tm);
}

/*
 * A line built in a fixed buffer by appending, without printf: a line per
 * request makes formatting a visible share of the broker's time.  Appends
 * stop at the end of the buffer, keeping one byte for the newline.
 */
struct line {
	char *p;
	size_t len, cap;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - 1 - l->len)
		n = l->cap - 1 - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void put_str(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void put_num(struct line *l, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	put(l, d + i, sizeof(d) - i);
}

/*
 * s with every byte keep() refuses written as "\xHH".  Two degrees:
 * client fields (a program name, an object) are escaped fully, so a line
 * never contains a space, backslash or non-ASCII byte it did not write;
 * the broker's own text keeps its spaces, but no control byte or non-ASCII
 * byte of any origin reaches the log raw (a terminal that shows the log
 * must not be driven by it, and a newline must not start a forged line).
 */
static bool keep_field(unsigned char c)
{
	return c > ' ' && c != '\\' && c < 0x7f;
}

static bool keep_text(unsigned char c)
{
	return c >= ' ' && c < 0x7f;
}

/* How many bytes of s it wrote whole: all of them unless the line ran out of room. */
static size_t put_filtered(struct line *l, const char *s, bool (*keep)(unsigned char))
{
	static const char hex[] = "0123456789abcdef";
	const char *start = s;

	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		size_t room = l->cap - 1 - l->len;

		if (c && keep(c))
			continue;
		if ((size_t)(s - run) > room) {
			put(l, run, room);
			return (size_t)(run - start) + room;
		}
		put(l, run, (size_t)(s - run));
		if (!c)
			return (size_t)(s - start);
		if (room - (size_t)(s - run) < 4)
			return (size_t)(s - start);
		put(l, (const char[]){ '\\', 'x', hex[c >> 4], hex[c & 15] }, 4);
		run = s + 1;
	}
}

static void put_escaped(struct line *l, const char *s)
{
	put_filtered(l, s, keep_field);
}

/* The broker's own words: its spaces stay, control bytes do not. */
static void put_text(struct line *l, const char *s)
{
	put_filtered(l, s, keep_text);
}

const char *audit_escape(const char *s, char *buf, size_t cap)
{
	struct line l = { buf, 0, cap };

	if (cap == 0)
		return "";
	put_escaped(&l, s ? s : "?");
	buf[l.len] = '\0';
	return buf;
}

/* "STAMP.mmmZ fdbroker[PID]: " */
static void put_prefix(struct line *l, const struct audit *a, const struct timespec *ts)
{
	long ms = ts->tv_nsec / 1000000;

	put_str(l, a->stamp);
	put(l, (const char[]){ '.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10),
			       (char)('0' + ms % 10), 'Z' }, 5);
	put(l, " fdbroker[", 10);
	put_num(l, (unsigned long)a->pid);
	put(l, "]: ", 3);
}

/* "STAMP.mmmZ fdbroker[PID]: BODY\n" into out (cut to fit, newline kept); its length. */
static size_t format_line(const struct audit *a, const struct timespec *ts, const char *body,
			  char *out, size_t cap)
{
	struct line l = { out, 0, cap };

	put_prefix(&l, a, ts);
	put_text(&l, body);
	l.p[l.len++] = '\n';
	return l.len;
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

/* s as the broker's own text of a line: control and non-ASCII bytes "\xHH". */
static const char *text_escape(const char *s, char *buf, size_t cap)
{
	struct line l = { buf, 0, cap };

	put_text(&l, s ? s : "?");
	buf[l.len] = '\0';
	return buf;
}

/*
 * One journal entry: the line (already escaped) as MESSAGE, and for a
 * decision its parts as fields, escaped as the line escapes them, so no
 * field holds a byte the line would not (a newline, a terminal escape).
 */
static int journal_entry(struct audit *a, const char *message, int prio, const struct audit_rec *r)
{
	char pri[16], pid[24], uid[24], gid[24], prog[AUDIT_PROG_ESC];
	char op[64], verdict[64], rule[1024], detail[1024], object[4 * 4096 + 1];
	const char *ename;
	struct journal_field f[16] = {
		{ "MESSAGE", message },
		{ "PRIORITY", pri },
		{ "SYSLOG_IDENTIFIER", "fdbroker" },
		{ "SYSLOG_FACILITY", "10" }, /* authpriv, as --log syslog */
	};
	size_t n = 4;

	snprintf(pri, sizeof(pri), "%d", prio);
	if (r) {
		ename = r->err ? strerrorname_np(r->err) : "0";
		snprintf(pid, sizeof(pid), "%ld", (long)r->pid);
		snprintf(uid, sizeof(uid), "%lu", (unsigned long)r->uid);
		snprintf(gid, sizeof(gid), "%lu", (unsigned long)r->gid);
		f[n++] = (struct journal_field){ "FDBROKER_OP", text_escape(r->op, op, sizeof(op)) };
		f[n++] = (struct journal_field){ "FDBROKER_OBJECT",
						 audit_escape(r->object, object, sizeof(object)) };
		if (r->detail)
			f[n++] = (struct journal_field){ "FDBROKER_DETAIL",
							 text_escape(r->detail, detail, sizeof(detail)) };
		f[n++] = (struct journal_field){ "FDBROKER_VERDICT",
						 text_escape(r->verdict, verdict, sizeof(verdict)) };
		f[n++] = (struct journal_field){ "FDBROKER_RULE", text_escape(r->rule, rule, sizeof(rule)) };
		f[n++] = (struct journal_field){ "FDBROKER_ERRNO", ename ? ename : "?" };
		f[n++] = (struct journal_field){ "FDBROKER_UID", uid };
		f[n++] = (struct journal_field){ "FDBROKER_GID", gid };
		f[n++] = (struct journal_field){ "FDBROKER_PROG",
						 audit_escape(r->prog, prog, sizeof(prog)) };
		f[n++] = (struct journal_field){ "OBJECT_PID", pid };
		if (r->via)
			f[n++] = (struct journal_field){ "FDBROKER_VIA", r->via };
	}
	return journal_send(&a->journal, f, n);
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
	if (a->use_journal) {
		if (journal_entry(a, note, LOG_WARNING, NULL) < 0)
			return false;
	} else {
		len = format_line(a, &ts, note, line, sizeof(line));
		if (write_all(a, line, len) < 0)
			return false;
	}
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
	a->hold = on && !a->use_syslog && !a->use_journal;
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

/*
 * A line to the journal, or counted lost as a line the disk refused: a full
 * journal (its queue of net.unix.max_dgram_qlen entries waiting) fails at
 * once with EAGAIN, never blocks the broker.
 */
static void journal_line(struct audit *a, const char *message, int prio, const struct audit_rec *r)
{
	if (a->lost && !back_again(a)) {
		a->lost++;
		return;
	}
	if (journal_entry(a, message, prio, r) < 0)
		lost_lines(a, errno, 1);
}

/* A decision's journal priority: see audit.h. */
static int verdict_priority(const char *verdict)
{
	if (strcmp(verdict, "allow") == 0)
		return LOG_INFO;
	if (strcmp(verdict, "deny") == 0)
		return LOG_NOTICE;
	if (strcmp(verdict, "error") == 0)
		return LOG_ERR;
	return LOG_WARNING;
}

/* Start a line: its prefix, unless syslog or the journal adds its own. */
static void line_begin(struct audit *a, struct line *l)
{
	struct timespec ts;

	if (a->use_syslog || a->use_journal)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != a->sec) {
		new_second(a, ts.tv_sec);
		if (a->regular)
			check_removed(a, &ts);
	}
	put_prefix(l, a, &ts);
}

static void line_end(struct audit *a, struct line *l, int prio, const struct audit_rec *r)
{
	if (a->use_journal) {
		l->p[l->len] = '\0';
		journal_line(a, l->p, prio, r);
		return;
	}
	if (a->use_syslog) {
		l->p[l->len] = '\0';
		syslog(LOG_NOTICE, "%s", l->p);
		return;
	}
	l->p[l->len++] = '\n';
	put_line(a, l->p, l->len);
}

/*
 * A line is at most DECISION_LINE bytes (what a syslog daemon passes whole;
 * rsyslog's default).  An object escaped is up to four times as long as it
 * is (a path of spaces or control bytes, a directory's name plus a relative
 * one), so it gets OBJECT_ROOM of the line at most and the fields after it
 * (verdict, rule, errno) always fit; a longer one ends there, and
 * " object-cut=N" says how many of its bytes the line leaves out (no
 * escaped object holds a space, so the field cannot be forged).
 */
#define DECISION_LINE 8192
#define OBJECT_ROOM 6144

static void put_object(struct line *l, const char *object)
{
	struct line part = { l->p + l->len, 0, OBJECT_ROOM + 1 };
	size_t done, whole;

	if (part.cap > l->cap - l->len)
		part.cap = l->cap - l->len;
	done = put_filtered(&part, object, keep_field);
	l->len += part.len;
	whole = strlen(object + done);
	if (whole) {
		put_str(l, " object-cut=");
		put_num(l, whole);
	}
}

void audit_decision(struct audit *a, const struct audit_rec *r)
{
	char buf[DECISION_LINE];
	struct line l = { buf, 0, sizeof(buf) };
	const char *ename = r->err ? strerrorname_np(r->err) : "0";
	int saved = errno;

	line_begin(a, &l);
	put_str(&l, "pid=");
	put_num(&l, (unsigned long)r->pid);
	put_str(&l, " uid=");
	put_num(&l, r->uid);
	put_str(&l, " gid=");
	put_num(&l, r->gid);
	put_str(&l, " prog=");
	put_escaped(&l, r->prog ? r->prog : "?");
	put_str(&l, " op=");
	put_text(&l, r->op);
	put_str(&l, " object=");
	put_object(&l, r->object);
	if (r->detail) {
		put_str(&l, " ");
		put_text(&l, r->detail);
	}
	put_str(&l, " verdict=");
	put_text(&l, r->verdict);
	put_str(&l, " rule=");
	put_text(&l, r->rule);
	put_str(&l, " errno=");
	put_str(&l, ename ? ename : "?");
	if (r->via) {
		put_str(&l, " via=");
		put_text(&l, r->via);
	}
	line_end(a, &l, verdict_priority(r->verdict), r);
	errno = saved;
}

__attribute__((format(printf, 3, 0)))
static void note(struct audit *a, int prio, const char *fmt, va_list ap)
{
	char body[2048], buf[8192]; /* room for body escaped */
	struct line l = { buf, 0, sizeof(buf) };
	int saved = errno;

	vsnprintf(body, sizeof(body), fmt, ap);
	line_begin(a, &l);
	put_text(&l, body);
	line_end(a, &l, prio, NULL);
	errno = saved;
}

void audit_note(struct audit *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(a, LOG_WARNING, fmt, ap);
	va_end(ap);
}

void audit_info(struct audit *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(a, LOG_INFO, fmt, ap);
	va_end(ap);
}
