/*
 * --learn=permissive at the decision, without a broker: where no rule
 * matches, a learnable request is allowed by policy_learn_rule; a deny rule
 * still decides; and what learn_decision makes of each outcome.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/caps.h"
#include "learn/learn.h"

TestSuite(permissive);

static const struct subject nobody = { .uid = 65534, .gid = 65534 };

static void fail_on_error(void *ctx, const char *msg)
{
	(void)ctx;
	cr_assert_fail("policy did not parse: %s", msg);
}

static void parse(struct policy *p, const char *text, bool permissive)
{
	policy_init(p);
	cr_assert_eq(policy_parse_text(p, "t", text, fail_on_error, NULL), 0);
	p->permissive = permissive;
}

static struct request open_req(const char *path, unsigned rights)
{
	return (struct request){ .op = OP_OPEN, .u.open = { .path = path, .rights = rights } };
}

static struct request net(enum op op, enum proto proto, const char *ip, int port)
{
	struct request r = { .op = op, .u.net = { .proto = proto } };

	r.u.net.ep.family = AF_INET;
	inet_pton(AF_INET, ip, r.u.net.ep.ip);
	r.u.net.ep.port = (uint16_t)port;
	return r;
}

Test(permissive, no_rule_is_a_learned_allow_and_only_then)
{
	struct policy p;
	struct request r = open_req("/etc/shadow", RIGHT_READ);
	struct decision d;

	parse(&p, "allow user nobody open /etc/hostname read\n", false);
	d = policy_decide(&p, &nobody, &r);
	cr_assert_eq(d.verdict, VERDICT_DENY);
	cr_assert_null(d.rule);
	p.permissive = true;
	d = policy_decide(&p, &nobody, &r);
	cr_assert_eq(d.verdict, VERDICT_ALLOW);
	cr_assert(rule_is_learned(d.rule));
	/* a rule that matches still decides, and is no learned one */
	r.u.open.path = "/etc/hostname";
	d = policy_decide(&p, &nobody, &r);
	cr_assert_eq(d.rule, &p.rules[0]);
	cr_assert_not(rule_is_learned(d.rule));
	/* a fresh policy (serve's reload) is never permissive */
	policy_free(&p);
	policy_init(&p);
	cr_assert_not(p.permissive);
	policy_free(&p);
}

Test(permissive, deny_rules_are_never_overridden)
{
	struct policy p;
	static const char *const denied[] = { "/etc/shadow", "/srv/secret", "/srv/secret/a/b" };

	parse(&p, "deny user nobody open /etc/shadow\n"
		  "deny any open /srv/secret/\n"
		  "deny user nobody open /etc/gshadow write\n"
		  "deny group nogroup bind tcp *:25\n"
		  "deny any socket packet raw all\n", true);
	for (size_t i = 0; i < 3; i++) {
		for (unsigned rights = 1; rights <= 7; rights++) {
			struct request r = open_req(denied[i], rights);
			struct decision d = policy_decide(&p, &nobody, &r);

			cr_assert_eq(d.verdict, VERDICT_DENY, "%s %u", denied[i], rights);
			cr_assert_not_null(d.rule, "%s", denied[i]);
		}
	}
	/* a deny rule for write decides write; reading was never its to decide */
	struct request w = open_req("/etc/gshadow", RIGHT_READ | RIGHT_WRITE);
	struct request rd = open_req("/etc/gshadow", RIGHT_READ);

	cr_assert_eq(policy_decide(&p, &nobody, &w).verdict, VERDICT_DENY);
	cr_assert(rule_is_learned(policy_decide(&p, &nobody, &rd).rule));
	struct request b = net(OP_BIND, PROTO_TCP, "127.0.0.1", 25);

	cr_assert_eq(policy_decide(&p, &nobody, &b).verdict, VERDICT_DENY);
	struct request s = { .op = OP_SOCKET, .u.socket = { AF_PACKET, SOCK_RAW, 3 } };

	cr_assert_eq(policy_decide(&p, &nobody, &s).verdict, VERDICT_DENY);
	policy_free(&p);
}

/* What no rule could grant so that the broker serves it is not granted either. */
Test(permissive, unlearnable_requests_stay_denied)
{
	struct policy p;
	static const char *const paths[] = { "/proc/1/environ", "/proc", "/proc/self/fd/2",
					     "/dev/fd/2", "/", "/a//b", "/a/./b", "relative" };
	const char *why;

	parse(&p, "", true);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct request r = open_req(paths[i], RIGHT_READ);
		struct decision d = policy_decide(&p, &nobody, &r);

		cr_assert_eq(d.verdict, VERDICT_DENY, "%s", paths[i]);
		cr_assert_null(d.rule, "%s", paths[i]);
		cr_assert_not(policy_learnable(&r, &why), "%s", paths[i]);
		cr_assert_not_null(why);
	}
	/* /procfoo and /dev/fdx are ordinary names */
	struct request ok1 = open_req("/procfoo", RIGHT_READ), ok2 = open_req("/dev/fdx", RIGHT_READ);

	cr_assert(rule_is_learned(policy_decide(&p, &nobody, &ok1).rule));
	cr_assert(rule_is_learned(policy_decide(&p, &nobody, &ok2).rule));
	struct request none = open_req("/etc/x", 0);

	cr_assert_null(policy_decide(&p, &nobody, &none).rule);
	struct request odd = { .op = OP_SOCKET, .u.socket = { 12345, SOCK_RAW, 0 } };

	cr_assert_null(policy_decide(&p, &nobody, &odd).rule);
	struct request acc = net(OP_ACCEPT, PROTO_TCP, "0.0.0.0", 443);

	cr_assert_null(policy_decide(&p, &nobody, &acc).rule);
	policy_free(&p);
}

