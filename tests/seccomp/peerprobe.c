/*
 * peerprobe: a server whose bind the broker grants under a `from` rule,
 * and its own clients, one from a source the rule lists and one from a
 * source it does not.  Built static and with musl (tests/seccomp/, the
 * seccomp front end) and with glibc, dynamic (tests/glibc/, the shim).
 *
 *   peerprobe tcp|udp BIND_IP PORT ALLOWED_SRC DENIED_SRC [BPF_FD]
 *
 * binds BIND_IP:PORT (the privileged call), then runs a round on that
 * socket as it is, on a dup of it, in a forked child and in an exec'd
 * image of itself: the client from DENIED_SRC sends first (a SYN, or a
 * datagram), then the client from ALLOWED_SRC; the process is pinned to
 * one CPU, so loopback delivers them in that order and no sleep is
 * needed.  A round is good when the first connection (or datagram) the
 * server gets is the allowed one, nothing else is queued, the denied
 * client is still in SYN_SENT, and the socket's drop count grew.  Then it
 * tries to take the filter off: SO_DETACH_FILTER, SO_ATTACH_FILTER, and
 * SO_ATTACH_BPF with BPF_FD (a program a root helper loaded) if given,
 * on the bound socket and on an accepted one.  Lines:
 *   bound PROTO PORT
 *   round self|dup|fork|exec ok      or   round WHERE bad: WHY
 *   detach EPERM  attach EPERM  attach-bpf EPERM  accepted-detach EPERM
 *   err ENAME bind                    (the bind refused)
 *
 *   peerprobe out BIND_IP PORT
 *
 * binds a tcp socket to BIND_IP:PORT through the broker and, instead of
 * listening, connects it to a listener of its own on the same address:
 *   out ESTABLISHED    or    out SYN_SENT (the socket may not connect out)
 * Each client's destination is BIND_IP, or for a wildcard 127.0.0.1 or
 * ::1 by the client's family.  No <linux/...> headers: musl has none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bin/errname.h"

#ifndef SO_ATTACH_FILTER
#define SO_ATTACH_FILTER 26
#endif
#ifndef SO_DETACH_FILTER
#define SO_DETACH_FILTER 27
#endif
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define MEMINFO_DROPS 8 /* SK_MEMINFO_DROPS, linux/sock_diag.h */
#define SYN_SENT 2      /* TCP_SYN_SENT */
#define WAIT_MS 5000    /* what the allowed peer may take: far more than loopback needs */

struct bpf_insn_c {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct bpf_prog_c {
	unsigned short len;
	struct bpf_insn_c *filter;
};

struct probe {
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	const char *bind_ip;
	int port;
	const char *allowed, *denied;
};

static int family_of(const char *ip)
{
	return strchr(ip, ':') ? AF_INET6 : AF_INET;
}

/* ip:port into ss; a wildcard destination becomes the loopback of family. */
static socklen_t addr_of(const char *ip, int port, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(ip, "0.0.0.0") || !strcmp(ip, "::"))
		ip = family == AF_INET ? "127.0.0.1" : "::1";
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &in->sin_addr);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &in6->sin6_addr);
	return sizeof(*in6);
}

static unsigned drops(int s)
{
	uint32_t mem[16] = { 0 };
	socklen_t len = sizeof(mem);

	return getsockopt(s, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ? 0 : mem[MEMINFO_DROPS];
}

/* A client socket bound to src, nonblocking; -1 with why set. */
static int client(const struct probe *p, const char *src, const char **why)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(src, 0, family_of(src), &ss);
	int c = socket(family_of(src), p->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (c < 0 || bind(c, (struct sockaddr *)&ss, len) < 0) {
		*why = "client socket or bind";
		if (c >= 0)
			close(c);
		return -1;
	}
	return c;
}

/* Send (udp) or connect (tcp) from c to the server; 0, or -1 with why. */
static int reach(const struct probe *p, int c, const char *src, const char *msg, const char **why)
{
	struct sockaddr_storage to;
	socklen_t len = addr_of(p->bind_ip, p->port, family_of(src), &to);

	if (p->type == SOCK_DGRAM) {
		if (sendto(c, msg, strlen(msg), 0, (struct sockaddr *)&to, len) < 0) {
			*why = "sendto";
			return -1;
		}
		return 0;
	}
	if (connect(c, (struct sockaddr *)&to, len) < 0 && errno != EINPROGRESS) {
		*why = "connect";
		return -1;
	}
	return 0;
}

/* Does the peer address in ss stand for src?  (A v4-mapped one for an IPv4 src.) */
static int peer_is(const struct sockaddr_storage *ss, const char *src)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, sizeof(text));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, text,
			  sizeof(text));
	if (!strncmp(text, "::ffff:", 7))
		memmove(text, text + 7, strlen(text + 7) + 1);
	return !strcmp(text, src);
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, WAIT_MS) == 1;
}

