/*
 * helper/policy/addr.c: policy addresses, CIDRs, endpoints from sockaddrs, matching
 * and the text forms.  No sockets are opened: sockaddrs are built by hand.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "policy/addr.h"

TestSuite(addr, .timeout = 10);

/* ---- helpers ------------------------------------------------------------ */

static struct policy_addr inet(const char *s)
{
	struct policy_addr pa;
	char why[128] = "";

	cr_assert_eq(addr_parse_inet(s, &pa, why, sizeof(why)), 0, "'%s' refused: %s", s, why);
	return pa;
}

static struct policy_addr unixaddr(const char *s)
{
	struct policy_addr pa;
	char why[128] = "";

	cr_assert_eq(addr_parse_unix(s, &pa, why, sizeof(why)), 0, "'%s' refused: %s", s, why);
	return pa;
}

static struct cidr net(const char *s)
{
	struct cidr c;
	char why[128] = "";

	cr_assert_eq(cidr_parse(s, &c, why, sizeof(why)), 0, "'%s' refused: %s", s, why);
	return c;
}

static struct endpoint ep4(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct endpoint ep;

	cr_assert_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &ep), 0);
	return ep;
}

static struct endpoint ep6(const char *ip, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct endpoint ep;

	sin6.sin6_scope_id = scope;
	cr_assert_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &ep), 0);
	return ep;
}

static struct endpoint epu(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct endpoint ep;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

	strcpy(sun.sun_path, path);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun, len, &ep), 0);
	return ep;
}

static bool m(const char *rule, struct endpoint ep)
{
	struct policy_addr pa = inet(rule);

	return policy_addr_matches(&pa, &ep);
}

/* ---- parsing: good inet addresses, checked through their text form ----- */

/* Parameters cross into Criterion's worker by value: strings as arrays, not pointers. */
struct inet_ok {
	char in[48];
	enum addr_kind kind;
	unsigned lo, hi, scope;
	char out[48];
};

