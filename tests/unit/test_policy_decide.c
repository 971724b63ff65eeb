/*
 * helper/policy/match.c: the decisions over parsed rules: subjects, the
 * first match, the default deny, open paths and rights, sockets, bind and
 * accept addresses.
 */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "policy_fixture.h"

TestSuite(policy_decide, .init = policy_fixture_init, .fini = policy_fixture_fini,
	  .timeout = 10);

Test(policy_decide, subjects_match_user_group_and_any)
{
	gid_t supp[] = { 5, 2000, 7 };
	struct subject primary = { 1500, 2000, NULL, 0 };
	struct subject supplementary = { 1501, 1501, supp, 3 };
	struct subject outsider = { 1502, 1502, supp, 1 };

	parse_ok("allow user 1000 open /u read\n"
		 "allow group 2000 open /g read\n"
		 "allow any open /a read\n");
	cr_assert(may_open(&U1000, "/u", RIGHT_READ));
	cr_assert_not(may_open(&U1001, "/u", RIGHT_READ));
	/* A group rule judges the uid not at all: uid 2000 is not gid 2000. */
	cr_assert_not(may_open(&(struct subject){ 2000, 1, NULL, 0 }, "/g", RIGHT_READ));
	cr_assert(may_open(&primary, "/g", RIGHT_READ));
	cr_assert(may_open(&supplementary, "/g", RIGHT_READ));
	cr_assert_not(may_open(&outsider, "/g", RIGHT_READ));
	cr_assert(may_open(&outsider, "/a", RIGHT_READ));
	cr_assert(may_open(&U1001, "/a", RIGHT_READ));
}

/* ---- decisions: order and default ---------------------------------------- */

Test(policy_decide, first_match_wins)
{
	struct decision d;

	parse_ok("deny user 1000 open /srv/secret\n"
		 "allow any open /srv/ read\n"
		 "deny any open /srv/ read\n");
	d = ask_open(&U1000, "/srv/secret", RIGHT_READ);
	cr_assert_eq(d.verdict, VERDICT_DENY);
	cr_assert_eq(d.rule, &pol.rules[0]);
	d = ask_open(&U1001, "/srv/secret", RIGHT_READ);
	cr_assert_eq(d.verdict, VERDICT_ALLOW);
	cr_assert_eq(d.rule, &pol.rules[1]);
	cr_assert(rule_matches(&pol.rules[2], &U1001, &(struct request){
		.op = OP_OPEN, .u.open = { "/srv/secret", RIGHT_READ } }),
		  "the later rule matches too, but is never reached");
}

Test(policy_decide, default_is_deny_with_no_rule)
{
	struct decision d = ask_open(&U1000, "/etc/passwd", RIGHT_READ);

	cr_assert_eq(d.verdict, VERDICT_DENY);
	cr_assert_null(d.rule);
	parse_ok("allow user 1000 open /etc/hosts read\n");
	d = ask_open(&U1000, "/etc/passwd", RIGHT_READ);
	cr_assert_eq(d.verdict, VERDICT_DENY);
	cr_assert_null(d.rule);
	/* Operations never cross: an open rule says nothing about sockets. */
	cr_assert_not(may_socket(&U1000, AF_INET, SOCK_RAW, IPPROTO_ICMP));
}

/* ---- decisions: open paths and rights -------------------------------------- */