/*
 * A tcp bind an accept rule speaks for gets no learned grant: the caller's
 * accept decision then applies, as without permissive (grant/bind.c).
 */
Test(permissive, accept_rules_keep_their_binds)
{
	struct policy p;
	struct request tcp = net(OP_BIND, PROTO_TCP, "0.0.0.0", 443);
	struct request udp = net(OP_BIND, PROTO_UDP, "0.0.0.0", 443);
	struct request other = net(OP_BIND, PROTO_TCP, "0.0.0.0", 444);

	parse(&p, "allow user nobody accept tcp *:443\n", true);
	cr_assert_null(policy_decide(&p, &nobody, &tcp).rule);
	cr_assert_eq(policy_decide(&p, &nobody, &tcp).verdict, VERDICT_DENY);
	tcp.op = OP_ACCEPT;
	cr_assert_eq(policy_decide(&p, &nobody, &tcp).rule, &p.rules[0]);
	cr_assert(rule_is_learned(policy_decide(&p, &nobody, &udp).rule));
	cr_assert(rule_is_learned(policy_decide(&p, &nobody, &other).rule));
	policy_free(&p);
}

#define B(c) (UINT64_C(1) << (c))

Test(permissive, keeps_what_any_learned_rule_needs)
{
	struct policy p;

	parse(&p, "", true);
	cr_assert_eq(caps_needed(&p), B(CAP_DAC_READ_SEARCH) | B(CAP_DAC_OVERRIDE) | B(CAP_CHOWN) |
					      B(CAP_NET_BIND_SERVICE) | B(CAP_NET_RAW));
	p.permissive = false;
	cr_assert_eq(caps_needed(&p), 0);
	policy_free(&p);
}

static char *printed(const struct learn *l)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	learn_print(l, out);
	fclose(out);
	return text;
}

/* Each outcome of a decision, as learn_decision records it. */
Test(permissive, what_each_outcome_teaches)
{
	struct policy p;
	struct learn *l = learn_new();
	struct request granted = open_req("/srv/a", RIGHT_READ);
	struct request again = open_req("/srv/a", RIGHT_WRITE);
	struct request failed = net(OP_BIND, PROTO_TCP, "127.0.0.1", 80);
	struct request denied = open_req("/srv/b", RIGHT_READ);
	struct request ruled = open_req("/srv/c", RIGHT_READ);
	struct request foreign = open_req("/srv/d", RIGHT_READ);
	struct request magic = open_req("/dev/stderr", RIGHT_WRITE);
	char *text;

	parse(&p, "deny user nobody open /srv/c\n", true);
	learn_decision(l, &nobody, "cat", NULL, &granted, &policy_learn_rule, 0, NULL, NULL);
	learn_decision(l, &nobody, "sh", NULL, &again, &policy_learn_rule, 0, NULL, NULL);
	learn_decision(l, &nobody, "nc", NULL, &failed, &policy_learn_rule, EADDRINUSE, NULL, NULL);
	learn_decision(l, &nobody, "cat", NULL, &denied, NULL, EACCES, NULL, NULL);
	learn_decision(l, &nobody, "cat", NULL, &ruled, &p.rules[0], EACCES, NULL, NULL);
	learn_decision(l, &nobody, "cat", NULL, &foreign, NULL, EACCES, "refused beside the policy",
		       "foreign-mount");
	learn_decision(l, &nobody, "sh", NULL, &magic, NULL, EACCES, learn_why_unresolved(ELOOP), NULL);
	cr_assert_eq(learn_granted(l), 2);
	text = printed(l);
	cr_assert(strstr(text, "# open /srv/a read,write: 2 requests granted while learning, by "
			       "cat, sh\nallow user nobody open /srv/a read,write\n"), "%s", text);
	cr_assert(strstr(text, "# open /srv/b read: 1 request, by cat\n"
			       "allow user nobody open /srv/b read\n"), "%s", text);
	cr_assert(strstr(text, "# left out: bind tcp 127.0.0.1:80 (user nobody, 1 request, by "
			       "nc): granted while learning, but it failed: Address already in "
			       "use\n"), "%s", text);
	cr_assert(strstr(text, "# left out: open /srv/d read (user nobody, 1 request, by cat): "
			       "refused beside the policy (reason=foreign-mount)\n"), "%s", text);
	cr_assert(strstr(text, "# left out: open /dev/stderr write (user nobody, 1 request, by "
			       "sh): its name leads through a magic link"), "%s", text);
	cr_assert_null(strstr(text, "/srv/c"), "a request a rule decided is not listed: %s", text);
	/* the rules read back, and there are two */
	struct policy back;

	policy_init(&back);
	cr_assert_eq(policy_parse_text(&back, "learned", text, fail_on_error, NULL), 0);
	cr_assert_eq(back.n, 2, "%s", text);
	policy_free(&back);
	free(text);
	learn_free(l);
	policy_free(&p);
}
