/*
 * Brokered socket(), bind() and accept() for unprivileged programs: real
 * servers on loopback, privileged ports (600-699 and 830-839 here, one per
 * test, so tests running side by side never collide).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "nginx.h"
#include "spawn.h"

TestSuite(net, .fini = p_suite_fini, .timeout = 60);

#define MAX_ARGS 48

/* fdbroker run -u nobody [-a RULE]... --log LOG -- argv... */
static void broker_argv(char **out, char *const rules[], char *const argv[])
{
	char *opts[MAX_ARGS];
	int n = 0;

	for (int i = 0; rules && rules[i] && n < MAX_ARGS - 2; i++) {
		opts[n++] = "-a";
		opts[n++] = rules[i];
	}
	opts[n] = NULL;
	h_run_argv(out, MAX_ARGS, "nobody", opts, argv);
}

static struct result netprobe(char *const rules[], char *const args[])
{
	char *argv[MAX_ARGS], *full[MAX_ARGS] = { (char *)h_netprobe() };
	int n = 1;

	for (; args[n - 1] && n < MAX_ARGS - 1; n++)
		full[n] = args[n - 1];
	full[n] = NULL;
	broker_argv(argv, rules, full);
	return h_run(argv, NULL, false);
}

static void expect(char *const rules[], char *const args[], const char *want)
{
	struct result r = netprobe(rules, args);

	cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s: got '%s' (%s)", args[0], r.out,
		  r.err);
	h_free(&r);
}

Test(net, options_survive_bind)
{
	expect((char *[]){ "bind tcp 127.0.0.1:601", NULL }, (char *[]){ "opts", "601", NULL },
	       "ok reuseport=1 nodelay=1 samefd=1");
	h_audit_has("op=bind object=127.0.0.1:601 proto=tcp verdict=allow rule=-a:1 errno=0");
}

Test(net, udp_server_answers)
{
	expect((char *[]){ "bind udp 127.0.0.1:53", NULL }, (char *[]){ "udp", "53", NULL },
	       "ok got=pong");
}

Test(net, v4_mapped_and_dual_stack)
{
	expect((char *[]){ "bind tcp 127.0.0.1:602", NULL },
	       (char *[]){ "bind", "::ffff:127.0.0.1", "602", "tcp", NULL }, "ok fd=3");
	expect((char *[]){ "bind tcp *:603", NULL }, (char *[]){ "bind", "::", "603", "tcp", NULL },
	       "ok fd=3");
	expect((char *[]){ "bind tcp [::1]:604", NULL },
	       (char *[]){ "bind", "::1", "604", "tcp", NULL }, "ok fd=3");
}

Test(net, errno_fidelity)
{
	/* in use: the kernel's errno from the broker's bind */
	expect((char *[]){ "bind tcp 127.0.0.1:605", NULL },
	       (char *[]){ "twice", "127.0.0.1", "605", NULL }, "err EADDRINUSE second");
	h_audit_has("verdict=error rule=-a:1 errno=EADDRINUSE");
	/* denied port, denied raw socket: as without the shim */
	expect(NULL, (char *[]){ "bind", "127.0.0.1", "606", "tcp", NULL }, "err EACCES bind");
	h_audit_has("op=bind object=127.0.0.1:606 proto=tcp verdict=deny rule=default errno=EACCES");
	expect(NULL, (char *[]){ "icmp", NULL }, "err EPERM socket");
	h_audit_has("op=socket object=inet/raw/1 verdict=deny rule=default errno=EPERM");
	expect((char *[]){ "bind tcp 127.0.0.1:607", NULL },
	       (char *[]){ "bind", "127.0.0.1", "608", "tcp", NULL }, "err EACCES bind");
}

Test(net, raw_icmp_echo)
{
	expect((char *[]){ "socket inet raw icmp", NULL }, (char *[]){ "icmp", NULL },
	       "ok echo reply");
	h_audit_has("op=socket object=inet/raw/1 verdict=allow");
}

Test(net, packet_socket_sees_lo)
{
	expect((char *[]){ "socket packet raw all", NULL }, (char *[]){ "packet", NULL },
	       "ok frame seen");
	expect(NULL, (char *[]){ "packet", NULL }, "err EPERM socket");
}

