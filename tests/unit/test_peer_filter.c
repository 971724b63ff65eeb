/*
 * grant/peer_filter: the program peer_filter_build writes, run by a small
 * classic-BPF interpreter on fake IPv4 and IPv6 headers against the
 * policy's own verdict (cidr_matches on the endpoint endpoint_from_sockaddr
 * makes), and the filter locked for real on UDP and TCP sockets over
 * loopback.  The real tests pin themselves to one CPU, so loopback
 * delivers in the order of sending: a datagram sent before one that
 * arrives was judged before it, and no sleep is needed.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grant/peer_filter.h"
#include "policy/addr.h"
#include "policy/policy.h"

TestSuite(peer_filter, .timeout = 20);

#define KEEP 0xffffffffu

/* ---- the interpreter ---------------------------------------------------- */

/* A received packet as the filter sees it: skb->data at the transport header. */
struct pkt {
	const uint8_t *net; /* the network header, then the transport header */
	size_t len;         /* of all of it */
	size_t transport;   /* where skb->data is, from net */
};

/* The bytes [k, k+size) the kernel would load, or NULL when out of the packet. */
static const uint8_t *at(const struct pkt *p, uint32_t k, size_t size)
{
	size_t off;

	if ((int32_t)k >= 0) {
		off = p->transport + k;
	} else {
		cr_assert((int32_t)k >= SKF_NET_OFF && (int32_t)k < SKF_NET_OFF + 0x10000,
			  "load at %#x: not a network header offset", k);
		off = (size_t)((int32_t)k - SKF_NET_OFF);
	}
	return off + size <= p->len ? p->net + off : NULL;
}

/* The verdict of prog on p; a load out of the packet drops it, as in the kernel. */
static uint32_t run(const struct sock_filter *prog, size_t n, const struct pkt *p)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];
		const uint8_t *b;

		switch (i->code) {
		case BPF_LD | BPF_B | BPF_ABS:
			if (!(b = at(p, i->k, 1)))
				return 0;
			a = b[0];
			break;
		case BPF_LD | BPF_H | BPF_ABS:
			if (!(b = at(p, i->k, 2)))
				return 0;
			a = (uint32_t)b[0] << 8 | b[1];
			break;
		case BPF_LD | BPF_W | BPF_ABS:
			if (!(b = at(p, i->k, 4)))
				return 0;
			a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
			break;
		case BPF_LD | BPF_MEM:
			cr_assert_lt(i->k, BPF_MEMWORDS);
			a = mem[i->k];
			break;
		case BPF_ST:
			cr_assert_lt(i->k, BPF_MEMWORDS);
			mem[i->k] = a;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			a >>= i->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += a & i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction %zu: code %#x", pc, i->code);
		}
	}
	cr_assert_fail("the program ran past its end");
	return 0;
}

/* What the kernel's checker wants of the shape: jumps inside, a ret last. */
static void check_shape(const struct sock_filter *prog, size_t n)
{
	cr_assert(n >= 1 && n <= PEER_FILTER_MAX, "%zu instructions", n);
	cr_assert_eq(BPF_CLASS(prog[n - 1].code), BPF_RET, "the last instruction is no ret");
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];

		if (BPF_CLASS(i->code) != BPF_JMP)
			continue;
		if (BPF_OP(i->code) == BPF_JA)
			cr_assert_lt(pc + 1 + i->k, n, "ja at %zu past the end", pc);
		else
			cr_assert(pc + 1 + i->jt < n && pc + 1 + i->jf < n,
				  "jump at %zu past the end (%u, %u of %zu)", pc, i->jt, i->jf, n);
	}
}

/* ---- packets and the policy's verdict ----------------------------------- */

/* A source, as a sockaddr would carry it. */
struct src {
	int family; /* AF_INET, AF_INET6 */
	uint8_t ip[16];
};

