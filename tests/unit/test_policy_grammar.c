/*
 * helper/policy/grammar.c: the rules of SPEC §3 field by field, the exact
 * message of each bad line, inline rules (run -a), and the line limits.
 *
 * Users and groups: only names every Debian system has (root, nobody,
 * nogroup, www-data) are looked up; everything else uses numeric ids.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_fixture.h"

TestSuite(policy_grammar, .init = policy_fixture_init, .fini = policy_fixture_fini,
	  .timeout = 10);

static unsigned uid_of(const char *name)
{
	struct passwd *pw = getpwnam(name);

	cr_assert_not_null(pw, "no user %s on this system", name);
	return pw->pw_uid;
}

static unsigned gid_of(const char *name)
{
	struct group *gr = getgrnam(name);

	cr_assert_not_null(gr, "no group %s on this system", name);
	return gr->gr_gid;
}

/* ---- the example of SPEC §3 ------------------------------------------ */

static const char spec_example[] =
	"# verdict subject          operation object...                 options\n"
	"allow  user www-data       bind      tcp *:80\n"
	"allow  user www-data       bind      tcp [::]:443\n"
	"allow  user dns            bind      udp 127.0.0.1:53\n"
	"allow  user www-data       accept    tcp *:8443  from 10.0.0.0/8 127.0.0.1 ::1\n"
	"allow  group ssl-cert      open      /etc/ssl/private/       read\n"
	"allow  user backup         open      /var/lib/db/dump.sql    read,write,create\n"
	"allow  user mon            socket    inet raw icmp\n"
	"allow  user mon            socket    packet raw all\n"
	"allow  user app            bind      unix /run/app/app.sock\n"
	"deny   any                 open      /etc/shadow\n";

/* The example as written: whatever fails can only be a name this system lacks. */
Test(policy_grammar, spec_example_verbatim)
{
	static const struct {
		unsigned line, col;
		const char *kind, *name;
	} names[] = {
		{ 4, 13, "user", "dns" },   { 6, 14, "group", "ssl-cert" },
		{ 7, 13, "user", "backup" }, { 8, 13, "user", "mon" },
		{ 9, 13, "user", "mon" },   { 10, 13, "user", "app" },
	};
	char want[MAX_ERRS][128];
	int nwant = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		bool group = names[i].kind[0] == 'g';

		if (group ? getgrnam(names[i].name) != NULL : getpwnam(names[i].name) != NULL)
			continue;
		snprintf(want[nwant++], sizeof(want[0]), "site.policy:%u:%u: unknown %s '%s'",
			 names[i].line, names[i].col, names[i].kind, names[i].name);
	}
	cr_assert_eq(policy_parse_text(&pol, "site.policy", spec_example, collect, &errs), nwant);
	for (i = 0; i < (size_t)nwant; i++)
		cr_assert_str_eq(errs.msg[i], want[i]);
	cr_assert_eq(pol.n, 10 - (size_t)nwant);
}

