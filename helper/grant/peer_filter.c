/*
 * The peer filter; see peer_filter.h.  It runs on TCP and UDP sockets,
 * where skb->data is at the transport header, so the IP header is read
 * at negative offsets from SKF_NET_OFF.  The program:
 *
 *	version 4: ipv4                     (an AF_INET6 socket's IPv4 clients too)
 *	version 6: ipv6
 *	else: drop
 *	ipv4:   the IPv4 networks against the source (word 12); drop
 *	ipv6:   source ::ffff:a.b.c.d: mapped
 *	        the IPv6 networks against the source (words 8..20); drop
 *	mapped: the IPv4 networks against a.b.c.d (word 20); drop
 *
 * v4-mapped sources go to the IPv4 networks only, as endpoint_from_sockaddr
 * makes them AF_INET and cidr_matches wants the same family (::/0 does not
 * take them).  The kernel drops such packets before any socket sees them
 * (ip6_rcv_core), but the filter need not lean on that.
 *
 * A network is a block ending in its own "ret keep"; a word that differs
 * jumps just past it, to the next block or to its section's "ret drop".
 * So no conditional jump, whose offset is 8 bits, crosses more than one
 * block (at most 10 instructions), however long the list; the sections
 * are reached with ja, whose offset is 32 bits.
 */
#include "grant/peer_filter.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"
#include "sys/caps.h"

#include <linux/capability.h>

#define KEEP 0xffffffffu /* the whole packet */
#define DROP 0u

/* Offsets in the IP header: version nibble at 0, then the sources. */
#define IP4_SRC 12
#define IP6_SRC 8
#define IP6_MAPPED_SRC (IP6_SRC + 12) /* a.b.c.d of ::ffff:a.b.c.d */

/* The TCP header's flags byte (skb->data is at the transport header). */
#define TCP_FLAGS 13
#define SYN_ACK 0x12

/* The lengths PEER_FILTER_MAX is made of. */
#define INBOUND_LEN 4 /* PEER_FILTER_INBOUND_ONLY: ldb, and, jeq, ret drop */
#define HEAD_LEN 7    /* the version dispatch */
#define MAPPED_LEN 7  /* is it ::ffff:0:0/96, and the ja */
#define DROPS_LEN 3   /* each section's ret drop */
#define BLOCK4_MAX 4  /* ld, and, jeq, ret */
#define BLOCK6_MAX 10 /* three whole words (ld, jeq), one in part (ld, and, jeq), ret */
_Static_assert(PEER_FILTER_MAX == INBOUND_LEN + HEAD_LEN + MAPPED_LEN + DROPS_LEN +
	       PEER_FILTER_NETS * (BLOCK6_MAX > 2 * BLOCK4_MAX ? BLOCK6_MAX : 2 * BLOCK4_MAX),
	       "PEER_FILTER_MAX is not the longest program");
_Static_assert(PEER_FILTER_NETS == 2 * POLICY_MAX_FROM, "PEER_FILTER_NETS is two rules' lists");

struct emit {
	struct sock_filter *prog;
	size_t n;
};

static void put(struct emit *e, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	assert(e->n < PEER_FILTER_MAX);
	e->prog[e->n++] = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
}

/* The word at off in the IP header. */
static void load(struct emit *e, uint32_t off)
{
	put(e, BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + off, 0, 0);
}

static void ret(struct emit *e, uint32_t k)
{
	put(e, BPF_RET | BPF_K, k, 0, 0);
}

/* A ja to be aimed later by land(): its index. */
static size_t ja(struct emit *e)
{
	put(e, BPF_JMP | BPF_JA, 0, 0, 0);
	return e->n - 1;
}

/* Aim the ja at 'at' at the next instruction. */
static void land(struct emit *e, size_t at)
{
	e->prog[at].k = (uint32_t)(e->n - at - 1);
}

/*
 * Keep the packet when the address at off has the prefix_len leading
 * bits of ip (as cidr_parse leaves it: host bits clear): per word the
 * prefix reaches, ld, an and when it reaches only part of it, and a jeq
 * that jumps past the block on a difference; then ret keep.  A /0 is the
 * ret alone.
 */
static void block(struct emit *e, uint32_t off, const uint8_t *ip, unsigned prefix_len)
{
	unsigned words = (prefix_len + 31) / 32;
	size_t end = e->n + 2 * words + (prefix_len % 32 ? 1 : 0) + 1; /* past the ret */

	for (unsigned i = 0; i < words; i++) {
		unsigned bits = prefix_len - 32 * i;
		uint32_t mask = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
		uint32_t w;

		memcpy(&w, ip + 4 * i, 4);
		load(e, off + 4 * i);
		if (mask != 0xffffffffu)
			put(e, BPF_ALU | BPF_AND | BPF_K, mask, 0, 0);
		/* the loads give the big-endian word as a host value */
		put(e, BPF_JMP | BPF_JEQ | BPF_K, ntohl(w) & mask, 0,
		    (uint8_t)(end - e->n - 1));
	}
	ret(e, KEEP);
	assert(e->n == end);
}

