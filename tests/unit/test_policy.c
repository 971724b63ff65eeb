/*
 * helper/policy/policy.c: the policy language of SPEC §3 and the decisions over it.
 *
 * Users and groups: only names every Debian system has (root, nobody,
 * nogroup, www-data) are looked up; everything else uses numeric ids.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/policy_file.h"
#include "policy/policy.h"

#define MAX_ERRS 32

struct errs {
	int n;
	char msg[MAX_ERRS][600];
};

static struct policy pol;
static struct errs errs;
static char tmpdir[PATH_MAX];

static void collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	cr_assert_eq(strchr(msg, '\n'), NULL, "error message with a newline: %s", msg);
	if (e->n < MAX_ERRS)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	policy_init(&pol);
	memset(&errs, 0, sizeof(errs));
	snprintf(tmpdir, sizeof(tmpdir), "%s/fdb-policy-XXXXXX", t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	policy_free(&pol);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(policy, .init = setup, .fini = teardown, .timeout = 10);

/* ---- helpers ------------------------------------------------------------ */

static int parse(const char *text)
{
	int n = policy_parse_text(&pol, "t.policy", text, collect, &errs);

	cr_assert_eq(n, errs.n, "returned %d errors, reported %d", n, errs.n);
	return n;
}

static void parse_ok(const char *text)
{
	int n = parse(text);

	cr_assert_eq(n, 0, "%d errors, first: %s", n, errs.msg[0]);
}

static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

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

static const struct subject U1000 = { 1000, 1000, NULL, 0 };
static const struct subject U1001 = { 1001, 1001, NULL, 0 };

static struct decision ask_open(const struct subject *s, const char *path, unsigned rights)
{
	struct request r = { .op = OP_OPEN };

	r.u.open.path = path;
	r.u.open.rights = rights;
	return policy_decide(&pol, s, &r);
}

static bool may_open(const struct subject *s, const char *path, unsigned rights)
{
	return ask_open(s, path, rights).verdict == VERDICT_ALLOW;
}

static bool may_socket(const struct subject *s, int family, int type, int protocol)
{
	struct request r = { .op = OP_SOCKET };

	r.u.socket.family = family;
	r.u.socket.type = type;
	r.u.socket.protocol = protocol;
	return policy_decide(&pol, s, &r).verdict == VERDICT_ALLOW;
}

static struct endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	return (struct endpoint){ .family = AF_INET, .ip = { a, b, c, d }, .port = port };
}

static struct endpoint ep6(const char *text, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct endpoint ep;

	cr_assert_eq(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &ep), 0);
	return ep;
}

static struct endpoint epu(const char *path)
{
	struct endpoint ep = { .family = AF_UNIX };

	snprintf(ep.path, sizeof(ep.path), "%s", path);
	return ep;
}

static struct decision ask_net(const struct subject *s, enum op op, enum proto proto,
			       struct endpoint ep)
{
	struct request r = { .op = op };

	r.u.net.proto = proto;
	r.u.net.ep = ep;
	return policy_decide(&pol, s, &r);
}

