/*
 * netprobe: the unmodified network programs of the integration tests.  One
 * command per behaviour; one result line (`ok ...` or `err ENAME`), and
 * `ready` on its own line once a server listens, so tests need no sleeps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "icmp.h"
#include "sockaddr.h"

/* bind IP PORT tcp|udp */
static int cmd_bind(char **av)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(av[0], atoi(av[1]), &ss);
	int fd = socket(ss.ss_family, strcmp(av[2], "udp") ? SOCK_STREAM : SOCK_DGRAM, 0);

	if (fd < 0)
		return fail("socket");
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return fail("bind");
	printf("ok fd=%d\n", fd);
	return 0;
}

/* twice IP PORT: bind the same address from two sockets */
static int cmd_twice(char **av)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(av[0], atoi(av[1]), &ss);
	int a = socket(ss.ss_family, SOCK_STREAM, 0), b = socket(ss.ss_family, SOCK_STREAM, 0);

	if (bind(a, (struct sockaddr *)&ss, len) < 0 || listen(a, 1) < 0)
		return fail("first");
	if (bind(b, (struct sockaddr *)&ss, len) < 0)
		return fail("second");
	printf("ok both bound\n");
	return 0;
}

/* opts PORT: options set before a brokered bind survive it */
static int cmd_opts(char **av)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr("127.0.0.1", atoi(av[0]), &ss), ol = sizeof(int);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, rp = 0, nd = 0, before = fd;

	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return fail("bind");
	getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &rp, &ol);
	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nd, &ol);
	printf("ok reuseport=%d nodelay=%d samefd=%d\n", rp, nd, fd == before);
	return 0;
}

/* udp PORT: a UDP server on 127.0.0.1:PORT answers a datagram */
static int cmd_udp(char **av)
{
	struct sockaddr_storage ss, from;
	socklen_t len = make_addr("127.0.0.1", atoi(av[0]), &ss), fl = sizeof(from);
	int srv = socket(AF_INET, SOCK_DGRAM, 0), cli = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64];
	ssize_t n;

	if (bind(srv, (struct sockaddr *)&ss, len) < 0)
		return fail("bind");
	if (sendto(cli, "ping", 4, 0, (struct sockaddr *)&ss, len) != 4)
		return fail("sendto");
	n = recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n != 4 || sendto(srv, "pong", 4, 0, (struct sockaddr *)&from, fl) != 4)
		return fail("answer");
	n = recv(cli, buf, sizeof(buf), 0);
	printf("ok got=%.*s\n", (int)(n > 0 ? n : 0), buf);
	return 0;
}

/* icmp: echo request to 127.0.0.1 over a raw socket, wait for the reply */
static int cmd_icmp(char **av)
{
	(void)av;
	return icmp_cmd();
}

/* packet: an AF_PACKET socket on lo sees a frame we cause */
static int cmd_packet(char **av)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct sockaddr_storage ss;
	socklen_t len = make_addr("127.0.0.1", 9, &ss);
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), u = socket(AF_INET, SOCK_DGRAM, 0);

	(void)av;
	if (fd < 0)
		return fail("socket");
	ll.sll_ifindex = (int)if_nametoindex("lo");
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return fail("bind");
	sendto(u, "frame", 5, 0, (struct sockaddr *)&ss, len);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 5000) <= 0)
		return fail("no frame");
	printf("ok frame seen\n");
	return 0;
}

/* Accept one connection as mode says; write a greeting; return peer text. */
static int serve_one(int lfd, const char *mode, int ep, char *peer, size_t cap)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	int c;

	if (!strcmp(mode, "epoll")) {
		struct epoll_event ev;

		if (epoll_wait(ep, &ev, 1, 10000) != 1)
			return -1;
		c = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
	} else {
		c = accept(lfd, (struct sockaddr *)&sa, &sl);
	}
	if (c < 0)
		return -1;
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, peer, (socklen_t)cap);
	else
		snprintf(peer, cap, "family%d", sa.ss_family);
	(void)!write(c, "hello\n", 6);
	close(c);
	return 0;
}

static int listen_on(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		return -1;
	return fd;
}