ParameterizedTestParameters(addr, parse_inet_ok)
{
	static struct inet_ok cases[] = {
		{ "*:80", ADDR_ANY, 80, 80, 0, "*:80" },
		{ "*:8000-8100", ADDR_ANY, 8000, 8100, 0, "*:8000-8100" },
		{ "*:5-5", ADDR_ANY, 5, 5, 0, "*:5" },
		{ "*:0", ADDR_ANY, 0, 0, 0, "*:0" },
		{ "*:0-65535", ADDR_ANY, 0, 65535, 0, "*:0-65535" },
		{ "1.2.3.4:80", ADDR_IPV4, 80, 80, 0, "1.2.3.4:80" },
		{ "0.0.0.0:53", ADDR_IPV4, 53, 53, 0, "0.0.0.0:53" },
		{ "127.0.0.1:65535", ADDR_IPV4, 65535, 65535, 0, "127.0.0.1:65535" },
		{ "[::1]:443", ADDR_IPV6, 443, 443, 0, "[::1]:443" },
		{ "[::]:443", ADDR_IPV6, 443, 443, 0, "[::]:443" },
		{ "[fe80::1%2]:80", ADDR_IPV6, 80, 80, 2, "[fe80::1%2]:80" },
		{ "[fe80::1%0]:80", ADDR_IPV6, 80, 80, 0, "[fe80::1]:80" },
		{ "[2001:DB8::1]:1-1024", ADDR_IPV6, 1, 1024, 0, "[2001:db8::1]:1-1024" },
		{ "[::ffff:127.0.0.1]:80", ADDR_IPV4, 80, 80, 0, "127.0.0.1:80" },
		{ "[::ffff:0.0.0.0]:80", ADDR_IPV4, 80, 80, 0, "0.0.0.0:80" },
	};
	return cr_make_param_array(struct inet_ok, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct inet_ok *c, addr, parse_inet_ok)
{
	struct policy_addr pa = inet(c->in);
	char buf[64];

	cr_assert_eq(pa.kind, c->kind, "%s: kind %d", c->in, pa.kind);
	cr_assert_eq(pa.port_lo, c->lo, "%s", c->in);
	cr_assert_eq(pa.port_hi, c->hi, "%s", c->in);
	cr_assert_eq(pa.scope_id, c->scope, "%s", c->in);
	policy_addr_format(&pa, buf, sizeof(buf));
	cr_assert_str_eq(buf, c->out);
}

Test(addr, v4mapped_rule_keeps_the_ipv4_bytes_first)
{
	struct policy_addr pa = inet("[::ffff:10.1.2.3]:80");
	static const uint8_t want[16] = { 10, 1, 2, 3 };

	cr_assert_eq(memcmp(pa.ip, want, 16), 0, "v4-mapped rule not stored as IPv4");
}

/* ---- parsing: bad inet addresses, with the reason given ---------------- */

struct bad {
	char in[48];
	char why[96];
};

ParameterizedTestParameters(addr, parse_inet_bad)
{
	static struct bad cases[] = {
		{ "1.2.3.4:70000", "port 70000 out of range (0-65535)" },
		{ "*:99999999999999999999999", "port 99999999999999999999999 out of range (0-65535)" },
		{ "*:65536", "port 65536 out of range (0-65535)" },
		{ "1.2.3.4", "expected ADDRESS:PORT" },
		{ "*", "expected ADDRESS:PORT" },
		{ "", "expected ADDRESS:PORT" },
		{ "1.2.3.4:", "missing port after ':'" },
		{ ":80", "missing address before ':'" },
		{ "::1:80", "IPv6 address needs brackets, as in [::1]:80" },
		{ "[::1:80", "missing ']' after IPv6 address" },
		{ "[::1]80", "expected ADDRESS:PORT" },
		{ "[::1]", "expected ADDRESS:PORT" },
		{ "1.2.3:80", "bad IPv4 address '1.2.3'" },
		{ "256.1.1.1:80", "bad IPv4 address '256.1.1.1'" },
		{ "localhost:80", "bad IPv4 address 'localhost'" },
		{ "[1.2.3.4]:80", "bad IPv6 address '1.2.3.4'" },
		{ "[*]:80", "bad IPv6 address '*'" },
		{ "[fe80::1%eth0]:80", "scope id 'eth0' is not a number" },
		{ "[fe80::1%]:80", "scope id '' is not a number" },
		{ "[fe80::1%4294967296]:80", "scope id 4294967296 out of range" },
		{ "[::ffff:1.2.3.4%2]:80", "scope id on v4-mapped address '::ffff:1.2.3.4'" },
		{ "*:8100-8000", "port range 8100-8000 is reversed (low end above high end)" },
		{ "*:80-", "bad port ''" },
		{ "*:-80", "bad port ''" },
		{ "*:1-2-3", "bad port '2-3'" },
		{ "*:+80", "bad port '+80'" },
		{ "*:0x50", "bad port '0x50'" },
		{ "*: 80", "bad port ' 80'" },
		{ "*:http", "bad port 'http'" },
	};
	return cr_make_param_array(struct bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, addr, parse_inet_bad)
{
	struct policy_addr pa;
	char why[128] = "";

	cr_assert_eq(addr_parse_inet(c->in, &pa, why, sizeof(why)), -1, "'%s' accepted", c->in);
	cr_assert_str_eq(why, c->why, "'%s'", c->in);
}

Test(addr, reason_is_truncated_not_overflowed)
{
	struct policy_addr pa;
	char why[8];

	memset(why, 'x', sizeof(why));
	cr_assert_eq(addr_parse_inet("1.2.3.4:70000", &pa, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "port 70");
	cr_assert_eq(addr_parse_inet("1.2.3.4:70000", &pa, NULL, 0), -1);
}

/* ---- parsing: unix paths ----------------------------------------------- */

Test(addr, parse_unix_exact_and_prefix)
{
	struct policy_addr pa = unixaddr("/run/app/app.sock");
	char buf[128];

	cr_assert_eq(pa.kind, ADDR_UNIX);
	cr_assert_not(pa.prefix);
	cr_assert_str_eq(pa.path, "/run/app/app.sock");
	pa = unixaddr("/run/app/");
	cr_assert(pa.prefix);
	policy_addr_format(&pa, buf, sizeof(buf));
	cr_assert_str_eq(buf, "/run/app/");
}

Test(addr, parse_unix_length_limit)
{
	char path[FDB_UNIX_PATH_MAX + 2], why[128];
	struct policy_addr pa;

	/* 107 bytes fit with the NUL; 108 do not. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[FDB_UNIX_PATH_MAX - 1] = '\0';
	cr_assert_eq(addr_parse_unix(path, &pa, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(strlen(pa.path), FDB_UNIX_PATH_MAX - 1);
	path[FDB_UNIX_PATH_MAX - 1] = 'a';
	path[FDB_UNIX_PATH_MAX] = '\0';
	cr_assert_eq(addr_parse_unix(path, &pa, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "unix socket path is 108 bytes long (at most 107)");
}

ParameterizedTestParameters(addr, parse_unix_bad)
{
	static struct bad cases[] = {
		{ "run/app.sock", "path 'run/app.sock' is not absolute" },
		{ "", "path '' is not absolute" },
		{ "*:80", "path '*:80' is not absolute" },
		{ "/run//app.sock", "path '/run//app.sock' has an empty component ('//')" },
		{ "/run/../etc/x", "path '/run/../etc/x' has a '..' component" },
		{ "/run/./x", "path '/run/./x' has a '.' component" },
		{ "/run/app/..", "path '/run/app/..' has a '..' component" },
	};
	return cr_make_param_array(struct bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, addr, parse_unix_bad)
{
	struct policy_addr pa;
	char why[128] = "";

	cr_assert_eq(addr_parse_unix(c->in, &pa, why, sizeof(why)), -1, "'%s' accepted", c->in);
	cr_assert_str_eq(why, c->why, "'%s'", c->in);
}

Test(addr, check_path_accepts_dotted_names)
{
	cr_assert_eq(addr_check_path("/", NULL, 0), 0);
	cr_assert_eq(addr_check_path("/etc/ssl/private/", NULL, 0), 0);
	cr_assert_eq(addr_check_path("/a/.hidden/..x/x..", NULL, 0), 0);
	cr_assert_eq(addr_check_path("/a/...", NULL, 0), 0);
}

/* ---- CIDR ---------------------------------------------------------------- */

struct cidr_ok {
	char in[32];
	int family;
	unsigned len;
	char out[32];
};

ParameterizedTestParameters(addr, cidr_ok)
{
	static struct cidr_ok cases[] = {
		{ "10.0.0.0/8", AF_INET, 8, "10.0.0.0/8" },
		{ "127.0.0.1", AF_INET, 32, "127.0.0.1/32" },
		{ "::1", AF_INET6, 128, "::1/128" },
		{ "fd00::/8", AF_INET6, 8, "fd00::/8" },
		{ "10.1.2.3/8", AF_INET, 8, "10.0.0.0/8" },
		{ "192.168.1.255/23", AF_INET, 23, "192.168.0.0/23" },
		{ "0.0.0.0/0", AF_INET, 0, "0.0.0.0/0" },
		{ "10.9.9.9/0", AF_INET, 0, "0.0.0.0/0" },
		{ "fdff:1:2::3/17", AF_INET6, 17, "fdff::/17" },
		{ "::ffff:10.0.0.0/104", AF_INET, 8, "10.0.0.0/8" },
		{ "::ffff:192.0.2.7", AF_INET, 32, "192.0.2.7/32" },
	};
	return cr_make_param_array(struct cidr_ok, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct cidr_ok *c, addr, cidr_ok)
{
	struct cidr n = net(c->in);
	char buf[64];

	cr_assert_eq(n.family, c->family, "%s", c->in);
	cr_assert_eq(n.prefix_len, c->len, "%s", c->in);
	cidr_format(&n, buf, sizeof(buf));
	cr_assert_str_eq(buf, c->out);
}

ParameterizedTestParameters(addr, cidr_bad)
{
	static struct bad cases[] = {
		{ "10.0.0.0/33", "prefix length /33 too long (at most 32)" },
		{ "::/129", "prefix length /129 too long (at most 128)" },
		{ "10.0.0.0/", "bad prefix length '/'" },
		{ "10.0.0.0/x", "bad prefix length '/x'" },
		{ "10.0.0.0/-1", "bad prefix length '/-1'" },
		{ "10.0.0.0/8/8", "bad prefix length '/8/8'" },
		{ "/8", "missing address in network '/8'" },
		{ "", "missing address in network ''" },
		{ "10.0.0/8", "bad IPv4 address '10.0.0'" },
		{ "fe80::1%2", "bad IPv6 address 'fe80::1%2'" },
		{ "[::1]", "bad IPv6 address '[::1]'" },
		{ "example.org", "bad IPv4 address 'example.org'" },
	};
	return cr_make_param_array(struct bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, addr, cidr_bad)
{
	struct cidr n;
	char why[128] = "";

	cr_assert_eq(cidr_parse(c->in, &n, why, sizeof(why)), -1, "'%s' accepted", c->in);
	cr_assert_str_eq(why, c->why, "'%s'", c->in);
}

Test(addr, cidr_matches_v4)
{
	struct cidr n8 = net("10.0.0.0/8"), n23 = net("192.168.0.0/23"), all = net("0.0.0.0/0");
	struct cidr host = net("127.0.0.1");

	cr_assert(cidr_matches(&n8, &(struct endpoint){ 0 }) == false);
	cr_assert(cidr_matches(&n8, &(struct endpoint){ .family = AF_INET, .ip = { 10, 255, 0, 1 } }));
	cr_assert(cidr_matches(&n8, &(struct endpoint){ .family = AF_INET, .ip = { 11, 0, 0, 1 } }) == false);
	cr_assert(cidr_matches(&n23, &(struct endpoint){ .family = AF_INET, .ip = { 192, 168, 1, 200 } }));
	cr_assert(cidr_matches(&n23, &(struct endpoint){ .family = AF_INET, .ip = { 192, 168, 2, 0 } }) == false);
	cr_assert(cidr_matches(&host, &(struct endpoint){ .family = AF_INET, .ip = { 127, 0, 0, 1 } }));
	cr_assert(cidr_matches(&host, &(struct endpoint){ .family = AF_INET, .ip = { 127, 0, 0, 2 } }) == false);
	cr_assert(cidr_matches(&all, &(struct endpoint){ .family = AF_INET, .ip = { 8, 8, 8, 8 } }));
	/* An IPv4 network never matches an IPv6 peer, not even ::. */
	cr_assert(cidr_matches(&all, &(struct endpoint){ .family = AF_INET6 }) == false);
}

Test(addr, cidr_matches_v6_and_mapped_peers)
{
	struct cidr lo = net("::1"), ula = net("fd00::/8"), n8 = net("10.0.0.0/8");

	cr_assert(cidr_matches(&lo, &(struct endpoint){ .family = AF_INET6, .ip = { [15] = 1 } }));
	cr_assert(cidr_matches(&lo, &(struct endpoint){ .family = AF_INET6, .ip = { [15] = 2 } }) == false);
	cr_assert(cidr_matches(&ula, &(struct endpoint){ .family = AF_INET6, .ip = { 0xfd, 0x12 } }));
	cr_assert(cidr_matches(&ula, &(struct endpoint){ .family = AF_INET6, .ip = { 0xfe, 0x80 } }) == false);
	/* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d. */
	cr_assert(cidr_matches(&n8, &(struct endpoint){ 0 }) == false);
	{
		struct endpoint peer = ep6("::ffff:10.1.1.1", 5555, 0);

		cr_assert(cidr_matches(&n8, &peer));
		cr_assert(cidr_matches(&lo, &peer) == false);
	}
}

/* ---- endpoints from sockaddrs ------------------------------------------- */

Test(addr, endpoint_inet)
{
	struct endpoint ep = ep4("192.0.2.1", 8080);
	char buf[64];

	cr_assert_eq(ep.family, AF_INET);
	cr_assert_eq(ep.port, 8080);
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "192.0.2.1:8080");
}

Test(addr, endpoint_inet6_keeps_scope)
{
	struct endpoint ep = ep6("fe80::1", 80, 3);
	char buf[64];

	cr_assert_eq(ep.family, AF_INET6);
	cr_assert_eq(ep.scope_id, 3);
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[fe80::1%3]:80");
	ep = ep6("::", 443, 0);
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[::]:443");
}

Test(addr, endpoint_v4mapped_becomes_inet)
{
	struct endpoint ep = ep6("::ffff:127.0.0.1", 53, 0);
	static const uint8_t want[16] = { 127, 0, 0, 1 };
	char buf[64];

	cr_assert_eq(ep.family, AF_INET);
	cr_assert_eq(memcmp(ep.ip, want, 16), 0);
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:53");
}

Test(addr, endpoint_from_unaligned_buffer)
{
	union {
		char raw[sizeof(struct sockaddr_in6) + 1];
		struct sockaddr_in6 align;
	} u;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct endpoint ep;

	sin6.sin6_addr.s6_addr[15] = 1;
	memcpy(u.raw + 1, &sin6, sizeof(sin6));
	cr_assert_eq(endpoint_from_sockaddr((const struct sockaddr *)(void *)(u.raw + 1),
					    sizeof(sin6), &ep), 0);
	cr_assert_eq(ep.family, AF_INET6);
	cr_assert_eq(ep.port, 9);
	cr_assert_eq(ep.ip[15], 1);
}

Test(addr, endpoint_unix)
{
	struct endpoint ep = epu("/run/app/app.sock");
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/run/x.sock" };
	char buf[128];

	cr_assert_eq(ep.family, AF_UNIX);
	cr_assert_str_eq(ep.path, "/run/app/app.sock");
	/* Linux also accepts a length that stops before the NUL. */
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun,
					    offsetof(struct sockaddr_un, sun_path) + 6, &ep), 0);
	cr_assert_str_eq(ep.path, "/run/x");
	/* And one covering the whole struct. */
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun, sizeof(sun), &ep), 0);
	cr_assert_str_eq(ep.path, "/run/x.sock");
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "/run/x.sock");
}