/* The networks of family against the address at off; then drop. */
static void section(struct emit *e, const struct cidr *from, unsigned n, int family,
		    uint32_t off)
{
	for (unsigned i = 0; i < n; i++) {
		if (from[i].family != family)
			continue;
		assert(from[i].prefix_len <= (family == AF_INET ? 32u : 128u));
		block(e, off, from[i].ip, from[i].prefix_len);
	}
	ret(e, DROP);
}

size_t peer_filter_build(const struct cidr *from, unsigned n, unsigned flags,
			 struct sock_filter out[PEER_FILTER_MAX])
{
	struct emit e = { .prog = out };
	size_t to_ipv4, to_ipv6, to_mapped;

	assert(n <= PEER_FILTER_NETS);
	if (flags & PEER_FILTER_INBOUND_ONLY) {
		/* a SYN+ACK answers an open this socket made: never let one complete */
		put(&e, BPF_LD | BPF_B | BPF_ABS, TCP_FLAGS, 0, 0);
		put(&e, BPF_ALU | BPF_AND | BPF_K, SYN_ACK, 0, 0);
		put(&e, BPF_JMP | BPF_JEQ | BPF_K, SYN_ACK, 0, 1);
		ret(&e, DROP);
	}
	put(&e, BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF, 0, 0);
	put(&e, BPF_ALU | BPF_RSH | BPF_K, 4, 0, 0);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 1);
	to_ipv4 = ja(&e);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1);
	to_ipv6 = ja(&e);
	ret(&e, DROP);

	land(&e, to_ipv4);
	section(&e, from, n, AF_INET, IP4_SRC);

	land(&e, to_ipv6);
	load(&e, IP6_SRC);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5);
	load(&e, IP6_SRC + 4);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3);
	load(&e, IP6_SRC + 8);
	put(&e, BPF_JMP | BPF_JEQ | BPF_K, 0xffff, 0, 1);
	to_mapped = ja(&e);
	section(&e, from, n, AF_INET6, IP6_SRC);

	land(&e, to_mapped);
	section(&e, from, n, AF_INET, IP6_MAPPED_SRC);
	return e.n;
}

/*
 * The attach and the lock are two calls, and the program holds the socket
 * too: its other thread may attach a filter of its own, or detach ours,
 * in between.  Once locked nothing can change, so what reads back after
 * the lock is what stays.  A socket locked already refuses the attach with
 * EPERM: whatever it holds is judged the same way.
 */
struct attach {
	int sock;
	const struct sock_fprog *prog;
};

static int attach(void *ctx)
{
	const struct attach *a = ctx;

	return setsockopt(a->sock, SOL_SOCKET, SO_ATTACH_FILTER, a->prog, sizeof(*a->prog));
}

int peer_filter_lock(int sock, const struct cidr *from, unsigned n, unsigned flags)
{
	struct sock_filter prog[PEER_FILTER_MAX], got[PEER_FILTER_MAX];
	struct sock_fprog fprog = { .filter = prog };
	socklen_t len;
	int one = 1;

	fprog.len = (unsigned short)peer_filter_build(from, n, flags, prog);
	/* the kernel wants CAP_NET_ADMIN for a tcp socket's filter: in effect for this call alone */
	if (caps_around(CAP_NET_ADMIN, attach, &(struct attach){ sock, &fprog }) < 0) {
		int locked = 0;
		socklen_t llen = sizeof(locked);

		if (errno != EPERM)
			return -errno;
		/*
		 * EPERM is a locked socket, or (recent kernels, 6.18 here: commit
		 * 5d39580f68e6) a tcp socket and no CAP_NET_ADMIN: never lock that one bare.
		 */
		if (getsockopt(sock, SOL_SOCKET, SO_LOCK_FILTER, &locked, &llen) < 0)
			return -errno;
		if (!locked)
			return -EACCES;
	}
	if (setsockopt(sock, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0)
		return -errno;
	len = fprog.len; /* room, in instructions */
	if (getsockopt(sock, SOL_SOCKET, SO_GET_FILTER, got, &len) < 0)
		/* EINVAL: a longer program than ours; EACCES: an eBPF one */
		return errno == EINVAL || errno == EACCES ? -EPERM : -errno;
	if (len != fprog.len || memcmp(got, prog, len * sizeof(*prog)) != 0)
		return -EPERM; /* another program, or none (len 0) */
	return 0;
}