/* Start a server under the broker and wait for its "ready" line. */
static void start_server(struct proc *p, char *const rules[], char *const args[])
{
	char *argv[MAX_ARGS];
	const char *line;

	broker_argv(argv, rules, args);
	p_start(p, argv, (char *[]){ "PYTHONUNBUFFERED=1", NULL }, h_path("server.err"));
	line = p_line(p, 20000);
	cr_assert(line && (strstr(line, "ready") || strstr(line, "Serving HTTP")),
		  "server did not start: %s", line ? line : "(no output)");
}

static void http_server(const char *bind_addr, const char *rule, int port)
{
	const char *dst = strcmp(bind_addr, "::1") ? "127.0.0.1" : "::1";
	char portstr[8], out[4096], *args[16];
	struct proc p;
	int n = 0;

	h_file("index.html", "hello from fdbroker\n", 0644);
	snprintf(portstr, sizeof(portstr), "%d", port);
	args[n++] = "python3";
	args[n++] = "-m";
	args[n++] = "http.server";
	args[n++] = portstr;
	args[n++] = "--bind";
	args[n++] = (char *)bind_addr;
	args[n++] = "--directory";
	args[n++] = (char *)h_tmpdir();
	args[n] = NULL;
	start_server(&p, (char *[]){ (char *)rule, NULL }, args);
	cr_assert_gt(tcp_talk_to(NULL, dst, port, "GET /index.html HTTP/1.0\r\n\r\n", out,
				 sizeof(out)), 0);
	cr_assert(strstr(out, "200 OK") && strstr(out, "hello from fdbroker"), "%s", out);
	if (!strcmp(bind_addr, "::")) {
		/* the dual-stack wildcard takes IPv6 too */
		cr_assert_gt(tcp_talk_to(NULL, "::1", port, "GET / HTTP/1.0\r\n\r\n", out,
					 sizeof(out)), 0);
		cr_assert(strstr(out, "200 OK"), "%s", out);
	}
	p_stop(&p);
}

/*
 * [::]:PORT names the IPv6 wildcard: where the policy refuses 0.0.0.0 on
 * the port, the broker makes the socket IPv6-only, so that it neither
 * serves IPv4 peers nor holds the IPv4 port, and locks a filter on it that
 * lets no IPv4 peer in (the program could clear IPV6_V6ONLY again, from
 * another thread, until the bind); where a rule allows the IPv4 side too,
 * the socket stays dual-stack, unfiltered.
 */
Test(net, ipv6_wildcard_is_dual_stack_only_where_ipv4_is_allowed)
{
	expect((char *[]){ "bind tcp [::]:628", NULL }, (char *[]){ "v6only", "628", NULL },
	       "ok v6only=1 filter=locked v4=ECONNREFUSED v6=ok");
	h_audit_has("op=bind object=[::]:628 proto=tcp v6only=set filter=locked ipv4-side=refused "
		    "verdict=allow");
	expect((char *[]){ "bind tcp [::]:629", "bind tcp 0.0.0.0:629", NULL },
	       (char *[]){ "v6only", "629", NULL }, "ok v6only=0 filter=none v4=ok v6=ok");
	expect((char *[]){ "bind tcp *:630", NULL }, (char *[]){ "v6only", "630", NULL },
	       "ok v6only=0 filter=none v4=ok v6=ok");
}

Test(net, python_http_server_v4)
{
	http_server("127.0.0.1", "bind tcp *:611", 611);
}

Test(net, python_http_server_v6_loopback)
{
	http_server("::1", "bind tcp [::1]:614", 614);
}

Test(net, python_http_server_dual_stack)
{
	http_server("::", "bind tcp *:612", 612);
}

Test(net, python_http_server_accept_rule)
{
	http_server("127.0.0.1", "accept tcp 127.0.0.1:613", 613);
	h_audit_has("op=bind object=127.0.0.1:613 proto=tcp listener=held verdict=allow");
	h_audit_has("op=accept object=127.0.0.1:613 peer=127.0.0.1:");
}