/* The header of a packet from s (a UDP header behind it), in buf: the packet. */
static struct pkt packet_from(const struct src *s, uint8_t buf[64])
{
	memset(buf, 0, 64);
	if (s->family == AF_INET) {
		buf[0] = 0x45;
		buf[9] = IPPROTO_UDP;
		memcpy(buf + 12, s->ip, 4);
		buf[16] = 127, buf[19] = 1;
		return (struct pkt){ .net = buf, .len = 20 + 8, .transport = 20 };
	}
	buf[0] = 0x60;
	buf[6] = IPPROTO_UDP;
	memcpy(buf + 8, s->ip, 16);
	buf[39] = 1;
	return (struct pkt){ .net = buf, .len = 40 + 8, .transport = 40 };
}

static struct endpoint endpoint_of(const struct src *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	struct endpoint ep;

	if (s->family == AF_INET) {
		memcpy(&sin.sin_addr, s->ip, 4);
		cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin, sizeof(sin), &ep), 0);
	} else {
		memcpy(&sin6.sin6_addr, s->ip, 16);
		cr_assert_eq(endpoint_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &ep), 0);
	}
	return ep;
}

static bool policy_keeps(const struct cidr *from, unsigned n, const struct src *s)
{
	struct endpoint ep = endpoint_of(s);

	for (unsigned i = 0; i < n; i++)
		if (cidr_matches(&from[i], &ep))
			return true;
	return false;
}

static struct cidr net(const char *s)
{
	struct cidr c;
	char why[128] = "";

	cr_assert_eq(cidr_parse(s, &c, why, sizeof(why)), 0, "'%s' refused: %s", s, why);
	return c;
}

static struct src src_of(const char *s)
{
	struct src r = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };

	cr_assert_eq(inet_pton(r.family, s, r.ip), 1, "%s", s);
	return r;
}

/* The same IPv4 source as ::ffff:a.b.c.d. */
static struct src mapped(const struct src *s)
{
	struct src r = { .family = AF_INET6 };

	r.ip[10] = r.ip[11] = 0xff;
	memcpy(r.ip + 12, s->ip, 4);
	return r;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Add d (1 or -1) to the nbytes-long big-endian number ip, wrapping. */
static void step(uint8_t *ip, unsigned nbytes, int d)
{
	for (unsigned i = nbytes; i-- > 0;) {
		ip[i] = (uint8_t)(ip[i] + d);
		if (ip[i] != (d > 0 ? 0 : 0xff))
			return;
	}
}

/* c's first (last false) or last address; random host bits when rand. */
static struct src edge(const struct cidr *c, bool last, bool rand)
{
	struct src s = { .family = c->family };
	unsigned nbytes = c->family == AF_INET ? 4 : 16;

