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
 *   sockprobe ubind PATH bind a unix stream socket at PATH: "ok"
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
#include <sys/un.h>

#include "sc.h"
#include "../bin/icmp.h"
#include "../bin/sockaddr.h"

/* icmp: echo request to 127.0.0.1 over a raw socket, wait for the reply */
static int cmd_icmp(char **av)
{
	(void)av;
	return icmp_cmd();
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

static int cmd_ubind(char **av)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return fail("socket");
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", av[0]);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return fail("bind");
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "icmp", 0, cmd_icmp },
		{ "bind", 3, cmd_bind },
		{ "ubind", 1, cmd_ubind },
	};

	return cmd_run("sockprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