/* The server's side of a round; *accepted gets the accepted socket (tcp). */
static const char *serve(const struct probe *p, int s, int *accepted)
{
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[64];
	int a;

	if (!readable(s))
		return "the allowed peer never arrived";
	if (p->type == SOCK_DGRAM) {
		ssize_t n = recvfrom(s, buf, sizeof(buf) - 1, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &len);

		if (n < 0)
			return "recvfrom";
		buf[n] = '\0';
		if (!peer_is(&from, p->allowed) || strcmp(buf, "allowed"))
			return "the first datagram is not the allowed peer's";
		if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) >= 0 || errno != EAGAIN)
			return "a second datagram was queued";
		return NULL;
	}
	a = accept4(s, (struct sockaddr *)&from, &len, SOCK_CLOEXEC);
	if (a < 0)
		return "accept";
	*accepted = a;
	if (!peer_is(&from, p->allowed))
		return "the first connection is not the allowed peer's";
	if (poll(&(struct pollfd){ .fd = s, .events = POLLIN }, 1, 0) != 0)
		return "a second connection was queued";
	return NULL;
}

/* One round on s: NULL when the filter did its work. */
static const char *round_on(const struct probe *p, int s)
{
	unsigned before = drops(s);
	const char *why = NULL;
	int denied = -1, allowed = -1, accepted = -1;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if ((denied = client(p, p->denied, &why)) < 0 ||
	    reach(p, denied, p->denied, "denied", &why) < 0 ||
	    (allowed = client(p, p->allowed, &why)) < 0 ||
	    reach(p, allowed, p->allowed, "allowed", &why) < 0 ||
	    (why = serve(p, s, &accepted)))
		goto out;
	if (drops(s) <= before)
		why = "the socket dropped nothing";
	else if (p->type == SOCK_STREAM &&
		 (getsockopt(denied, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
		  ti.tcpi_state != SYN_SENT))
		why = "the denied client is not in SYN_SENT";
out:
	if (accepted >= 0)
		close(accepted);
	if (allowed >= 0)
		close(allowed);
	if (denied >= 0)
		close(denied);
	return why;
}

static void report(const char *where, const char *why)
{
	if (why)
		printf("round %s bad: %s\n", where, why);
	else
		printf("round %s ok\n", where);
	fflush(stdout);
}

static const char *errno_of(int rc)
{
	return rc == 0 ? "0" : errname(errno);
}

/* Every way a program has to take a socket filter off or replace it. */
static void try_unfilter(const struct probe *p, int s, int bpf_fd)
{
	struct bpf_insn_c keep_all = { 0x06, 0, 0, 0xffffffff }; /* ret #-1 */
	struct bpf_prog_c prog = { 1, &keep_all };
	int zero = 0, a = -1;

	printf("detach %s\n", errno_of(setsockopt(s, SOL_SOCKET, SO_DETACH_FILTER, &zero,
						  sizeof(zero))));
	printf("attach %s\n", errno_of(setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
						  sizeof(prog))));
	if (bpf_fd >= 0)
		printf("attach-bpf %s\n", errno_of(setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &bpf_fd,
							      sizeof(bpf_fd))));
	if (p->type == SOCK_STREAM) {
		const char *why = NULL;
		int c = client(p, p->allowed, &why);

		if (c >= 0 && reach(p, c, p->allowed, "allowed", &why) == 0 && readable(s))
			a = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			printf("accepted-detach none\n");
		else
			printf("accepted-detach %s\n",
			       errno_of(setsockopt(a, SOL_SOCKET, SO_DETACH_FILTER, &zero,
						   sizeof(zero))));
		if (a >= 0)
			close(a);
		if (c >= 0)
			close(c);
	}
	fflush(stdout);
}

