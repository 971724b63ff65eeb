/* The commands as an administrator uses them, with real programs. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(cli, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

static struct result run_tool(char *const *args)
{
	return h_fdbroker_cmd(args, NULL, false);
}

Test(cli, cat_shadow_with_rule)
{
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "-a", "open /etc/shadow read",
					       "--", "cat", "/etc/shadow", NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strncmp(r.out, "root:", 5) == 0, "%s", r.out);
	cr_assert(strstr(r.err, "op=open object=/etc/shadow rights=read verdict=allow rule=-a:1"),
		  "%s", r.err);
	h_free(&r);
}

Test(cli, cat_shadow_without_rule)
{
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "--", "cat", "/etc/shadow", NULL });

	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "cat: /etc/shadow: Permission denied"), "%s", r.err);
	cr_assert(strstr(r.err, "uid=65534 gid=65534 prog=cat op=open object=/etc/shadow "
				"rights=read verdict=deny rule=default errno=EACCES"), "%s", r.err);
	h_free(&r);
}

Test(cli, deny_rule_named_in_log)
{
	const char *p = h_file("site.policy", "deny any open /etc/shadow\n"
					      "allow user nobody open /etc/ read\n", 0644);
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "-p", (char *)p, "--", "cat",
					       "/etc/shadow", NULL });
	char want[600];

	cr_assert_eq(r.status, 1);
	snprintf(want, sizeof(want), "verdict=deny rule=%s:1 errno=EACCES", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}

Test(cli, python_and_perl_unmodified)
{
	struct result py = run_tool((char *[]){ "run", "-u", "nobody", "-a", "open /etc/shadow read",
						"--", "/usr/bin/python3", "-c",
						"print(open('/etc/shadow').read())", NULL });
	struct result pl = run_tool((char *[]){ "run", "-u", "nobody", "-a", "open /etc/shadow read",
						"--", "perl", "-e",
						"open(F,'/etc/shadow') or die; print <F>", NULL });

	cr_assert_eq(py.status, 0, "%s", py.err);
	cr_assert(strncmp(py.out, "root:", 5) == 0, "%s", py.out);
	cr_assert_eq(pl.status, 0, "%s", pl.err);
	cr_assert(strncmp(pl.out, "root:", 5) == 0, "%s", pl.out);
	h_free(&py);
	h_free(&pl);
}

Test(cli, run_as_root_without_user_refuses)
{
	struct result r = run_tool((char *[]){ "run", "--", "true", NULL });

	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "name a user with -u"), "%s", r.err);
	h_free(&r);
}

Test(cli, run_passes_exit_status_and_missing_program)
{
	struct result a = run_tool((char *[]){ "run", "-u", "nobody", "--", "sh", "-c", "exit 7", NULL });
	struct result b = run_tool((char *[]){ "run", "-u", "nobody", "--", "/nonexistent/prog", NULL });

	cr_assert_eq(a.status, 7);
	cr_assert_eq(b.status, 127);
	cr_assert(strstr(b.err, "cannot run /nonexistent/prog"), "%s", b.err);
	h_free(&a);
	h_free(&b);
}

Test(cli, run_refuses_bad_inline_rule)
{
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "-a", "open etc/shadow read",
					       "--", "true", NULL });

	cr_assert_eq(r.status, 125);
	cr_assert(strstr(r.err, "-a:1:6: "), "%s", r.err);
	h_free(&r);
}

Test(cli, check_reports_file_line_col)
{
	const char *p = h_file("bad.policy", "# comment\n"
					     "allow user nobody open /etc/ssl/private/ read\n"
					     "allow user nobody opne /x read\n"
					     "allow user nobody open relative read\n", 0644);
	struct result r = run_tool((char *[]){ "check", "-p", (char *)p, NULL });
	char want[600];

	cr_assert_eq(r.status, 1);
	snprintf(want, sizeof(want), "%s:3:19: ", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s:4:24: ", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}

Test(cli, check_good_policy)
{
	const char *p = h_file("good.policy", "allow user nobody open /etc/ssl/private/ read\n", 0644);
	struct result r = run_tool((char *[]){ "check", "-p", (char *)p, NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	h_free(&r);
}

Test(cli, explain_names_rule)
{
	const char *p = h_file("site.policy", "# site\n"
					      "deny any open /etc/shadow\n"
					      "allow group www-data open /etc/ssl/private/ read\n", 0644);
	struct result a = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "www-data", "open",
					       "/etc/ssl/private/k.pem", "read", NULL });
	struct result d = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "www-data", "open",
					       "/etc/shadow", "read", NULL });
	struct result n = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "www-data", "bind",
					       "tcp", "0.0.0.0:80", NULL });
	char want[600];

	snprintf(want, sizeof(want), "allow (%s:3)\n", p);
	cr_assert(strncmp(a.out, want, strlen(want)) == 0, "%s %s", a.out, a.err);
	cr_assert_eq(a.status, 0);
	snprintf(want, sizeof(want), "deny (%s:2)\n", p);
	cr_assert(strncmp(d.out, want, strlen(want)) == 0, "%s %s", d.out, d.err);
	cr_assert_eq(d.status, 1);
	cr_assert_str_eq(n.out, "deny (default): no rule allows bind at all\n", "%s", n.err);
	h_free(&a);
	h_free(&d);
	h_free(&n);
}

Test(cli, run_never_runs_program_as_root)
{
	struct result r = run_tool((char *[]){ "run", "-u", "root", "--", "id", "-u", NULL });

	cr_assert_eq(r.status, 125);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "refusing to run id as root"), "%s", r.err);
	h_free(&r);
}

/*
 * A policy others may write is refused, as sudo refuses such a sudoers:
 * check says why and exits 1, run and explain do not go on.
 */