/* The example with the names Debian may lack replaced by numbers; every rule checked. */
Test(policy_grammar, spec_example_fields)
{
	const struct rule *r;
	unsigned www = uid_of("www-data");
	char buf[64];

	parse_ok("# verdict subject          operation object...                 options\n"
		 "allow  user www-data       bind      tcp *:80\n"
		 "allow  user www-data       bind      tcp [::]:443\n"
		 "allow  user 1053           bind      udp 127.0.0.1:53\n"
		 "allow  user www-data       accept    tcp *:8443  from 10.0.0.0/8 127.0.0.1 ::1\n"
		 "allow  group 1100          open      /etc/ssl/private/       read\n"
		 "allow  user 1034           open      /var/lib/db/dump.sql    read,write,create\n"
		 "allow  user 1070           socket    inet raw icmp\n"
		 "allow  user 1070           socket    packet raw all\n"
		 "allow  user 1080           bind      unix /run/app/app.sock\n"
		 "deny   any                 open      /etc/shadow\n");
	cr_assert_eq(pol.n, 10);

	r = &pol.rules[0];
	cr_assert_eq(r->verdict, VERDICT_ALLOW);
	cr_assert_eq(r->subject, SUBJECT_USER);
	cr_assert_eq(r->id, www);
	cr_assert_eq(r->op, OP_BIND);
	cr_assert_eq(r->u.net.proto, PROTO_TCP);
	cr_assert_eq(r->u.net.addr.kind, ADDR_ANY);
	cr_assert_eq(r->line, 2);
	cr_assert_str_eq(r->file, "t.policy");
	cr_assert_str_eq(r->text, "allow user www-data bind tcp *:80");

	r = &pol.rules[1];
	cr_assert_eq(r->u.net.addr.kind, ADDR_IPV6);
	policy_addr_format(&r->u.net.addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[::]:443");

	r = &pol.rules[2];
	cr_assert_eq(r->id, 1053);
	cr_assert_eq(r->u.net.proto, PROTO_UDP);
	cr_assert_eq(r->u.net.addr.kind, ADDR_IPV4);
	cr_assert_eq(r->u.net.addr.port_lo, 53);

	r = &pol.rules[3];
	cr_assert_eq(r->op, OP_ACCEPT);
	cr_assert_eq(r->u.net.nfrom, 3);
	cidr_format(&r->u.net.from[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.0.0/8");
	cidr_format(&r->u.net.from[1], buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1/32");
	cidr_format(&r->u.net.from[2], buf, sizeof(buf));
	cr_assert_str_eq(buf, "::1/128");
	cr_assert_str_eq(r->text, "allow user www-data accept tcp *:8443 from 10.0.0.0/8 127.0.0.1 ::1");

	r = &pol.rules[4];
	cr_assert_eq(r->subject, SUBJECT_GROUP);
	cr_assert_eq(r->id, 1100);
	cr_assert_str_eq(r->u.open.path, "/etc/ssl/private/");
	cr_assert(r->u.open.tree);
	cr_assert_eq(r->u.open.rights, RIGHT_READ);

	r = &pol.rules[5];
	cr_assert_not(r->u.open.tree);
	cr_assert_eq(r->u.open.rights, RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE);
	cr_assert_not(r->u.open.owner_root);

	r = &pol.rules[6];
	cr_assert_eq(r->op, OP_SOCKET);
	cr_assert_eq(r->u.socket.family, AF_INET);
	cr_assert_eq(r->u.socket.type, SOCK_RAW);
	cr_assert_eq(r->u.socket.protocol, IPPROTO_ICMP);

	r = &pol.rules[7];
	cr_assert_eq(r->u.socket.family, AF_PACKET);
	cr_assert_eq(r->u.socket.protocol, PROTOCOL_ALL);

	r = &pol.rules[8];
	cr_assert_eq(r->u.net.proto, PROTO_UNIX);
	cr_assert_eq(r->u.net.addr.kind, ADDR_UNIX);
	cr_assert_str_eq(r->u.net.addr.path, "/run/app/app.sock");

	r = &pol.rules[9];
	cr_assert_eq(r->verdict, VERDICT_DENY);
	cr_assert_eq(r->subject, SUBJECT_ANY);
	cr_assert_eq(r->u.open.rights, 0);
	cr_assert_eq(r->line, 11);

	/* SPEC §2's explain example, and a few neighbours. */
	{
		struct subject w = { www, www, NULL, 0 };
		struct subject backup = { 1034, 1034, NULL, 0 };
		gid_t ssl = 1100;
		struct subject member = { 1000, 1000, &ssl, 1 };
		struct decision d = ask_net(&w, OP_BIND, PROTO_TCP, ep4(0, 0, 0, 0, 80));

		cr_assert_eq(d.verdict, VERDICT_ALLOW);
		cr_assert_eq(d.rule, &pol.rules[0]);
		cr_assert_not(may_bind(&w, PROTO_TCP, ep4(0, 0, 0, 0, 443)));
		cr_assert(may_bind(&w, PROTO_TCP, ep6("::", 443)));
		cr_assert_not(may_bind(&U1000, PROTO_TCP, ep4(0, 0, 0, 0, 80)));
		cr_assert(may_open(&member, "/etc/ssl/private/site.key", RIGHT_READ));
		cr_assert_not(may_open(&member, "/etc/ssl/private/site.key", RIGHT_WRITE));
		cr_assert(may_open(&backup, "/var/lib/db/dump.sql", RIGHT_CREATE | RIGHT_WRITE));
		d = ask_open(&backup, "/etc/shadow", RIGHT_READ);
		cr_assert_eq(d.verdict, VERDICT_DENY);
		cr_assert_eq(d.rule, &pol.rules[9]);
	}
}

/* ---- subjects and names --------------------------------------------------- */

Test(policy_grammar, subject_names_resolve_at_parse_time)
{
	parse_ok("allow user root open /a read\n"
		 "allow user nobody open /a read\n"
		 "allow group nogroup open /a read\n"
		 "allow group root open /a read\n"
		 "allow user 0 open /a read\n"
		 "allow group 4294967294 open /a read\n"
		 "allow any open /a read\n");
	cr_assert_eq(pol.n, 7);
	cr_assert_eq(pol.rules[0].id, 0);
	cr_assert_eq(pol.rules[1].id, uid_of("nobody"));
	cr_assert_eq(pol.rules[1].subject, SUBJECT_USER);
	cr_assert_eq(pol.rules[2].id, gid_of("nogroup"));
	cr_assert_eq(pol.rules[2].subject, SUBJECT_GROUP);
	cr_assert_eq(pol.rules[3].id, 0);
	cr_assert_eq(pol.rules[4].id, 0);
	cr_assert_eq(pol.rules[5].id, 4294967294u);
	cr_assert_eq(pol.rules[6].subject, SUBJECT_ANY);
	/* The text keeps the name as written, for explain. */
	cr_assert_str_eq(pol.rules[1].text, "allow user nobody open /a read");
}

/* ---- every form of the grammar, field by field ------------------------- */

Test(policy_grammar, open_forms)
{
	parse_ok("allow any open /srv/x/ read\n"
		 "allow any open /srv/log write\n"
		 "allow any open /srv/new read,create owner=root\n"
		 "allow any open /srv/new2 owner=root create,create\n"
		 "deny any open /\n"
		 "deny any open /etc/shadow write\n");
	cr_assert(pol.rules[0].u.open.tree);
	cr_assert_eq(pol.rules[1].u.open.rights, RIGHT_WRITE);
	cr_assert(pol.rules[2].u.open.owner_root);
	cr_assert_eq(pol.rules[2].u.open.rights, RIGHT_READ | RIGHT_CREATE);
	cr_assert(pol.rules[3].u.open.owner_root);
	cr_assert_eq(pol.rules[3].u.open.rights, RIGHT_CREATE);
	cr_assert_str_eq(pol.rules[3].text, "allow any open /srv/new2 owner=root create,create");
	cr_assert(pol.rules[4].u.open.tree);
	cr_assert_eq(pol.rules[4].u.open.rights, 0);
	cr_assert_eq(pol.rules[5].u.open.rights, RIGHT_WRITE);
}

Test(policy_grammar, socket_forms)
{
	static const struct {
		const char *fam, *type, *proto;
		int f, t, p;
	} c[] = {
		{ "inet", "raw", "icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP },
		{ "inet6", "raw", "icmpv6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 },
		{ "inet", "stream", "tcp", AF_INET, SOCK_STREAM, IPPROTO_TCP },
		{ "inet6", "dgram", "udp", AF_INET6, SOCK_DGRAM, IPPROTO_UDP },
		{ "packet", "raw", "all", AF_PACKET, SOCK_RAW, PROTOCOL_ALL },
		{ "packet", "dgram", "768", AF_PACKET, SOCK_DGRAM, 768 },
		{ "netlink", "raw", "0", AF_NETLINK, SOCK_RAW, 0 },
		{ "unix", "seqpacket", "65535", AF_UNIX, SOCK_SEQPACKET, 65535 },
	};
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(line, sizeof(line), "allow any socket %s %s %s", c[i].fam, c[i].type,
			 c[i].proto);
		parse_ok(line);
		cr_assert_eq(pol.n, i + 1);
		cr_assert_eq(pol.rules[i].op, OP_SOCKET);
		cr_assert_eq(pol.rules[i].u.socket.family, c[i].f, "%s", line);
		cr_assert_eq(pol.rules[i].u.socket.type, c[i].t, "%s", line);
		cr_assert_eq(pol.rules[i].u.socket.protocol, c[i].p, "%s", line);
	}
}

Test(policy_grammar, bind_and_accept_forms)
{
	char buf[64];

	parse_ok("allow any bind udp 127.0.0.1:8000-8100\n"
		 "allow any bind tcp [fe80::1%2]:80\n"
		 "allow any bind unix /run/app/\n"
		 "allow any accept tcp [::ffff:127.0.0.1]:80\n"
		 "allow any accept unix /run/app/app.sock\n"
		 "allow any accept udp *:53 from fd00::/8\n");
	policy_addr_format(&pol.rules[0].u.net.addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:8000-8100");
	cr_assert_eq(pol.rules[1].u.net.addr.scope_id, 2);
	cr_assert(pol.rules[2].u.net.addr.prefix);
	cr_assert_eq(pol.rules[3].u.net.addr.kind, ADDR_IPV4, "v4-mapped rule normalised");
	cr_assert_eq(pol.rules[3].u.net.nfrom, 0);
	cr_assert_eq(pol.rules[4].op, OP_ACCEPT);
	cr_assert_eq(pol.rules[4].u.net.proto, PROTO_UNIX);
	cr_assert_eq(pol.rules[5].op, OP_ACCEPT);
	cr_assert_eq(pol.rules[5].u.net.nfrom, 1);
	cr_assert_eq(pol.rules[5].u.net.from[0].family, AF_INET6);
}

/* "from" on bind tcp and udp: the list the broker's kernel filter is built from. */
Test(policy_grammar, bind_from_lists)
{
	char buf[64];
	const struct rule *r;

	parse_ok("allow user 1000 bind tcp *:443 from 10.0.0.0/8 ::1\n"
		 "allow any bind udp [::]:53 from 192.0.2.0/24 fd00::/8 127.0.0.1\n"
		 "allow any bind tcp 127.0.0.1:80\n");
	r = &pol.rules[0];
	cr_assert_eq(r->op, OP_BIND);
	cr_assert_eq(r->u.net.proto, PROTO_TCP);
	cr_assert_eq(r->u.net.nfrom, 2);
	cidr_format(&r->u.net.from[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.0.0/8");
	cidr_format(&r->u.net.from[1], buf, sizeof(buf));
	cr_assert_str_eq(buf, "::1/128");
	cr_assert_eq(r->object_col, 26, "the address, not the list");
	cr_assert_str_eq(r->text, "allow user 1000 bind tcp *:443 from 10.0.0.0/8 ::1");

	r = &pol.rules[1];
	cr_assert_eq(r->u.net.proto, PROTO_UDP);
	cr_assert_eq(r->u.net.nfrom, 3);
	cr_assert_eq(r->u.net.from[1].family, AF_INET6);
	cidr_format(&r->u.net.from[2], buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1/32");
	cr_assert_eq(pol.rules[2].u.net.nfrom, 0);
}

/* "from" never decides: a bind rule with one matches a bind as the rule without. */
Test(policy_grammar, bind_from_does_not_decide)
{
	struct decision d;

	parse_ok("allow user 1000 bind tcp *:443 from 10.0.0.0/8\n");
	d = ask_net(&U1000, OP_BIND, PROTO_TCP, ep4(0, 0, 0, 0, 443));
	cr_assert_eq(d.verdict, VERDICT_ALLOW);
	cr_assert_eq(d.rule, &pol.rules[0]);
	cr_assert_not(may_bind(&U1001, PROTO_TCP, ep4(0, 0, 0, 0, 443)));
}

Test(policy_grammar, bind_from_up_to_the_limit)
{
	char line[1024] = "allow any bind udp *:53 from";

	for (size_t i = 0; i < POLICY_MAX_FROM; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " 10.0.0.%zu", i);
	parse_ok(line);
	cr_assert_eq(pol.rules[0].u.net.nfrom, POLICY_MAX_FROM);
	strcat(line, " 192.0.2.1");
	cr_assert_eq(parse(line), 1);
	cr_assert(strstr(errs.msg[0], ": too many networks after 'from' (at most 16)"), "%s",
		  errs.msg[0]);
}

Test(policy_grammar, accept_from_up_to_the_limit)
{
	char line[1024] = "allow any accept tcp *:80 from";
	size_t i;

	for (i = 0; i < POLICY_MAX_FROM; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " 10.0.0.%zu", i);
	parse_ok(line);
	cr_assert_eq(pol.rules[0].u.net.nfrom, POLICY_MAX_FROM);
	/* One more is refused, pointing at the one too many. */
	strcat(line, " 192.0.2.1");
	cr_assert_eq(parse(line), 1);
	snprintf(line, sizeof(line), "t.policy:1:%zu: too many networks after 'from' (at most %d)",
		 /* 10 of " 10.0.0.N", 6 of " 10.0.0.NN", then a blank */
		 strlen("allow any accept tcp *:80 from") + 10 * 9 + 6 * 10 + 2,
		 POLICY_MAX_FROM);
	cr_assert_str_eq(errs.msg[0], line);
	cr_assert_eq(pol.n, 1);
}

/* ---- errors: one bad line each, the exact message ---------------------- */

/* Parameters cross into Criterion's worker by value: strings as arrays. */
struct bad_line {
	char line[64];
	char msg[192];
};

ParameterizedTestParameters(policy_grammar, bad_lines)
{
	static struct bad_line cases[] = {
		{ "alow any open /x read", "1: unknown verdict 'alow' (expected allow or deny)" },
		{ "allow", "6: missing subject (expected user, group or any)" },
		{ "allow anyone open /x read", "7: unknown subject 'anyone' (expected user, group or any)" },
		{ "allow user", "11: missing user name or uid" },
		{ "allow group   ", "12: missing group name or gid" },
		{ "allow user no-such-user-xyz open /x read", "12: unknown user 'no-such-user-xyz'" },
		{ "allow group no-such-group-xyz open /x read", "13: unknown group 'no-such-group-xyz'" },
		{ "allow user 4294967295 open /x read", "12: user id 4294967295 out of range" },
		{ "allow any", "10: missing operation (expected open, socket, bind or accept)" },
		{ "allow user 0 opne /x read", "14: unknown operation 'opne' (expected open, socket, bind or accept)" },
		{ "allow any open", "15: missing path" },
		{ "allow any open etc/shadow read", "16: path 'etc/shadow' is not absolute" },
		{ "allow any open /etc/../shadow read", "16: path '/etc/../shadow' has a '..' component" },
		{ "allow any open /etc//shadow read", "16: path '/etc//shadow' has an empty component ('//')" },
		{ "deny any open /etc/./shadow", "15: path '/etc/./shadow' has a '.' component" },
		{ "allow any open /etc/shadow", "27: allow open needs rights (read, write or create)" },
		{ "allow any open /etc/shadow   # none", "27: allow open needs rights (read, write or create)" },
		{ "allow any open /etc/shadow read,exec", "33: unknown right 'exec' (expected read, write or create)" },
		{ "allow any open /x read,,write", "24: empty right in 'read,,write'" },
		{ "allow any open /x read,", "24: empty right in 'read,'" },
		{ "allow any open /x read write", "24: unexpected 'write' (rights are one comma-separated list)" },
		{ "allow any open /x read owner=nobody", "24: unknown option 'owner=nobody' (expected owner=root)" },
		{ "allow any open /x read owner=root", "24: owner=root needs the create right" },
		{ "deny any open /x owner=root", "18: owner=root only applies to allow rules" },
		{ "allow any socket", "17: missing family (expected inet, inet6, packet, netlink or unix)" },
		{ "allow any socket inet7 raw icmp", "18: unknown family 'inet7' (expected inet, inet6, packet, netlink or unix)" },
		{ "allow any socket inet", "22: missing socket type (expected stream, dgram, raw or seqpacket)" },
		{ "allow any socket inet rawx icmp", "23: unknown socket type 'rawx' (expected stream, dgram, raw or seqpacket)" },
		{ "allow any socket inet raw", "26: missing protocol (expected icmp, icmpv6, tcp, udp, a number or all)" },
		{ "allow any socket inet raw icmp4", "27: unknown protocol 'icmp4' (expected icmp, icmpv6, tcp, udp, a number or all)" },
		{ "allow any socket inet raw 65536", "27: protocol 65536 out of range (0-65535)" },
		{ "allow any socket inet raw -1", "27: unknown protocol '-1' (expected icmp, icmpv6, tcp, udp, a number or all)" },
		{ "allow any socket inet raw icmp extra", "32: unexpected 'extra'" },
		{ "allow any bind", "15: missing protocol (expected tcp, udp or unix)" },
		{ "allow any bind sctp *:80", "16: unknown protocol 'sctp' (expected tcp, udp or unix)" },
		{ "allow any bind tcp", "19: missing address (ADDRESS:PORT)" },
		{ "allow any bind unix", "20: missing socket path" },
		{ "allow any bind tcp 1.2.3.4:70000", "20: bad address '1.2.3.4:70000': port 70000 out of range (0-65535)" },
		{ "allow any bind tcp /run/x.sock", "20: bad address '/run/x.sock': expected ADDRESS:PORT" },
		{ "allow any bind udp ::1:53", "20: bad address '::1:53': IPv6 address needs brackets, as in [::1]:80" },
		{ "allow any bind unix run/x.sock", "21: bad address 'run/x.sock': path 'run/x.sock' is not absolute" },
		{ "allow any bind tcp *:90-80", "20: bad address '*:90-80': port range 90-80 is reversed (low end above high end)" },
		{ "allow any bind tcp *:80 from", "29: 'from' needs at least one network" },
		{ "allow any bind udp *:53 from 10.0.0.0/8 ::1/129", "41: bad network '::1/129': prefix length /129 too long (at most 128)" },
		{ "allow any bind unix /run/x.sock from ::1", "33: 'from' is not allowed with unix: a unix peer has no address" },
		{ "deny any bind tcp *:80 from 10.0.0.0/8", "24: 'from' goes only on allow rules: a deny rule refuses the bind whatever the peer" },
		{ "deny user 0 accept tcp *:80 from ::1", "29: 'from' goes only on allow rules: a deny rule refuses the bind whatever the peer" },
		{ "allow any open /x read from 10.0.0.0/8", "24: 'from' goes only on bind and accept rules (bind tcp ADDRESS from CIDR...): it names the peers that may reach a bound socket" },
		{ "allow any open /x from 10.0.0.0/8 read", "19: 'from' goes only on bind and accept rules (bind tcp ADDRESS from CIDR...): it names the peers that may reach a bound socket" },
		{ "allow any socket inet raw icmp from ::1", "32: 'from' goes only on bind and accept rules (bind tcp ADDRESS from CIDR...): it names the peers that may reach a bound socket" },
		{ "allow any accept tcp *:80 from", "31: 'from' needs at least one network" },
		{ "allow any accept tcp *:80 from 10.0.0.0/33", "32: bad network '10.0.0.0/33': prefix length /33 too long (at most 32)" },
		{ "allow any accept tcp *:80 from 1.2.3.4 x", "40: bad network 'x': bad IPv4 address 'x'" },
		{ "allow any accept unix /run/x.sock from ::1", "35: 'from' is not allowed with unix: a unix peer has no address" },
		{ "allow any accept tcp *:80 to 10.0.0.0/8", "27: unexpected 'to'" },
	};
	return cr_make_param_array(struct bad_line, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_line *c, policy_grammar, bad_lines)
{
	char want[224];

	/* Line 2: the first line is good, so the line number is not an accident. */
	snprintf(want, sizeof(want), "t.policy:2:%s", c->msg);
	{
		char text[128];

		snprintf(text, sizeof(text), "allow any open /ok read\n%s\n", c->line);
		cr_assert_eq(parse(text), 1, "'%s' accepted", c->line);
	}
	cr_assert_str_eq(errs.msg[0], want, "for '%s'", c->line);
	cr_assert_eq(pol.n, 1, "the bad line must not become a rule");
}

Test(policy_grammar, all_errors_reported_in_one_pass)
{
	int n = parse("allow any open /a read\n"
		      "allow user 0 opne /x read\n"
		      "# fine\n"
		      "allow any bind tcp *:70000\n"
		      "deny any open /b\n"
		      "permit any open /c read\n"
		      "allow any socket inet raw\n");

	cr_assert_eq(n, 4);
	cr_assert_str_eq(errs.msg[0], "t.policy:2:14: unknown operation 'opne' "
				      "(expected open, socket, bind or accept)");
	cr_assert_str_eq(errs.msg[1], "t.policy:4:20: bad address '*:70000': "
				      "port 70000 out of range (0-65535)");
	cr_assert_str_eq(errs.msg[2], "t.policy:6:1: unknown verdict 'permit' (expected allow or deny)");
	cr_assert_str_eq(errs.msg[3], "t.policy:7:26: missing protocol "
				      "(expected icmp, icmpv6, tcp, udp, a number or all)");
	cr_assert_eq(pol.n, 2);
	/* The caller discards a policy with errors; freeing it is safe, twice too. */
	policy_free(&pol);
	cr_assert_eq(pol.n, 0);
	cr_assert_null(pol.rules);
	policy_free(&pol);
}

Test(policy_grammar, null_error_sink_still_counts)
{
	cr_assert_eq(policy_parse_text(&pol, "t.policy", "bogus\nallow any\n", NULL, NULL), 2);
}

Test(policy_grammar, line_length_limit)
{
	char *text = malloc(2 * 4100);
	size_t n;

	/* Exactly 4096 bytes: a rule padded with a comment is fine. */
	n = (size_t)sprintf(text, "allow any open /a read #");
	memset(text + n, 'c', 4096 - n);
	strcpy(text + 4096, "\nallow any open /b read #");
	n = strlen(text);
	memset(text + n, 'c', 4097 + 4097 - n);
	text[4097 + 4097] = '\0';
	cr_assert_eq(parse(text), 1);
	cr_assert_str_eq(errs.msg[0], "t.policy:2:4097: line too long (4097 bytes, at most 4096)");
	cr_assert_eq(pol.n, 1);
	cr_assert_str_eq(pol.rules[0].text, "allow any open /a read");
	free(text);
}

/* ---- inline rules (run -a) ----------------------------------------------- */

Test(policy_grammar, inline_rule_becomes_allow_user)
{
	struct decision d;

	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 3, "bind tcp *:80", collect, &errs), 0);
	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 5, "  open /etc/ssl/private/ read ",
					 collect, &errs), 0);
	cr_assert_eq(pol.n, 2);
	cr_assert_eq(pol.rules[0].verdict, VERDICT_ALLOW);
	cr_assert_eq(pol.rules[0].subject, SUBJECT_USER);
	cr_assert_eq(pol.rules[0].id, 1000);
	cr_assert_str_eq(pol.rules[0].file, "-a");
	cr_assert_eq(pol.rules[0].line, 3);
	cr_assert_str_eq(pol.rules[0].text, "allow user 1000 bind tcp *:80");
	cr_assert_str_eq(pol.rules[1].text, "allow user 1000 open /etc/ssl/private/ read");
	d = ask_net(&U1000, OP_BIND, PROTO_TCP, ep4(0, 0, 0, 0, 80));
	cr_assert_eq(d.verdict, VERDICT_ALLOW);
	cr_assert_eq(d.rule, &pol.rules[0]);
	cr_assert_not(may_bind(&U1001, PROTO_TCP, ep4(0, 0, 0, 0, 80)));
}

Test(policy_grammar, inline_bind_from)
{
	char buf[64];

	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 1, "bind tcp 127.0.0.1:80 from 127.0.0.2",
					 collect, &errs), 0, "%s", errs.msg[0]);
	cr_assert_eq(pol.rules[0].op, OP_BIND);
	cr_assert_eq(pol.rules[0].u.net.nfrom, 1);
	cidr_format(&pol.rules[0].u.net.from[0], buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.2/32");
	cr_assert_str_eq(pol.rules[0].text, "allow user 1000 bind tcp 127.0.0.1:80 from 127.0.0.2");
}

struct bad_inline {
	char rule[48];
	char msg[128];
};

ParameterizedTestParameters(policy_grammar, inline_errors)
{
	static struct bad_inline cases[] = {
		{ "bind tcp *:70000", "-a:2:10: bad address '*:70000': port 70000 out of range (0-65535)" },
		{ "opne /x read", "-a:2:1: unknown operation 'opne' (expected open, socket, bind or accept)" },
		{ "allow user 0 open /x read", "-a:2:1: unknown operation 'allow' (expected open, socket, bind or accept)" },
		{ "open /etc/shadow", "-a:2:17: allow open needs rights (read, write or create)" },
		{ "  socket inet raw bogus", "-a:2:19: unknown protocol 'bogus' (expected icmp, icmpv6, tcp, udp, a number or all)" },
		{ "", "-a:2:1: empty rule (expected open, socket, bind or accept)" },
		{ "# only a comment", "-a:2:1: empty rule (expected open, socket, bind or accept)" },
		{ "bind tcp *:80\nbind tcp *:81", "-a:2:14: an inline rule is a single line" },
		{ "bind unix /run/x.sock from ::1", "-a:2:23: 'from' is not allowed with unix: a unix peer has no address" },
	};
	return cr_make_param_array(struct bad_inline, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_inline *c, policy_grammar, inline_errors)
{
	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 2, c->rule, collect, &errs), 1,
		     "'%s' accepted", c->rule);
	cr_assert_str_eq(errs.msg[0], c->msg);
	cr_assert_eq(pol.n, 0);
}

/* ---- append is gone -------------------------------------------------------- */

#define APPEND_GONE "'append' is gone: the kernel cannot keep a descriptor append-only " \
		    "(fcntl F_SETFL clears O_APPEND, ftruncate works on it); grant 'write'"

Test(policy_grammar, append_is_refused_with_why)
{
	cr_assert_eq(parse("allow any open /var/log/a.log append\n"
			   "allow any open /var/log/b.log read,append,create\n"
			   "deny any open /var/log/c.log append\n"), 3);
	cr_assert_str_eq(errs.msg[0], "t.policy:1:31: " APPEND_GONE);
	cr_assert_str_eq(errs.msg[1], "t.policy:2:36: " APPEND_GONE);
	cr_assert_str_eq(errs.msg[2], "t.policy:3:30: " APPEND_GONE);
	cr_assert_eq(pol.n, 0);
	cr_assert_eq(policy_parse_inline(&pol, 0, "-a", 4, "open /x append", collect, &errs), 1);
	cr_assert_str_eq(errs.msg[3], "-a:4:9: " APPEND_GONE);
}

