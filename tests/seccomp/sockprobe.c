/*
 * sockprobe: privileged sockets asked for by a program the shim cannot
 * enter (built static and with musl, see sc.h), one result line:
 *
 *   sockprobe icmp       raw ICMP socket, echo request to 127.0.0.1, wait
 *                        for its reply: "ok echo reply"
 *   sockprobe bind ADDR PORT tcp|udp
 *                        bind with SO_REUSEPORT set first: "ok samefd=1
 *                        reuseport=1 port=PORT" (the descriptor and its
 *                        options are the program's own after the bind)
 *
 * Failures: "err ENAME CALL".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "sc.h"

static int fail(const char *call)
{
	printf("err %s %s\n", sc_errname(errno), call);
	return 0;
}

static uint16_t checksum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const uint8_t *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

/* Wait up to 5 s for the echo reply of id; other ICMP (other tests' pings) is skipped. */
static int await_reply(int fd, uint16_t id)
{
	for (int i = 0; i < 64; i++) {
		unsigned char buf[1500];
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n >= (ssize_t)(sizeof(struct iphdr) + sizeof(struct icmphdr))) {
			const struct icmphdr *r =
				(const void *)(buf + ((const struct iphdr *)(void *)buf)->ihl * 4);

			if (r->type == ICMP_ECHOREPLY && r->un.echo.id == htons(id)) {
				printf("ok echo reply\n");
				return 0;
			}
		}
	}
	printf("err ETIMEDOUT reply\n");
	return 0;
}

static int cmd_icmp(char **av)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct icmphdr req = { .type = ICMP_ECHO };
	uint16_t id = (uint16_t)getpid();
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	(void)av;
	if (fd < 0)
		return fail("socket");
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	req.un.echo.id = htons(id);
	req.un.echo.sequence = htons(1);
	req.checksum = checksum(&req, sizeof(req));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return fail("sendto");
	return await_reply(fd, id);
}

static socklen_t make_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return sizeof(*s4);
	}
	inet_pton(AF_INET6, addr, &s6->sin6_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	return sizeof(*s6);
}

static int cmd_bind(char **av)
{
	struct sockaddr_storage ss, got;
	socklen_t len = make_addr(av[0], atoi(av[1]), &ss), glen = sizeof(got), ol = sizeof(int);
	int type = strcmp(av[2], "udp") ? SOCK_STREAM : SOCK_DGRAM;
	int fd = socket(ss.ss_family, type, 0), one = 1, rp = 0, before = fd;

	if (fd < 0)
		return fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return fail("bind");
	getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &rp, &ol);
	if (getsockname(fd, (struct sockaddr *)&got, &glen) < 0)
		return fail("getsockname");
	printf("ok samefd=%d reuseport=%d port=%u\n", fd == before, rp,
	       ntohs(((struct sockaddr_in *)&got)->sin_port));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct sc_cmd cmds[] = {
		{ "icmp", 0, cmd_icmp },
		{ "bind", 3, cmd_bind },
	};

	return sc_run("sockprobe", cmds, SC_COUNT(cmds), argc, argv);
}
