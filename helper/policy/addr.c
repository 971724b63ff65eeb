/*
 * Addresses as the policy writes them and as sockets carry them.
 *
 * Everything here is pure: text in, structs out, and back.  The one subtle
 * point is IPv4 seen through IPv6: a v4-mapped address (::ffff:a.b.c.d) is
 * turned into plain IPv4 both in rules (at parse time) and in endpoints (when
 * read from a sockaddr), so a rule naming 127.0.0.1 matches a dual-stack
 * socket bound to ::ffff:127.0.0.1 and vice versa, and no rule can be
 * sidestepped by spelling the same address the other way.
 */
#include "policy/addr.h"
#include "policy/str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool is_v4mapped(const uint8_t ip[16])
{
	return memcmp(ip, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0;
}

/*
 * A decimal number of at most max, digits only: no sign, no spaces, no
 * hex.  strtoul would accept all three and wrap on overflow.
 */
static int parse_decimal(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	bool overflow = false;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned long d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned long)(s[i] - '0');
		if (v > (max - d) / 10)
			overflow = true; /* keep scanning: "9x9" is bad, not too big */
		else
			v = v * 10 + d;
	}
	if (overflow)
		return -2;
	*out = v;
	return 0;
}

static int parse_port(const char *s, size_t len, uint16_t *out, char *why, size_t whylen)
{
	unsigned long v;
	int rc = parse_decimal(s, len, 65535, &v);

	if (rc == -2)
		return fail(why, whylen, "port %.*s out of range (0-65535)", (int)len, s);
	if (rc < 0)
		return fail(why, whylen, "bad port '%.*s'", (int)len, s);
	*out = (uint16_t)v;
	return 0;
}

/* "80" or "8000-8100". */
static int parse_port_range(const char *s, struct policy_addr *out, char *why, size_t whylen)
{
	const char *dash = strchr(s, '-');

	if (*s == '\0')
		return fail(why, whylen, "missing port after ':'");
	if (!dash) {
		if (parse_port(s, strlen(s), &out->port_lo, why, whylen) < 0)
			return -1;
		out->port_hi = out->port_lo;
		return 0;
	}
	if (parse_port(s, (size_t)(dash - s), &out->port_lo, why, whylen) < 0 ||
	    parse_port(dash + 1, strlen(dash + 1), &out->port_hi, why, whylen) < 0)
		return -1;
	if (out->port_lo > out->port_hi)
		return fail(why, whylen, "port range %s is reversed (low end above high end)", s);
	return 0;
}

/* Inside the brackets: "::1", "fe80::1%2".  The scope is numeric: no interface lookups here. */
static int parse_ipv6_host(const char *s, size_t len, struct policy_addr *out,
			   char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 16];
	const char *pct = memchr(s, '%', len);
	size_t hlen = pct ? (size_t)(pct - s) : len;
	unsigned long scope = 0;

	if (hlen >= sizeof(host))
		return fail(why, whylen, "bad IPv6 address '%.*s'", (int)hlen, s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET6, host, out->ip) != 1)
		return fail(why, whylen, "bad IPv6 address '%s'", host);
	if (pct) {
		const char *sc = pct + 1;
		size_t sclen = len - hlen - 1;

		int rc = parse_decimal(sc, sclen, UINT32_MAX, &scope);

		if (rc == -2)
			return fail(why, whylen, "scope id %.*s out of range", (int)sclen, sc);
		if (rc < 0)
			return fail(why, whylen, "scope id '%.*s' is not a number", (int)sclen, sc);
	}
	if (is_v4mapped(out->ip)) {
		if (pct)
			return fail(why, whylen, "scope id on v4-mapped address '%s'", host);
		/* Rules hold v4-mapped as what it stands for; see the top of the file. */
		memmove(out->ip, out->ip + 12, 4);
		memset(out->ip + 4, 0, 12);
		out->kind = ADDR_IPV4;
		return 0;
	}
	out->kind = ADDR_IPV6;
	out->scope_id = (uint32_t)scope;
	return 0;
}

static int parse_unbracketed_host(const char *s, size_t len, struct policy_addr *out,
				  char *why, size_t whylen)
{
	char host[INET_ADDRSTRLEN];

	if (len == 0)
		return fail(why, whylen, "missing address before ':'");
	if (len == 1 && s[0] == '*') {
		out->kind = ADDR_ANY;
		return 0;
	}
	if (memchr(s, ':', len))
		return fail(why, whylen, "IPv6 address needs brackets, as in [::1]:80");
	if (len >= sizeof(host))
		return fail(why, whylen, "bad IPv4 address '%.*s'", (int)len, s);
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, out->ip) != 1)
		return fail(why, whylen, "bad IPv4 address '%s'", host);
	out->kind = ADDR_IPV4;
	return 0;
}

