/*
 * Control characters in every log line (issue 12, item 10): a client whose
 * program name (comm, PR_SET_NAME) holds a carriage return and an escape
 * gets decision lines and notes (protocol version refused, malformed
 * message, over its connection limit, outside the run tree) that all write
 * the name escaped, and the log file holds no raw control byte at all.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000
/* CR, ESC and an ANSI "clear screen": "\x1b" "c" so that C does not read \x1bc */
#define NAME "a\rb\x1b" "c[2J"
#define NAME_ESC "prog=a\\x0db\\x1bc[2J"

static struct gated_run run; /* run_tree_...: stopped by .fini on failure */

static void escape_fini(void)
{
	h_gated_stop(&run);
	p_kill_all();
	h_cleanup();
}

TestSuite(escape, .fini = escape_fini, .timeout = 60);

/* Every byte of the log is printable ASCII or the newline ending a line. */
static void no_raw_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		cr_assert((*p >= ' ' && *p < 0x7f) || *p == '\n',
			  "raw byte 0x%02x at offset %td of the log:\n%s", *p,
			  (const char *)p - text, text);
	cr_assert_null(strstr(text, NAME));
}

/* Lines of the log that name our client's program: each has the escaped form. */
static long named_lines(const char *text, long want)
{
	long n = h_count_lines(text, NAME_ESC, NULL);

	cr_assert_eq(n, want, "%ld lines with %s, not %ld:\n%s", n, NAME_ESC, want, text);
	return n;
}

/* rawclient -n NAME as nobody against srv, run to completion: its line. */
static const char *raw_named(const struct served *srv, char *const args[])
{
	char *argv[16] = { (char *)h_rawclient(), "-n", NAME, "-u", "65534", "-g", "65534",
			   (char *)srv->sock };
	static char line[256];
	struct result r;
	int n = 8;

	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = h_run(argv, NULL, false);
	cr_assert_eq(r.status, 0, "rawclient %s: %d %s %s", args[0], r.status, r.out, r.err);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	h_free(&r);
	return line;
}

Test(escape, serve_decision_and_notes_escape_the_program_name)
{
	const char *secret = h_file("secret", "root only\n", 0600);
	char text[1024], *log;
	struct served srv;
	struct proc hold;
	const char *line;

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	served_start_args(&srv, h_file("policy", text, 0644),
			  (char *[]){ "--max-clients-per-user", "2", NULL }, WAIT_MS);
	/* a decision line */
	cr_assert_str_eq(raw_named(&srv, (char *[]){ "open", (char *)secret, "1", NULL }), "ok 1");
	/* notes: a protocol version refused, a malformed request */
	raw_named(&srv, (char *[]){ "hostile", "version2", "1", (char *)secret, NULL });
	raw_named(&srv, (char *[]){ "hostile", "body_short_open", "1", NULL });
	/* a note: over the connection limit (once the clients above are gone from the broker) */
	for (int i = 0; i < WAIT_MS / 10 && served_fds(&srv) > srv.base_fds; i++)
		usleep(10000);
	cr_assert_leq(served_fds(&srv), srv.base_fds);
	p_start(&hold,
		(char *[]){ (char *)h_rawclient(), "-n", NAME, "-u", "65534", "-g", "65534",
			    (char *)srv.sock, "hold", (char *)secret, "3", NULL },
		NULL, h_path("hold.err"));
	line = p_line(&hold, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "served 2 refused 1");
	p_stop(&hold);
	cr_assert_eq(wait_for_text(srv.log, "malformed open request", WAIT_MS), 0);
	cr_assert_eq(served_stop(&srv), 0);

	log = h_slurp_must(srv.log);
	no_raw_control(log);
	cr_assert_eq(h_count_lines(log, NAME_ESC " op=open", "verdict=allow"), 3, "%s", log);
	cr_assert_eq(h_count_lines(log, NAME_ESC ": protocol version 6", NULL), 1, "%s", log);
	cr_assert_eq(h_count_lines(log, NAME_ESC ": uid 65534 has 2 connections already", NULL), 1,
		     "%s", log);
	cr_assert_eq(h_count_lines(log, "malformed open request: client dropped", NULL), 1, "%s",
		     log);
	named_lines(log, 5);
	free(log);
}

/* Under run: a process of the same user outside the tree, refused with a note. */
Test(escape, run_tree_refusal_escapes_the_program_name)
{
	char *log;
	struct proc stall;
	const char *line;

	h_gated_start(&run);
	/* rawclient is no descendant of the broker: refused, with its name in the note */
	p_start(&stall,
		(char *[]){ (char *)h_rawclient(), "-n", NAME, "-u", "65534", "-g", "65534", run.sock,
			    "stall", "silent", NULL },
		NULL, h_path("stall.err"));
	line = p_line(&stall, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "stalled");
	cr_assert_eq(wait_for_text(h_path("audit.log"), "not in the program's process tree",
				   WAIT_MS), 0);
	p_stop(&stall);
	h_gated_release(&run);
	log = h_slurp_must(h_path("audit.log"));
	no_raw_control(log);
	cr_assert_eq(h_count_lines(log, NAME_ESC ": not in the program's process tree", "uid=65534"),
		     1, "%s", log);
	named_lines(log, 1);
	free(log);
}