static bool may_bind(const struct subject *s, enum proto proto, struct endpoint ep)
{
	return ask_net(s, OP_BIND, proto, ep).verdict == VERDICT_ALLOW;
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
Test(policy, spec_example_verbatim)
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
Test(policy, spec_example_fields)
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

Test(policy, subject_names_resolve_at_parse_time)
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

Test(policy, subjects_match_user_group_and_any)
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

/* ---- lexing: whitespace, comments, locations ---------------------------- */

Test(policy, whitespace_comments_and_locations)
{
	parse_ok("# a comment\n"
		 "\n"
		 "   \t  \n"
		 "  allow\tuser  1000   open /srv/x/   read,write  # why: uploads\n"
		 "\t# indented comment\n"
		 "deny any open /srv/a#b#still-path\n"
		 "allow any open /crlf read\r\n"
		 "allow any open /last read");
	cr_assert_eq(pol.n, 4);
	cr_assert_str_eq(pol.rules[0].text, "allow user 1000 open /srv/x/ read,write");
	cr_assert_eq(pol.rules[0].line, 4);
	cr_assert_str_eq(pol.rules[1].u.open.path, "/srv/a#b#still-path");
	cr_assert_eq(pol.rules[1].line, 6);
	cr_assert_str_eq(pol.rules[2].text, "allow any open /crlf read");
	cr_assert_eq(pol.rules[3].line, 8, "a last line without newline still counts");
}

Test(policy, hash_inside_a_token_is_not_a_comment)
{
	cr_assert_eq(parse("allow any open /x read#comment\n"), 1);
	cr_assert_str_eq(errs.msg[0], "t.policy:1:19: unknown right 'read#comment' "
				      "(expected read, write or create)");
}

Test(policy, empty_text_is_an_empty_policy)
{
	parse_ok("");
	cr_assert_eq(pol.n, 0);
	parse_ok("\n\n# nothing\n");
	cr_assert_eq(pol.n, 0);
}

/* ---- every form of the grammar, field by field ------------------------- */

Test(policy, open_forms)
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

Test(policy, socket_forms)
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

Test(policy, bind_and_accept_forms)
{
	char buf[64];

	parse_ok("allow any bind udp 127.0.0.1:8000-8100\n"
		 "allow any bind tcp [fe80::1%2]:80\n"
		 "allow any bind unix /run/app/\n"
		 "allow any accept tcp [::ffff:127.0.0.1]:80\n"
		 "allow any accept unix /run/app/app.sock\n"
		 "deny any accept udp *:53 from fd00::/8\n");
	policy_addr_format(&pol.rules[0].u.net.addr, buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1:8000-8100");
	cr_assert_eq(pol.rules[1].u.net.addr.scope_id, 2);
	cr_assert(pol.rules[2].u.net.addr.prefix);
	cr_assert_eq(pol.rules[3].u.net.addr.kind, ADDR_IPV4, "v4-mapped rule normalised");
	cr_assert_eq(pol.rules[3].u.net.nfrom, 0);
	cr_assert_eq(pol.rules[4].op, OP_ACCEPT);
	cr_assert_eq(pol.rules[4].u.net.proto, PROTO_UNIX);
	cr_assert_eq(pol.rules[5].verdict, VERDICT_DENY);
	cr_assert_eq(pol.rules[5].u.net.nfrom, 1);
	cr_assert_eq(pol.rules[5].u.net.from[0].family, AF_INET6);
}

Test(policy, accept_from_up_to_the_limit)
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
	char msg[128];
};

ParameterizedTestParameters(policy, bad_lines)
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
		{ "allow any bind tcp *:80 from 10.0.0.0/8", "25: 'from' goes only on accept rules (accept tcp ADDRESS from CIDR...), whose listener the broker holds and filters" },
		{ "allow any accept tcp *:80 from", "31: 'from' needs at least one network" },
		{ "allow any accept tcp *:80 from 10.0.0.0/33", "32: bad network '10.0.0.0/33': prefix length /33 too long (at most 32)" },
		{ "allow any accept tcp *:80 from 1.2.3.4 x", "40: bad network 'x': bad IPv4 address 'x'" },
		{ "allow any accept unix /run/x.sock from ::1", "35: 'from' is not allowed with unix: a unix peer has no address" },
		{ "allow any accept tcp *:80 to 10.0.0.0/8", "27: unexpected 'to'" },
	};
	return cr_make_param_array(struct bad_line, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_line *c, policy, bad_lines)
{
	char want[160];

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

Test(policy, all_errors_reported_in_one_pass)
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

Test(policy, null_error_sink_still_counts)
{
	cr_assert_eq(policy_parse_text(&pol, "t.policy", "bogus\nallow any\n", NULL, NULL), 2);
}

Test(policy, line_length_limit)
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

/* ---- files ---------------------------------------------------------------- */

Test(policy, parse_file_good)
{
	static const char text[] = "allow any open /a read\n\ndeny any open /b";
	const char *path = write_file("good.policy", text, sizeof(text) - 1);

	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 0, "%s", errs.msg[0]);
	cr_assert_eq(pol.n, 2);
	cr_assert_str_eq(pol.rules[1].file, path);
	cr_assert_eq(pol.rules[1].line, 3);
}