int addr_parse_inet(const char *s, struct policy_addr *out, char *why, size_t whylen)
{
	const char *colon;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return fail(why, whylen, "missing ']' after IPv6 address");
		if (close[1] != ':')
			return fail(why, whylen, "expected ADDRESS:PORT");
		if (parse_ipv6_host(s + 1, (size_t)(close - s - 1), out, why, whylen) < 0)
			return -1;
		return parse_port_range(close + 2, out, why, whylen);
	}
	colon = strrchr(s, ':');
	if (!colon)
		return fail(why, whylen, "expected ADDRESS:PORT");
	if (parse_unbracketed_host(s, (size_t)(colon - s), out, why, whylen) < 0)
		return -1;
	return parse_port_range(colon + 1, out, why, whylen);
}

/*
 * Reject relative paths, "." and ".." components and empty ones ("//"): a
 * rule is compared as a string, so a path that spells a place two ways is a
 * rule that means something other than it says.
 */
int addr_check_path(const char *s, char *why, size_t whylen)
{
	const char *c = s + 1;

	if (s[0] != '/')
		return fail(why, whylen, "path '%s' is not absolute", s);
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 0)
			return fail(why, whylen, "path '%s' has an empty component ('//')", s);
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return fail(why, whylen, "path '%s' has a '%.*s' component", s, (int)n, c);
		c += n;
		if (*c == '/')
			c++;
	}
	return 0;
}

int addr_parse_unix(const char *s, struct policy_addr *out, char *why, size_t whylen)
{
	size_t len = strlen(s);

	memset(out, 0, sizeof(*out));
	if (len >= FDB_UNIX_PATH_MAX)
		return fail(why, whylen, "unix socket path is %zu bytes long (at most %d)",
			    len, FDB_UNIX_PATH_MAX - 1);
	if (addr_check_path(s, why, whylen) < 0)
		return -1;
	out->kind = ADDR_UNIX;
	memcpy(out->path, s, len + 1);
	out->prefix = s[len - 1] == '/';
	return 0;
}

/* Clear the bits past prefix_len, so matching can compare whole bytes. */
static void mask_host_bits(uint8_t *ip, unsigned nbytes, unsigned prefix_len)
{
	unsigned i;

	for (i = 0; i < nbytes; i++) {
		unsigned bit = i * 8;

		if (bit >= prefix_len)
			ip[i] = 0;
		else if (prefix_len - bit < 8)
			ip[i] &= (uint8_t)(0xff << (8 - (prefix_len - bit)));
	}
}

int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned maxlen;
	unsigned long plen;

	memset(out, 0, sizeof(*out));
	if (hlen == 0)
		return fail(why, whylen, "missing address in network '%s'", s);
	if (hlen >= sizeof(host))
		return fail(why, whylen, "bad address in network '%s'", s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	out->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, host, out->ip) != 1)
		return fail(why, whylen, "bad %s address '%s'",
			    out->family == AF_INET ? "IPv4" : "IPv6", host);
	maxlen = out->family == AF_INET ? 32 : 128;
	plen = maxlen;
	if (slash) {
		int rc = parse_decimal(slash + 1, strlen(slash + 1), maxlen, &plen);

		if (rc == -2)
			return fail(why, whylen, "prefix length /%s too long (at most %u)",
				    slash + 1, maxlen);
		if (rc < 0)
			return fail(why, whylen, "bad prefix length '/%s'", slash + 1);
	}
	out->prefix_len = (unsigned)plen;
	/* Peers arrive normalised to IPv4, so the network must be too. */
	if (out->family == AF_INET6 && is_v4mapped(out->ip) && out->prefix_len >= 96) {
		memmove(out->ip, out->ip + 12, 4);
		memset(out->ip + 4, 0, 12);
		out->family = AF_INET;
		out->prefix_len -= 96;
	}
	mask_host_bits(out->ip, 16, out->prefix_len);
	return 0;
}

static int endpoint_from_unix(const struct sockaddr *sa, socklen_t len, struct endpoint *out)
{
	size_t base = offsetof(struct sockaddr_un, sun_path);
	const char *p = (const char *)sa + base;
	size_t n, plen;

	if (len > sizeof(struct sockaddr_un)) {
		errno = EINVAL;
		return -1;
	}
	out->family = AF_UNIX;
	if (len == base)
		return 0; /* unnamed: the empty path, which no rule names */
	n = len - base;
	if (p[0] == '\0') {
		/* Abstract: the policy language cannot name these. */
		errno = EAFNOSUPPORT;
		return -1;
	}
	plen = strnlen(p, n);
	if (plen >= FDB_UNIX_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out->path, p, plen);
	out->path[plen] = '\0';
	return 0;
}

int endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct endpoint *out)
{
	sa_family_t family;

	memset(out, 0, sizeof(*out));
	if (!sa || len < sizeof(sa_family_t)) {
		errno = EINVAL;
		return -1;
	}
	/* memcpy throughout: the sockaddr may sit unaligned in a message buffer. */
	memcpy(&family, (const char *)sa + offsetof(struct sockaddr, sa_family), sizeof(family));
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		out->family = AF_INET;
		memcpy(out->ip, &sin.sin_addr, 4);
		out->port = ntohs(sin.sin_port);
		return 0;
	}
	if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		out->port = ntohs(sin6.sin6_port);
		if (is_v4mapped(sin6.sin6_addr.s6_addr)) {
			out->family = AF_INET;
			memcpy(out->ip, sin6.sin6_addr.s6_addr + 12, 4);
			return 0;
		}
		out->family = AF_INET6;
		memcpy(out->ip, sin6.sin6_addr.s6_addr, 16);
		out->scope_id = sin6.sin6_scope_id;
		return 0;
	}
	if (family == AF_UNIX && len >= offsetof(struct sockaddr_un, sun_path))
		return endpoint_from_unix(sa, len, out);
	errno = (family == AF_INET || family == AF_INET6 || family == AF_UNIX) ? EINVAL
									     : EAFNOSUPPORT;
	return -1;
}

/*
 * A prefix rule claims a directory; "/run/app/../x" starts with "/run/app/"
 * but lies outside it, so a path that is not clean never matches a prefix.
 */
static bool unix_path_matches(const struct policy_addr *pa, const char *path)
{
	size_t plen = strlen(pa->path);

	if (!pa->prefix)
		return strcmp(pa->path, path) == 0;
	if (strncmp(pa->path, path, plen) != 0)
		return false;
	return addr_check_path(path, NULL, 0) == 0;
}

bool policy_addr_matches(const struct policy_addr *pa, const struct endpoint *ep)
{
	if (pa->kind == ADDR_UNIX)
		return ep->family == AF_UNIX && unix_path_matches(pa, ep->path);
	if (ep->family != AF_INET && ep->family != AF_INET6)
		return false;
	if (ep->port < pa->port_lo || ep->port > pa->port_hi)
		return false;
	switch (pa->kind) {
	case ADDR_ANY:
		return true;
	case ADDR_IPV4:
		return ep->family == AF_INET && memcmp(pa->ip, ep->ip, 4) == 0;
	case ADDR_IPV6:
		return ep->family == AF_INET6 && memcmp(pa->ip, ep->ip, 16) == 0 &&
		       (pa->scope_id == 0 || pa->scope_id == ep->scope_id);
	default:
		return false;
	}
}

bool cidr_matches(const struct cidr *c, const struct endpoint *ep)
{
	unsigned full = c->prefix_len / 8, rest = c->prefix_len % 8;
	uint8_t mask;

	if (ep->family != c->family)
		return false;
	if (memcmp(c->ip, ep->ip, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (ep->ip[full] & mask) == c->ip[full];
}

/* "LO" or "LO-HI" after the *at bytes of buf; at moves past it. */
static void append_ports(char *buf, size_t len, size_t *at, uint16_t lo, uint16_t hi)
{
	str_append_uint(buf, len, at, lo);
	if (lo != hi) {
		str_append(buf, len, at, "-");
		str_append_uint(buf, len, at, hi);
	}
}

/* The address as a log line writes it; at moves past it (len > 0). */
static void append_ip(char *buf, size_t len, size_t *at, int family, const uint8_t *ip,
		      uint32_t scope)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, ip, s, sizeof(s)))
		str_copy(s, sizeof(s), "?");
	if (family == AF_INET) {
		str_append(buf, len, at, s);
		return;
	}
	str_append(buf, len, at, "[");
	str_append(buf, len, at, s);
	if (scope) {
		str_append(buf, len, at, "%");
		str_append_uint(buf, len, at, scope);
	}
	str_append(buf, len, at, "]");
}

void policy_addr_format(const struct policy_addr *pa, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (pa->kind == ADDR_UNIX) {
		str_copy(buf, len, pa->path);
		return;
	}
	if (pa->kind == ADDR_ANY)
		str_append(buf, len, &at, "*");
	else
		append_ip(buf, len, &at, pa->kind == ADDR_IPV4 ? AF_INET : AF_INET6, pa->ip,
			  pa->scope_id);
	str_append(buf, len, &at, ":");
	append_ports(buf, len, &at, pa->port_lo, pa->port_hi);
}

/* Once per connection and per bind, for the audit line: copies, not printf. */
void endpoint_format(const struct endpoint *ep, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	switch (ep->family) {
	case AF_UNIX:
		str_copy(buf, len, ep->path[0] ? ep->path : "(unnamed)");
		return;
	case AF_INET:
	case AF_INET6:
		append_ip(buf, len, &at, ep->family, ep->ip, ep->scope_id);
		str_append(buf, len, &at, ":");
		str_append_uint(buf, len, &at, ep->port);
		return;
	default:
		snprintf(buf, len, "(family %d)", ep->family);
	}
}

void cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!len)
		return;
	if (!inet_ntop(c->family, c->ip, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	snprintf(buf, len, "%s/%u", s, c->prefix_len);
}