	memcpy(s.ip, c->ip, nbytes);
	for (unsigned bit = c->prefix_len; bit < nbytes * 8; bit++)
		if (rand ? rnd() & 1 : last)
			s.ip[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	return s;
}

static unsigned failures;

/* Program and policy agree on s (and on s v4-mapped when it is IPv4). */
static void check_src(const struct sock_filter *prog, size_t len, const struct cidr *from,
		      unsigned n, const struct src *s)
{
	uint8_t buf[64];
	struct pkt p = packet_from(s, buf);
	uint32_t got = run(prog, len, &p), want = policy_keeps(from, n, s) ? KEEP : 0;

	if (got != want && failures++ < 10) {
		char a[INET6_ADDRSTRLEN], c[64];

		inet_ntop(s->family, s->ip, a, sizeof(a));
		cidr_format(&from[0], c, sizeof(c));
		cr_expect_fail("source %s, %u networks from %s: filter %#x, policy %#x", a, n, c, got, want);
	}
	if (s->family == AF_INET) {
		struct src m = mapped(s);

		check_src(prog, len, from, n, &m);
	}
}

/* Build for from[0..n-1]; check the shape and the sources given and near every network. */
static void check_list(const struct cidr *from, unsigned n, const struct src *srcs, size_t nsrcs)
{
	struct sock_filter prog[PEER_FILTER_MAX];
	size_t len = peer_filter_build(from, n, 0, prog);

	check_shape(prog, len);
	for (size_t i = 0; i < nsrcs; i++)
		check_src(prog, len, from, n, &srcs[i]);
	for (unsigned i = 0; i < n; i++) {
		unsigned nbytes = from[i].family == AF_INET ? 4 : 16;
		struct src first = edge(&from[i], false, false), last = edge(&from[i], true, false);
		struct src inside = edge(&from[i], false, true);
		struct src other = inside;

		other.family = from[i].family == AF_INET ? AF_INET6 : AF_INET;
		check_src(prog, len, from, n, &first);
		check_src(prog, len, from, n, &last);
		check_src(prog, len, from, n, &inside);
		check_src(prog, len, from, n, &other);
		step(first.ip, nbytes, -1);
		step(last.ip, nbytes, 1);
		check_src(prog, len, from, n, &first);
		check_src(prog, len, from, n, &last);
	}
	for (int k = 0; k < 8; k++) {
		struct src r = { .family = rnd() & 1 ? AF_INET : AF_INET6 };

		for (int b = 0; b < 16; b++)
			r.ip[b] = (uint8_t)rnd();
		check_src(prog, len, from, n, &r);
	}
}

/* Sources every list is tried on. */
static const char *const fixed_srcs[] = {
	"0.0.0.0", "255.255.255.255", "127.0.0.1", "127.0.0.2", "10.0.0.1", "10.255.255.255",
	"11.0.0.0", "192.168.1.1", "128.0.0.0", "127.255.255.255",
	"::", "::1", "::2", "fe80::1", "fd00::1", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"::ffff:0:0", "::ffff:ffff:ffff", "::fffe:ffff:ffff", "::1:0:0:0", "::1:ffff:7f00:1",
	"::7f00:1",       /* v4-compatible: not mapped */
	"0:0:1::ffff:7f00:1", "::ffff:1:7f00:1",
	"::ffff:127.0.0.1", "::ffff:10.1.2.3", /* mapped: the IPv4 networks judge them */
};

static void check_texts(const char *const *nets, unsigned n)
{
	struct cidr from[POLICY_MAX_FROM];
	struct src srcs[sizeof(fixed_srcs) / sizeof(fixed_srcs[0])];
	size_t nsrcs = sizeof(srcs) / sizeof(srcs[0]);

	cr_assert_leq(n, POLICY_MAX_FROM);
	for (unsigned i = 0; i < n; i++)
		from[i] = net(nets[i]);
	for (size_t i = 0; i < nsrcs; i++)
		srcs[i] = src_of(fixed_srcs[i]);
	check_list(from, n, srcs, nsrcs);
}

#define LIST(...) \
	do { \
		const char *const l_[] = { __VA_ARGS__ }; \
		check_texts(l_, sizeof(l_) / sizeof(l_[0])); \
	} while (0)

Test(peer_filter, lists_as_the_policy_reads_them)
{
	LIST("127.0.0.2");
	LIST("::1");
	LIST("0.0.0.0/0");
	LIST("::/0");
	LIST("::/0", "0.0.0.0/0");
	LIST("10.0.0.0/8", "fd00::/8");
	LIST("128.0.0.0/1", "0.0.0.0/1");
	LIST("10.1.2.3/31", "10.1.2.3/30", "192.168.0.0/16", "255.255.255.254/31");
	LIST("::ffff:127.0.0.2");          /* IPv4 after cidr_parse */
	LIST("::ffff:10.0.0.0/104");       /* 10.0.0.0/8 */
	LIST("::ffff:0:0/96");             /* 0.0.0.0/0 */
	LIST("::ffff:0:0/95");             /* IPv6: takes no mapped source */
	LIST("::/96", "::/80", "::1:0:0:0/64");
	LIST("8000::/1", "::/1", "fe80::/10", "2001:db8::/32", "2001:db8::1/127");
	LIST("2001:db8:1:2:3:4:5:6/97", "2001:db8:1:2:3:4:5:6/112", "2001:db8:1:2:3:4:5:6/113");
	LIST("2001:db8:1:2:3:4:5:6/31", "2001:db8:1:2:3:4:5:6/33", "2001:db8:1:2:3:4:5:6/63",
	     "2001:db8:1:2:3:4:5:6/65", "2001:db8:1:2:3:4:5:6/95", "2001:db8:1:2:3:4:5:6/96");
	LIST("1.2.3.4", "::2", "10.0.0.0/8", "fd00::/8", "127.0.0.0/8", "::1", "192.168.0.0/24",
	     "2001:db8::/127", "100.64.0.0/10", "fe80::/64", "172.16.0.0/12", "::ffff:1.1.1.1",
	     "224.0.0.0/4", "ff00::/8", "169.254.0.0/16", "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe/127");
}

/* Every prefix length of both families, alone and with a neighbour of the other family. */
Test(peer_filter, every_prefix_length)
{
	static const char v4[] = "203.0.113.77", v6[] = "2001:db8:ab:cd:ef:1234:5678:9abc";
	char a[64], b[64];

	for (unsigned p = 0; p <= 32; p++) {
		snprintf(a, sizeof(a), "%s/%u", v4, p);
		LIST(a);
		LIST(a, "::/128");
		snprintf(b, sizeof(b), "::ffff:%s/%u", v4, 96 + p);
		LIST(b);
	}
	for (unsigned p = 0; p <= 128; p++) {
		snprintf(a, sizeof(a), "%s/%u", v6, p);
		LIST(a);
		LIST("0.0.0.0/32", a);
		snprintf(b, sizeof(b), "::ffff:0:0/%u", p);
		LIST(b, "10.0.0.0/8");
	}
}

/* A random network, as text cidr_parse then reads: IPv4, IPv6, v4-mapped, near ::. */
static struct cidr random_net(void)
{
	uint8_t ip[16] = { 0 };
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
	unsigned kind = rnd() % 4, max;
	int family = kind == 0 ? AF_INET : AF_INET6;

