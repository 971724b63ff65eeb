/*
 * fdbroker serve, the system broker, and fdbroker exec, its client: a real
 * server started as nobody, socket activation, SIGHUP reloads under load,
 * the capabilities the broker keeps, and what make install puts where.
 *
 * Ports 640-659 here, one per test (test_net.c has 600-639).  serve's
 * readiness is its socket appearing (or READY=1 on NOTIFY_SOCKET, or the
 * "serving" line of its log), never a sleep.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(serve, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

/* Assert that the log has a line with `about` that also says each of what[]. */
static void log_line_says(const char *log_path, const char *about, const char *const what[])
{
	char *log = h_slurp(log_path);
	const char *line = h_line_with(log, about);

	cr_assert(*line, "no audit line with '%s':\n%s", about, log);
	for (int i = 0; what[i]; i++)
		cr_assert(strstr(line, what[i]), "audit line lacks '%s':\n%s", what[i], line);
	free(log);
}

/* Replace a policy file the way an administrator's tools should: write, rename. */
static void put_policy(const char *path, const char *text)
{
	char tmp[600];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", tmp, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(rename(tmp, path), 0, "rename %s: %s", tmp, strerror(errno));
}

static char *env_kv(const char *k, const char *v)
{
	static char bufs[8][2100];
	static int i;

	i = (i + 1) % 8;
	snprintf(bufs[i], sizeof(bufs[i]), "%s=%s", k, v);
	return bufs[i];
}

/* fdbroker serve -p POLICY -s SOCK --log LOG, ready once its log says so. */
static void start_serve(struct proc *p, const char *policy, const char *sock, const char *log)
{
	served_spawn(p, policy, sock, log, NULL);
	/* the line comes after listen(2) and after giving up capabilities */
	cr_assert_eq(wait_for_text(log, "serving ", WAIT_MS), 0, "serve did not start:\n%s",
		     h_slurp(h_path("serve.err")));
}

/*
 * 1. serve as root; a web server started as nobody through fdbroker exec
 * binds a privileged port and serves a root-only file; the audit lines name
 * nobody and the deciding rules.  Readiness through NOTIFY_SOCKET, as
 * Type=notify expects.
 */
