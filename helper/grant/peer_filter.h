/*
 * The peer check of a `bind tcp ADDRESS from CIDR...` rule, made the
 * kernel's: a classic BPF socket filter that keeps a packet only when its
 * source address is in one of the networks, attached to the bound socket
 * and locked there, so the program it is handed to can neither take it
 * off nor replace it.  The networks mean exactly what they mean to the
 * policy's accept rules (policy/addr.c): a source is matched as the
 * endpoint endpoint_from_sockaddr makes of it (a v4-mapped IPv6 address is
 * its IPv4 address) by cidr_matches on networks as cidr_parse makes them.
 *
 * peer_filter_build is pure; peer_filter_lock returns 0 or a negative
 * errno, as all of grant/.
 */
#ifndef FDB_PEER_FILTER_H
#define FDB_PEER_FILTER_H

#include <linux/filter.h> /* struct sock_filter */
#include <stddef.h>

#include "policy/addr.h" /* struct cidr */

/*
 * Networks a filter holds at most: a rule's from list, or, for a
 * dual-stack [::] socket judged by two rules, the IPv6 networks of one and
 * the IPv4 networks of the other (grant/bind.c).
 */
#define PEER_FILTER_NETS (2 * 16) /* 2 * POLICY_MAX_FROM (policy/policy.h) */

/*
 * PEER_FILTER_INBOUND_ONLY, for a tcp socket the program may only listen
 * on (an accept rule served by binding): every SYN+ACK is dropped, so no
 * connection this socket opens itself ever completes.
 */
#define PEER_FILTER_INBOUND_ONLY 1u

/*
 * Instructions peer_filter_build writes at most, for PEER_FILTER_NETS
 * networks: 4 for PEER_FILTER_INBOUND_ONLY, 17 around the networks'
 * blocks, and a block of at most 10 for an IPv6 network (or twice 4 for
 * an IPv4 one, matched in IPv4 and in v4-mapped IPv6 packets).
 * peer_filter.c checks the sum.
 */
#define PEER_FILTER_MAX (4 + 17 + 10 * PEER_FILTER_NETS)

/*
 * The classic BPF socket filter that keeps a packet only when its source
 * address is in from[0..n-1] (none when n is 0; 0.0.0.0/0 and ::/0 say
 * "any"), and with flags as above; returns the instruction count.  Pure:
 * no I/O.
 */
size_t peer_filter_build(const struct cidr *from, unsigned n, unsigned flags,
			 struct sock_filter out[PEER_FILTER_MAX]);

/*
 * Attach that filter to sock and lock it (SO_ATTACH_FILTER, then
 * SO_LOCK_FILTER), then read it back (getsockopt SO_GET_FILTER; its length
 * is counted in instructions) and compare it with what was built: 0 when
 * the socket is locked with exactly this program (also when it already
 * was: a bind retried under the same rule), -EPERM when it is locked with
 * anything else or with no filter (the program's other thread raced the
 * attach, or the program locked the socket itself), -EACCES when the
 * kernel refuses the broker the attach on an unlocked socket (a tcp
 * socket's filter wants CAP_NET_ADMIN on recent kernels, 6.18 here), other
 * -errno from the calls.
 */
int peer_filter_lock(int sock, const struct cidr *from, unsigned n, unsigned flags);

#endif
