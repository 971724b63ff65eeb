/*
 * libFuzzer target for the address parsers (helper/policy/addr.c).
 *
 * The bytes are read twice: as text, the way a policy line hands a token to
 * addr_parse_inet, addr_parse_unix, cidr_parse and addr_check_path; and as a
 * sockaddr of exactly that length, the way a BIND body reaches
 * endpoint_from_sockaddr.  What parses is formatted, and a formatted rule
 * address or network must parse back to what it came from: explain and the
 * audit log print these forms, and a reader may paste them into a policy.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_addr(const struct policy_addr *a, const struct policy_addr *b)
{
	return a->kind == b->kind && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0 &&
	       a->scope_id == b->scope_id && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && strcmp(a->path, b->path) == 0 &&
	       a->prefix == b->prefix;
}

static bool same_cidr(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0 &&
	       a->prefix_len == b->prefix_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[128], text[256];
	struct policy_addr inet, unix_, again;
	struct cidr net, net2;
	struct endpoint ep;
	bool have_inet, have_unix, have_net, have_ep;
	char *s = malloc(size + 1);
	/* its own allocation of exactly size bytes, so a read past len shows */
	void *sa = malloc(size ? size : 1);

	if (!s || !sa)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	memcpy(sa, data, size);

	have_inet = addr_parse_inet(s, &inet, why, sizeof(why)) == 0;
	if (have_inet) {
		policy_addr_format(&inet, text, sizeof(text));
		if (addr_parse_inet(text, &again, why, sizeof(why)) != 0 ||
		    !same_addr(&inet, &again))
			abort();
	}
	have_unix = addr_parse_unix(s, &unix_, why, sizeof(why)) == 0;
	if (have_unix) {
		policy_addr_format(&unix_, text, sizeof(text));
		if (addr_parse_unix(text, &again, why, sizeof(why)) != 0 ||
		    !same_addr(&unix_, &again))
			abort();
	}
	have_net = cidr_parse(s, &net, why, sizeof(why)) == 0;
	if (have_net) {
		cidr_format(&net, text, sizeof(text));
		if (cidr_parse(text, &net2, why, sizeof(why)) != 0 || !same_cidr(&net, &net2))
			abort();
	}
	if (s[0] == '/')
		(void)addr_check_path(s, why, sizeof(why));

	have_ep = endpoint_from_sockaddr(sa, (socklen_t)size, &ep) == 0;
	if (have_ep) {
		endpoint_format(&ep, text, sizeof(text));
		if (have_inet)
			(void)policy_addr_matches(&inet, &ep);
		if (have_unix)
			(void)policy_addr_matches(&unix_, &ep);
		if (have_net)
			(void)cidr_matches(&net, &ep);
	}
	free(sa);
	free(s);
	return 0;
}
