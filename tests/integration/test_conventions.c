/*
 * Command-line conventions: --version, help on stdout, errors prefixed with
 * the command, plurals, a missing program found as the user's shell would
 * (127), serve refusing to start without root.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(conventions, .fini = h_cleanup, .timeout = 60);

static struct result tool(char *const *args, char *const *env, bool as_nobody)
{
	return h_fdbroker_cmd(args, env, as_nobody);
}

/* "fdbroker (0.1.0-1) unstable; ..." -> "fdbroker 0.1.0-1\n" */
Test(conventions, version_is_the_changelog_s)
{
	char *log = h_slurp_must(h_srcfile("debian", "changelog"));
	char *open = strchr(log, '('), *close = open ? strchr(open, ')') : NULL, want[128];
	struct result r;

	cr_assert(open && close && close < strchr(log, '\n'), "%s", log);
	snprintf(want, sizeof(want), "fdbroker %.*s\n", (int)(close - open - 1), open + 1);
	free(log);
	r = tool((char *[]){ "--version", NULL }, NULL, false);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, want);
	cr_assert_str_empty(r.err);
	h_free(&r);
}

/* run --help and help run: the same full usage, on stdout, exit 0. */
Test(conventions, command_help_on_stdout)
{
	struct result a = tool((char *[]){ "run", "--help", NULL }, NULL, false);
	struct result b = tool((char *[]){ "help", "run", NULL }, NULL, false);

	cr_assert_eq(a.status, 0);
	cr_assert_str_empty(a.err);
	cr_assert(!strncmp(a.out, "usage: fdbroker run ", 20), "%s", a.out);
	/* full: the options with their meaning, not one line */
	cr_assert(strstr(a.out, "\nOptions:\n") && strstr(a.out, "--stop-grace SECONDS"), "%s",
		  a.out);
	cr_assert_null(strstr(a.out, "--socket"), "run has no -s: %s", a.out);
	cr_assert_eq(b.status, 0);
	cr_assert_str_eq(b.out, a.out);
	h_free(&a);
	h_free(&b);
	b = tool((char *[]){ "help", "nosuchcommand", NULL }, NULL, false);
	cr_assert_eq(b.status, 2);
	cr_assert_str_eq(b.err, "fdbroker help: unknown command 'nosuchcommand'\n");
	h_free(&b);
}

/* getopt's own messages would say "run: unrecognized option". */
Test(conventions, option_errors_name_the_command)
{
	struct result r = tool((char *[]){ "run", "--bogus", "--", "true", NULL }, NULL, false);

	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, "fdbroker run: unknown option '--bogus'\nTry 'fdbroker help run'.\n");
	h_free(&r);
	r = tool((char *[]){ "serve", "-s", NULL }, NULL, false);
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, "fdbroker serve: option '-s' needs an argument\n"
				"Try 'fdbroker help serve'.\n");
	h_free(&r);
	r = tool((char *[]){ "check", "--policy", NULL }, NULL, false);
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "fdbroker check: option '--policy' needs an argument\n"
				"Try 'fdbroker help check'.\n");
	h_free(&r);
}

Test(conventions, rule_count_plural)
{
	const char *one = h_file("one.policy", "allow user nobody open /etc/shadow read\n", 0644);
	const char *two = h_file("two.policy", "allow user nobody open /etc/shadow read\n"
					       "allow user nobody bind tcp 127.0.0.1:80\n", 0644);
	struct result r = tool((char *[]){ "check", "-p", (char *)one, NULL }, NULL, false);

	cr_assert_str_eq(r.out, "1 rule, no errors\n", "%s", r.err);
	h_free(&r);
	r = tool((char *[]){ "check", "-p", (char *)two, NULL }, NULL, false);
	cr_assert_str_eq(r.out, "2 rules, no errors\n", "%s", r.err);
	h_free(&r);
}

/*
 * PATH as root has it: a directory nobody cannot search comes first.  A
 * program found nowhere else is not found (127, as a shell says), not
 * "Permission denied"; one only in that directory is not found either; one
 * found but not executable is 126.
 */
Test(conventions, missing_program_is_127)
{
	const char *priv = h_dir("private", 0700), *pub = h_dir("public", 0755);
	char path[2048], *env[] = { path, NULL };
	struct result r;

	h_file("private/hidden", "#!/bin/sh\necho hidden\n", 0755);
	h_file("public/noexec", "#!/bin/sh\necho noexec\n", 0644);
	snprintf(path, sizeof(path), "PATH=%s:%s:/usr/bin:/bin", priv, pub);

	r = tool((char *[]){ "run", "-u", "nobody", "--", "nosuchprog", NULL }, env, false);
	cr_assert_eq(r.status, 127, "%s", r.err);
	cr_assert_str_eq(r.err, "fdbroker: cannot run nosuchprog: No such file or directory\n");
	h_free(&r);
	r = tool((char *[]){ "run", "-u", "nobody", "--", "hidden", NULL }, env, false);
	cr_assert_eq(r.status, 127, "%s", r.err);
	cr_assert_str_empty(r.out, "nobody ran a program in a directory it cannot search");
	cr_assert(strstr(r.err, "No such file or directory"), "%s", r.err);
	h_free(&r);
	r = tool((char *[]){ "run", "-u", "nobody", "--", "noexec", NULL }, env, false);
	cr_assert_eq(r.status, 126, "%s", r.err);
	cr_assert_str_eq(r.err, "fdbroker: cannot run noexec: Permission denied\n");
	h_free(&r);
	/* and what is found runs, as the user: the search does not stop at the first entry */
	r = tool((char *[]){ "run", "-u", "nobody", "--", "id", "-un", NULL }, env, false);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "nobody\n");
	h_free(&r);
}

/*
 * serve as nobody, on the default socket or one in a directory nobody may
 * not write: says it needs root, before making any socket.
 */
Test(conventions, serve_needs_root)
{
	const char *dir = h_dir("rootonly", 0755);
	char sock[1024], want[1200];
	struct result r;

	r = tool((char *[]){ "serve", NULL }, NULL, true);
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, "fdbroker serve: needs root to make its socket "
				"/run/fdbroker/socket (or -s a path you may write)\n");
	h_free(&r);
	snprintf(sock, sizeof(sock), "%s/socket", dir);
	snprintf(want, sizeof(want), "fdbroker serve: needs root to make its socket %s (or -s a "
		 "path you may write)\n", sock);
	r = tool((char *[]){ "serve", "-s", sock, NULL }, NULL, true);
	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.err, want);
	cr_assert_eq(access(sock, F_OK), -1, "a socket was made");
	h_free(&r);
}
