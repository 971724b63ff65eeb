/* helper/policy/lint.c: check's warnings.  Numeric ids only; the directory test is a stub. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#define MAX_WARN 16

struct warns {
	unsigned n;
	char msg[MAX_WARN][1400];
};

static struct policy pol;
static struct warns w;

static void setup(void)
{
	policy_init(&pol);
	memset(&w, 0, sizeof(w));
}

static void teardown(void)
{
	policy_free(&pol);
}

TestSuite(lint, .init = setup, .fini = teardown, .timeout = 10);

static void collect(void *ctx, const char *msg)
{
	struct warns *ws = ctx;

	cr_assert_null(strchr(msg, '\n'), "%s", msg);
	if (ws->n < MAX_WARN)
		snprintf(ws->msg[ws->n], sizeof(ws->msg[0]), "%s", msg);
	ws->n++;
}

/* Only /srv/tls is a directory here. */
static bool fake_isdir(void *ctx, const char *path)
{
	(void)ctx;
	return strcmp(path, "/srv/tls") == 0;
}

static unsigned lint(const char *text)
{
	unsigned n;

	cr_assert_eq(policy_parse_text(&pol, "t.policy", text, NULL, NULL), 0, "%s", text);
	n = policy_lint(&pol, 1024, fake_isdir, NULL, collect, &w);
	cr_assert_eq(n, w.n);
	return n;
}

Test(lint, clean_policy_has_no_warning)
{
	cr_assert_eq(lint("allow user 1 open /etc/ssl/private/ read\n"
			  "allow user 1 open /etc/shadow read\n"
			  "allow user 2 open /etc/shadow read\n"
			  "allow user 1 open /srv/tls/ read\n"
			  "allow user 1 bind tcp *:80\n"
			  "allow user 1 bind udp *:80\n"), 0, "%s", w.msg[0]);
}

Test(lint, glob_characters)
{
	cr_assert_eq(lint("allow user 1 open /etc/ssl/private/*.key read\n"
			  "allow user 1 open /srv/log?.txt read\n"
			  "allow user 1 open /srv/[ab] read\n"), 3);
	cr_assert(strncmp(w.msg[0], "t.policy:1:19: warning: '*' in /etc/ssl/private/*.key is no "
			  "wildcard", 62) == 0, "%s", w.msg[0]);
	cr_assert(strstr(w.msg[0], "the tree /etc/ssl/private/)"), "%s", w.msg[0]);
	cr_assert(strstr(w.msg[1], "'?'"), "%s", w.msg[1]);
	cr_assert(strstr(w.msg[2], "'['"), "%s", w.msg[2]);
}

Test(lint, directory_without_slash)
{
	cr_assert_eq(lint("allow user 1 open /srv/tls read\n"
			  "deny any open /srv/tls\n"
			  "allow user 1 open /srv/tlsx read\n"), 2);
	cr_assert_str_eq(w.msg[0], "t.policy:1:19: warning: /srv/tls is a directory, but without a "
				   "trailing '/' the rule covers the directory itself only, not "
				   "what is in it (write /srv/tls/ for the tree)");
	cr_assert(strncmp(w.msg[1], "t.policy:2:15: warning: /srv/tls is a directory", 47) == 0,
		  "%s", w.msg[1]);
}

Test(lint, shadowed_by_a_tree)
{
	cr_assert_eq(lint("allow user 1 open /etc/ssl/ read\n"
			  "allow user 1 open /etc/ssl/private/k.pem read\n"), 1);
	cr_assert_str_eq(w.msg[0], "t.policy:2:1: warning: never decides anything: line 1 (allow "
				   "user 1 open /etc/ssl/ read) comes first and matches every "
				   "request this rule matches");
}

Test(lint, shadowed_by_any_and_by_a_deny)
{
	cr_assert_eq(lint("deny any open /etc/shadow\n"
			  "allow user 1 open /etc/shadow read\n"
			  "allow any open /etc/motd read,write\n"
			  "allow user 1 open /etc/motd read\n"), 2);
	cr_assert(strstr(w.msg[0], "t.policy:2:1: warning: never decides anything: line 1 "),
		  "%s", w.msg[0]);
	cr_assert(strstr(w.msg[1], "t.policy:4:1: warning: never decides anything: line 3 "),
		  "%s", w.msg[1]);
}

/* Not shadowed: the later rule grants more, is for another user, or the earlier is narrower. */
Test(lint, partial_overlaps_are_not_shadowing)
{
	cr_assert_eq(lint("allow user 1 open /etc/x read\n"
			  "allow user 1 open /etc/x read,write\n"
			  "allow user 2 open /etc/x read\n"
			  "allow user 1 open /etc/ssl/k read\n"
			  "allow user 1 open /etc/ssl/ read\n"
			  "allow user 1 open /etc/y read\n"
			  "deny user 1 open /etc/y\n"), 0, "%s", w.msg[0]);
}

Test(lint, shadowed_address)
{
	cr_assert_eq(lint("allow user 1 bind tcp *:1-1024\n"
			  "allow user 1 bind tcp 127.0.0.1:80\n"
			  "allow user 1 bind udp 127.0.0.1:80\n"
			  "allow user 1 bind tcp 127.0.0.1:80-2000\n"
			  "allow user 1 accept tcp [::1]:443 from ::1\n"
			  "allow user 1 accept tcp [::1]:443 from 10.0.0.0/8\n"
			  "allow user 1 socket inet raw all\n"
			  "allow user 1 socket inet raw icmp\n"), 3);
	cr_assert(strstr(w.msg[0], "t.policy:2:1: warning: never decides anything: line 1 "),
		  "%s", w.msg[0]);
	cr_assert(strstr(w.msg[1], "t.policy:6:1: warning: never decides anything: line 5 "),
		  "%s", w.msg[1]);
	cr_assert(strstr(w.msg[2], "t.policy:8:1: warning: never decides anything: line 7 "),
		  "%s", w.msg[2]);
}