Test(policy_decide, tree_versus_exact)
{
	parse_ok("allow any open /srv/x/ read\n"
		 "allow any open /etc/hosts read\n");
	cr_assert(may_open(&U1000, "/srv/x", RIGHT_READ));
	cr_assert(may_open(&U1000, "/srv/x/a", RIGHT_READ));
	cr_assert(may_open(&U1000, "/srv/x/a/b", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/srv/xy", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/srv/xy/a", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/srv", RIGHT_READ));
	cr_assert(may_open(&U1000, "/etc/hosts", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/etc/hosts/x", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/etc/host", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/etc/hosts2", RIGHT_READ));
}

Test(policy_decide, root_tree_covers_everything)
{
	parse_ok("deny any open /\n"
		 "allow any open /srv/ read\n");
	cr_assert_not(may_open(&U1000, "/srv/a", RIGHT_READ));
	cr_assert_eq(ask_open(&U1000, "/", RIGHT_READ).rule, &pol.rules[0]);
	cr_assert_eq(ask_open(&U1000, "/srv/a/b", RIGHT_READ).rule, &pol.rules[0]);
}

Test(policy_decide, allow_rights)
{
	parse_ok("allow any open /r read\n"
		 "allow any open /w write\n"
		 "allow any open /c create\n"
		 "allow any open /rc read,create\n");
	/* read refuses writing of every kind. */
	cr_assert(may_open(&U1000, "/r", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/r", RIGHT_WRITE));
	cr_assert_not(may_open(&U1000, "/r", RIGHT_READ | RIGHT_WRITE));
	/* write covers writing (O_APPEND included), not read or create. */
	cr_assert(may_open(&U1000, "/w", RIGHT_WRITE));
	cr_assert_not(may_open(&U1000, "/w", RIGHT_READ));
	cr_assert_not(may_open(&U1000, "/w", RIGHT_WRITE | RIGHT_CREATE));
	/* create implies write. */
	cr_assert(may_open(&U1000, "/c", RIGHT_CREATE | RIGHT_WRITE));
	cr_assert(may_open(&U1000, "/c", RIGHT_WRITE));
	cr_assert_not(may_open(&U1000, "/c", RIGHT_READ));
	cr_assert(may_open(&U1000, "/rc", RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE));
}

Test(policy_decide, deny_rights)
{
	parse_ok("deny any open /all\n"
		 "deny any open /w write\n"
		 "deny any open /r read\n"
		 "allow any open / read,write,create\n");
	/* No rights: every request on the path. */
	cr_assert_eq(ask_open(&U1000, "/all", RIGHT_READ).rule, &pol.rules[0]);
	cr_assert_eq(ask_open(&U1000, "/all", RIGHT_WRITE).rule, &pol.rules[0]);
	cr_assert_eq(ask_open(&U1000, "/all", 0).rule, &pol.rules[0]);
	/* deny write blocks read,write too, but not reading. */
	cr_assert_not(may_open(&U1000, "/w", RIGHT_WRITE));
	cr_assert_not(may_open(&U1000, "/w", RIGHT_READ | RIGHT_WRITE));
	cr_assert_eq(ask_open(&U1000, "/w", RIGHT_READ).rule, &pol.rules[3]);
	cr_assert(may_open(&U1000, "/w", RIGHT_READ));
	/* deny read leaves writing alone. */
	cr_assert_not(may_open(&U1000, "/r", RIGHT_READ));
	cr_assert(may_open(&U1000, "/r", RIGHT_WRITE));
}

/* ---- decisions: sockets ---------------------------------------------------- */

Test(policy_decide, socket_protocols)
{
	parse_ok("allow any socket inet raw icmp\n"
		 "allow any socket packet raw all\n"
		 "allow any socket netlink raw 0\n"
		 "allow any socket inet6 dgram 17\n");
	cr_assert(may_socket(&U1000, AF_INET, SOCK_RAW, IPPROTO_ICMP));
	cr_assert_not(may_socket(&U1000, AF_INET, SOCK_RAW, 0));
	cr_assert_not(may_socket(&U1000, AF_INET, SOCK_RAW, IPPROTO_RAW));
	cr_assert_not(may_socket(&U1000, AF_INET6, SOCK_RAW, IPPROTO_ICMP));
	cr_assert_not(may_socket(&U1000, AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	/* all: any protocol number, 0 included. */
	cr_assert(may_socket(&U1000, AF_PACKET, SOCK_RAW, 0));
	cr_assert(may_socket(&U1000, AF_PACKET, SOCK_RAW, 768));
	cr_assert_not(may_socket(&U1000, AF_PACKET, SOCK_DGRAM, 768));
	cr_assert(may_socket(&U1000, AF_NETLINK, SOCK_RAW, 0));
	cr_assert_not(may_socket(&U1000, AF_NETLINK, SOCK_RAW, 9));
	cr_assert(may_socket(&U1000, AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
	cr_assert_not(may_socket(&U1000, AF_INET6, SOCK_DGRAM, 0));
	/* Creation flags ride on the type argument and do not change the type. */
	cr_assert(may_socket(&U1000, AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMP));
}

/* ---- decisions: bind and accept ----------------------------------------- */

Test(policy_decide, bind_addresses_ports_and_protocols)
{
	parse_ok("allow any bind tcp *:80\n"
		 "allow any bind udp 127.0.0.1:8000-8100\n"
		 "allow any bind tcp [::]:443\n"
		 "allow any bind tcp 0.0.0.0:8443\n");
	/* * matches both families. */
	cr_assert(may_bind(&U1000, PROTO_TCP, ep4(0, 0, 0, 0, 80)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep4(192, 0, 2, 1, 80)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep6("::", 80)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep6("2001:db8::1", 80)));
	cr_assert_not(may_bind(&U1000, PROTO_UDP, ep4(0, 0, 0, 0, 80)), "udp is not tcp");
	/* Ranges are inclusive. */
	cr_assert(may_bind(&U1000, PROTO_UDP, ep4(127, 0, 0, 1, 8000)));
	cr_assert(may_bind(&U1000, PROTO_UDP, ep4(127, 0, 0, 1, 8100)));
	cr_assert_not(may_bind(&U1000, PROTO_UDP, ep4(127, 0, 0, 1, 8101)));
	cr_assert_not(may_bind(&U1000, PROTO_UDP, ep4(127, 0, 0, 1, 7999)));
	cr_assert_not(may_bind(&U1000, PROTO_UDP, ep4(127, 0, 0, 2, 8000)));
	/* A dual-stack socket bound to ::ffff:127.0.0.1 is the IPv4 address. */
	cr_assert(may_bind(&U1000, PROTO_UDP, ep6("::ffff:127.0.0.1", 8050)));
	/* [::] and 0.0.0.0 are literal wildcard binds, not "any address". */
	cr_assert(may_bind(&U1000, PROTO_TCP, ep6("::", 443)));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, ep6("::1", 443)));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, ep4(0, 0, 0, 0, 443)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep4(0, 0, 0, 0, 8443)));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, ep4(10, 0, 0, 1, 8443)));
	/* A bind rule is not an accept rule. */
	cr_assert_eq(ask_net(&U1000, OP_ACCEPT, PROTO_TCP, ep4(0, 0, 0, 0, 80)).verdict,
		     VERDICT_DENY);
}

Test(policy_decide, v4mapped_rule_matches_ipv4_binds)
{
	parse_ok("allow any bind tcp [::ffff:127.0.0.1]:80\n");
	cr_assert(may_bind(&U1000, PROTO_TCP, ep4(127, 0, 0, 1, 80)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep6("::ffff:127.0.0.1", 80)));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, ep6("::1", 80)));
}

Test(policy_decide, unix_exact_and_prefix)
{
	parse_ok("allow any bind unix /run/app/app.sock\n"
		 "allow any bind unix /run/shared/\n");
	cr_assert(may_bind(&U1000, PROTO_UNIX, epu("/run/app/app.sock")));
	cr_assert_not(may_bind(&U1000, PROTO_UNIX, epu("/run/app/other.sock")));
	cr_assert(may_bind(&U1000, PROTO_UNIX, epu("/run/shared/a.sock")));
	cr_assert(may_bind(&U1000, PROTO_UNIX, epu("/run/shared/deep/b.sock")));
	cr_assert_not(may_bind(&U1000, PROTO_UNIX, epu("/run/sharedx/a.sock")));
	cr_assert_not(may_bind(&U1000, PROTO_UNIX, epu("/run/shared/../app/x.sock")));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, epu("/run/shared/a.sock")));
}