Test(addr, endpoint_unix_unnamed_is_empty_path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct endpoint ep;
	struct policy_addr any = unixaddr("/");
	char buf[32];

	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun, sizeof(sa_family_t), &ep), 0);
	cr_assert_eq(ep.family, AF_UNIX);
	cr_assert_str_eq(ep.path, "");
	cr_assert_not(policy_addr_matches(&any, &ep), "an unnamed socket matched a path rule");
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "(unnamed)");
}

Test(addr, endpoint_refusals)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct endpoint ep;

	/* Abstract names: nothing in the policy language can name them. */
	memcpy(sun.sun_path, "\0abstract", 9);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun,
					    offsetof(struct sockaddr_un, sun_path) + 9, &ep), -1);
	/* 108 path bytes with no NUL do not fit a C string of FDB_UNIX_PATH_MAX. */
	memset(sun.sun_path, 'a', sizeof(sun.sun_path));
	sun.sun_path[0] = '/';
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sun, sizeof(sun), &ep), -1);
	memcpy(ss.__ss_padding, "/x", 3);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), &ep), -1,
		     "longer than a sockaddr_un");
	/* Short lengths. */
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin, sizeof(sin) - 1, &ep), -1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6) - 1, &ep), -1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin, 1, &ep), -1);
	cr_assert_eq(endpoint_from_sockaddr(NULL, 16, &ep), -1);
	/* Families the policy knows nothing of. */
	ss.ss_family = AF_APPLETALK;
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&ss, sizeof(ss), &ep), -1);
}

