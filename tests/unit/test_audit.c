/* The audit line: its exact text, escaping, length bound and batching. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"

static char dir[64];
static char logpath[96];

/* Also after a failed assertion, which leaves the test before its own clean-up. */
static void audit_fini(void)
{
	if (logpath[0])
		unlink(logpath);
	if (dir[0])
		rmdir(dir);
}

TestSuite(audit, .fini = audit_fini);

static void log_setup(struct audit *a)
{
	strcpy(dir, "/tmp/fdb-audit-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
	cr_assert_eq(audit_open(a, logpath), 0);
}

static void log_teardown(struct audit *a)
{
	audit_close(a);
	unlink(logpath);
	rmdir(dir);
}

/* The whole log, NUL-terminated (caller frees). */
static char *log_text(void)
{
	FILE *f = fopen(logpath, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	cr_assert_not_null(f);
	cr_assert_not_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The line after "fdbroker[PID]: ", checking the prefix on the way. */
static const char *body_of(const char *line)
{
	regex_t re;
	regmatch_t m;
	char want[160];

	snprintf(want, sizeof(want),
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
		 "fdbroker\\[%d\\]: ", (int)getpid());
	cr_assert_eq(regcomp(&re, want, REG_EXTENDED), 0);
	cr_assert_eq(regexec(&re, line, 1, &m, 0), 0, "prefix of %s", line);
	regfree(&re);
	return line + m.rm_eo;
}

Test(audit, decision_line_exact)
{
	struct audit a;
	struct audit_rec r = {
		.pid = 4242, .uid = 65534, .gid = 65534, .prog = "my prog", .op = "open",
		.object = "/srv/a b\\c\nd\xc3\xa9", .detail = "rights=read", .verdict = "deny",
		.rule = "site.policy:3", .err = EACCES,
	};
	char *text;

	log_setup(&a);
	audit_decision(&a, &r);
	r.prog = NULL;
	r.detail = NULL;
	r.object = "/etc/shadow";
	r.verdict = "allow";
	r.err = 0;
	audit_decision(&a, &r);
	audit_note(&a, "refused pid=%d: %s", 7, "not in the tree");
	text = log_text();
	{
		char *l1 = text, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;

		*strchr(l1, '\n') = '\0';
		*strchr(l2, '\n') = '\0';
		cr_assert_str_eq(body_of(l1),
				 "pid=4242 uid=65534 gid=65534 prog=my\\x20prog op=open "
				 "object=/srv/a\\x20b\\x5cc\\x0ad\\xc3\\xa9 rights=read verdict=deny "
				 "rule=site.policy:3 errno=EACCES");
		cr_assert_str_eq(body_of(l2), "pid=4242 uid=65534 gid=65534 prog=? op=open "
					      "object=/etc/shadow verdict=allow rule=site.policy:3 errno=0");
		cr_assert_str_eq(body_of(l3), "refused pid=7: not in the tree\n");
	}
	free(text);
	log_teardown(&a);
}

Test(audit, long_object_is_cut_whole_line_kept)
{
	struct audit a;
	char *object = malloc(6000), *text;
	struct audit_rec r = { .pid = 1, .prog = "p", .op = "open", .verdict = "deny",
			       .rule = "default", .err = EACCES };

	cr_assert_not_null(object);
	memset(object, ' ', 5999); /* every byte escaped: 24,000 bytes wanted */
	object[0] = '/';
	object[5999] = '\0';
	r.object = object;
	log_setup(&a);
	audit_decision(&a, &r);
	audit_note(&a, "after");
	text = log_text();
	{
		char *nl = strchr(text, '\n');

		cr_assert_not_null(nl);
		cr_assert_leq((size_t)(nl - text) + 1, 8192, "line of %zu bytes", (size_t)(nl - text) + 1);
		*nl = '\0';
		/* the verdict is never cut off; 1,536 of the 5,999 bytes fit in 6,144 escaped */
		cr_assert(strstr(text, "\\x20 object-cut=4463 verdict=deny rule=default errno=EACCES"),
			  "%.80s...%s", text, nl - 120);
		*nl = '\n';
		cr_assert_str_eq(body_of(nl + 1), "after\n");
	}
	free(text);
	free(object);
	log_teardown(&a);
}

Test(audit, held_lines_wait_for_flush)
{
	struct audit a;
	char *text;

	log_setup(&a);
	audit_hold(&a, true);
	for (int i = 0; i < 500; i++) /* more than the buffer holds: flushed on the way */
		audit_note(&a, "line %d of a batch", i);
	audit_note(&a, "last");
	text = log_text();
	cr_assert_null(strstr(text, "last"), "a held line was written before the flush");
	free(text);
	audit_flush(&a);
	text = log_text();
	{
		int n = 0;

		for (char *p = text; (p = strchr(p, '\n')); p++)
			n++;
		cr_assert_eq(n, 501);
		cr_assert_not_null(strstr(text, "]: last\n"));
	}
	free(text);
	audit_hold(&a, false);
	audit_note(&a, "straight through");
	text = log_text();
	cr_assert_not_null(strstr(text, "]: straight through\n"));
	free(text);
	log_teardown(&a);
}

/* No byte of text below ' ' but newlines (each test checks its lines), no DEL or non-ASCII. */
static void no_raw_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		cr_assert((*p >= ' ' && *p < 0x7f) || *p == '\n', "raw byte 0x%02x at %td in:\n%s",
			  *p, (const char *)p - text, text);
}

/* The program name (comm, any 15 bytes the client chose) in notes, as decision lines write it. */
Test(audit, notes_escape_client_fields_and_control_bytes)
{
	struct audit a;
	struct audit_rec r = { .pid = 9, .uid = 65534, .gid = 65534, .prog = "a\rb\x1b[2Jc\nd",
			       .op = "open", .object = "/x", .detail = "peer=\x1b\r", .verdict = "deny",
			       .rule = "default", .err = EACCES };
	char esc[AUDIT_PROG_ESC], *text;

	log_setup(&a);
	audit_note(&a, "refused pid=%d uid=%u prog=%s: not in the program's process tree", 9,
		   65534u, audit_escape(r.prog, esc, sizeof(esc)));
	/* a client field that reached a note without audit_escape: no control byte either */
	audit_note(&a, "pid=%d prog=%s: protocol version 2", 9, r.prog);
	audit_note(&a, "raw \x7f\xc3\xa9 tab\there");
	audit_decision(&a, &r);
	text = log_text();
	no_raw_control(text);
	{
		char *l[4];

		l[0] = text;
		for (int i = 1; i < 4; i++) {
			l[i] = strchr(l[i - 1], '\n') + 1;
			l[i][-1] = '\0';
		}
		*strchr(l[3], '\n') = '\0';
		cr_assert_str_eq(body_of(l[0]), "refused pid=9 uid=65534 prog=a\\x0db\\x1b[2Jc\\x0ad: "
						"not in the program's process tree");
		cr_assert_str_eq(body_of(l[1]), "pid=9 prog=a\\x0db\\x1b[2Jc\\x0ad: protocol version 2");
		cr_assert_str_eq(body_of(l[2]), "raw \\x7f\\xc3\\xa9 tab\\x09here");
		cr_assert_str_eq(body_of(l[3]), "pid=9 uid=65534 gid=65534 prog=a\\x0db\\x1b[2Jc\\x0ad "
						"op=open object=/x peer=\\x1b\\x0d verdict=deny "
						"rule=default errno=EACCES");
	}
	free(text);
	log_teardown(&a);
}

/* audit_escape: exactly the decision line's escaping, cut to the buffer. */
Test(audit, escape_for_notes)
{
	char buf[AUDIT_PROG_ESC], small[6];

	cr_assert_str_eq(audit_escape("my prog\\", buf, sizeof(buf)), "my\\x20prog\\x5c");
	cr_assert_str_eq(audit_escape(NULL, buf, sizeof(buf)), "?");
	{
		char all[16], out[AUDIT_PROG_ESC];

		memset(all, '\x1b', 15);
		all[15] = '\0';
		cr_assert_eq(strlen(audit_escape(all, out, sizeof(out))), 60);
	}
	/* no escape is cut in two */
	cr_assert_str_eq(audit_escape("\r\r", small, sizeof(small)), "\\x0d");
}

/* The stderr destination (run's default, a journal under systemd) escapes the same. */
Test(audit, stderr_destination_escapes_notes)
{
	struct audit a;
	char esc[AUDIT_PROG_ESC], *text;
	int saved = dup(STDERR_FILENO), fd;

	strcpy(dir, "/tmp/fdb-audit-unit.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_geq(saved, 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
	cr_assert_eq(audit_open(&a, NULL), 0);
	audit_note(&a, "pid=1 prog=%s: malformed open request: client dropped",
		   audit_escape("e\x1b]0;x\a\r", esc, sizeof(esc)));
	audit_close(&a);
	dup2(saved, STDERR_FILENO);
	close(saved);
	text = log_text();
	no_raw_control(text);
	cr_assert_str_eq(body_of(text), "pid=1 prog=e\\x1b]0;x\\x07\\x0d: malformed open request: "
					"client dropped\n");
	free(text);
	unlink(logpath);
	rmdir(dir);
}
