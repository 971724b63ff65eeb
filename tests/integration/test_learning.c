/*
 * Learning in one run (fdbroker(8), LEARNING): --learn=permissive grants
 * what no rule decides and records it, --learn-out writes the policy to a
 * file of its own, a deny rule is never overridden, and no rule is learned
 * for a name the broker would then refuse (/dev/stderr, /proc).
 *
 * Ports 670-679 here, one per test (test_lifetime.c has 660-669).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(learning, .fini = p_suite_fini, .timeout = 60);

/* Lines of text starting with "allow" that hold needle. */
static int rules_with(const char *text, const char *needle)
{
	int n = 0;

	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");

		if (!strncmp(s, "allow", 5) && memmem(s, len, needle, strlen(needle)))
			n++;
		s += len + (s[len] ? 1 : 0);
	}
	return n;
}

/* fdbroker ARGS... with standard input from /dev/null, so never a terminal. */
static struct result run_no_tty(char *const args[], char *const env[])
{
	char *argv[48] = { "sh", "-c", "exec \"$0\" \"$@\" </dev/null", (char *)h_fdbroker() };
	int n = 4;

	for (; *args && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run(argv, env, false);
}

/*
 * The acceptance: one permissive run of a program that needs three
 * root-only files (one of them also written) and a port below 1024 runs
 * through and writes a policy file, root's, 0644, every rule after a
 * comment; the learned lines are not on stderr.  A normal run under that
 * policy then succeeds with no denial.
 */
Test(learning, permissive_run_writes_the_policy_a_normal_run_needs)
{
	const char *f1 = h_file("one", "secret-one\n", 0600);
	const char *f2 = h_file("two", "secret-two\n", 0600);
	const char *f3 = h_file("three", "secret-three\n", 0600);
	const char *out = h_path("learned.policy"), *log1 = h_path("learn.log");
	const char *log2 = h_path("normal.log");
	char script[2048], want[600], *text, *log;
	struct result r;
	struct stat st;

	snprintf(script, sizeof(script),
		 "cat %s %s && cat %s && echo appended >>%s && python3 -c 'import socket\n"
		 "s = socket.socket(); s.bind((\"127.0.0.1\", 670)); s.listen(1); print(\"bound\")'",
		 f1, f2, f3, f3);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn=permissive",
			      "--learn-force", "--learn-out", (char *)out, "--log", (char *)log1,
			      "--", "sh", "-c", script, NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "secret-one\nsecret-two\nsecret-three\nbound\n", "%s", r.err);
	/* the warnings, at start and at exit; no learned line mixed into stderr */
	cr_assert(strstr(r.err, "warning: --learn=permissive: every request no rule decides is "
				"granted"), "%s", r.err);
	cr_assert(strstr(r.err, "warning: --learn=permissive granted 5 requests no rule allows; "
				"the policy learned is in "), "%s", r.err);
	cr_assert_null(strstr(r.err, "allow user"), "%s", r.err);
	h_free(&r);

