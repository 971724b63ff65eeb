/* --learn and least privilege, without a broker: what is printed parses back and allows. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/caps.h"
#include "learn/learn.h"

TestSuite(learn);

static void fail_on_error(void *ctx, const char *msg)
{
	(void)ctx;
	cr_assert_fail("learned line did not parse: %s", msg);
}

static struct request net(enum op op, int family, const char *ip, int port)
{
	struct request r = { .op = op, .u.net = { .proto = PROTO_TCP } };

	r.u.net.ep.family = family;
	inet_pton(family, ip, r.u.net.ep.ip);
	r.u.net.ep.port = (uint16_t)port;
	return r;
}

Test(learn, printed_lines_allow_what_was_denied)
{
	struct subject s = { .uid = 65534, .gid = 65534 };
	struct request open_r = { .op = OP_OPEN, .u.open = { .path = "/etc/shadow",
							     .rights = RIGHT_READ } };
	struct request open_w = { .op = OP_OPEN, .u.open = { .path = "/etc/shadow",
							     .rights = RIGHT_WRITE } };
	struct request sock = { .op = OP_SOCKET, .u.socket = { AF_INET, SOCK_RAW, 1 } };
	struct request b4 = net(OP_BIND, AF_INET, "127.0.0.1", 80);
	struct request b6 = net(OP_BIND, AF_INET6, "::", 443);
	struct request *all[] = { &open_r, &open_w, &sock, &b4, &b6 };
	struct learn *l = learn_new();
	struct policy p;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	for (size_t i = 0; i < 5; i++)
		learn_record(l, &s, all[i]);
	learn_record(l, &s, &b4); /* a repeat adds no line */
	learn_print(l, out);
	fclose(out);
	cr_assert(strstr(text, "allow user nobody open /etc/shadow read,write\n"), "%s", text);
	cr_assert(strstr(text, "allow user nobody socket inet raw 1\n"), "%s", text);
	cr_assert(strstr(text, "allow user nobody bind tcp 127.0.0.1:80\n"), "%s", text);
	cr_assert(strstr(text, "allow user nobody bind tcp [::]:443\n"), "%s", text);
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "learned", text, fail_on_error, NULL), 0);
	cr_assert_eq(p.n, 4);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(policy_decide(&p, &s, all[i]).verdict, VERDICT_ALLOW, "request %zu", i);
	policy_free(&p);
	learn_free(l);
	free(text);
}

/* What learn_print wrote for these requests of nobody's, malloc'd. */
static char *learned(const struct request *const *rs, size_t n)
{
	struct subject s = { .uid = 65534, .gid = 65534 };
	struct learn *l = learn_new();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	for (size_t i = 0; i < n; i++)
		learn_record(l, &s, rs[i]);
	learn_print(l, out);
	fclose(out);
	learn_free(l);
	return text;
}

/* Every line is a comment or a rule: nothing a client chose can start a line. */
static void lines_are_rules_or_comments(const char *text)
{
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		cr_assert(strncmp(line, "allow user nobody ", 18) == 0 || strncmp(line, "# ", 2) == 0,
			  "line '%.*s' in:\n%s",
			  (int)strcspn(line, "\n"), line, text);
		cr_assert_not_null(strchr(line, '\n'));
	}
}

/*
 * The issue's path: a newline in a name used to end the learned line there
 * and start a rule of the client's choosing.  Now every rule `check` reads
 * from the output grants exactly what was asked, on exactly that name.
 */
Test(learn, newline_path_grants_only_the_request)
{
	static const char evil[] = "/x read\nallow user nobody open / read,write,create\n#";
	struct request r = { .op = OP_OPEN, .u.open = { .path = evil, .rights = RIGHT_READ } };
	const struct request *rs[] = { &r };
	struct subject s = { .uid = 65534, .gid = 65534 };
	char *text = learned(rs, 1);
	struct policy p;

	lines_are_rules_or_comments(text);
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "learned", text, fail_on_error, NULL), 0);
	cr_assert_eq(p.n, 1, "%s", text);
	for (size_t i = 0; i < p.n; i++) {
		const struct rule *rule = &p.rules[i];

		cr_assert_eq(rule->verdict, VERDICT_ALLOW);
		cr_assert_eq(rule->subject, SUBJECT_USER);
		cr_assert_eq(rule->id, 65534);
		cr_assert_eq(rule->op, OP_OPEN, "%s", rule->text);
		cr_assert_str_eq(rule->u.open.path, evil);
		cr_assert_not(rule->u.open.tree, "%s", rule->text);
		cr_assert_eq(rule->u.open.rights, RIGHT_READ, "%s", rule->text);
		cr_assert_not(rule->u.open.owner_root);
	}
	cr_assert_eq(policy_decide(&p, &s, &r).verdict, VERDICT_ALLOW);
	/* and no rule reaches the tree the injected line named */
	static const char *const others[] = { "/", "/x", "/etc/shadow", "/x read" };

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct request o = { .op = OP_OPEN,
				     .u.open = { .path = others[i],
						 .rights = RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE } };

		cr_assert_eq(policy_decide(&p, &s, &o).verdict, VERDICT_DENY, "%s", others[i]);
		o.u.open.rights = RIGHT_READ;
		cr_assert_eq(policy_decide(&p, &s, &o).verdict, VERDICT_DENY, "%s", others[i]);
	}
	policy_free(&p);
	free(text);
}