	for (int b = 0; b < 16; b++)
		ip[b] = (uint8_t)rnd();
	if (kind == 2) { /* v4-mapped */
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
	} else if (kind == 3) { /* mostly zeros: near ::, ::1, ::ffff:0:0 */
		memset(ip, 0, 10 + rnd() % 6);
	}
	max = family == AF_INET ? 32 : 128;
	inet_ntop(family, ip, host, sizeof(host));
	/* the edges of the words are where a bound goes wrong */
	switch (rnd() % 3) {
	case 0:
		snprintf(text, sizeof(text), "%s", host);
		break;
	case 1: {
		unsigned w = rnd() % (max / 32 + 1) * 32;

		snprintf(text, sizeof(text), "%s/%u", host, w == 0 ? rnd() % 2 : w - rnd() % 2);
		break;
	}
	default:
		snprintf(text, sizeof(text), "%s/%u", host, rnd() % (max + 1));
	}
	return net(text);
}

Test(peer_filter, random_lists)
{
	struct cidr from[POLICY_MAX_FROM];
	struct src srcs[sizeof(fixed_srcs) / sizeof(fixed_srcs[0])];
	size_t nsrcs = sizeof(srcs) / sizeof(srcs[0]);

	for (size_t i = 0; i < nsrcs; i++)
		srcs[i] = src_of(fixed_srcs[i]);
	for (int t = 0; t < 3000; t++) {
		unsigned n = t % 4 == 0 ? POLICY_MAX_FROM : 1 + rnd() % POLICY_MAX_FROM;

		for (unsigned i = 0; i < n; i++)
			from[i] = random_net();
		check_list(from, n, srcs, nsrcs);
	}
}

/* The longest lists (two rules' for a dual-stack socket) stay within the bound, and within a short jump. */
Test(peer_filter, longest_programs)
{
	static const char *const heads[] = { "2001:db8:1:2:3:4:5:6/127", "10.1.2.3/31", "::1" };
	struct cidr from[PEER_FILTER_NETS];
	struct sock_filter prog[PEER_FILTER_MAX];
	size_t longest = 0;

	for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
		for (unsigned i = 0; i < PEER_FILTER_NETS; i++)
			from[i] = net(heads[h]);
		size_t len = peer_filter_build(from, PEER_FILTER_NETS, PEER_FILTER_INBOUND_ONLY, prog);

		check_shape(prog, len);
		if (len > longest)
			longest = len;
	}
	cr_expect_eq(longest, PEER_FILTER_MAX, "the bound is not tight: %zu", longest);
}

/* No networks: nothing is kept.  (0.0.0.0/0 and ::/0 say "any".) */
Test(peer_filter, no_networks_keep_nothing)
{
	struct sock_filter prog[PEER_FILTER_MAX];
	size_t len = peer_filter_build(NULL, 0, 0, prog);
	uint8_t buf[64] = { 0x45 };

	check_shape(prog, len);
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 40, .transport = 20 }), 0);
	buf[0] = 0x60;
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 60, .transport = 40 }), 0);
}