	cr_assert_eq(lstat(out, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o", st.st_mode & 07777);
	cr_assert_eq(st.st_uid, 0);
	text = h_slurp_must(out);
	cr_assert(h_has_line(text, "# fdbroker --learn=permissive: policy lines for what was "
				 "granted while learning"), "%s", text);
	snprintf(want, sizeof(want), "allow user nobody open %s read", f1);
	cr_assert(h_has_line(text, want), "no '%s' in:\n%s", want, text);
	snprintf(want, sizeof(want), "# open %s read: 1 request granted while learning, by cat",
		 f1);
	cr_assert(h_has_line(text, want), "no '%s' in:\n%s", want, text);
	snprintf(want, sizeof(want), "allow user nobody open %s read", f2);
	cr_assert(h_has_line(text, want), "no '%s' in:\n%s", want, text);
	/* read by cat, written by sh: one rule with both rights, both programs named */
	snprintf(want, sizeof(want), "allow user nobody open %s read,write", f3);
	cr_assert(h_has_line(text, want), "no '%s' in:\n%s", want, text);
	snprintf(want, sizeof(want),
		 "# open %s read,write: 2 requests granted while learning, by cat, sh", f3);
	cr_assert(h_has_line(text, want), "no '%s' in:\n%s", want, text);
	cr_assert(h_has_line(text, "allow user nobody bind tcp 127.0.0.1:670"), "%s", text);
	cr_assert(h_has_line(text, "# bind tcp 127.0.0.1:670: 1 request granted while learning, "
				 "by python3"), "%s", text);
	cr_assert_eq(rules_with(text, ""), 4, "%s", text);
	free(text);
	/* the audit log says what the learning granted */
	log = h_slurp_must(log1);
	cr_assert_eq(h_count_lines(log, "verdict=allow-learn rule=default errno=0", NULL), 5,
		     "%s", log);
	cr_assert(strstr(h_line_with(log, "op=bind object=127.0.0.1:670 "), "verdict=allow-learn"),
		  "%s", log);
	cr_assert_null(strstr(log, "verdict=deny"), "%s", log);
	free(log);

	r = h_run((char *[]){ (char *)h_fdbroker(), "check", "-p", (char *)out, NULL }, NULL,
		  false);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	h_free(&r);

	/* the normal run: the files as they are now, the port again */
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "-p", (char *)out,
			      "--log", (char *)log2, "--", "sh", "-c", script, NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "secret-one\nsecret-two\nsecret-three\nappended\nbound\n", "%s",
			 r.err);
	h_free(&r);
	log = h_slurp_must(log2);
	cr_assert_eq(h_count_lines(log, "verdict=allow rule=", NULL), 5, "%s", log);
	cr_assert_null(strstr(log, "verdict=deny"), "%s", log);
	cr_assert_null(strstr(log, "allow-learn"), "%s", log);
	free(log);
	/* and the program's own write went to the file, as the user's request */
	text = h_slurp_must(f3);
	cr_assert_str_eq(text, "secret-three\nappended\nappended\n");
	free(text);
}

/*
 * A request a deny rule decides stays denied under permissive learning,
 * whichever name reaches the object (a symlink to it is judged as the
 * object), and nothing is learned for it; the rest is granted and learned.
 */
Test(learning, permissive_never_overrides_a_deny_rule)
{
	const char *f1 = h_file("open", "secret-open\n", 0600);
	const char *f2 = h_file("closed", "secret-closed\n", 0600);
	const char *link = h_path("alias"), *out = h_path("learned.policy");
	const char *log = h_path("audit.log");
	char policy_text[1200], script[2048], obj[600], *text, *audit;
	const char *policy;
	struct result r;

	cr_assert_eq(symlink(f2, link), 0);
	snprintf(policy_text, sizeof(policy_text),
		 "deny user nobody open %s\ndeny user nobody bind tcp 127.0.0.1:672\n", f2);
	policy = h_file("deny.policy", policy_text, 0644);
	snprintf(script, sizeof(script),
		 "cat %s; cat %s; cat %s; python3 -c 'import socket\n"
		 "try:\n    socket.socket().bind((\"127.0.0.1\", 672)); print(\"bound 672\")\n"
		 "except OSError as e: print(\"bind errno\", e.errno)\n"
		 "socket.socket().bind((\"127.0.0.1\", 671)); print(\"bound 671\")'; true",
		 f1, f2, link);
	/* the documented switch for running without a terminal */
	r = run_no_tty((char *[]){ "run", "-u", "nobody", "-p", (char *)policy,
				   "--learn=permissive", "--learn-out", (char *)out, "--log",
				   (char *)log, "--", "sh", "-c", script, NULL },
		       (char *[]){ "FDBROKER_LEARN_PERMISSIVE=1", NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "secret-open\nbind errno 13\nbound 671\n", "%s", r.err);
	cr_assert_null(strstr(r.out, "secret-closed"));
	h_free(&r);

	audit = h_slurp_must(log);
	snprintf(obj, sizeof(obj), "op=open object=%s ", f2);
	/* by its name and through the symlink: both judged as the object, by the rule */
	cr_assert_eq(h_count_lines(audit, obj, "verdict=deny rule="), 2, "%s", audit);
	cr_assert_eq(h_count_lines(audit, obj, "allow"), 0, "%s", audit);
	cr_assert(strstr(h_line_with(audit, "op=bind object=127.0.0.1:672 "), "verdict=deny rule="),
		  "%s", audit);
	cr_assert(strstr(h_line_with(audit, "op=bind object=127.0.0.1:671 "),
			 "verdict=allow-learn"), "%s", audit);
	free(audit);

	text = h_slurp_must(out);
	cr_assert_eq(rules_with(text, f2), 0, "%s", text);
	cr_assert_eq(rules_with(text, link), 0, "%s", text);
	cr_assert_eq(rules_with(text, ":672"), 0, "%s", text);
	cr_assert_eq(rules_with(text, f1), 1, "%s", text);
	cr_assert(h_has_line(text, "allow user nobody bind tcp 127.0.0.1:671"), "%s", text);
	cr_assert_eq(rules_with(text, ""), 2, "%s", text);
	free(text);
}

/*
 * sh opens /dev/stderr (and /dev/fd/2) after the user switch, while run's
 * stderr is a root-owned 0600 file: the name leads through the magic link
 * /proc/self/fd/2, which the broker never follows.  Neither --learn nor
 * --learn=permissive proposes a rule for it, nor for a file under /proc;
 * both say in a comment why they were left out.
 */
Test(learning, no_rule_for_dev_stderr_or_proc)
{
	static const char *const modes[] = { "--learn", "--learn=permissive" };

	for (int i = 0; i < 2; i++) {
		const char *errf = h_file(i ? "err1" : "err0", "", 0600);
		const char *out = h_path(i ? "learned1" : "learned0");
		char errenv[600], *env[3] = { errenv, i ? "FDBROKER_LEARN_PERMISSIVE=1" : NULL };
		char *text;
		struct result r;

		snprintf(errenv, sizeof(errenv), "ERRF=%s", errf);

		r = h_run((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" 2>>\"$ERRF\" </dev/null",
				      (char *)h_fdbroker(), "run", "-u", "nobody", (char *)modes[i],
				      "--learn-out", (char *)out, "--", "sh", "-c",
				      "echo x >/dev/stderr; echo y >/dev/fd/2; "
				      "head -c1 /proc/1/environ; true", NULL },
			  env, false);
		cr_assert_str_empty(r.err, "%s", r.err); /* all of it went to the file */
		h_free(&r);
		text = h_slurp_must(out);
		cr_assert_eq(rules_with(text, ""), 0, "%s: %s", modes[i], text);
		cr_assert(strstr(text, "# left out: open /dev/stderr write (user nobody, 1 request, "
				       "by sh): its name leads through a magic link"),
			  "%s: %s", modes[i], text);
		cr_assert(strstr(text, "# left out: open /dev/fd/2 write"), "%s: %s", modes[i], text);
		cr_assert(strstr(text, "# left out: open /proc/1/environ read (user nobody, 1 "
				       "request, by head): a name under /proc"),
			  "%s: %s", modes[i], text);
		free(text);
		text = h_slurp_must(errf);
		cr_assert(strstr(text, "op=open object=/dev/stderr rights=write verdict=deny"),
			  "%s", text);
		cr_assert_null(strstr(text, "verdict=allow-learn rule="), "%s", text);
		free(text);
		r = h_run((char *[]){ (char *)h_fdbroker(), "check", "-p", (char *)out, NULL }, NULL,
			  false);
		cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
		h_free(&r);
	}
}

/* Without a terminal on stdin, and without --learn-force or the variable: refused, nothing run. */
Test(learning, permissive_without_a_terminal_is_refused)
{
	const char *out = h_path("learned.policy");
	struct result r = run_no_tty((char *[]){ "run", "-u", "nobody", "--learn=permissive",
						 "--learn-out", (char *)out, "--", "echo", "ran",
						 NULL },
				     NULL);

	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "fdbroker run: --learn=permissive grants what no rule allows: "
				"refused, as standard input is not a terminal (add --learn-force, "
				"or set FDBROKER_LEARN_PERMISSIVE=1"), "%s", r.err);
	cr_assert_neq(access(out, F_OK), 0, "the refused run made %s", out);
	h_free(&r);
	/* a value other than 1 is no override */
	r = run_no_tty((char *[]){ "run", "-u", "nobody", "--learn=permissive", "--", "echo",
				   "ran", NULL },
		       (char *[]){ "FDBROKER_LEARN_PERMISSIVE=yes", NULL });
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	h_free(&r);
	/* "--learn permissive" would run a program named permissive: said, not done */
	r = run_no_tty((char *[]){ "run", "-u", "nobody", "--learn", "permissive", "--", "echo",
				   "ran", NULL },
		       NULL);
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "write --learn=permissive"), "%s", r.err);
	h_free(&r);
}