static const char *group_writable_policy(char *want, size_t cap)
{
	const char *p = h_file("site.policy", "allow user nobody open /etc/shadow read\n", 0664);

	snprintf(want, cap, "%s: writable by group root (mode 0664); chmod go-w %s\n", p, p);
	return p;
}

Test(cli, check_refuses_group_writable_policy)
{
	char want[1200];
	const char *p = group_writable_policy(want, sizeof(want));
	struct result r = run_tool((char *[]){ "check", "-p", (char *)p, NULL });

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.err, want);
	h_free(&r);
	/* chmod go-w, as the message says, and it passes */
	cr_assert_eq(chmod(p, 0644), 0);
	r = run_tool((char *[]){ "check", "-p", (char *)p, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_free(&r);
}

Test(cli, run_refuses_group_writable_policy)
{
	char want[1200];
	const char *p = group_writable_policy(want, sizeof(want));
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "-p", (char *)p, "--", "echo",
					       "started", NULL });

	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out, "the program ran: %s", r.out);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0, "want '%s', got '%s'", want, r.err);
	h_free(&r);
}

Test(cli, explain_refuses_group_writable_policy)
{
	char want[1200];
	const char *p = group_writable_policy(want, sizeof(want));
	struct result r = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open",
					       "/etc/shadow", "read", NULL });

	cr_assert_neq(r.status, 0);
	cr_assert_str_empty(r.out, "explain answered: %s", r.out);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0, "want '%s', got '%s'", want, r.err);
	h_free(&r);
}

Test(cli, run_refuses_policy_in_writable_directory)
{
	const char *d = h_dir("shared", 0777);
	const char *p = h_file("shared/site.policy", "allow user nobody open /etc/ read\n", 0644);
	struct result r = run_tool((char *[]){ "run", "-u", "nobody", "-p", (char *)p, "--", "echo",
					       "started", NULL });
	char want[1200];

	snprintf(want, sizeof(want),
		 "%s: directory %s is writable by anyone (mode 0777), who could replace the "
		 "policy; chmod go-w %s\n", p, d, d);
	cr_assert_eq(r.status, 125, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out, "the program ran: %s", r.out);
	cr_assert(strncmp(r.err, want, strlen(want)) == 0, "want '%s', got '%s'", want, r.err);
	h_free(&r);
}

/*
 * serve: a reload finds the policy made group-writable and refuses it
 * (all or nothing, as for a policy that does not parse); the old one stays.
 */
