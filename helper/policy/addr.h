/*
 * Addresses as the policy writes them and as sockets carry them.
 *
 * Parsing and matching only: no I/O, no name lookups.  Functions return 0 on
 * success and -1 on failure; parsers put a short human-readable reason in the
 * caller's buffer (no errno), matchers return a boolean, formatters cannot
 * fail.  endpoint_from_sockaddr reads a sockaddr, not text, and says why it
 * failed as the socket calls would, with errno (EINVAL, EAFNOSUPPORT for an
 * abstract unix name or another family, ENAMETOOLONG).
 */
#ifndef FDB_ADDR_H
#define FDB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define FDB_UNIX_PATH_MAX 108 /* sizeof(sun_path) */

/* What an ADDRESS in a bind/accept rule names. */
enum addr_kind {
	ADDR_ANY,  /* "*:PORT": any address of either family */
	ADDR_IPV4, /* "1.2.3.4:PORT" (also v4-mapped IPv6 after normalising) */
	ADDR_IPV6, /* "[::1]:PORT" */
	ADDR_UNIX, /* absolute path, or prefix when it ends in '/' */
};

struct policy_addr {
	enum addr_kind kind;
	uint8_t ip[16];    /* IPv4 in the first 4 bytes */
	uint32_t scope_id; /* IPv6 only; 0 = any scope */
	uint16_t port_lo;  /* inclusive range, host order */
	uint16_t port_hi;
	char path[FDB_UNIX_PATH_MAX]; /* ADDR_UNIX */
	bool prefix;                  /* ADDR_UNIX path ends in '/' */
};

/* A "from" network: IPv4 or IPv6 CIDR, or a bare address (full length). */
struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t ip[16];
	unsigned prefix_len;
};

/*
 * A concrete endpoint taken from a sockaddr, normalised: a v4-mapped IPv6
 * address becomes AF_INET, so rules match it as the IPv4 address it stands
 * for.  family is AF_INET, AF_INET6 or AF_UNIX.
 */
struct endpoint {
	int family;
	uint8_t ip[16];
	uint32_t scope_id;
	uint16_t port;
	char path[FDB_UNIX_PATH_MAX];
};

/* "tcp"/"udp" addresses: "*:80", "1.2.3.4:80", "[::1]:8000-8100", "[fe80::1%2]:80" */
int addr_parse_inet(const char *s, struct policy_addr *out, char *why, size_t whylen);
/* "unix" addresses: an absolute path; a trailing '/' makes it a prefix. */
int addr_parse_unix(const char *s, struct policy_addr *out, char *why, size_t whylen);
/*
 * An absolute path spelled one way only: no "." or ".." component, no "//".
 * Shared with the policy's open rules; a reason goes to why (may be NULL).
 */
int addr_check_path(const char *path, char *why, size_t whylen);
/* "10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8" */
int cidr_parse(const char *s, struct cidr *out, char *why, size_t whylen);

/* Normalise a sockaddr (AF_INET, AF_INET6 incl. v4-mapped, AF_UNIX). */
int endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct endpoint *out);

bool policy_addr_matches(const struct policy_addr *pa, const struct endpoint *ep);
bool cidr_matches(const struct cidr *c, const struct endpoint *ep);

/* Text forms, for explain and the audit log ("[::1]:80", "*:8000-8100", "10.0.0.0/8"). */
void policy_addr_format(const struct policy_addr *pa, char *buf, size_t len);
void endpoint_format(const struct endpoint *ep, char *buf, size_t len);
void cidr_format(const struct cidr *c, char *buf, size_t len);

#endif
