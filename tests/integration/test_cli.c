/* The commands as an administrator uses them, with real programs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(cli, .fini = h_cleanup, .timeout = 60);

static struct result run_tool(char *const *args)
{
	char *argv[32] = { (char *)h_fdbroker() };
	int n = 1;

	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run(argv, NULL, false);
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
	cr_assert_str_eq(n.out, "deny (default: no rule matches)\n", "%s", n.err);
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