/* ---- matching ------------------------------------------------------------ */

Test(addr, star_matches_both_families_by_port)
{
	cr_assert(m("*:80", ep4("192.0.2.1", 80)));
	cr_assert(m("*:80", ep4("0.0.0.0", 80)));
	cr_assert(m("*:80", ep6("::", 80, 0)));
	cr_assert(m("*:80", ep6("fe80::1", 80, 7)));
	cr_assert_not(m("*:80", ep4("192.0.2.1", 81)));
	cr_assert_not(m("*:80", epu("/run/x")));
}

Test(addr, port_ranges_are_inclusive)
{
	cr_assert(m("*:8000-8100", ep4("1.1.1.1", 8000)));
	cr_assert(m("*:8000-8100", ep4("1.1.1.1", 8050)));
	cr_assert(m("*:8000-8100", ep4("1.1.1.1", 8100)));
	cr_assert_not(m("*:8000-8100", ep4("1.1.1.1", 7999)));
	cr_assert_not(m("*:8000-8100", ep4("1.1.1.1", 8101)));
	cr_assert(m("[::1]:1-1023", ep6("::1", 1, 0)));
	cr_assert_not(m("[::1]:1-1023", ep6("::1", 0, 0)));
}

Test(addr, ipv4_rule_is_literal)
{
	cr_assert(m("127.0.0.1:53", ep4("127.0.0.1", 53)));
	cr_assert_not(m("127.0.0.1:53", ep4("127.0.0.2", 53)));
	cr_assert_not(m("127.0.0.1:53", ep6("::1", 53, 0)));
	/* 0.0.0.0 is the wildcard bind, not "any IPv4 address". */
	cr_assert(m("0.0.0.0:80", ep4("0.0.0.0", 80)));
	cr_assert_not(m("0.0.0.0:80", ep4("192.0.2.1", 80)));
	cr_assert_not(m("0.0.0.0:80", ep6("::", 80, 0)));
}

