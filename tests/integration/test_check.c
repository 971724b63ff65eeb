/* fdbroker check: warnings for likely mistakes, and no policy at all is an error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(check, .fini = h_cleanup, .timeout = 60);

static struct result tool(char *const *args)
{
	return h_fdbroker_cmd(args, NULL, false);
}

/* Each mistake warns at its place; warnings alone leave the policy good (exit 0). */
Test(check, warns_on_glob_directory_and_shadowed_rule)
{
	char text[1024], want[1200];
	const char *dir = h_dir("tls", 0755), *p;
	struct result r;

	snprintf(text, sizeof(text), "allow user nobody open /etc/ssl/private/*.key read\n"
				     "allow user nobody open %s read\n"
				     "allow user nobody open /etc/ssl/ read\n"
				     "allow user nobody open /etc/ssl/certs/x.pem read\n", dir);
	p = h_file("site.policy", text, 0644);
	r = tool((char *[]){ "check", "-p", (char *)p, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "4 rules, no errors, 3 warnings\n", "%s", r.err);
	snprintf(want, sizeof(want), "%s:1:24: warning: '*' in /etc/ssl/private/*.key is no "
		 "wildcard", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s:2:24: warning: %s is a directory, but without a trailing "
		 "'/' the rule covers the directory itself only", p, dir);
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s:4:1: warning: never decides anything: line 3 (allow user "
		 "nobody open /etc/ssl/ read) comes first", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "warning:", NULL), 3, "%s", r.err);
	h_free(&r);
}

Test(check, one_rule_is_singular)
{
	const char *p = h_file("one.policy", "allow user nobody open /etc/shadow read\n", 0644);
	struct result r = tool((char *[]){ "check", "-p", (char *)p, NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "1 rule, no errors\n");
	cr_assert_str_empty(r.err);
	h_free(&r);
}

/* The first port a user binds without privilege, as check reads it (1024 if it cannot). */
static unsigned unpriv_start(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	unsigned v = 1024;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 1024;
		fclose(f);
	}
	return v;
}

/*
 * "from" on a bind rule parses; on a port the program binds itself it is
 * never enforced, and check says so at the address (a warning: exit 0).
 */
Test(check, from_on_an_unprivileged_port_warns)
{
	unsigned n = unpriv_start();
	char text[512], want[800];
	const char *p;
	struct result r;

	cr_assert(n >= 2 && n <= 65535, "ip_unprivileged_port_start %u leaves no port on each side",
		  n);
	snprintf(text, sizeof(text), "allow user nobody bind tcp 127.0.0.1:%u from 10.0.0.0/8\n"
				     "allow user nobody bind udp *:%u from ::1\n"
				     "allow user nobody accept tcp *:%u-%u from 127.0.0.1\n",
		 n - 1, n, n - 1, n);
	p = h_file("from.policy", text, 0644);
	r = tool((char *[]){ "check", "-p", (char *)p, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "3 rules, no errors, 2 warnings\n", "%s", r.err);
	snprintf(want, sizeof(want), "%s:2:28: warning: 'from' is never enforced on ports %u and up "
		 "(net.ipv4.ip_unprivileged_port_start=%u): the program binds them itself and the "
		 "broker never sees it\n", p, n, n);
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s:3:30: warning: 'from' is never enforced on port %u of "
		 "%u-%u", p, n, n - 1, n);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "warning:", NULL), 2, "%s", r.err);
	h_free(&r);
}

/* "from" on a deny rule is an error at the word. */
Test(check, from_on_deny_is_a_clear_error)
{
	const char *p = h_file("d.policy", "deny user nobody bind tcp *:80 from 10.0.0.0/8\n", 0644);
	struct result r = tool((char *[]){ "check", "-p", (char *)p, NULL });
	char want[600];

	cr_assert_eq(r.status, 1);
	snprintf(want, sizeof(want), "%s:1:32: 'from' goes only on allow rules: a deny rule refuses "
		 "the bind whatever the peer", p);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}

/* No -p and no default policy file: said, and exit 1 (a broker on it would deny everything). */
Test(check, no_policy_file_anywhere)
{
	const char *dir = h_dir("etc-fdbroker", 0755);
	struct result r = tool((char *[]){ "check", "--policy-dir", (char *)dir, NULL });
	char want[600];

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	snprintf(want, sizeof(want), "fdbroker check: no policy file: neither %s/policy nor "
		 "%s/policy.d/*.policy exists", dir, dir);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
	/* explain on it refuses too, rather than deny everything without a word */
	r = tool((char *[]){ "explain", "--policy-dir", (char *)dir, "-u", "nobody", "open",
			     "/etc/shadow", NULL });
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "no policy file"), "%s", r.err);
	h_free(&r);
}

/* --policy-dir reads DIR/policy and DIR/policy.d/NAME.policy, as the default set is read. */
Test(check, policy_dir_is_the_default_set)
{
	const char *dir = h_dir("conf", 0755);

	h_dir("conf/policy.d", 0755);
	h_file("conf/policy", "allow user nobody open /etc/shadow read\n", 0644);
	h_file("conf/policy.d/a.policy", "allow user nobody open /etc/gshadow read\n", 0644);
	h_file("conf/policy.d/ignored.txt", "nonsense\n", 0644);
	struct result r = tool((char *[]){ "check", "--policy-dir", (char *)dir, NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "2 rules, no errors\n", "%s", r.err);
	h_free(&r);
}