/* Names with blanks, quotes, '#', control and non-ASCII bytes: quoted, read back exactly. */
Test(learn, odd_names_are_quoted_and_read_back)
{
	static const char *const paths[] = {
		"/srv/a b", "/srv/#c", "/srv/q\"", "/srv/\x1b[2J\r", "/srv/caf\xc3\xa9", "/srv/t\tab",
	};
	struct request rs_[6];
	const struct request *rs[7];
	struct request u = { .op = OP_BIND, .u.net = { .proto = PROTO_UNIX } };
	struct subject s = { .uid = 65534, .gid = 65534 };
	struct policy p;
	char *text;

	for (size_t i = 0; i < 6; i++) {
		rs_[i] = (struct request){ .op = OP_OPEN,
					   .u.open = { .path = paths[i], .rights = RIGHT_WRITE } };
		rs[i] = &rs_[i];
	}
	u.u.net.ep.family = AF_UNIX;
	snprintf(u.u.net.ep.path, sizeof(u.u.net.ep.path), "/run/my app\n.sock");
	rs[6] = &u;
	text = learned(rs, 7);
	lines_are_rules_or_comments(text);
	cr_assert(strstr(text, "allow user nobody open \"/srv/a b\" write\n"), "%s", text);
	cr_assert(strstr(text, "allow user nobody bind unix \"/run/my app\\n.sock\"\n"), "%s", text);
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "learned", text, fail_on_error, NULL), 0);
	cr_assert_eq(p.n, 7, "%s", text);
	for (size_t i = 0; i < 6; i++) {
		cr_assert_str_eq(p.rules[i].u.open.path, paths[i]);
		cr_assert_eq(p.rules[i].u.open.rights, RIGHT_WRITE);
		cr_assert_eq(policy_decide(&p, &s, rs[i]).rule, &p.rules[i]);
	}
	cr_assert_str_eq(p.rules[6].u.net.addr.path, u.u.net.ep.path);
	cr_assert_eq(policy_decide(&p, &s, &u).verdict, VERDICT_ALLOW);
	policy_free(&p);
	free(text);
}

/*
 * Requests no line can state exactly are left out with a comment, the name
 * quoted as a rule would (so it cannot end the comment), or only its
 * length when it is too long for a line: "/" (its rule would be the tree
 * of every file), a name that is not absolute and canonical, one too long.
 */
Test(learn, unwritable_names_become_comments)
{
	static char longname[4000];
	const char *paths[] = { "/", "relative", "/a//b", "/a/../b", longname };
	struct request rs_[5];
	const struct request *rs[5];
	struct policy p;
	char *text;
	int n = 0;

	memset(longname, '\n', sizeof(longname) - 1);
	longname[0] = '/';
	for (size_t i = 0; i < 5; i++) {
		rs_[i] = (struct request){ .op = OP_OPEN,
					   .u.open = { .path = paths[i], .rights = RIGHT_READ } };
		rs[i] = &rs_[i];
	}
	text = learned(rs, 5);
	lines_are_rules_or_comments(text);
	cr_assert_eq(strstr(text, "allow"), NULL, "%s", text);
	for (const char *c = text; (c = strchr(c, '\n')); c++)
		n++;
	cr_assert_eq(n, 5, "one comment per request:\n%s", text);
	cr_assert(strstr(text, "# left out: open / read (user nobody, 1 request): a rule for / "
			       "would be the tree of every file\n"), "%s", text);
	cr_assert(strstr(text, "# left out: open relative read (user nobody, 1 request): not one "
			       "absolute canonical file name\n"), "%s", text);
	cr_assert(strstr(text, "# left out: open (a path of 3999 bytes) read (user nobody, 1 "
			       "request): as a rule it would not fit on a policy line\n"), "%s", text);
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "learned", text, fail_on_error, NULL), 0);
	cr_assert_eq(p.n, 0);
	policy_free(&p);
	free(text);
}

struct caps_case {
	char policy[128];
	uint64_t caps;
};

#define B(c) (UINT64_C(1) << (c))

Test(learn, capabilities_follow_rules)
{
	static const struct caps_case cases[] = {
		{ "allow any bind tcp *:80\n", B(CAP_NET_BIND_SERVICE) },
		{ "allow any bind tcp *:8080\n", 0 },
		/* a socket on [::] is made IPv6-only behind a filter, which tcp wants NET_ADMIN for */
		{ "allow any bind tcp [::]:80\n", B(CAP_NET_BIND_SERVICE) | B(CAP_NET_ADMIN) },
		{ "allow any bind udp [::]:80\n", B(CAP_NET_BIND_SERVICE) },
		{ "allow any bind tcp [::1]:80\n", B(CAP_NET_BIND_SERVICE) },
		{ "allow any bind tcp 127.0.0.1:80 from 127.0.0.0/8\n",
		  B(CAP_NET_BIND_SERVICE) | B(CAP_NET_ADMIN) },
		{ "allow any open /etc/ssl/private/ read\n", B(CAP_DAC_READ_SEARCH) },
		{ "allow any open /var/log/x write\n", B(CAP_DAC_OVERRIDE) },
		{ "allow any open /var/db/ write,create\n", B(CAP_DAC_OVERRIDE) | B(CAP_CHOWN) },
		{ "allow any open /var/db/ create owner=root\n", B(CAP_DAC_OVERRIDE) },
		{ "allow any socket inet raw icmp\n", B(CAP_NET_RAW) },
		{ "allow any socket packet raw all\n", B(CAP_NET_RAW) },
		{ "allow any accept tcp *:443\n", B(CAP_NET_BIND_SERVICE) },
		{ "allow any bind unix /run/app/\n", B(CAP_DAC_OVERRIDE) | B(CAP_CHOWN) },
		{ "deny any open /etc/shadow\n", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy p;

		policy_init(&p);
		cr_assert_eq(policy_parse_text(&p, "t", cases[i].policy, fail_on_error, NULL), 0);
		cr_assert_eq(caps_needed(&p), cases[i].caps, "%s", cases[i].policy);
		policy_free(&p);
	}
}