/* Inbound only: a SYN+ACK (an answer to an open of the socket's own) drops, the rest is judged. */
Test(peer_filter, inbound_only_drops_syn_ack)
{
	struct cidr from[2] = { net("0.0.0.0/0"), net("::/0") };
	static const struct {
		uint8_t flags;
		uint32_t want;
	} cases[] = { { 0x02, KEEP }, { 0x10, KEEP }, { 0x18, KEEP }, { 0x11, KEEP },
		      { 0x12, 0 },    { 0x1a, 0 },    { 0x13, 0 } };
	struct sock_filter prog[PEER_FILTER_MAX];
	size_t len = peer_filter_build(from, 2, PEER_FILTER_INBOUND_ONLY, prog);

	check_shape(prog, len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64] = { 0x45 };

		buf[20 + 13] = cases[i].flags;
		cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 40, .transport = 20 }),
			     cases[i].want, "flags %#x", cases[i].flags);
	}
}

Test(peer_filter, other_versions_and_short_packets_drop)
{
	struct cidr from[2] = { net("0.0.0.0/0"), net("::/0") };
	struct sock_filter prog[PEER_FILTER_MAX];
	size_t len = peer_filter_build(from, 2, 0, prog);
	uint8_t buf[64] = { 0 };

	for (unsigned v = 0; v < 16; v++) {
		struct pkt p = { .net = buf, .len = 48, .transport = 40 };

		buf[0] = (uint8_t)(v << 4);
		cr_expect_eq(run(prog, len, &p), v == 4 || v == 6 ? KEEP : 0, "version %u", v);
	}
	/* a header cut before the end of the source: out of the packet (a /0 reads none) */
	from[0] = net("0.0.0.0/32");
	from[1] = net("::/128");
	len = peer_filter_build(from, 2, 0, prog);
	buf[0] = 0x60;
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 24, .transport = 24 }), KEEP);
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 23, .transport = 23 }), 0);
	buf[0] = 0x45;
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 16, .transport = 16 }), KEEP);
	cr_expect_eq(run(prog, len, &(struct pkt){ .net = buf, .len = 15, .transport = 15 }), 0);
}

/* ---- the kernel --------------------------------------------------------- */

/* One CPU: loopback then delivers what is sent in the order it is sent. */
static void pin(void)
{
	cpu_set_t set;
	int cpu = 0;

	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	while (!CPU_ISSET(cpu, &set))
		cpu++;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0, "%m");
}