Test(policy, parse_file_with_nul_byte)
{
	static const char text[] = "allow any open /a read\nallow\0any open /b read\nallow any open /c read\n";
	const char *path = write_file("nul.policy", text, sizeof(text) - 1);
	char want[PATH_MAX + 64];

	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s:2:6: NUL byte in policy text", path);
	cr_assert_str_eq(errs.msg[0], want);
	cr_assert_eq(pol.n, 2);
}

Test(policy, parse_file_cannot_read)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/missing.policy", tmpdir);
	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	cr_assert_str_eq(errs.msg[0], want);

	errs.n = 0;
	cr_assert_eq(policy_parse_file(&pol, tmpdir, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", tmpdir, strerror(EISDIR));
	cr_assert_str_eq(errs.msg[0], want);

	errs.n = 0;
	cr_assert_eq(policy_parse_file(&pol, "/dev/null", collect, &errs), 1);
	cr_assert_str_eq(errs.msg[0], "/dev/null: cannot read: not a regular file");

	/* A FIFO with no writer must not hang the parse (the suite has a timeout). */
	errs.n = 0;
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file", path);
	cr_assert_str_eq(errs.msg[0], want);
	cr_assert_eq(pol.n, 0);
}

/* ---- inline rules (run -a) ----------------------------------------------- */

Test(policy, inline_rule_becomes_allow_user)
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

struct bad_inline {
	char rule[48];
	char msg[128];
};

ParameterizedTestParameters(policy, inline_errors)
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
	};
	return cr_make_param_array(struct bad_inline, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_inline *c, policy, inline_errors)
{
	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 2, c->rule, collect, &errs), 1,
		     "'%s' accepted", c->rule);
	cr_assert_str_eq(errs.msg[0], c->msg);
	cr_assert_eq(pol.n, 0);
}

/* ---- decisions: order and default ---------------------------------------- */

Test(policy, first_match_wins)
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

Test(policy, default_is_deny_with_no_rule)
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

Test(policy, tree_versus_exact)
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

Test(policy, root_tree_covers_everything)
{
	parse_ok("deny any open /\n"
		 "allow any open /srv/ read\n");
	cr_assert_not(may_open(&U1000, "/srv/a", RIGHT_READ));
	cr_assert_eq(ask_open(&U1000, "/", RIGHT_READ).rule, &pol.rules[0]);
	cr_assert_eq(ask_open(&U1000, "/srv/a/b", RIGHT_READ).rule, &pol.rules[0]);
}

Test(policy, allow_rights)
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

Test(policy, deny_rights)
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

Test(policy, socket_protocols)
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

Test(policy, bind_addresses_ports_and_protocols)
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

Test(policy, v4mapped_rule_matches_ipv4_binds)
{
	parse_ok("allow any bind tcp [::ffff:127.0.0.1]:80\n");
	cr_assert(may_bind(&U1000, PROTO_TCP, ep4(127, 0, 0, 1, 80)));
	cr_assert(may_bind(&U1000, PROTO_TCP, ep6("::ffff:127.0.0.1", 80)));
	cr_assert_not(may_bind(&U1000, PROTO_TCP, ep6("::1", 80)));
}

Test(policy, unix_exact_and_prefix)
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

Test(policy, accept_exposes_from_without_matching_on_it)
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

/* ---- names ----------------------------------------------------------------- */

Test(policy, rights_format_and_op_name)
{
	char buf[64], small[8];

	rights_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "all");
	rights_format(RIGHT_CREATE | RIGHT_READ, buf, sizeof(buf));
	cr_assert_str_eq(buf, "read,create");
	rights_format(RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE, buf, sizeof(buf));
	cr_assert_str_eq(buf, "read,write,create");
	rights_format(RIGHT_WRITE, buf, sizeof(buf));
	cr_assert_str_eq(buf, "write");
	rights_format(RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE, small, sizeof(small));
	cr_assert_str_eq(small, "read,wr");
	cr_assert_str_eq(op_name(OP_OPEN), "open");
	cr_assert_str_eq(op_name(OP_SOCKET), "socket");
	cr_assert_str_eq(op_name(OP_BIND), "bind");
	cr_assert_str_eq(op_name(OP_ACCEPT), "accept");
	cr_assert_str_eq(op_name((enum op)0), "?");
}