Test(policy_decide, accept_exposes_from_without_matching_on_it)
{
	const struct rule *r;
	struct decision d;

	parse_ok("allow any accept tcp *:8443 from 10.0.0.0/8 ::1\n");
	d = ask_net(&U1000, OP_ACCEPT, PROTO_TCP, ep6("::", 8443));
	cr_assert_eq(d.verdict, VERDICT_ALLOW);
	r = d.rule;
	cr_assert_eq(r->u.net.nfrom, 2);
	/* Peers are filtered later, by the from list. */
	{
		struct endpoint in = ep4(10, 1, 2, 3, 40000), out = ep4(192, 0, 2, 1, 40000);
		struct endpoint lo6 = ep6("::1", 40000), mapped = ep6("::ffff:10.9.9.9", 1);

		cr_assert(cidr_matches(&r->u.net.from[0], &in));
		cr_assert_not(cidr_matches(&r->u.net.from[0], &out));
		cr_assert_not(cidr_matches(&r->u.net.from[1], &out));
		cr_assert(cidr_matches(&r->u.net.from[1], &lo6));
		cr_assert(cidr_matches(&r->u.net.from[0], &mapped));
	}
	cr_assert_eq(ask_net(&U1000, OP_ACCEPT, PROTO_TCP, ep6("::", 8444)).verdict, VERDICT_DENY);
}

