/*
 * fdbroker explain as an administrator uses it: the nearest rule and why it
 * did not match, paths resolved as run resolves them, numeric uids, and an
 * audit line pasted back in.
 */
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(explain, .fini = h_cleanup, .timeout = 60);

static struct result tool(char *const *args)
{
	return h_fdbroker_cmd(args, NULL, false);
}

/* fdbroker explain -p POLICY --from-log, with line on its stdin. */
static struct result from_log(const char *policy, const char *line)
{
	char script[256];

	snprintf(script, sizeof(script), "printf '%%s\\n' \"$1\" | %s explain -p %s --from-log",
		 h_fdbroker(), policy);
	return h_run((char *[]){ "sh", "-c", script, "sh", (char *)line, NULL }, NULL, false);
}

static const char site[] = "allow user nobody open /etc/shadow write,create\n"
			   "allow user nobody bind tcp 127.0.0.1:80\n"
			   "allow user www-data open /etc/gshadow read\n";

/* "deny (default): REASON\n  FILE:LINE: RULE\n" */
static void assert_near(const struct result *r, const char *reason, const char *p, int line,
			const char *rule)
{
	char want[1024];

	cr_assert_eq(r->status, 1, "%s%s", r->out, r->err);
	snprintf(want, sizeof(want), "deny (default): %s\n  %s:%d: %s\n", reason, p, line, rule);
	cr_assert_str_eq(r->out, want, "%s", r->err);
}

Test(explain, near_miss_wrong_rights)
{
	const char *p = h_file("site.policy", site, 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open",
					   "/etc/shadow", NULL });

	assert_near(&r, "line 1 names the path but grants write,create, not read", p, 1,
		    "allow user nobody open /etc/shadow write,create");
	h_free(&r);
}

Test(explain, near_miss_wrong_user)
{
	const char *p = h_file("site.policy", site, 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open",
					   "/etc/gshadow", "read", NULL });

	assert_near(&r, "line 3 is for user www-data, not nobody", p, 3,
		    "allow user www-data open /etc/gshadow read");
	h_free(&r);
}

Test(explain, near_miss_wrong_port)
{
	const char *p = h_file("site.policy", site, 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "bind", "tcp",
					   "127.0.0.1:81", NULL });

	assert_near(&r, "line 2 allows port 80, not 81", p, 2,
		    "allow user nobody bind tcp 127.0.0.1:80");
	h_free(&r);
}

/* A uid no passwd entry names: with its group it is judged; without, explain says what to add. */
Test(explain, numeric_uid)
{
	const char *p = h_file("num.policy", "allow user 12345 open /etc/shadow read\n", 0644);
	struct result ok, bare;
	char want[600];

	cr_assert_null(getpwuid(12345), "this test needs uid 12345 to have no passwd entry");
	ok = tool((char *[]){ "explain", "-p", (char *)p, "-u", "12345:12345", "open", "/etc/shadow",
			      NULL });
	snprintf(want, sizeof(want), "allow (%s:1)\n  allow user 12345 open /etc/shadow read\n", p);
	cr_assert_str_eq(ok.out, want, "%s", ok.err);
	cr_assert_eq(ok.status, 0);
	bare = tool((char *[]){ "explain", "-p", (char *)p, "-u", "12345", "open", "/etc/shadow",
				NULL });
	cr_assert_eq(bare.status, 2);
	cr_assert(strstr(bare.err, "uid 12345 has no passwd entry, so no group: give one, as "
				   "-u 12345:GID"), "%s", bare.err);
	h_free(&ok);
	h_free(&bare);
}

Test(explain, run_numeric_uid)
{
	struct result ok = tool((char *[]){ "run", "-u", "12345:12345", "--", "id", "-u", NULL });
	struct result g = tool((char *[]){ "run", "-u", "12345:12345", "--", "id", "-G", NULL });
	struct result bare = tool((char *[]){ "run", "-u", "12345", "--", "id", "-u", NULL });

	cr_assert_eq(ok.status, 0, "%s", ok.err);
	cr_assert_str_eq(ok.out, "12345\n");
	/* no supplementary groups: only the one given */
	cr_assert_str_eq(g.out, "12345\n", "%s", g.err);
	cr_assert_eq(bare.status, 125);
	cr_assert_str_empty(bare.out);
	cr_assert(strstr(bare.err, "-u 12345:GID"), "%s", bare.err);
	h_free(&ok);
	h_free(&g);
	h_free(&bare);
}

/* A symlink is judged by where it leads, as run judges it; --as-written judges the name. */
Test(explain, resolves_like_run)
{
	char policy[1200], target[600], link[600];
	const char *p;
	struct result r, w;

	snprintf(target, sizeof(target), "%s", h_file("target", "secret\n", 0600));
	snprintf(link, sizeof(link), "%s", h_path("link"));
	cr_assert_eq(symlink(target, link), 0);
	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", target);
	p = h_file("l.policy", policy, 0644);
	r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open", link, NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "(judged as "), "%s", r.out);
	cr_assert(strstr(r.out, target), "%s", r.out);
	w = tool((char *[]){ "explain", "-p", (char *)p, "--as-written", "-u", "nobody", "open", link,
			     NULL });
	cr_assert_eq(w.status, 1, "%s%s", w.out, w.err);
	cr_assert(strncmp(w.out, "deny (default): line 1 names ", 29) == 0, "%s", w.out);
	h_free(&r);
	h_free(&w);
	/* a rule for the link's name: deny, and explain says why */
	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", link);
	p = h_file("n.policy", policy, 0644);
	r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open", link, NULL });
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, ":1 allows the name, but the broker judges the file it leads to"),
		  "%s", r.out);
	h_free(&r);
	r = h_broker_run("nobody", policy, (char *[]){ "cat", link, NULL });
	cr_assert_neq(r.status, 0, "%s", r.out);
	h_free(&r);
	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", target);
	/* and run agrees: the program reads the file through the link */
	r = h_broker_run("nobody", policy, (char *[]){ "cat", link, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "secret\n");
	h_free(&r);
}