static struct sockaddr_storage sockaddr_of(const char *ip)
{
	struct sockaddr_storage ss = { 0 };

	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		cr_assert_eq(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		cr_assert_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

/* A socket of type bound to ip, port 0; its address (port filled) in *addr. */
static int bound(int type, const char *ip, struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss = sockaddr_of(ip);
	socklen_t len = sizeof(ss);
	int zero = 0, s = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0, "socket: %m");
	if (ss.ss_family == AF_INET6)
		cr_assert_eq(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)), 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&ss, len), 0, "bind %s: %m", ip);
	if (addr) {
		cr_assert_eq(getsockname(s, (struct sockaddr *)addr, &len), 0);
	}
	return s;
}

/* addr's port on another address (the sockets on [::] are reached at 127.0.0.1). */
static struct sockaddr_storage at_ip(const char *ip, const struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss = sockaddr_of(ip);
	in_port_t port = addr->ss_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port
						    : ((const struct sockaddr_in6 *)addr)->sin6_port;

	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = port;
	return ss;
}

static int lock_texts(int sock, const char *const *nets, unsigned n)
{
	struct cidr from[PEER_FILTER_NETS];

	for (unsigned i = 0; i < n; i++)
		from[i] = net(nets[i]);
	return peer_filter_lock(sock, from, n, 0);
}

#define LOCK(sock, ...) \
	({ \
		const char *const l_[] = { __VA_ARGS__ }; \
		lock_texts(sock, l_, sizeof(l_) / sizeof(l_[0])); \
	})

static void send_from(const char *ip, const char *msg, const struct sockaddr_storage *to)
{
	int s = bound(SOCK_DGRAM, ip, NULL);
	socklen_t len = to->ss_family == AF_INET ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6);

	cr_assert_eq(sendto(s, msg, strlen(msg), 0, (const struct sockaddr *)to, len),
		     (ssize_t)strlen(msg), "sendto from %s: %m", ip);
	close(s);
}

/* Nothing waits on s. */
static void expect_none(int s)
{
	char buf[64];

	cr_assert_eq(recv(s, buf, sizeof(buf), MSG_DONTWAIT), -1);
	cr_assert_eq(errno, EAGAIN, "%m");
}

/* The next datagram on s is msg, and nothing is behind it. */
static void expect_only(int s, const char *msg)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[64];
	ssize_t n;

	cr_assert_eq(poll(&p, 1, 5000), 1, "nothing arrived");
	n = recv(s, buf, sizeof(buf), 0);
	cr_assert_eq(n, (ssize_t)strlen(msg), "recv: %zd, %m", n);
	cr_assert_arr_eq(buf, msg, strlen(msg), "the first to arrive is '%.*s'", (int)n, buf);
	expect_none(s);
}

static unsigned drops(int s)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	cr_assert_eq(getsockopt(s, SOL_SOCKET, SO_MEMINFO, mem, &len), 0, "%m");
	cr_assert_geq(len, (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t));
	return mem[SK_MEMINFO_DROPS];
}

Test(peer_filter, udp_ipv4)
{
	struct sockaddr_storage addr;
	int r;

	pin();
	r = bound(SOCK_DGRAM, "127.0.0.1", &addr);
	cr_assert_eq(LOCK(r, "127.0.0.2"), 0);
	send_from("127.0.0.1", "filtered", &addr);
	send_from("127.0.0.2", "allowed", &addr);
	expect_only(r, "allowed");
	cr_expect_geq(drops(r), 1);
	close(r);
}

/* A dual-stack socket sees its IPv4 clients as IPv4 packets; IPv6 ones are not in the list. */
Test(peer_filter, udp_dual_stack)
{
	struct sockaddr_storage addr, to4, to6;
	int r;

	pin();
	r = bound(SOCK_DGRAM, "::", &addr);
	cr_assert_eq(LOCK(r, "::ffff:127.0.0.2"), 0); /* 127.0.0.2 once parsed */
	to4 = at_ip("127.0.0.1", &addr);
	to6 = at_ip("::1", &addr);
	send_from("127.0.0.1", "filtered", &to4);
	send_from("::1", "filtered too", &to6);
	send_from("127.0.0.2", "allowed", &to4);
	expect_only(r, "allowed");
	cr_expect_geq(drops(r), 2);
	close(r);
}