Test(cli, serve_reload_refuses_group_writable_policy)
{
	const char *a = h_file("allowed.txt", "A\n", 0600);
	char text[600], want[1200], *logtext;
	struct served srv;
	struct result r;
	const char *p;

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", a);
	p = h_file("served.policy", text, 0644);
	served_start(&srv, p, WAIT_MS);
	cr_assert_eq(chmod(p, 0664), 0);
	cr_assert_eq(kill(srv.proc.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(srv.log, "policy reload refused", WAIT_MS), 0, "%s",
		     h_slurp(srv.log));
	logtext = h_slurp(srv.log);
	snprintf(want, sizeof(want),
		 "policy reload: %s: writable by group root (mode 0664); chmod go-w %s", p, p);
	cr_assert(strstr(logtext, want), "no '%s' in:\n%s", want, logtext);
	cr_assert(strstr(logtext, "the old policy stays"), "%s", logtext);
	free(logtext);
	r = h_run((char *[]){ (char *)h_probe(), "open", (char *)a, "r", NULL },
		  h_shim_env(srv.sock), true);
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0 && strstr(r.out, "data=A"), "%s%s", r.out, r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * The broker raises its own soft RLIMIT_NOFILE (descriptors in flight are
 * capped by it); the program still starts with the limit it was given.
 */
Test(cli, program_keeps_its_descriptor_limit)
{
	struct result r = h_run((char *[]){ "prlimit", "--nofile=512:4096", (char *)h_fdbroker(),
					    "run", "-u", "nobody", "--", "sh", "-c",
					    "ulimit -Sn; ulimit -Hn", NULL },
				NULL, false);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "512\n4096\n");
	h_free(&r);
}

/* What python prints for open(argv[1]): "opened DATA" or "errno N". */
#define OPEN_ONE "import sys\n" \
		 "try:\n    print('opened', open(sys.argv[1]).read().strip())\n" \
		 "except OSError as e:\n    print('errno', e.errno)\n"

/*
 * --learn end to end, with the issue's name: newlines in it spell a line
 * that would grant all of /.  What run prints is read back by check and
 * explain as one rule, for that one name and the right asked, and a run
 * under it opens exactly that file.
 */
Test(cli, learn_newline_name_reads_back_as_that_name_only)
{
	const char *priv = h_dir("private", 0700); /* nobody's open gets EACCES: brokered */
	char dir[1024], path[1200], *learned;
	struct result r;
	const char *p;

	snprintf(dir, sizeof(dir), "%s/x read\nallow user nobody open ", priv);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/ read,write,create\n#", dir);
	h_file(path + strlen(h_tmpdir()) + 1, "the one file\n", 0600);
	r = run_tool((char *[]){ "run", "-u", "nobody", "--learn", "--", "python3", "-c", OPEN_ONE,
				 path, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "errno 13\n", "%s", r.err);
	learned = strstr(r.err, "# fdbroker --learn: policy lines");
	cr_assert_not_null(learned, "%s", r.err);
	/* every line a rule for nobody or a comment: nothing the name spelled starts a line */
	for (const char *l = learned; *l; l = strchr(l, '\n') + 1) {
		cr_assert(strncmp(l, "allow user nobody open \"", 24) == 0 || l[0] == '#',
			  "line '%.*s' in:\n%s", (int)strcspn(l, "\n"), l, learned);
		cr_assert_not_null(strchr(l, '\n'));
	}
	p = h_file("learned.policy", learned, 0644);
	h_free(&r);

	r = run_tool((char *[]){ "check", "-p", (char *)p, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1 rule, no errors\n");
	h_free(&r);
	/* the name itself, for reading: allowed by the learned rule */
	r = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open", path, "read",
				 NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	h_free(&r);
	/* nothing else: not /, not a file below it, not the name for writing */
	static const char *const others[][2] = {
		{ "/", "read" }, { "/etc/shadow", "read" }, { "/etc/shadow", "read,write,create" },
		{ "/x", "read" }, { NULL, "write" },
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		const char *obj = others[i][0] ? others[i][0] : path;

		r = run_tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open",
					 (char *)obj, (char *)others[i][1], NULL });
		cr_assert_eq(r.status, 1, "%s %s: %s%s", obj, others[i][1], r.out, r.err);
		cr_assert(strncmp(r.out, "deny (default): line ", 21) == 0, "%s%s", r.out, r.err);
		h_free(&r);
	}
	/* and run under it, the program opens that one file */
	r = run_tool((char *[]){ "run", "-u", "nobody", "-p", (char *)p, "--", "python3", "-c",
				 OPEN_ONE, path, NULL });
	cr_assert_str_eq(r.out, "opened the one file\n", "%s", r.err);
	h_free(&r);
}