Test(serve, exec_python_http_server_as_nobody)
{
	const char *www = h_dir("www", 0755);
	const char *secret = h_file("www/secret.html", "secret from the serve broker\n", 0600);
	const char *sock = h_path("broker.sock"), *log = h_path("audit.log");
	const char *notify = h_path("notify.sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char text[1024], rule1[600], rule2[600], out[4096], msg[64] = "";
	struct pollfd pf;
	struct proc srv, web;
	struct stat st;
	ssize_t n;
	int nfd;

	snprintf(text, sizeof(text),
		 "allow user nobody bind tcp 127.0.0.1:640\n"
		 "allow user nobody open %s read\n", secret);
	const char *policy = h_file("policy", text, 0644);

	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify);
	cr_assert_eq(bind(nfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	served_spawn(&srv, policy, sock, log, (char *[]){ env_kv("NOTIFY_SOCKET", notify), NULL });
	pf = (struct pollfd){ .fd = nfd, .events = POLLIN };
	cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "no READY=1:\n%s", h_slurp(h_path("serve.err")));
	n = recv(nfd, msg, sizeof(msg) - 1, 0);
	cr_assert_gt(n, 0);
	msg[n] = '\0';
	cr_assert_str_eq(msg, "READY=1");
	close(nfd);
	cr_assert_eq(stat(sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0666, "socket mode %o", st.st_mode & 0777);

	p_start(&web,
		(char *[]){ "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
			    (char *)h_fdbroker(), "exec", "-s", (char *)sock, "--", "python3", "-m",
			    "http.server", "640", "--bind", "127.0.0.1", "--directory", (char *)www,
			    NULL },
		(char *[]){ "PYTHONUNBUFFERED=1", NULL }, h_path("web.err"));
	const char *line = p_line(&web, WAIT_MS);
	cr_assert(line && strstr(line, "Serving HTTP"), "python did not start: %s\n%s",
		  line ? line : "(no output)", h_slurp(h_path("web.err")));
	cr_assert_gt(tcp_talk(NULL, 640, "GET /secret.html HTTP/1.0\r\n\r\n", out, sizeof(out)), 0);
	cr_assert(strstr(out, "200 OK") && strstr(out, "secret from the serve broker"), "%s", out);
	p_stop(&web);

	snprintf(rule1, sizeof(rule1), "verdict=allow rule=%s:1 errno=0", policy);
	snprintf(rule2, sizeof(rule2), "verdict=allow rule=%s:2 errno=0", policy);
	snprintf(text, sizeof(text), "op=open object=%s ", secret);
	log_line_says(log, "op=bind object=127.0.0.1:640 ",
		      (const char *[]){ "uid=65534 gid=65534 prog=python3", rule1, NULL });
	log_line_says(log, text, (const char *[]){ "uid=65534 gid=65534", "rights=read", rule2, NULL });

	/* SIGTERM is a clean stop, and the broker takes its socket away */
	cr_assert_eq(p_stop(&srv), 0);
	cr_assert_neq(access(sock, F_OK), 0, "%s left behind", sock);
}

/* exec: no privilege needed; the shim goes before what was preloaded. */
Test(serve, exec_sets_preload_and_socket)
{
	const char *sock = h_path("some.sock");
	char other[2048];
	struct result r;

	snprintf(other, sizeof(other), "%s%s/nonexistent/libother.so",
		 getenv("LD_PRELOAD") ? getenv("LD_PRELOAD") : "", getenv("LD_PRELOAD") ? " " : "");
	r = h_run((char *[]){ (char *)h_fdbroker(), "exec", "-s", (char *)sock, "--", "printenv",
			      "LD_PRELOAD", "FDBROKER_SOCKET", NULL },
		  (char *[]){ env_kv("LD_PRELOAD", other), NULL }, true);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *pre = h_line(r.out, 0), *shim = strstr(pre, h_shim());
	cr_assert_not_null(shim, "no shim in LD_PRELOAD='%s'", pre);
	cr_assert(strstr(pre, "/nonexistent/libother.so") > shim,
		  "the old value is not kept after the shim: '%s'", pre);
	cr_assert_str_eq(h_line(r.out, 1), sock);
	h_free(&r);
}

/*
 * 2. Socket activation: systemd-socket-activate listens and execs the broker
 * on the first connection; the broker serves that socket, not one of its own.
 */
Test(serve, socket_activation)
{
	const char *secret = h_file("rootonly", "root only data\n", 0600);
	const char *sock = h_path("activated.sock"), *log = h_path("audit.log");
	const char *unused = h_path("unused.sock");
	char text[600], rule[600];
	struct proc p;
	struct result r;

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	const char *policy = h_file("policy", text, 0644);

	/*
	 * -s names another path: with a socket handed over, serve must not
	 * make its own (and without -s it would touch /run/fdbroker).
	 */
	p_start(&p,
		(char *[]){ "systemd-socket-activate", "--seqpacket", "-l", (char *)sock,
			    (char *)h_fdbroker(), "serve", "-p", (char *)policy, "-s", (char *)unused,
			    "--log", (char *)log, NULL },
		NULL, h_path("activate.err"));
	cr_assert_eq(wait_for_file(sock, WAIT_MS), 0, "%s", h_slurp(h_path("activate.err")));
	/* what SocketMode=0666 does in fdbroker.socket */
	cr_assert_eq(chmod(sock, 0666), 0);
	r = h_run((char *[]){ (char *)h_probe(), "open", (char *)secret, "r", NULL },
		  (char *[]){ h_preload_env(), env_kv("FDBROKER_SOCKET", sock), NULL }, true);
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0 && strstr(r.out, "data=root only data"),
		  "probe: %s%s\nactivate: %s", r.out, r.err, h_slurp(h_path("activate.err")));
	h_free(&r);
	snprintf(text, sizeof(text), "op=open object=%s ", secret);
	snprintf(rule, sizeof(rule), "verdict=allow rule=%s:1 errno=0", policy);
	log_line_says(log, text, (const char *[]){ "uid=65534", "prog=probe", rule, NULL });
	char *logtext = h_slurp(log);
	const char *serving = h_line_with(logtext, "serving ");
	cr_assert(*serving && !strstr(serving, unused), "%s", logtext);
	free(logtext);
	cr_assert_neq(access(unused, F_OK), 0, "serve made its own socket beside the activated one");
	cr_assert_eq(p_stop(&p), 0, "%s", h_slurp(h_path("activate.err")));
}

#define CLIENTS 8
#define RELOADS 100

/*
 * 3. 100 reloads while 8 clients ask without pause: every request is
 * answered and judged right, by one policy or the other.  Both policies
 * allow A and not B, by different rules, so a half-read policy would show.
 */
Test(serve, reload_under_load_loses_nothing)
{
	const char *a = h_file("allowed.txt", "A\n", 0600), *b = h_file("denied.txt", "B\n", 0600);
	const char *sock = h_path("broker.sock"), *log = h_path("audit.log");
	const char *stop = h_path("stop"), *policy = h_path("policy");
	char reloadprobe[512], v[2][1024], obj_a[600], obj_b[600];
	struct proc srv, cl[CLIENTS];
	struct follow f;
	long rounds = 0;

	snprintf(reloadprobe, sizeof(reloadprobe), "%s/tests/reloadprobe", FDB_BUILD_DIR);
	snprintf(v[0], sizeof(v[0]), "allow user nobody open %s read\n", a);
	snprintf(v[1], sizeof(v[1]),
		 "# the second version\n"
		 "deny user nobody open %s\n"
		 "allow group nogroup open %s read\n"
		 "deny any open %s\n", b, a, a);
	put_policy(policy, v[0]);
	start_serve(&srv, policy, sock, log);
	/* niced, so the broker and this test keep up: 100 reloads take a second or two */
	for (int i = 0; i < CLIENTS; i++) {
		p_start(&cl[i],
			(char *[]){ "nice", "-n", "10", "setpriv", "--reuid=nobody",
				    "--regid=nogroup", "--clear-groups", "env", h_preload_env(),
				    env_kv("FDBROKER_SOCKET", sock), reloadprobe, (char *)a, (char *)b,
				    (char *)stop, NULL },
			NULL, h_path("client.err"));
	}
	/* every client is in its loop before the first reload */
	for (int i = 0; i < CLIENTS; i++) {
		const char *line = p_line(&cl[i], WAIT_MS);

		cr_assert(line && !strcmp(line, "ready"), "client %d: %s", i, line ? line : "(none)");
	}
	follow_init(&f, log, "policy reloaded");
	for (int i = 1; i <= RELOADS; i++) {
		put_policy(policy, v[i % 2]);
		cr_assert_eq(kill(srv.pid, SIGHUP), 0);
		/* one at a time: a second SIGHUP before the first is handled would merge */
		cr_assert_eq(follow_wait(&f, i, WAIT_MS), 0, "reload %d not logged (%d seen)", i,
			     f.count);
	}
	follow_close(&f);
	h_file("stop", "", 0644);
	for (int i = 0; i < CLIENTS; i++) {
		const char *line = p_line(&cl[i], WAIT_MS);
		long n, abad, bbad;
		char first[128];

		cr_assert_not_null(line, "client %d said nothing", i);
		cr_assert_eq(sscanf(line, "done rounds=%ld allowed_bad=%ld denied_bad=%ld first=%127s",
				    &n, &abad, &bbad, first), 4, "client %d: %s", i, line);
		cr_assert(abad == 0 && bbad == 0, "client %d: %s", i, line);
		cr_assert_eq(p_wait(&cl[i]), 0);
		rounds += n;
	}

	cr_log_info("%d reloads during %ld rounds of %d clients", RELOADS, rounds, CLIENTS);
	/* the broker's side: one decision per request, each the right one */
	char *text = h_slurp(log);
	snprintf(obj_a, sizeof(obj_a), "op=open object=%s ", a);
	snprintf(obj_b, sizeof(obj_b), "op=open object=%s ", b);
	cr_assert_eq(h_count_lines(text, "policy reloaded", NULL), RELOADS);
	cr_assert_eq(h_count_lines(text, "refused", NULL), 0, "%s", h_line_with(text, "refused"));
	cr_assert_eq(h_count_lines(text, obj_a, NULL), rounds);
	cr_assert_eq(h_count_lines(text, obj_a, "verdict=allow"), rounds,
		     "A not always allowed: %s", h_line_with(text, "verdict=deny rule=default"));
	cr_assert_eq(h_count_lines(text, obj_b, NULL), rounds);
	cr_assert_eq(h_count_lines(text, obj_b, "verdict=deny"), rounds);
	/* each rule of either version did decide some requests */
	snprintf(obj_a, sizeof(obj_a), "rule=%s:1 ", policy);
	cr_assert_gt(h_count_lines(text, "verdict=allow", obj_a), 0);
	snprintf(obj_a, sizeof(obj_a), "rule=%s:3 ", policy);
	cr_assert_gt(h_count_lines(text, "verdict=allow", obj_a), 0);
	snprintf(obj_b, sizeof(obj_b), "rule=%s:2 ", policy);
	cr_assert_gt(h_count_lines(text, "verdict=deny", obj_b), 0);
	free(text);
	cr_assert_eq(p_stop(&srv), 0);
}

/*
 * 3b. A policy that does not parse is refused with FILE:LINE:COL and the old
 * one stays: had any of it been taken, its first line would deny A.
 */
Test(serve, broken_policy_reload_keeps_old_one)
{
	const char *a = h_file("allowed.txt", "A\n", 0600);
	const char *sock = h_path("broker.sock"), *log = h_path("audit.log");
	const char *policy = h_path("policy");
	char text[1024], where[700];
	struct result r;
	struct proc srv;
	char *env[] = { h_preload_env(), env_kv("FDBROKER_SOCKET", sock), NULL };

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", a);
	put_policy(policy, text);
	start_serve(&srv, policy, sock, log);
	snprintf(text, sizeof(text),
		 "deny any open %s\n"
		 "allow user nobody open %s read,frob\n", a, a);
	put_policy(policy, text);
	cr_assert_eq(kill(srv.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(log, "policy reload refused", WAIT_MS), 0, "%s", h_slurp(log));
	/* the column of "frob": 1-based, after "allow user nobody open A read," */
	snprintf(where, sizeof(where), "policy reload: %s:2:%zu: ", policy,
		 strlen("allow user nobody open ") + strlen(a) + strlen(" read,") + 1);
	char *logtext = h_slurp(log);
	cr_assert(strstr(logtext, where), "no '%s' in:\n%s", where, logtext);
	cr_assert(strstr(logtext, "the old policy stays"), "%s", logtext);
	cr_assert_eq(strstr(logtext, "policy reloaded"), NULL);
	free(logtext);

	r = h_run((char *[]){ (char *)h_probe(), "open", (char *)a, "r", NULL }, env, true);
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0 && strstr(r.out, "data=A"), "%s%s", r.out, r.err);
	h_free(&r);
	cr_assert_eq(p_stop(&srv), 0);
}

/* "CapEff:\t0000000000000400" -> the value of one /proc/PID/status field. */
static unsigned long long status_field(pid_t pid, const char *field)
{
	char path[64], key[64];
	unsigned long long v = ~0ULL;
	char *text;
	const char *line;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	snprintf(key, sizeof(key), "\n%s:", field);
	text = h_slurp(path);
	line = strstr(text, key);
	cr_assert_not_null(line, "no %s in %s", field, path);
	cr_assert_eq(sscanf(line + strlen(key), " %llx", &v), 1);
	free(text);
	return v;
}

/*
 * serve --no-supervise with policy text (supervising seccomp trees keeps
 * three capabilities more: caps_supervising_trees); assert what /proc says
 * it kept; returns it running.
 */
static void caps_kept(struct proc *srv, const char *text, unsigned long long want)
{
	const char *policy = h_path("policy"), *sock = h_path("broker.sock");
	const char *log = h_path("audit.log");

	put_policy(policy, text);
	p_start(srv, (char *[]){ (char *)h_fdbroker(), "serve", "--no-supervise", "-p",
				 (char *)policy, "-s", (char *)sock, "--log", (char *)log, NULL },
		NULL, h_path("serve.err"));
	cr_assert_eq(wait_for_text(log, "serving ", WAIT_MS), 0, "serve did not start:\n%s",
		     h_slurp(h_path("serve.err")));
	cr_assert_eq(status_field(srv->pid, "CapEff"), want, "CapEff %llx, want %llx",
		     status_field(srv->pid, "CapEff"), want);
	cr_assert_eq(status_field(srv->pid, "CapPrm"), want, "CapPrm %llx",
		     status_field(srv->pid, "CapPrm"));
	cr_assert_eq(status_field(srv->pid, "CapBnd"), want, "CapBnd %llx",
		     status_field(srv->pid, "CapBnd"));
	cr_assert_eq(status_field(srv->pid, "NoNewPrivs"), 1);
}

/*
 * 4. Only bind rules for privileged ports: CAP_NET_BIND_SERVICE (bit 10) and
 * nothing else, even in the bounding set; a reload that would need to read
 * files is refused, telling the administrator to restart.
 */
Test(serve, caps_bind_only_policy)
{
	const char *secret = h_file("rootonly", "x\n", 0600), *log = h_path("audit.log");
	char text[600];
	struct proc srv;

	caps_kept(&srv, "allow user nobody bind tcp 127.0.0.1:650\n"
			"allow user nobody bind udp *:651\n", 0x400);
	snprintf(text, sizeof(text),
		 "allow user nobody bind tcp 127.0.0.1:650\n"
		 "allow user nobody open %s read\n", secret);
	put_policy(h_path("policy"), text);
	cr_assert_eq(kill(srv.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(log, "policy reload refused", WAIT_MS), 0, "%s", h_slurp(log));
	char *logtext = h_slurp(log);
	const char *line = h_line_with(logtext, "policy reload refused");
	cr_assert(strstr(line, "restart") && strstr(line, "cap_dac_read_search"), "%s", line);
	free(logtext);
	/* the broker did not get anything back */
	cr_assert_eq(status_field(srv.pid, "CapEff"), 0x400);
	cr_assert_eq(status_field(srv.pid, "CapBnd"), 0x400);
	cr_assert_eq(p_stop(&srv), 0);
}

/* An open rule for reading keeps CAP_DAC_READ_SEARCH (bit 2), only that. */
Test(serve, caps_read_policy)
{
	const char *secret = h_file("rootonly", "x\n", 0600);
	char text[600];
	struct proc srv;

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	caps_kept(&srv, text, 0x4);
	cr_assert_eq(p_stop(&srv), 0);
}

/* Nothing privileged in the policy (a port above 1024): no capability at all. */
Test(serve, caps_none_needed)
{
	struct proc srv;

	caps_kept(&srv, "allow user nobody bind tcp 127.0.0.1:8080\n", 0);
	cr_assert_eq(p_stop(&srv), 0);
}

/*
 * Supervising what fdbroker exec hands over (the default) adds
 * CAP_SYS_PTRACE (bit 19), CAP_SETUID (7) and CAP_SETGID (6) to what the
 * rules need, and nothing else.
 */
Test(serve, caps_supervising_trees)
{
	const char *policy = h_path("policy"), *log = h_path("audit.log");
	unsigned long long want = 0x400 | 1ull << 19 | 1ull << 7 | 1ull << 6;
	struct proc srv;

	put_policy(policy, "allow user nobody bind tcp 127.0.0.1:650\n");
	start_serve(&srv, policy, h_path("broker.sock"), log);
	cr_assert_eq(status_field(srv.pid, "CapEff"), want, "CapEff %llx, want %llx",
		     status_field(srv.pid, "CapEff"), want);
	cr_assert_eq(status_field(srv.pid, "CapBnd"), want);
	cr_assert_eq(p_stop(&srv), 0);
}

/* make install from the tree these tests were built from, without rebuilding. */
static struct result make_install(const char *destdir, const char *prefix, const char *sysconf)
{
	static char src[512], build[512];
	char *argv[24];
	int n = 0;

	snprintf(src, sizeof(src), "%s", FDB_BUILD_DIR);
	snprintf(build, sizeof(build), "BUILD=%s", basename(src));
	snprintf(src, sizeof(src), "%s", FDB_BUILD_DIR);
	dirname(src);
	/* a sanitizer runtime preloaded into make and install would fail them on leaks */
	argv[n++] = "env";
	argv[n++] = "-u";
	argv[n++] = "LD_PRELOAD";
	argv[n++] = "make";
	argv[n++] = "-s";
	argv[n++] = "-C";
	argv[n++] = src;
	/* -o all: install what is built; never relink under the other tests' feet */
	argv[n++] = "-o";
	argv[n++] = "all";
	argv[n++] = build;
	argv[n++] = "install";
	argv[n++] = env_kv("PREFIX", prefix);
	if (destdir)
		argv[n++] = env_kv("DESTDIR", destdir);
	if (sysconf)
		argv[n++] = env_kv("SYSCONFDIR", sysconf);
	argv[n] = NULL;
	return h_run(argv, NULL, false);
}

static void installed(const char *root, const char *rel, mode_t mode)
{
	char path[700];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	cr_assert_eq(stat(path, &st), 0, "%s not installed", rel);
	cr_assert(S_ISREG(st.st_mode), "%s is not a file", rel);
	cr_assert_eq(st.st_mode & 07777, mode, "%s mode %o, want %o", rel, st.st_mode & 07777, mode);
}

/* 7. make install DESTDIR=... PREFIX=/usr: the tree the issue and the README describe. */
Test(serve, make_install_tree)
{
	const char *dest = h_dir("dest", 0755);
	char path[700];
	struct result r = make_install(dest, "/usr", NULL);

	cr_assert_eq(r.status, 0, "make install: %s%s", r.out, r.err);
	h_free(&r);
	installed(dest, "/usr/bin/fdbroker", 0755);
	installed(dest, "/usr/lib/fdbroker/libfdshim.so", 0644);
	installed(dest, "/usr/share/man/man5/fdbroker-policy.5", 0644);
	installed(dest, "/usr/share/man/man7/libfdshim.7", 0644);
	installed(dest, "/usr/share/man/man8/fdbroker.8", 0644);
	installed(dest, "/usr/lib/systemd/system/fdbroker.service", 0644);
	installed(dest, "/usr/lib/systemd/system/fdbroker.socket", 0644);
	installed(dest, "/etc/fdbroker/policy", 0644);
	snprintf(path, sizeof(path), "%s/usr/lib/systemd/system/fdbroker.service", dest);
	char *unit = h_slurp(path);
	cr_assert(strstr(unit, "ExecStart=/usr/bin/fdbroker serve"), "%s", unit);
	free(unit);
	/* the example policy installed as /etc/fdbroker/policy is valid */
	snprintf(path, sizeof(path), "%s/etc/fdbroker/policy", dest);
	r = h_run((char *[]){ (char *)h_fdbroker(), "check", "-p", path, NULL }, NULL, false);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	h_free(&r);
}

/* 7. The installed units pass systemd-analyze verify. */
Test(serve, units_pass_systemd_analyze_verify)
{
	const char *prefix = h_dir("prefix", 0755);
	char etc[600], service[700], socket_unit[700];
	struct result r;

	snprintf(etc, sizeof(etc), "%s/etc", prefix);
	r = make_install(NULL, prefix, etc);
	cr_assert_eq(r.status, 0, "make install: %s%s", r.out, r.err);
	h_free(&r);
	snprintf(service, sizeof(service), "%s/lib/systemd/system/fdbroker.service", prefix);
	snprintf(socket_unit, sizeof(socket_unit), "%s/lib/systemd/system/fdbroker.socket", prefix);
	r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "systemd-analyze", "verify", "--man=no", service, socket_unit, NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "systemd-analyze verify: %s%s", r.out, r.err);
	cr_assert_null(strstr(r.err, "fdbroker."), "warnings: %s", r.err);
	h_free(&r);
}