Test(net, accept_from_filters_peers)
{
	struct proc p;
	char out[256];

	start_server(&p, (char *[]){ "accept tcp 127.0.0.1:621 from 127.0.0.2", NULL },
		     (char *[]){ (char *)h_netprobe(), "serve", "621", "1", "blocking", NULL });
	cr_assert_eq(tcp_talk("127.0.0.1", 621, NULL, out, sizeof(out)), 0,
		     "a refused peer never reaches the program: '%s'", out);
	cr_assert_gt(tcp_talk("127.0.0.2", 621, NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "hello\n");
	cr_assert_str_eq(p_line(&p, 20000), "ok peers=127.0.0.2,");
	p_stop(&p);
	h_audit_has("op=accept object=127.0.0.1:621 peer=127.0.0.1:");
	h_audit_has("verdict=deny rule=-a:1");
	h_audit_has("peer=127.0.0.2:");
}

static void serve_mode(int port, const char *mode)
{
	char rule[64], portstr[8], out[64];
	struct proc p;

	snprintf(rule, sizeof(rule), "accept tcp 127.0.0.1:%d", port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	start_server(&p, (char *[]){ rule, NULL },
		     (char *[]){ (char *)h_netprobe(), "serve", portstr, "3", (char *)mode, NULL });
	for (int i = 0; i < 3; i++) {
		cr_assert_gt(tcp_talk(NULL, port, NULL, out, sizeof(out)), 0, "%s #%d", mode, i);
		cr_assert_str_eq(out, "hello\n");
	}
	cr_assert_str_eq(p_line(&p, 20000), "ok peers=127.0.0.1,127.0.0.1,127.0.0.1,");
	cr_assert_eq(p_wait(&p), 0);
}

Test(net, blocking_accept_loop)
{
	serve_mode(622, "blocking");
}

Test(net, epoll_accept4_nonblocking)
{
	serve_mode(623, "epoll");
}

/* A signal without SA_RESTART ends a brokered blocking accept with EINTR, as the kernel's */
Test(net, blocking_accept_interrupted_by_a_signal_says_eintr)
{
	struct proc p;

	start_server(&p, (char *[]){ "accept tcp 127.0.0.1:626", NULL },
		     (char *[]){ (char *)h_netprobe(), "eintr", "626", NULL });
	cr_assert_str_eq(p_line(&p, 20000), "ok eintr");
	cr_assert_eq(p_wait(&p), 0);
}

/* getsockname with no buffer (the kernel only reports the length): the shim looks at none */
Test(net, getsockname_without_a_buffer)
{
	expect((char *[]){ "accept tcp 127.0.0.1:627", NULL }, (char *[]){ "noname", NULL },
	       "ok len=2");
}

Test(net, prefork_workers_share_listener)
{
	struct proc p;
	char out[64];

	start_server(&p, (char *[]){ "accept tcp 127.0.0.1:624", NULL },
		     (char *[]){ (char *)h_netprobe(), "prefork", "624", "4", NULL });
	for (int i = 0; i < 4; i++) {
		cr_assert_gt(tcp_talk(NULL, 624, NULL, out, sizeof(out)), 0, "connection %d", i);
		cr_assert_str_eq(out, "hello\n");
	}
	cr_assert_str_eq(p_line(&p, 20000), "ok workers=4");
	cr_assert_eq(p_wait(&p), 0);
}

Test(net, asyncio_server)
{
	static const char script[] =
		"import asyncio\n"
		"async def handle(r, w):\n"
		"    w.write(b'hello\\n'); await w.drain(); w.close(); done.set_result(1)\n"
		"async def main():\n"
		"    global done\n"
		"    done = asyncio.get_running_loop().create_future()\n"
		"    srv = await asyncio.start_server(handle, '127.0.0.1', 625)\n"
		"    print('ready', srv.sockets[0].getsockname(), flush=True)\n"
		"    await done\n"
		"asyncio.run(main())\n";
	struct proc p;
	char out[64];

	start_server(&p, (char *[]){ "accept tcp 127.0.0.1:625", NULL },
		     (char *[]){ "python3", "-c", (char *)script, NULL });
	cr_assert(strstr(p.line, "('127.0.0.1', 625)"), "getsockname: %s", p.line);
	cr_assert_gt(tcp_talk(NULL, 625, NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "hello\n");
	cr_assert_eq(p_wait(&p), 0);
}

/*
 * The descriptor under an accept rule answers getsockopt and getpeername as
 * the listener does: the same line as a real listener's (run as root, no
 * broker).  setsockopt of the options the broker sets on its listener
 * succeeds, and a connection accepted afterwards has them as a real
 * listener's would (Linux copies them to each new connection); one that
 * would use the broker's privilege or reach beyond the socket fails with
 * ENOPROTOOPT, without asking.
 */
Test(net, channel_answers_as_listener)
{
	static const struct {
		const char *ip, *rule, *port, *native_port, *object;
	} cases[] = {
		{ "127.0.0.1", "accept tcp 127.0.0.1:831", "831", "833", "127.0.0.1:831" },
		{ "::1", "accept tcp [::1]:832", "832", "834", "[::1]:832" },
	};
	char line[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *native[] = { (char *)h_netprobe(), "sockopts", (char *)cases[i].ip,
				   (char *)cases[i].native_port, NULL };
		struct result n = h_run(native, NULL, false), r;
		const char *set = strstr(n.out, " set:"), *acc = strstr(n.out, " accepted:");

		cr_assert(!strncmp(n.out, "ok type=1 ", 10) && set && acc, "native %s: %s (%s)",
			  cases[i].ip, n.out, n.err);
		cr_assert(strstr(acc, " accepted: nodelay=1 keepalive=1 keepidle=77 "),
			  "native %s: %s", cases[i].ip, n.out);
		r = netprobe((char *[]){ (char *)cases[i].rule, NULL },
			     (char *[]){ "sockopts", (char *)cases[i].ip, (char *)cases[i].port, NULL });
		cr_assert(!strncmp(r.out, n.out, (size_t)(set - n.out)), "%s: '%s', native '%s' (%s)",
			  cases[i].ip, r.out, n.out, r.err);
		cr_assert(strstr(r.out, " set: reuseaddr=0 rcvbuf=0 nodelay=0 keepalive=0 keepidle=0 "
				 "short=EINVAL bindtodevice=ENOPROTOOPT congestion=ENOPROTOOPT "
				 "accepted:"), "%s: %s (%s)", cases[i].ip, r.out, r.err);
		cr_assert(strstr(r.out, acc), "%s: '%s', native '%s'", cases[i].ip, r.out, n.out);
		snprintf(line, sizeof(line), "op=sockopt object=%s level=tcp opt=nodelay value=1 "
			 "verdict=allow rule=-a:1 errno=0", cases[i].object);
		h_audit_has(line);
		snprintf(line, sizeof(line), "op=sockopt object=%s level=socket opt=keepalive "
			 "value=1 verdict=allow", cases[i].object);
		h_audit_has(line);
		snprintf(line, sizeof(line), "op=sockopt object=%s level=tcp opt=keepidle "
			 "verdict=error rule=-a:1 errno=EINVAL", cases[i].object);
		h_audit_has(line);
		h_free(&n);
		h_free(&r);
	}
	h_audit_has("op=bind object=[::1]:832 proto=tcp listener=held verdict=allow");
	h_audit_lacks("opt=25"); /* SO_BINDTODEVICE was never asked */
}

/*
 * A socket that only looks like a listener channel (a socketpair of the
 * program's own, its end bound to a real channel's abstract name in a
 * network namespace of the program's) sets nothing: the broker refuses it
 * (EPERM) and says so; the program's real channel is still served.
 */
Test(net, sockopt_refused_on_fake_channel)
{
	struct result r = netprobe((char *[]){ "accept tcp 127.0.0.1:836", NULL },
				   (char *[]){ "fakechan", "127.0.0.1", "836", NULL });

	cr_assert(!strncmp(r.out, "ok netns=", 9) && strstr(r.out, " fake=EPERM real=0\n"),
		  "%s (%s)", r.out, r.err);
	if (strncmp(r.out, "ok netns=1", 10))
		cr_log_warn("no network namespace of its own: the fake had another name (%s)", r.out);
	h_free(&r);
	h_audit_has("op=sockopt object=- level=tcp opt=nodelay value=1 reason=not-a-listener-channel "
		    "verdict=deny rule=default errno=EPERM");
	h_audit_has("op=sockopt object=127.0.0.1:836 level=tcp opt=nodelay value=1 verdict=allow");
}

/* Python adopts the listener by its descriptor (socket(fileno=) asks getsockopt). */
Test(net, python_adopts_listener)
{
	static const char script[] =
		"import socket, sys\n"
		"fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET\n"
		"s = socket.socket(fam, socket.SOCK_STREAM)\n"
		"s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" /* reruns: TIME_WAIT */
		"s.bind((sys.argv[1], int(sys.argv[2])))\n"
		"s.listen()\n"
		"l = socket.socket(fileno=s.detach())\n"
		"print('ready', l.family.name, l.type.name, l.proto, l.getsockname()[1], flush=True)\n"
		"c, peer = l.accept()\n"
		"c.sendall(c.recv(64))\n"
		"c.close()\n";
	static const struct {
		const char *ip, *rule, *port, *want;
	} cases[] = {
		{ "127.0.0.1", "accept tcp 127.0.0.1:830", "830", "ready AF_INET SOCK_STREAM 6 830" },
		{ "::1", "accept tcp [::1]:835", "835", "ready AF_INET6 SOCK_STREAM 6 835" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc p;
		char out[64];

		start_server(&p, (char *[]){ (char *)cases[i].rule, NULL },
			     (char *[]){ "python3", "-c", (char *)script, (char *)cases[i].ip,
					 (char *)cases[i].port, NULL });
		cr_assert_str_eq(p.line, cases[i].want);
		cr_assert_eq(tcp_talk_to(NULL, cases[i].ip, atoi(cases[i].port), "echo\n", out,
					 sizeof(out)), 5);
		cr_assert_eq(memcmp(out, "echo\n", 5), 0);
		cr_assert_eq(p_wait(&p), 0);
	}
}

/* nginx, master and workers as usual: the workers are forked after the bind. */
static void nginx_serves(const char *rule, int port)
{
	const char *errlog = h_path("error.log"), *conf = nginx_conf(port, errlog);
	const char *pid = h_path("nginx.pid");
	char out[4096];
	struct proc p;
	char *args[] = { "nginx", "-e", (char *)errlog, "-c", (char *)conf, NULL };
	char *argv[MAX_ARGS];

	broker_argv(argv, (char *[]){ (char *)rule, NULL }, args);
	p_start(&p, argv, NULL, h_path("server.err"));
	/* nginx writes its pid file once its listeners are open */
	cr_assert_eq(wait_for_file(pid, 20000), 0, "nginx did not start");
	for (int i = 0; i < 4; i++) {
		cr_assert_gt(tcp_talk(NULL, port, "GET /index.html HTTP/1.0\r\n\r\n", out,
				      sizeof(out)), 0);
		cr_assert(strstr(out, "hello from nginx"), "%s", out);
	}
	p_stop(&p);
}

Test(net, nginx_bind_rule)
{
	nginx_serves("bind tcp 127.0.0.1:631", 631);
}

Test(net, nginx_accept_rule)
{
	nginx_serves("accept tcp 127.0.0.1:632", 632);
	h_audit_has("op=accept object=127.0.0.1:632");
}

/* A program that restarts finds connections made meanwhile queued, not refused. */
Test(net, listener_outlives_program)
{
	char script[1024], out[64];
	const char *fifo = h_path("gate");
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(634) };
	struct proc p;
	int c, gate;

	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0); /* past the umask: nobody reads it */
	snprintf(script, sizeof(script),
		 "%s serve 634 1 blocking; echo gone; read go < %s; %s serve 634 1 blocking",
		 h_netprobe(), fifo, h_netprobe());
	start_server(&p, (char *[]){ "accept tcp 127.0.0.1:634", NULL },
		     (char *[]){ "sh", "-c", script, NULL });
	cr_assert_gt(tcp_talk(NULL, 634, NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(p_line(&p, 20000), "ok peers=127.0.0.1,");
	/*
	 * Once the program has exited (a connection handed to a program that
	 * exits without accepting it is lost, as with a kernel backlog), no
	 * program listens, yet the broker's listener still takes the connection.
	 */
	cr_assert_str_eq(p_line(&p, 20000), "gone");
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	cr_assert_eq(connect(c, (struct sockaddr *)&to, sizeof(to)), 0, "refused: %s",
		     strerror(errno));
	gate = open(fifo, O_WRONLY | O_CLOEXEC);
	cr_assert_eq(write(gate, "go\n", 3), 3);
	close(gate);
	cr_assert_str_eq(p_line(&p, 20000), "ready");
	cr_assert_eq(read(c, out, sizeof(out)), 6);
	cr_assert_eq(memcmp(out, "hello\n", 6), 0);
	close(c);
	cr_assert_str_eq(p_line(&p, 20000), "ok peers=127.0.0.1,");
	cr_assert_eq(p_wait(&p), 0);
}

/*
 * A socket made in a network namespace of the program's own (unshare -rn,
 * lo brought up inside) is refused before any rule, bind or accept, with an
 * audit line saying why; the program keeps its own errno.  The namespace's
 * root lacks CAP_NET_BIND_SERVICE here (dropped from the bounding set), so
 * its own bind fails and asks the broker.  The same program in the host's
 * namespace is served.  FDBROKER_DUMPABLE=1 (to run, which then serves
 * dumpable members): unshare -r must write its own uid_map, which a
 * non-dumpable process cannot.
 */
Test(net, foreign_netns_refused)
{
	char script[512], *argv[MAX_ARGS];
	struct result r;
	const char *sh;

	for (int i = 0; i < 2; i++) {
		const char *port = i ? "642" : "641";

		snprintf(script, sizeof(script),
			 "ip link set lo up || exit 3\n"
			 "exec setpriv --bounding-set -net_bind_service --inh-caps -all "
			 "%s bind 127.0.0.1 %s tcp\n", h_netprobe(), port);
		sh = h_file(i ? "ns642.sh" : "ns641.sh", script, 0644);
		broker_argv(argv, (char *[]){ "bind tcp 127.0.0.1:641", "accept tcp 127.0.0.1:642", NULL },
			    (char *[]){ "unshare", "-rn", "sh", (char *)sh, NULL });
		r = h_run(argv, (char *[]){ "FDBROKER_DUMPABLE=1", NULL }, false);
		cr_assert_str_eq(r.out, "err EACCES bind\n", "port %s: %s", port, r.err);
		h_free(&r);
	}
	/* a socket rule: the broker's socket would be the host's */
	sh = h_file("nsraw.sh", "exec setpriv --bounding-set -net_raw --inh-caps -all \"$1\" icmp\n",
		    0644);
	broker_argv(argv, (char *[]){ "socket inet raw icmp", NULL },
		    (char *[]){ "unshare", "-rn", "sh", (char *)sh, (char *)h_netprobe(), NULL });
	r = h_run(argv, (char *[]){ "FDBROKER_DUMPABLE=1", NULL }, false);
	cr_assert_str_eq(r.out, "err EPERM socket\n", "%s", r.err);
	h_free(&r);
	h_audit_has("op=socket object=inet/raw/1 netns=foreign verdict=deny");
	h_audit_has("op=bind object=127.0.0.1:641 proto=tcp netns=foreign verdict=deny");
	h_audit_has("op=bind object=127.0.0.1:642 proto=tcp netns=foreign verdict=deny");
	expect((char *[]){ "bind tcp 127.0.0.1:641", NULL },
	       (char *[]){ "bind", "127.0.0.1", "641", "tcp", NULL }, "ok fd=3");
	h_audit_has("op=bind object=127.0.0.1:641 proto=tcp verdict=allow rule=-a:1");
	expect((char *[]){ "accept tcp 127.0.0.1:642", NULL },
	       (char *[]){ "bind", "127.0.0.1", "642", "tcp", NULL }, "ok fd=3");
	h_audit_has("op=bind object=127.0.0.1:642 proto=tcp listener=held verdict=allow");
}