/* Stay on the first CPU this process may use: loopback then delivers in order. */
static void pin(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
			return;
		}
	}
}

static int rounds(const struct probe *p, int s, char **argv, int bpf_fd)
{
	char fdarg[16];
	int d, status;
	pid_t pid;

	report("self", round_on(p, s));
	d = dup(s);
	report("dup", d < 0 ? "dup" : round_on(p, d));
	if (d >= 0)
		close(d);
	pid = fork();
	if (pid == 0) {
		report("fork", round_on(p, s));
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		report("fork", "fork");
	/* the exec'd image gets the socket as --fd N, without close-on-exec */
	snprintf(fdarg, sizeof(fdarg), "%d", s);
	pid = fork();
	if (pid == 0) {
		fcntl(s, F_SETFD, 0);
		execv("/proc/self/exe", (char *[]){ argv[0], "--fd", fdarg, argv[1], argv[2],
						    argv[3], argv[4], argv[5], NULL });
		report("exec", "execv");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		report("exec", "fork");
	try_unfilter(p, s, bpf_fd);
	return 0;
}

/* peerprobe out: may the socket bound to a privileged port open a connection of its own? */
static int connect_out(const char *ip, int port)
{
	struct sockaddr_storage ss, to;
	socklen_t len = addr_of(ip, port, family_of(ip), &ss), tolen = sizeof(to);
	int s = socket(family_of(ip), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int l = socket(family_of(ip), SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	if (s < 0 || l < 0 || bind(s, (struct sockaddr *)&ss, len) < 0) {
		printf("err %s bind\n", errname(errno));
		return 1;
	}
	addr_of(ip, 0, family_of(ip), &to);
	if (bind(l, (struct sockaddr *)&to, len) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&to, &tolen) < 0 ||
	    (connect(s, (struct sockaddr *)&to, tolen) < 0 && errno != EINPROGRESS) ||
	    getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tlen) < 0) {
		printf("err %s connect\n", errname(errno));
		return 1;
	}
	printf("out %s\n", ti.tcpi_state == SYN_SENT ? "SYN_SENT" : ti.tcpi_state == 1 ?
	       "ESTABLISHED" : "other");
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p;
	struct sockaddr_storage ss;
	socklen_t len;
	int s, zero = 0, inherited = -1;

	if (argc >= 3 && !strcmp(argv[1], "--fd")) {
		inherited = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc == 4 && !strcmp(argv[1], "out")) {
		pin();
		return connect_out(argv[2], atoi(argv[3]));
	}
	if (argc < 6) {
		fprintf(stderr, "usage: peerprobe tcp|udp BIND_IP PORT ALLOWED_SRC DENIED_SRC "
				"[BPF_FD]\n       peerprobe out BIND_IP PORT\n");
		return 2;
	}
	p = (struct probe){ strcmp(argv[1], "udp") ? SOCK_STREAM : SOCK_DGRAM, argv[2],
			    atoi(argv[3]), argv[4], argv[5] };
	pin();
	if (inherited >= 0) {
		report("exec", round_on(&p, inherited));
		return 0;
	}
	s = socket(family_of(p.bind_ip), p.type | SOCK_CLOEXEC, 0);
	if (s < 0) {
		printf("err %s socket\n", errname(errno));
		return 1;
	}
	/* the accepted connections of an earlier run linger in TIME_WAIT */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (family_of(p.bind_ip) == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	len = addr_of(p.bind_ip, p.port, family_of(p.bind_ip), &ss);
	/* addr_of makes a wildcard a loopback: bind the wildcard itself */
	if (!strcmp(p.bind_ip, "::"))
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	else if (!strcmp(p.bind_ip, "0.0.0.0"))
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&ss, len) < 0) {
		printf("err %s bind\n", errname(errno));
		return 1;
	}
	if (p.type == SOCK_STREAM && listen(s, 16) < 0) {
		printf("err %s listen\n", errname(errno));
		return 1;
	}
	printf("bound %s %d\n", argv[1], p.port);
	fflush(stdout);
	return rounds(&p, s, argv, argc > 6 ? atoi(argv[6]) : -1);
}