/* With a terminal on standard input (script(1) gives it one) no override is needed. */
Test(learning, permissive_with_a_terminal_runs)
{
	char cmd[1024];
	struct result r;

	const char *preload = getenv("LD_PRELOAD");

	/* a sanitizer runtime (ASan runs) for fdbroker, not for script itself */
	snprintf(cmd, sizeof(cmd), "env -u FDBROKER_LEARN_PERMISSIVE LD_PRELOAD='%s' %s run -u "
		 "nobody --learn=permissive -- echo ran-with-a-tty", preload ? preload : "",
		 h_fdbroker());
	r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "script", "-qec", cmd, "/dev/null",
			      NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "ran-with-a-tty"), "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "warning: --learn=permissive: every request"), "%s", r.out);
	h_free(&r);
}

/* serve is shared by every user: it never grants what no rule allows. */
Test(learning, serve_refuses_permissive)
{
	const char *sock = h_path("serve.sock");
	const char *policy = h_file("p.policy", "allow user nobody open /etc/hostname read\n",
				    0644);
	struct result r;

	r = run_no_tty((char *[]){ "serve", "-p", (char *)policy, "-s", (char *)sock,
				   "--learn=permissive", NULL },
		       (char *[]){ "FDBROKER_LEARN_PERMISSIVE=1", NULL });
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "fdbroker serve: --learn=permissive is for fdbroker run only"),
		  "%s", r.err);
	cr_assert_neq(access(sock, F_OK), 0, "serve made its socket");
	h_free(&r);
	r = run_no_tty((char *[]){ "serve", "-p", (char *)policy, "-s", (char *)sock,
				   "--learn-force", NULL },
		       NULL);
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "for fdbroker run only"), "%s", r.err);
	h_free(&r);
}

