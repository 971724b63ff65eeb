/*
 * An ICMP echo to 127.0.0.1 over a raw socket the program holds, and its
 * reply: for the test programs that ask for raw sockets
 * (tests/bin/netprobe.c under the shim, tests/seccomp/sockprobe.c under
 * seccomp).
 */
#ifndef FDB_TEST_ICMP_H
#define FDB_TEST_ICMP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"

static inline uint16_t icmp_checksum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return (uint16_t)~sum;
}

/*
 * Echo request to 127.0.0.1 on fd (SOCK_RAW, IPPROTO_ICMP), then up to 5 s
 * for its reply, other ICMP (other tests' pings) skipped: 0 with the reply,
 * -1 if sendto failed (errno), -2 if none came.
 */
static inline int icmp_ping(int fd)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct icmphdr req = { .type = ICMP_ECHO };
	uint16_t id = (uint16_t)getpid();

	req.un.echo.id = htons(id);
	req.un.echo.sequence = htons(1);
	req.checksum = icmp_checksum(&req, sizeof(req));
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -1;
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

			if (r->type == ICMP_ECHOREPLY && r->un.echo.id == htons(id))
				return 0;
		}
	}
	return -2;
}

/* The icmp command of the probes: "ok echo reply", or the failure's line (cmd.h). */
static inline int icmp_cmd(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), rc;

	if (fd < 0)
		return fail("socket");
	rc = icmp_ping(fd);
	close(fd);
	if (rc == -1)
		return fail("sendto");
	printf(rc == 0 ? "ok echo reply\n" : "err ETIMEDOUT reply\n");
	return 0;
}

#endif
