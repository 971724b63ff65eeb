/*
 * helper/policy/near_miss.c: the allow rule nearest to a request no rule
 * allows, and what explain says differs.  Numeric ids only.
 */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"

static struct policy pol;

static void setup(void)
{
	policy_init(&pol);
}

static void teardown(void)
{
	policy_free(&pol);
}

TestSuite(near_miss, .init = setup, .fini = teardown, .timeout = 10);

static const struct subject U1000 = { 1000, 1000, NULL, 0 };

static void parse_ok(const char *text)
{
	cr_assert_eq(policy_parse_text(&pol, "t.policy", text, NULL, NULL), 0, "%s", text);
}

/* The near miss for an open, in words. */
static const char *why_open(const char *path, unsigned rights, struct near_miss *m)
{
	static char buf[1024];
	struct request r = { .op = OP_OPEN, .u.open = { path, rights } };

	cr_assert_eq(policy_decide(&pol, &U1000, &r).verdict, VERDICT_DENY);
	*m = policy_near_miss(&pol, &U1000, &r);
	return near_miss_format(m, &r, "alice", buf, sizeof(buf));
}

static const char *why_bind(enum proto proto, uint16_t port, struct near_miss *m)
{
	static char buf[1024];
	struct request r = { .op = OP_BIND };

	r.u.net.proto = proto;
	r.u.net.ep.family = AF_INET;
	memcpy(r.u.net.ep.ip, (uint8_t[]){ 127, 0, 0, 1 }, 4);
	r.u.net.ep.port = port;
	*m = policy_near_miss(&pol, &U1000, &r);
	return near_miss_format(m, &r, "alice", buf, sizeof(buf));
}

Test(near_miss, wrong_rights)
{
	struct near_miss m;

	parse_ok("allow user 1000 open /etc/shadow write,create\n");
	cr_assert_str_eq(why_open("/etc/shadow", RIGHT_READ, &m),
			 "line 1 names the path but grants write,create, not read");
	cr_assert_eq(m.miss, MISS_RIGHTS);
	cr_assert_eq(m.rule, &pol.rules[0]);
}

Test(near_miss, wrong_user)
{
	struct near_miss m;

	parse_ok("allow user 0 open /etc/x read\n"
		 "allow any open /etc/y read\n"
		 "allow user 33 open /etc/shadow read\n");
	cr_assert_str_eq(why_open("/etc/shadow", RIGHT_READ, &m), "line 3 is for user 33, not alice");
	cr_assert_eq(m.miss, MISS_SUBJECT);
}

Test(near_miss, wrong_group_and_rights)
{
	struct near_miss m;

	parse_ok("allow group 4242 open /srv/ write\n");
	cr_assert_str_eq(why_open("/srv/a", RIGHT_READ, &m),
			 "line 1 is for group 4242, and alice is not in it, and grants write, not read");
	cr_assert_eq(m.miss, MISS_SUBJECT | MISS_RIGHTS);
}

/* The rule that names the path beats the one for the right user and another path. */
Test(near_miss, the_path_weighs_most)
{
	struct near_miss m;

	parse_ok("allow user 1000 open /etc/other read\n"
		 "allow user 7 open /etc/shadow read\n");
	why_open("/etc/shadow", RIGHT_READ, &m);
	cr_assert_eq(m.rule, &pol.rules[1]);
}

Test(near_miss, another_path_longest_shared_part)
{
	struct near_miss m;

	parse_ok("allow user 1000 open /var/x read\n"
		 "allow user 1000 open /etc/ssl/a.key read\n");
	cr_assert_str_eq(why_open("/etc/ssl/b.key", RIGHT_READ, &m),
			 "line 2 names /etc/ssl/a.key, not /etc/ssl/b.key");
	cr_assert_eq(m.miss, MISS_PATH);
}

Test(near_miss, below_a_path_without_slash)
{
	struct near_miss m;

	parse_ok("allow user 1000 open /srv/tls read\n");
	cr_assert_str_eq(why_open("/srv/tls/a.key", RIGHT_READ, &m),
			 "line 1 names /srv/tls itself only, not what is below it "
			 "(a tree is written /srv/tls/)");
	cr_assert_eq(m.miss, MISS_BELOW);
}

Test(near_miss, deny_rules_and_other_ops_are_not_near)
{
	struct near_miss m;

	parse_ok("deny user 1000 open /etc/shadow write\n"
		 "allow user 1000 bind tcp *:80\n");
	cr_assert_str_eq(why_open("/etc/shadow", RIGHT_READ, &m), "no rule allows open at all");
	cr_assert_null(m.rule);
}

Test(near_miss, wrong_port)
{
	struct near_miss m;

	parse_ok("allow user 1000 bind tcp 127.0.0.1:80\n");
	cr_assert_str_eq(why_bind(PROTO_TCP, 81, &m), "line 1 allows port 80, not 81");
	cr_assert_eq(m.miss, MISS_PORT);
}

Test(near_miss, wrong_port_range)
{
	struct near_miss m;

	parse_ok("allow user 1000 bind tcp *:8000-8100\n");
	cr_assert_str_eq(why_bind(PROTO_TCP, 80, &m), "line 1 allows ports 8000-8100, not 80");
}

Test(near_miss, wrong_protocol_and_address)
{
	struct near_miss m;

	parse_ok("allow user 1000 bind udp 10.0.0.1:80\n");
	cr_assert_str_eq(why_bind(PROTO_TCP, 80, &m),
			 "line 1 is for udp, not tcp, and allows 10.0.0.1:80, not 127.0.0.1:80");
	cr_assert_eq(m.miss, MISS_PROTO | MISS_ADDR);
}

Test(near_miss, socket_protocol)
{
	static char buf[256];
	struct request r = { .op = OP_SOCKET, .u.socket = { AF_INET, SOCK_RAW, IPPROTO_UDP } };
	struct near_miss m;

	parse_ok("allow user 1000 socket inet raw icmp\n");
	m = policy_near_miss(&pol, &U1000, &r);
	cr_assert_eq(m.miss, MISS_PROTOCOL);
	cr_assert_str_eq(near_miss_format(&m, &r, "alice", buf, sizeof(buf)),
			 "line 1 is for protocol 1, not 17");
}

/* A buffer too small is cut, never overrun. */
Test(near_miss, small_buffer)
{
	char buf[8];
	struct request r = { .op = OP_OPEN, .u.open = { "/etc/shadow", RIGHT_READ } };
	struct near_miss m;

	parse_ok("allow user 1000 open /etc/shadow write\n");
	m = policy_near_miss(&pol, &U1000, &r);
	near_miss_format(&m, &r, "alice", buf, sizeof(buf));
	cr_assert_str_eq(buf, "line 1 ");
}