/*
 * --learn-out is written by root: it never follows a symbolic link at the
 * name (the user could have planted one in a directory it can write), and
 * never writes a file another user owns.  Both refused before PROGRAM runs.
 */
Test(learning, learn_out_refuses_symlinks_and_foreign_files)
{
	const char *target = h_file("target", "untouched\n", 0644);
	const char *link = h_path("link"), *theirs = h_file("theirs", "theirs\n", 0644);
	struct result r;
	char *text;

	cr_assert_eq(symlink(target, link), 0);
	cr_assert_eq(chown(theirs, NOBODY_UID, NOBODY_GID), 0);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn-out",
			      (char *)link, "--", "echo", "ran", NULL },
		  NULL, false);
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "a symbolic link; refused"), "%s", r.err);
	h_free(&r);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn-out",
			      (char *)theirs, "--", "echo", "ran", NULL },
		  NULL, false);
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "owned by another user; refused"), "%s", r.err);
	h_free(&r);
	text = h_slurp_must(target);
	cr_assert_str_eq(text, "untouched\n");
	free(text);
	text = h_slurp_must(theirs);
	cr_assert_str_eq(text, "theirs\n");
	free(text);
}

/*
 * serve --learn-out: the file holds what was learned so far on SIGUSR1
 * (rewritten whole, not appended), and at exit; nothing on stderr.
 */
Test(learning, serve_learn_out_on_sigusr1_and_exit)
{
	const char *policy = h_file("p.policy", "allow user nobody open /etc/hostname read\n",
				    0644);
	const char *secret = h_file("secret", "s\n", 0600), *out = h_path("served.policy");
	struct served s;
	struct result r;
	char want[600], *text;

	served_start_args(&s, policy, (char *[]){ "--learn-out", (char *)out, NULL }, 20000);
	r = h_run((char *[]){ (char *)h_fdbroker(), "exec", "-s", (char *)s.sock, "--", "cat",
			      (char *)secret, NULL },
		  NULL, true);
	cr_assert_neq(r.status, 0, "%s", r.out);
	h_free(&r);
	cr_assert_eq(kill(s.proc.pid, SIGUSR1), 0);
	snprintf(want, sizeof(want), "allow user nobody open %s read", secret);
	cr_assert_eq(wait_for_text(out, want, 20000), 0, "%s", h_slurp(out));
	cr_assert_eq(served_stop(&s), 0);
	text = h_slurp_must(out);
	cr_assert(h_has_line(text, "# fdbroker --learn: policy lines that would have allowed what "
				 "was denied"), "%s", text);
	cr_assert_eq(rules_with(text, ""), 1, "written whole, once: %s", text);
	free(text);
	text = h_slurp(h_path("serve.err"));
	cr_assert_null(strstr(text, "allow user"), "%s", text);
	free(text);
}