/* ::1 is loopback's only IPv6 source: one socket allows it, another does not. */
Test(peer_filter, udp_ipv6)
{
	struct sockaddr_storage allow_addr, deny_addr;
	int allow, deny;

	pin();
	allow = bound(SOCK_DGRAM, "::1", &allow_addr);
	deny = bound(SOCK_DGRAM, "::1", &deny_addr);
	cr_assert_eq(LOCK(allow, "fd00::/8", "::1"), 0);
	cr_assert_eq(LOCK(deny, "fd00::/8", "::2", "::/128", "127.0.0.1", "::ffff:0:0/96"), 0);
	send_from("::1", "filtered", &deny_addr);
	send_from("::1", "allowed", &allow_addr);
	expect_only(allow, "allowed");
	expect_none(deny);
	cr_expect_geq(drops(deny), 1);
	cr_expect_eq(drops(allow), 0);
	close(allow);
	close(deny);
}

static struct sock_filter keep_all[] = { BPF_STMT(BPF_RET | BPF_K, KEEP) };
static struct sock_fprog keep_all_prog = { .len = 1, .filter = keep_all };

Test(peer_filter, locked)
{
	int one = 1, s = bound(SOCK_DGRAM, "127.0.0.1", NULL);

	cr_assert_eq(LOCK(s, "127.0.0.2", "10.0.0.0/8"), 0);
	cr_expect_eq(setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)), -1);
	cr_expect_eq(errno, EPERM, "%m");
	cr_expect_eq(setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &keep_all_prog,
				sizeof(keep_all_prog)), -1);
	cr_expect_eq(errno, EPERM, "%m");
	/* a bind retried under the same rule; another rule's list */
	cr_expect_eq(LOCK(s, "127.0.0.2", "10.0.0.0/8"), 0);
	cr_expect_eq(LOCK(s, "127.0.0.2"), -EPERM);
	cr_expect_eq(LOCK(s, "10.0.0.0/8", "127.0.0.2"), -EPERM);
	cr_expect_eq(LOCK(s, "127.0.0.2", "10.0.0.0/8", "::1"), -EPERM);
	close(s);
}

Test(peer_filter, locked_by_the_program)
{
	int one = 1, s = bound(SOCK_DGRAM, "127.0.0.1", NULL);
	socklen_t len = 1;
	struct sock_filter got[1];

	/* with no filter */
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)), 0);
	cr_expect_eq(LOCK(s, "127.0.0.2"), -EPERM);
	close(s);
	/* with a filter of its own */
	s = bound(SOCK_DGRAM, "127.0.0.1", NULL);
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &keep_all_prog,
				sizeof(keep_all_prog)), 0);
	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)), 0);
	cr_expect_eq(LOCK(s, "127.0.0.2"), -EPERM);
	cr_assert_eq(getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &len), 0, "%m");
	cr_expect_eq(len, 1);
	close(s);
}

/* An unlocked filter of the program's is replaced by ours. */
Test(peer_filter, replaces_an_unlocked_filter)
{
	struct cidr from[1] = { net("127.0.0.2") };
	struct sock_filter want[PEER_FILTER_MAX], got[PEER_FILTER_MAX];
	size_t n = peer_filter_build(from, 1, 0, want);
	socklen_t len = PEER_FILTER_MAX;
	int s = bound(SOCK_DGRAM, "127.0.0.1", NULL);

	cr_assert_eq(setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &keep_all_prog,
				sizeof(keep_all_prog)), 0);
	cr_assert_eq(peer_filter_lock(s, from, 1, 0), 0);
	cr_assert_eq(getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &len), 0, "%m");
	cr_assert_eq(len, n);
	cr_expect_arr_eq(got, want, n * sizeof(*want));
	close(s);
}