/* The parser's errors for "from" where it does not go: on open and socket rules, and on deny. */
Test(lint, from_only_on_allow_bind_and_accept)
{
	struct warns e = { 0 };
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "allow user 1 open /etc/x read from 10.0.0.0/8\n",
		  "t.policy:1:31: 'from' goes only on bind and accept rules" },
		{ "allow user 1 socket inet raw icmp from 10.0.0.0/8\n",
		  "t.policy:1:35: 'from' goes only on bind and accept rules" },
		{ "deny user 1 bind tcp *:80 from 10.0.0.0/8\n",
		  "t.policy:1:27: 'from' goes only on allow rules" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		cr_assert_eq(policy_parse_text(&pol, "t.policy", bad[i].text, collect, &e), 1, "%s",
			     bad[i].text);
		cr_assert(strncmp(e.msg[0], bad[i].msg, strlen(bad[i].msg)) == 0, "%s", e.msg[0]);
	}
	cr_assert_eq(policy_parse_text(&pol, "t.policy", "allow user 1 bind tcp *:80 from 1.2.3.4\n",
				       collect, &e), 0, "%s", e.msg[0]);
}

/* ---- "from" where the broker never sees the bind ------------------------ */

static unsigned lint_at(unsigned unpriv, const char *text)
{
	unsigned n;

	cr_assert_eq(policy_parse_text(&pol, "t.policy", text, NULL, NULL), 0, "%s", text);
	n = policy_lint(&pol, unpriv, fake_isdir, NULL, collect, &w);
	cr_assert_eq(n, w.n);
	return n;
}

Test(lint, from_on_an_unprivileged_port)
{
	cr_assert_eq(lint("allow user 1 bind tcp *:8080 from 10.0.0.0/8\n"
			  "allow user 1 accept tcp [::1]:1024 from ::1\n"), 2);
	cr_assert_str_eq(w.msg[0], "t.policy:1:23: warning: 'from' is never enforced on ports 1024 "
				   "and up (net.ipv4.ip_unprivileged_port_start=1024): the program "
				   "binds them itself and the broker never sees it");
	cr_assert(strncmp(w.msg[1], "t.policy:2:25: warning: 'from' is never enforced on ports "
			  "1024 and up", 69) == 0, "%s", w.msg[1]);
}

/* Below the threshold, or without "from": nothing to say. */
Test(lint, from_below_the_threshold)
{
	cr_assert_eq(lint("allow user 1 bind tcp *:1023 from 10.0.0.0/8\n"
			  "allow user 1 bind udp 127.0.0.1:1-1023 from 127.0.0.1\n"
			  "allow user 1 accept tcp *:443 from ::1\n"
			  "allow user 1 bind tcp *:8080\n"
			  "allow user 1 accept tcp *:8443\n"), 0, "%s", w.msg[0]);
}

/* The threshold is the caller's: the same rule warns or not by it. */
Test(lint, from_threshold_from_the_caller)
{
	cr_assert_eq(lint_at(80, "allow user 1 bind tcp *:443 from 10.0.0.0/8\n"), 1);
	cr_assert(strstr(w.msg[0], "never enforced on ports 80 and up "
			 "(net.ipv4.ip_unprivileged_port_start=80)"), "%s", w.msg[0]);
	policy_free(&pol);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(lint_at(8081, "allow user 1 bind tcp *:8080 from 10.0.0.0/8\n"), 0, "%s",
		     w.msg[0]);
}

/* A range across the threshold: the ports above it are named. */
Test(lint, from_on_a_range_across_the_threshold)
{
	cr_assert_eq(lint("allow user 1 bind tcp *:80-2000 from 10.0.0.0/8\n"
			  "allow user 1 bind udp *:1000-1024 from 10.0.0.0/8\n"), 2);
	cr_assert_str_eq(w.msg[0], "t.policy:1:23: warning: 'from' is never enforced on ports "
				   "1024-2000 of 80-2000 (net.ipv4.ip_unprivileged_port_start=1024): "
				   "the program binds them itself and the broker never sees it");
	cr_assert(strstr(w.msg[1], "never enforced on port 1024 of 1000-1024 "
			 "(net.ipv4.ip_unprivileged_port_start=1024): the program binds it itself"),
		  "%s", w.msg[1]);
}

/* Port 0 is any free port, which the kernel gives without privilege. */
Test(lint, from_on_port_zero)
{
	cr_assert_eq(lint("allow user 1 bind tcp *:0 from 10.0.0.0/8\n"
			  "allow user 1 bind tcp *:0-65535 from 10.0.0.0/8\n"), 2);
	cr_assert_str_eq(w.msg[0], "t.policy:1:23: warning: 'from' is never enforced on port 0: a "
				   "bind to port 0 (a free port the kernel picks) needs no privilege, "
				   "so the broker never sees it");
	cr_assert(strstr(w.msg[1], "never enforced on ports 1024-65535 and port 0 of 0-65535 "),
		  "%s", w.msg[1]);
}