Test(addr, ipv6_rule_is_literal)
{
	cr_assert(m("[::]:443", ep6("::", 443, 0)));
	cr_assert_not(m("[::]:443", ep6("::1", 443, 0)));
	cr_assert_not(m("[::]:443", ep4("0.0.0.0", 443)));
	cr_assert(m("[2001:db8::1]:80", ep6("2001:db8::1", 80, 0)));
}

Test(addr, ipv6_scope)
{
	/* No scope in the rule: any interface. */
	cr_assert(m("[fe80::1]:80", ep6("fe80::1", 80, 0)));
	cr_assert(m("[fe80::1]:80", ep6("fe80::1", 80, 2)));
	cr_assert(m("[fe80::1%2]:80", ep6("fe80::1", 80, 2)));
	cr_assert_not(m("[fe80::1%2]:80", ep6("fe80::1", 80, 3)));
	cr_assert_not(m("[fe80::1%2]:80", ep6("fe80::1", 80, 0)));
}

Test(addr, v4mapped_rule_and_endpoint_meet_as_ipv4)
{
	cr_assert(m("[::ffff:127.0.0.1]:80", ep4("127.0.0.1", 80)));
	cr_assert(m("[::ffff:127.0.0.1]:80", ep6("::ffff:127.0.0.1", 80, 0)));
	cr_assert(m("127.0.0.1:80", ep6("::ffff:127.0.0.1", 80, 0)));
	cr_assert_not(m("[::ffff:127.0.0.1]:80", ep6("::1", 80, 0)));
	cr_assert_not(m("[::ffff:127.0.0.1]:80", ep4("127.0.0.2", 80)));
}