static int tcp_state(int s)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	cr_assert_eq(getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0, "%m");
	return ti.tcpi_state;
}

/*
 * The filter judges the SYN: a client not in the list is never answered.
 * The accepted socket inherits the filter and its lock.
 */
Test(peer_filter, tcp_listener)
{
	struct sockaddr_storage addr, peer;
	socklen_t len = sizeof(addr), plen = sizeof(peer);
	struct pollfd p;
	int one = 1, l, bad, good, c;

	pin();
	l = bound(SOCK_STREAM, "127.0.0.1", &addr);
	cr_assert_eq(listen(l, 8), 0);
	cr_assert_eq(LOCK(l, "127.0.0.2"), 0);
	bad = bound(SOCK_STREAM | SOCK_NONBLOCK, "127.0.0.1", NULL);
	cr_assert_eq(connect(bad, (struct sockaddr *)&addr, len), -1);
	cr_assert_eq(errno, EINPROGRESS, "%m");
	/* nonblocking too: a SYN dropped by mistake fails the test, not its timeout */
	good = bound(SOCK_STREAM | SOCK_NONBLOCK, "127.0.0.2", NULL);
	cr_assert_eq(connect(good, (struct sockaddr *)&addr, len), -1);
	cr_assert_eq(errno, EINPROGRESS, "%m");
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 5000), 1, "no connection to accept");
	c = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	cr_assert_geq(c, 0, "accept: %m");
	cr_expect_eq(((struct sockaddr_in *)&peer)->sin_addr.s_addr, htonl(0x7f000002));
	cr_expect_eq(setsockopt(c, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)), -1);
	cr_expect_eq(errno, EPERM, "%m");
	/* the bad SYN went before the good one, and was dropped */
	cr_expect_eq(tcp_state(bad), TCP_SYN_SENT);
	cr_expect_eq(tcp_state(good), TCP_ESTABLISHED);
	cr_expect_eq(poll(&p, 1, 0), 0, "a second connection is waiting");
	cr_expect_geq(drops(l), 1);
	close(c);
	close(good);
	close(bad);
	close(l);
}

/*
 * Inbound only, on a real socket: a connection the socket opens itself
 * never completes (its SYN+ACK is dropped), one it accepts does.
 */
Test(peer_filter, inbound_only_socket_cannot_connect_out)
{
	struct cidr any[2] = { net("0.0.0.0/0"), net("::/0") };
	struct sockaddr_storage addr, laddr;
	socklen_t len = sizeof(addr);
	struct pollfd p;
	int srv, out, l, in, c;

	pin();
	srv = bound(SOCK_STREAM, "127.0.0.1", &addr);
	cr_assert_eq(listen(srv, 8), 0);
	out = bound(SOCK_STREAM | SOCK_NONBLOCK, "127.0.0.1", NULL);
	cr_assert_eq(peer_filter_lock(out, any, 2, PEER_FILTER_INBOUND_ONLY), 0);
	cr_assert_eq(connect(out, (struct sockaddr *)&addr, len), -1);
	cr_assert_eq(errno, EINPROGRESS, "%m");
	cr_expect_eq(tcp_state(out), TCP_SYN_SENT, "the socket's own open completed");

	l = bound(SOCK_STREAM, "127.0.0.1", &laddr);
	cr_assert_eq(listen(l, 8), 0);
	cr_assert_eq(peer_filter_lock(l, any, 2, PEER_FILTER_INBOUND_ONLY), 0);
	in = bound(SOCK_STREAM | SOCK_NONBLOCK, "127.0.0.1", NULL);
	cr_assert_eq(connect(in, (struct sockaddr *)&laddr, len), -1);
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 5000), 1, "no connection to accept");
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(c, 0, "accept: %m");
	cr_expect_eq(write(in, "x", 1), 1);
	char b;
	cr_expect_eq(read(c, &b, 1), 1, "no data on the accepted connection");
	close(c);
	close(in);
	close(l);
	close(out);
	close(srv);
}
