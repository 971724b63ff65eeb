/* --learn and least privilege, without a broker: what is printed parses back and allows. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "learn.h"

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
		{ "allow any open /etc/ssl/private/ read\n", B(CAP_DAC_READ_SEARCH) },
		{ "allow any open /var/log/x append\n", B(CAP_DAC_OVERRIDE) },
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