Test(addr, unix_exact_and_prefix)
{
	struct policy_addr exact = unixaddr("/run/app/app.sock");
	struct policy_addr prefix = unixaddr("/run/app/");
	struct endpoint in = epu("/run/app/app.sock");

	cr_assert(policy_addr_matches(&exact, &in));
	cr_assert_not(policy_addr_matches(&exact, &(struct endpoint){ .family = AF_UNIX, .path = "/run/app/app.sock2" }));
	cr_assert(policy_addr_matches(&prefix, &in));
	cr_assert(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_UNIX, .path = "/run/app/sub/x" }));
	cr_assert_not(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_UNIX, .path = "/run/appx/x" }));
	cr_assert_not(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_UNIX, .path = "/run/app" }));
	/* The kernel resolves "..": a prefix must not be escaped through it. */
	cr_assert_not(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_UNIX, .path = "/run/app/../../etc/x" }));
	cr_assert_not(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_UNIX, .path = "/run/app//x" }));
	/* A unix rule never matches an inet endpoint, and the reverse. */
	cr_assert_not(policy_addr_matches(&prefix, &(struct endpoint){ .family = AF_INET }));
	cr_assert_not(m("*:0", epu("/run/app/app.sock")));
}

/* ---- text forms ------------------------------------------------------- */

Test(addr, formats_truncate_safely)
{
	struct policy_addr pa = inet("[2001:db8:1:2:3:4:5:6%4294967295]:65535");
	struct endpoint ep = ep6("2001:db8:1:2:3:4:5:6", 65535, 4294967295u);
	struct cidr c = net("2001:db8::/32");
	char buf[128], small[6];

	policy_addr_format(&pa, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[2001:db8:1:2:3:4:5:6%4294967295]:65535");
	endpoint_format(&ep, buf, sizeof(buf));
	cr_assert_str_eq(buf, "[2001:db8:1:2:3:4:5:6%4294967295]:65535");
	policy_addr_format(&pa, small, sizeof(small));
	cr_assert_str_eq(small, "[2001");
	endpoint_format(&ep, small, sizeof(small));
	cr_assert_str_eq(small, "[2001");
	cidr_format(&c, small, sizeof(small));
	cr_assert_str_eq(small, "2001:");
	/* A zero-length buffer is left alone. */
	policy_addr_format(&pa, small, 0);
	endpoint_format(&ep, small, 0);
	cidr_format(&c, small, 0);
	cr_assert_str_eq(small, "2001:");
}
