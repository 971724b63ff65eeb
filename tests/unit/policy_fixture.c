/* The policy tests' shared fixture (policy_fixture.h). */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_fixture.h"

struct policy pol;
struct errs errs;

void policy_fixture_init(void)
{
	policy_init(&pol);
	memset(&errs, 0, sizeof(errs));
}

void policy_fixture_fini(void)
{
	policy_free(&pol);
}

void collect(void *ctx, const char *msg)
{
	struct errs *e = ctx;

	for (const char *c = msg; *c; c++)
		cr_assert((unsigned char)*c >= 0x20 && *c != 0x7f,
			  "error message with a control character: %s", msg);
	if (e->n < MAX_ERRS)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s", msg);
	e->n++;
}

int parse(const char *text)
{
	int n = policy_parse_text(&pol, "t.policy", text, collect, &errs);

	cr_assert_eq(n, errs.n, "returned %d errors, reported %d", n, errs.n);
	return n;
}

void parse_ok(const char *text)
{
	int n = parse(text);

	cr_assert_eq(n, 0, "%d errors, first: %s", n, errs.msg[0]);
}

const struct subject U1000 = { 1000, 1000, NULL, 0 };
const struct subject U1001 = { 1001, 1001, NULL, 0 };

struct decision ask_open(const struct subject *s, const char *path, unsigned rights)
{
	struct request r = { .op = OP_OPEN };

	r.u.open.path = path;
	r.u.open.rights = rights;
	return policy_decide(&pol, s, &r);
}

bool may_open(const struct subject *s, const char *path, unsigned rights)
{
	return ask_open(s, path, rights).verdict == VERDICT_ALLOW;
}

bool may_socket(const struct subject *s, int family, int type, int protocol)
{
	struct request r = { .op = OP_SOCKET };

	r.u.socket.family = family;
	r.u.socket.type = type;
	r.u.socket.protocol = protocol;
	return policy_decide(&pol, s, &r).verdict == VERDICT_ALLOW;
}

struct endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	return (struct endpoint){ .family = AF_INET, .ip = { a, b, c, d }, .port = port };
}

struct endpoint ep6(const char *text, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct endpoint ep;

	cr_assert_eq(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
	cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &ep), 0);
	return ep;
}

struct endpoint epu(const char *path)
{
	struct endpoint ep = { .family = AF_UNIX };

	snprintf(ep.path, sizeof(ep.path), "%s", path);
	return ep;
}

struct decision ask_net(const struct subject *s, enum op op, enum proto proto,
			struct endpoint ep)
{
	struct request r = { .op = op };

	r.u.net.proto = proto;
	r.u.net.ep = ep;
	return policy_decide(&pol, s, &r);
}

bool may_bind(const struct subject *s, enum proto proto, struct endpoint ep)
{
	return ask_net(s, OP_BIND, proto, ep).verdict == VERDICT_ALLOW;
}