/* serve PORT N blocking|epoll: accept N connections, print their peers */
static int cmd_serve(char **av)
{
	int n = atoi(av[1]), lfd = listen_on("127.0.0.1", atoi(av[0])), ep = -1;
	char peers[512] = "", peer[64];
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);

	if (lfd < 0)
		return fail("listen");
	if (getsockname(lfd, (struct sockaddr *)&me, &ml) < 0 || me.ss_family != AF_INET ||
	    ntohs(((struct sockaddr_in *)&me)->sin_port) != atoi(av[0]))
		return fail("getsockname");
	if (!strcmp(av[2], "epoll")) {
		struct epoll_event ev = { .events = EPOLLIN };

		ep = epoll_create1(0);
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	}
	printf("ready\n");
	for (int i = 0; i < n; i++) {
		if (serve_one(lfd, av[2], ep, peer, sizeof(peer)) < 0)
			return fail("accept");
		strcat(peers, peer);
		strcat(peers, ",");
	}
	printf("ok peers=%s\n", peers);
	return 0;
}

static void on_tick(int sig)
{
	(void)sig;
}

/*
 * eintr PORT: a blocking accept, no client ever, and a timer signal every
 * 50 ms whose handler has no SA_RESTART: accept must end with EINTR, as
 * the kernel's does ("ok eintr").
 */
static int cmd_eintr(char **av)
{
	struct sigaction sa = { .sa_handler = on_tick }; /* no SA_RESTART */
	struct itimerval it = { .it_interval = { 0, 50000 }, .it_value = { 0, 50000 } };
	int lfd = listen_on("127.0.0.1", atoi(av[0])), fd;

	if (lfd < 0)
		return fail("listen");
	printf("ready\n");
	fflush(stdout);
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0)
		return fail("setitimer");
	fd = accept(lfd, NULL, NULL);
	if (fd >= 0) {
		printf("err accepted\n");
		return 1;
	}
	return errno == EINTR ? (printf("ok eintr\n"), 0) : fail("accept");
}

/*
 * noname: getsockname of an unnamed unix socket into no buffer at all
 * (NULL, length 0), as the kernel allows: "ok len=N" (the length it needs).
 */
static int cmd_noname(char **av)
{
	socklen_t len = 0;
	int sv[2];

	(void)av;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return fail("socketpair");
	if (getsockname(sv[0], NULL, &len) < 0)
		return fail("getsockname");
	printf("ok len=%u\n", (unsigned)len);
	return 0;
}

/* Connect to ip:port: "ok", or the errno's name. */
static const char *reach(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	const char *what = fd >= 0 && connect(fd, (struct sockaddr *)&ss, len) == 0
				   ? "ok" : strerrorname_np(errno);

	close(fd);
	return what;
}

/*
 * v6only PORT: listen on [::]:PORT (the privileged bind), then say what
 * the socket became and who reaches it: "ok v6only=0|1 filter=locked|none
 * v4=ok|ENAME v6=..."
 */
static int cmd_v6only(char **av)
{
	int port = atoi(av[0]), lfd = listen_on("::", port), v6only = -1, locked = 0;
	socklen_t len = sizeof(v6only), llen = sizeof(locked);

	if (lfd < 0)
		return fail("listen");
	getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len);
	getsockopt(lfd, SOL_SOCKET, SO_LOCK_FILTER, &locked, &llen);
	printf("ok v6only=%d filter=%s v4=%s", v6only, locked ? "locked" : "none",
	       reach("127.0.0.1", port));
	printf(" v6=%s\n", reach("::1", port));
	return 0;
}