/* /dev/stderr leads through /proc/self/fd/2, which the broker never follows. */
Test(explain, magic_link_refused)
{
	const char *p = h_file("s.policy", "allow user nobody open /dev/stderr write\n"
					   "allow user nobody open /proc/ write\n", 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "open",
					   "/dev/stderr", "write", NULL });

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strncmp(r.out, "deny (refused): /dev/stderr leads through a /proc magic link",
			  60) == 0, "%s", r.out);
	h_free(&r);
}

/* The deny line of a real run's audit log, pasted back: the rule that decides it. */
Test(explain, from_log_names_the_rule)
{
	static const char pol[] = "deny any open /etc/gshadow\n"
				  "allow user nobody open /etc/shadow write\n";
	struct result r = h_broker_run("nobody", pol, (char *[]){ "sh", "-c",
					 "cat /etc/shadow; cat /etc/gshadow", NULL });
	char *log = h_audit(), want[1024];
	const char *p = h_path("test.policy"), *line;
	struct result e;

	cr_assert_neq(r.status, 0);
	h_free(&r);
	/* the explicit deny */
	line = h_line_with(log, "object=/etc/gshadow");
	cr_assert(*line, "%s", log);
	cr_assert(strstr(line, "verdict=deny"), "%s", line);
	e = from_log(p, line);
	snprintf(want, sizeof(want), "deny (%s:1)\n  deny any open /etc/gshadow\n", p);
	cr_assert_str_eq(e.out, want, "%s\n%s", line, e.err);
	cr_assert_eq(e.status, 1);
	h_free(&e);
	/* the default deny, with its near miss */
	line = h_line_with(log, "object=/etc/shadow");
	cr_assert(*line, "%s", log);
	cr_assert(strstr(line, "verdict=deny rule=default"), "%s", line);
	e = from_log(p, line);
	snprintf(want, sizeof(want), "deny (default): line 2 names the path but grants write, not "
		 "read\n  %s:2: allow user nobody open /etc/shadow write\n", p);
	cr_assert_str_eq(e.out, want, "%s\n%s", line, e.err);
	h_free(&e);
	free(log);
}

/* An escaped object (a space is \x20 in the log) is unescaped before it is judged. */
Test(explain, from_log_unescapes)
{
	const char *p = h_file("e.policy", "allow user nobody open \"/srv/a b\" read\n", 0644);
	struct result e = from_log(p, "2026-01-01T00:00:00.000Z fdbroker[1]: pid=2 uid=65534 "
				      "gid=65534 prog=cat op=open object=/srv/a\\x20b rights=read "
				      "verdict=deny rule=default errno=EACCES");
	char want[600];

	snprintf(want, sizeof(want), "allow (%s:1)\n", p);
	cr_assert(strncmp(e.out, want, strlen(want)) == 0, "%s%s", e.out, e.err);
	/* the log said default, the policy says line 1 */
	cr_assert(strstr(e.out, "the log says rule=default"), "%s", e.out);
	h_free(&e);
}

/* A bind rule's "from" is the socket's locked kernel filter: explain says so after the rule. */
Test(explain, bind_from_prints_the_filter)
{
	const char *p = h_file("f.policy", "allow user nobody bind tcp 127.0.0.1:80 from 10.0.0.0/8 "
					   "::1\n", 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "bind", "tcp",
					   "127.0.0.1:80", NULL });
	char want[800];

	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "allow (%s:1)\n  allow user nobody bind tcp 127.0.0.1:80 from "
		 "10.0.0.0/8 ::1\n  the socket is bound with a locked kernel filter: only packets "
		 "from 10.0.0.0/8 ::1/128 reach it\n", p);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	h_free(&r);
}

/*
 * A tcp bind no bind rule speaks for is the accept rule's, as the broker
 * decides it: its peers are printed; without "from" nothing more.
 */
Test(explain, accept_from_prints_the_peers)
{
	const char *p = h_file("a.policy", "allow user nobody accept tcp 127.0.0.1:25 from "
					   "127.0.0.0/8\n"
					   "allow user nobody accept tcp 127.0.0.1:26\n", 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "bind", "tcp",
					   "127.0.0.1:25", NULL });
	char want[800];

	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	snprintf(want, sizeof(want), "allow (%s:1)\n  allow user nobody accept tcp 127.0.0.1:25 "
		 "from 127.0.0.0/8\n  peers: 127.0.0.0/8 (through the shim the broker holds the "
		 "listener and drops the others; under seccomp the socket is bound with these as a "
		 "locked kernel filter)\n", p);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	h_free(&r);
	r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "accept", "tcp",
			     "127.0.0.1:26", NULL });
	snprintf(want, sizeof(want), "allow (%s:2)\n  allow user nobody accept tcp 127.0.0.1:26\n",
		 p);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	cr_assert_eq(r.status, 0);
	h_free(&r);
}

/* A request is one address: "from" belongs to rules, and is refused in a request. */
Test(explain, from_in_a_request_is_refused)
{
	const char *p = h_file("r.policy", "allow user nobody bind tcp 127.0.0.1:80\n", 0644);
	struct result r = tool((char *[]){ "explain", "-p", (char *)p, "-u", "nobody", "bind", "tcp",
					   "127.0.0.1:80", "from", "10.0.0.1", NULL });

	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "a request has no 'from'"), "%s", r.err);
	h_free(&r);
}