/* prefork PORT WORKERS: each forked worker accepts one connection */
static int cmd_prefork(char **av)
{
	int lfd = listen_on("127.0.0.1", atoi(av[0])), workers = atoi(av[1]), ok = 0;

	if (lfd < 0)
		return fail("listen");
	for (int i = 0; i < workers; i++) {
		if (fork() == 0) {
			char peer[64];

			_exit(serve_one(lfd, "blocking", -1, peer, sizeof(peer)) == 0 ? 0 : 1);
		}
	}
	printf("ready\n");
	for (int i = 0; i < workers; i++) {
		int st;

		if (wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	printf("ok workers=%d\n", ok);
	return 0;
}

static const char *outcome(int rc)
{
	return rc == 0 ? "0" : errname(errno);
}

/* getsockopt's int, or -1 */
static int opt_of(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	return getsockopt(fd, level, opt, &v, &l) < 0 ? -1 : v;
}

/*
 * sockopts IP PORT: listen on IP:PORT; print what getsockopt says of the
 * listener (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN) and how
 * getpeername fails, then "set:" and how setsockopt on it ends
 * (SO_REUSEADDR, SO_RCVBUF, TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE,
 * SO_BINDTODEVICE, TCP_CONGESTION), then "accepted:" and what a connection
 * made afterwards and accepted has of them
 */
static int cmd_sockopts(char **av)
{
	static const int opts[] = { SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN };
	int lfd = listen_on(av[0], atoi(av[1])), v[4], one = 1, rcvbuf = 65536, idle = 77, c, a;
	struct sockaddr_storage peer, ss;
	socklen_t pl = sizeof(peer), len = make_addr(av[0], atoi(av[1]), &ss);
	const char *p;

	if (lfd < 0)
		return fail("listen");
	for (int i = 0; i < 4; i++) {
		socklen_t l = sizeof(v[i]);

		if (getsockopt(lfd, SOL_SOCKET, opts[i], &v[i], &l) < 0 || l != sizeof(v[i]))
			return fail("getsockopt");
	}
	p = outcome(getpeername(lfd, (struct sockaddr *)&peer, &pl));
	printf("ok type=%d domain=%d proto=%d acceptconn=%d peer=%s", v[0], v[1], v[2], v[3], p);
	p = outcome(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	printf(" set: reuseaddr=%s", p);
	p = outcome(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	printf(" rcvbuf=%s", p);
	p = outcome(setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	printf(" nodelay=%s", p);
	p = outcome(setsockopt(lfd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	printf(" keepalive=%s", p);
	p = outcome(setsockopt(lfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)));
	printf(" keepidle=%s", p);
	p = outcome(setsockopt(lfd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, 2));
	printf(" short=%s", p);
	p = outcome(setsockopt(lfd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	printf(" bindtodevice=%s", p);
	p = outcome(setsockopt(lfd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	printf(" congestion=%s", p);
	c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len) < 0 || (a = accept(lfd, NULL, NULL)) < 0)
		return fail("connect");
	printf(" accepted: nodelay=%d keepalive=%d keepidle=%d rcvbuf=%d\n",
	       opt_of(a, IPPROTO_TCP, TCP_NODELAY), opt_of(a, SOL_SOCKET, SO_KEEPALIVE),
	       opt_of(a, IPPROTO_TCP, TCP_KEEPIDLE), opt_of(a, SOL_SOCKET, SO_RCVBUF));
	return 0;
}

/*
 * fakechan IP PORT: listen on IP:PORT (a listener channel, under an accept
 * rule), then in a network namespace of our own bind the channel's exact
 * abstract name to one end of a socketpair of ours, so the shim takes the
 * other end for the channel; print how TCP_NODELAY ends on the fake and on
 * the real channel ("netns=0": no namespace could be had, the fake's name is
 * then the channel's with another sequence number)
 */
static int cmd_fakechan(char **av)
{
	int lfd = listen_on(av[0], atoi(av[1])), one = 1, sv[2], ns;
	struct sockaddr_un name;
	socklen_t nl = sizeof(name);
	const char *p;
	char *colon, *end;

	/* the real getpeername: the shim's says ENOTCONN of a channel */
	if (lfd < 0 || syscall(SYS_getpeername, lfd, (struct sockaddr *)&name, &nl) < 0 ||
	    nl <= offsetof(struct sockaddr_un, sun_path) + 1 || nl > sizeof(name))
		return fail("listen");
	ns = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
	end = (char *)&name + nl;
	/* "\0fdbroker-listener:PID:SEQ:ADDR": the colon after PID */
	colon = memchr(name.sun_path + 1, ':', (size_t)(end - name.sun_path - 1));
	colon = colon ? memchr(colon + 1, ':', (size_t)(end - colon - 1)) : NULL;
	if (!ns && colon && colon + 1 < end)
		colon[1] = 'f'; /* no channel's sequence number */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    bind(sv[0], (struct sockaddr *)&name, nl) < 0)
		return fail("fake");
	p = outcome(setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	printf("ok netns=%d fake=%s", ns, p);
	p = outcome(setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	printf(" real=%s\n", p);
	return 0;
}

static socklen_t unix_addr(const char *path, struct sockaddr_un *sun)
{
	size_t n = strnlen(path, sizeof(sun->sun_path) - 1);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/*
 * unix PATH UMASK exit|hold: bind a stream socket at PATH with that umask and
 * listen; print the name getsockname reports and the socket file's mode and
 * owner; with hold, say "ready" and keep listening until killed.
 */
static int cmd_unix(char **av)
{
	struct sockaddr_un sun, me;
	socklen_t len = unix_addr(av[0], &sun), ml = sizeof(me);
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	umask((mode_t)strtol(av[1], NULL, 8));
	if (bind(fd, (struct sockaddr *)&sun, len) < 0)
		return fail("bind");
	if (listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&me, &ml) < 0)
		return fail("listen");
	if (stat(av[0], &st) < 0)
		return fail("stat");
	printf("ok name=%.*s mode=%03o uid=%d sock=%d\n",
	       (int)(ml - offsetof(struct sockaddr_un, sun_path)), me.sun_path,
	       (unsigned)(st.st_mode & 0777), (int)st.st_uid, S_ISSOCK(st.st_mode));
	if (!strcmp(av[2], "hold")) {
		printf("ready\n");
		for (;;)
			pause();
	}
	return 0;
}

/*
 * unixrace DIR SWAPS: DIR holds d (the program's own directory, holding a
 * directory "empty" of its own) and l (a symlink elsewhere).  A child swaps
 * them (RENAME_EXCHANGE) SWAPS times while this process binds d/canary,
 * d/x and d/empty/x over and over (at most 25 s).  Each bind that succeeds
 * must have made its socket file in d (or d/empty), the directories held
 * from before the race: "inside" counts those, "outside" the others.  The
 * file is removed through the held directory at once, so every bind asks
 * for a fresh name.
 */
static int cmd_unixrace(char **av)
{
	static const char *const names[] = { "canary", "x", "empty/x" };
	char d[256], l[256], path[300];
	long binds = 0, inside = 0, outside = 0, refused = 0, other = 0, swaps = atol(av[1]);
	struct timespec t0, t;
	int own, sub, st;
	pid_t kid;

	snprintf(d, sizeof(d), "%s/d", av[0]);
	snprintf(l, sizeof(l), "%s/l", av[0]);
	own = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sub = openat(own, "empty", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (own < 0 || sub < 0)
		return fail("own dir");
	kid = fork();
	if (kid == 0) {
		for (long i = 0; i < swaps; i++)
			if (renameat2(AT_FDCWD, d, AT_FDCWD, l, RENAME_EXCHANGE) < 0)
				_exit(1);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; waitpid(kid, &st, WNOHANG) == 0; i++) {
		const char *name = names[i % 3], *base = strrchr(name, '/');
		int at = base ? sub : own, fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sun;
		struct stat sb;
		socklen_t len;

		base = base ? base + 1 : name;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 25) {
			kill(kid, SIGKILL);
			waitpid(kid, &st, 0);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", d, name);
		len = unix_addr(path, &sun);
		if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
			if (errno == EACCES)
				refused++;
			else
				other++;
			close(fd);
			continue;
		}
		binds++;
		if (fstatat(at, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(sb.st_mode) &&
		    sb.st_uid == getuid())
			inside++;
		else
			outside++;
		/* d is 0500, so that the program's own bind fails and asks the broker */
		if (fchmod(at, 0700) < 0 || unlinkat(at, base, 0) < 0 || fchmod(at, 0500) < 0)
			return fail("clean up");
		close(fd);
	}
	printf("ok binds=%ld inside=%ld outside=%ld refused=%ld other=%ld swapper=%d\n", binds,
	       inside, outside, refused, other,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "bind", 3, cmd_bind }, { "twice", 2, cmd_twice }, { "opts", 1, cmd_opts },
		{ "udp", 1, cmd_udp },   { "icmp", 0, cmd_icmp },   { "packet", 0, cmd_packet },
		{ "serve", 3, cmd_serve }, { "prefork", 2, cmd_prefork }, { "eintr", 1, cmd_eintr },
		{ "noname", 0, cmd_noname },   { "v6only", 1, cmd_v6only },
		{ "unix", 3, cmd_unix },   { "unixrace", 2, cmd_unixrace },
		{ "sockopts", 2, cmd_sockopts }, { "fakechan", 2, cmd_fakechan },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmd_run("netprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
