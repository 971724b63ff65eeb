/*
 * The policies under examples/, as examples/README.md tells an
 * administrator to use them: each passes fdbroker check, decides its key
 * requests as the README says, and runs its real program under fdbroker
 * run: python http.server, nginx, dnsmasq, a raw ICMP prober, a backup job;
 * and the systemd unit static-httpd.service, whose ExecStart= (fdbroker
 * exec of a static busybox httpd) runs as its User= against a serve broker
 * on static-httpd.policy, in a network namespace of the test's own.
 *
 * The example files name the real ports (80, 443, 53) and paths
 * (/run/nginx.pid, /var/log/nginx/, /var/backups/db/); a test runs a copy
 * with its own port (680-699 here, one per test) and paths under its
 * temporary directory put in their place.  The users stay as written
 * (www-data, dnsmasq, backup, nobody) when the system has them, else
 * nobody stands in.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(examples, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

/* Every policy under examples/ must be named here, and each has a test below. */
static const char *const tested[] = { "fdbroker.policy",      "nginx.policy",
				      "python-http-server.policy", "dnsmasq.policy",
				      "blackbox-icmp.policy", "backup.policy",
				      "static-httpd.policy",  NULL };

static const char *example(const char *name)
{
	return h_srcfile("examples", name);
}

/*
 * examples/NAME as is, in the test's directory with mode 0644: fdbroker
 * refuses a policy others may write, and a checkout's modes and owners
 * (umask 002, a user's clone) are not the test's business.
 */
static const char *example_copy(const char *name)
{
	char *text = h_slurp_must(example(name));
	const char *path = h_file(name, text, 0644);

	free(text);
	return path;
}

/*
 * text with every `from` replaced by `to`, where `from` is not followed by
 * a letter or digit (so "*:80" is not the start of "*:8080").  Frees text.
 */
static char *subst(char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, len = 0;
	char *out;

	for (const char *at = text; (at = strstr(at, from)); at += fl)
		n++;
	out = malloc(strlen(text) + n * (tl + 1) + 1);
	cr_assert_not_null(out);
	for (const char *s = text, *at;; s = at + fl) {
		at = strstr(s, from);
		if (!at) {
			strcpy(out + len, s);
			break;
		}
		memcpy(out + len, s, (size_t)(at - s));
		len += (size_t)(at - s);
		if (at[fl] && (at[fl] == '_' || (at[fl] >= '0' && at[fl] <= '9') ||
			       (at[fl] >= 'a' && at[fl] <= 'z') || (at[fl] >= 'A' && at[fl] <= 'Z'))) {
			memcpy(out + len, from, fl);
			len += fl;
		} else {
			memcpy(out + len, to, tl);
			len += tl;
		}
	}
	free(text);
	return out;
}

/* The user of an example, or nobody where the system lacks it. */
static const char *user_or_nobody(const char *user)
{
	return getpwnam(user) ? user : "nobody";
}

/*
 * A copy of examples/NAME in the test's directory, with the pairs of
 * pairs[] ({ from, to, ..., NULL }) replaced, and the user renamed to
 * nobody when the system has no such user.
 */
static const char *policy_copy(const char *name, const char *user, const char *const pairs[])
{
	char *text = h_slurp_must(example(name));
	const char *path;

	for (int i = 0; pairs && pairs[i]; i += 2) {
		cr_assert(strstr(text, pairs[i]), "%s does not say '%s'", name, pairs[i]);
		text = subst(text, pairs[i], pairs[i + 1]);
	}
	if (strcmp(user_or_nobody(user), user)) {
		char from[64];

		snprintf(from, sizeof(from), "user %s ", user);
		text = subst(text, from, "user nobody ");
	}
	path = h_file(name, text, 0644);
	free(text);
	return path;
}

/* fdbroker run -u USER -p POLICY --log audit.log -- argv...: room for 48. */
static void run_argv(char **out, const char *user, const char *policy, char *const argv[])
{
	char *opts[] = { "-p", (char *)policy, NULL };

	h_run_argv(out, 48, user, policy ? opts : NULL, argv);
}

static struct result run_example(const char *user, const char *policy, char *const argv[])
{
	char *full[48];

	run_argv(full, user, policy, argv);
	return h_run(full, NULL, false);
}

static void owned_by(const char *path, const char *user)
{
	struct passwd *pw = getpwnam(user);
	struct stat st;

	cr_assert_not_null(pw);
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(st.st_uid, pw->pw_uid, "%s belongs to uid %u, not %s", path, st.st_uid, user);
}

/* ---- every example: check and explain -------------------------------- */

Test(examples, every_policy_checks_and_is_tested)
{
	DIR *d;
	struct dirent *e;
	char *readme = h_slurp_must(example("README.md"));
	int n = 0;

	d = opendir(example(""));
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		bool known = false;
		struct result r;

		if (!dot || strcmp(dot, ".policy"))
			continue;
		n++;
		for (int i = 0; tested[i]; i++)
			known |= !strcmp(tested[i], e->d_name);
		cr_expect(known, "examples/%s has no test in test_examples.c", e->d_name);
		cr_expect(strstr(readme, e->d_name), "examples/README.md does not mention %s", e->d_name);
		r = h_run((char *[]){ (char *)h_fdbroker(), "check", "-p",
				      (char *)example_copy(e->d_name), NULL },
			  NULL, false);
		cr_expect_eq(r.status, 0, "fdbroker check -p examples/%s:\n%s", e->d_name, r.err);
		cr_expect(strstr(r.out, ", no errors\n"), "check %s: '%s'", e->d_name, r.out);
		cr_expect_str_empty(r.err, "check %s: '%s'", e->d_name, r.err);
		h_free(&r);
	}
	closedir(d);
	cr_assert_eq(n, 7, "examples/ has %d policies, this test knows 7", n);
	free(readme);
}

/* What each example allows, and some of what it does not, as README.md says. */
Test(examples, explain_as_documented)
{
	static const struct {
		const char *file;
		const char *req[8];
		int status;
		const char *line;
	} cases[] = {
		{ "nginx.policy", { "-u", "www-data", "bind", "tcp", "0.0.0.0:443" }, 0,
		  "allow (%s:10)\n  allow user www-data bind tcp *:443\n" },
		{ "nginx.policy", { "-u", "www-data", "bind", "tcp", "[::]:80" }, 0, "allow (%s:9)" },
		{ "nginx.policy", { "-u", "www-data", "open", "/run/nginx.pid", "read,write,create" }, 0,
		  "allow (%s:14)" },
		{ "nginx.policy", { "-u", "www-data", "open", "/var/log/nginx/error.log", "write,create" },
		  0, "allow (%s:21)" },
		{ "nginx.policy", { "-u", "www-data", "bind", "tcp", "0.0.0.0:25" }, 1, "deny (default" },
		{ "nginx.policy", { "-u", "nobody", "bind", "tcp", "0.0.0.0:80" }, 1, "deny (default" },
		{ "python-http-server.policy", { "-u", "www-data", "bind", "tcp", "127.0.0.1:80" }, 0,
		  "allow (%s:7)" },
		{ "dnsmasq.policy", { "-u", "dnsmasq", "bind", "udp", "0.0.0.0:53" }, 0, "allow (%s:10)" },
		{ "dnsmasq.policy", { "-u", "dnsmasq", "bind", "tcp", "[::]:53" }, 0, "allow (%s:11)" },
		{ "dnsmasq.policy", { "-u", "dnsmasq", "bind", "udp", "0.0.0.0:67" }, 1, "deny (default" },
		{ "blackbox-icmp.policy", { "-u", "nobody", "socket", "inet", "raw", "icmp" }, 0,
		  "allow (%s:10)" },
		{ "blackbox-icmp.policy", { "-u", "nobody", "socket", "packet", "raw", "all" }, 1,
		  "deny (default" },
		{ "backup.policy", { "-u", "backup", "open", "/var/backups/db/dump.sql.gz" }, 0,
		  "allow (%s:10)" },
		{ "backup.policy", { "-u", "backup", "open", "/var/backups/db/dump.sql.gz", "write" }, 1,
		  "deny (default" },
		{ "fdbroker.policy", { "-u", "nobody", "open", "/etc/shadow" }, 1, "deny (%s:13)" },
		{ "static-httpd.policy", { "-u", "www-data", "bind", "tcp", "[::]:80" }, 0,
		  "allow (%s:9)" },
	};

	for (int i = 0; tested[i]; i++)
		example_copy(tested[i]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[16] = { (char *)h_fdbroker(), "explain", "-p", (char *)cases[i].file };
		char want[512];
		struct result r;
		int n = 4;

		/* a user this system lacks: explain says so, nothing to compare */
		if (!getpwnam(cases[i].req[1]))
			continue;
		for (int j = 0; cases[i].req[j]; j++)
			argv[n++] = (char *)cases[i].req[j];
		argv[n] = NULL;
		/* relative names, as README.md shows them: run where the copies are */
		r = h_run((char *[]){ "sh", "-c", "cd \"$0\" && exec \"$@\"", (char *)h_tmpdir(),
				      argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
				      argv[7], argv[8], argv[9], NULL },
			  NULL, false);
		/* want = line with its %s (if any) made the file name */
		{
			const char *pct = strstr(cases[i].line, "%s");

			if (pct)
				snprintf(want, sizeof(want), "%.*s%s%s", (int)(pct - cases[i].line),
					 cases[i].line, cases[i].file, pct + 2);
			else
				snprintf(want, sizeof(want), "%s", cases[i].line);
		}
		cr_expect_eq(r.status, cases[i].status, "explain %s %s %s: %d %s%s", cases[i].file,
			     cases[i].req[2], cases[i].req[4] ? cases[i].req[4] : cases[i].req[3],
			     r.status, r.out, r.err);
		cr_expect(!strncmp(r.out, want, strlen(want)), "explain %s %s: want '%s', got '%s'",
			  cases[i].file, cases[i].req[3], want, r.out);
		h_free(&r);
	}
}

/* ---- python http.server ---------------------------------------------- */

Test(examples, python_http_server)
{
	const char *user = user_or_nobody("www-data");
	const char *policy = policy_copy("python-http-server.policy", "www-data",
					 (const char *[]){ "*:80", "*:681", NULL });
	char *argv[48], out[4096];
	struct proc p;
	const char *line;

	h_file("index.html", "hello from the python example\n", 0644);
	run_argv(argv, user, policy,
		 (char *[]){ "python3", "-m", "http.server", "681", "--bind", "127.0.0.1",
			     "--directory", (char *)h_tmpdir(), NULL });
	p_start(&p, argv, (char *[]){ "PYTHONUNBUFFERED=1", NULL }, h_path("server.err"));
	line = p_line(&p, WAIT_MS);
	cr_assert(line && strstr(line, "Serving HTTP"), "http.server did not start: %s",
		  line ? line : "(no output)");
	cr_assert_gt(tcp_talk(NULL, 681, "GET /index.html HTTP/1.0\r\n\r\n", out, sizeof(out)), 0);
	cr_assert(strstr(out, "200 OK") && strstr(out, "hello from the python example"), "%s", out);
	p_stop(&p);
	h_audit_has("op=bind object=127.0.0.1:681 proto=tcp verdict=allow rule=");
	h_audit_has("python-http-server.policy:7 errno=0");
}

/* ---- nginx ------------------------------------------------------------ */

/*
 * nginx as the example runs it: master and workers as www-data from the
 * start, the broker binding both ports and opening the pid file and the
 * logs in root's directories (here TMP/run/ and TMP/log/, mode 0755).
 */
Test(examples, nginx)
{
	const char *user = user_or_nobody("www-data");
	const char *dir = h_tmpdir(), *run = h_dir("run", 0755), *logs = h_dir("log", 0755);
	char runpid[600], logdir[600], conf[2048], out[4096];
	const char *policy, *pid;
	struct proc p;
	FILE *f;

	snprintf(runpid, sizeof(runpid), "%s/nginx.pid", run);
	snprintf(logdir, sizeof(logdir), "%s/", logs);
	policy = policy_copy("nginx.policy", "www-data",
			     (const char *[]){ "*:80", "*:682", "*:443", "*:683", "/run/nginx.pid",
					       runpid, "/var/log/nginx/", logdir, NULL });
	pid = h_path("run/nginx.pid");
	h_file("index.html", "hello from the nginx example\n", 0644);
	h_dir("tmp", 0777); /* nginx makes its temporary directories here: mkdir is not brokered */
	snprintf(conf, sizeof(conf),
		 "daemon off; master_process on; worker_processes 2; pid %s;\n"
		 "error_log %s/log/error.log; events { worker_connections 64; }\n"
		 "http { access_log %s/log/access.log; client_body_temp_path %s/tmp/body;\n"
		 "  proxy_temp_path %s/tmp/proxy; fastcgi_temp_path %s/tmp/fcgi;\n"
		 "  uwsgi_temp_path %s/tmp/uwsgi; scgi_temp_path %s/tmp/scgi;\n"
		 "  server { listen 127.0.0.1:682; listen 127.0.0.1:683; root %s; } }\n",
		 pid, dir, dir, dir, dir, dir, dir, dir, dir);
	f = fopen(h_path("nginx.conf"), "w");
	cr_assert_not_null(f);
	fputs(conf, f);
	fclose(f);

	char *args[] = { "nginx", "-e", (char *)h_path("log/error.log"), "-c",
			 (char *)h_path("nginx.conf"), NULL };
	char *argv[48];

	run_argv(argv, user, policy, args);
	p_start(&p, argv, NULL, h_path("server.err"));
	/* nginx writes its pid file once its listeners are open */
	cr_assert_eq(wait_for_file(pid, WAIT_MS), 0, "nginx did not start");
	for (int port = 682; port <= 683; port++) {
		cr_assert_gt(tcp_talk(NULL, port, "GET /index.html HTTP/1.0\r\n\r\n", out, sizeof(out)),
			     0, "port %d", port);
		cr_assert(strstr(out, "hello from the nginx example"), "port %d: %s", port, out);
	}
	p_stop(&p);
	h_audit_has("op=bind object=127.0.0.1:682 proto=tcp verdict=allow");
	h_audit_has("op=bind object=127.0.0.1:683 proto=tcp verdict=allow");
	h_audit_has("/run/nginx.pid rights=read,write,create verdict=allow");
	h_audit_has("/log/access.log rights=write,create verdict=allow");
	/* what the broker creates belongs to the user who asked */
	owned_by(pid, user);
	owned_by(h_path("log/access.log"), user);
}

/* ---- dnsmasq ---------------------------------------------------------- */

/* A query for test.example, type A: "\x12\x34" id, RD, one question. */
static const unsigned char dns_query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	4,    't',  'e',  's',  't',  7,    'e',  'x',  'a',  'm',  'p',  'l',
	'e',  0,    0x00, 0x01, 0x00, 0x01,
};

/* The answer must carry our id, no error, one answer or more, and 127.0.0.9 last. */
static void dns_answer_ok(const unsigned char *a, ssize_t n, const char *how)
{
	cr_assert_geq(n, (ssize_t)sizeof(dns_query) + 16, "%s: answer of %zd bytes", how, n);
	cr_assert(a[0] == 0x12 && a[1] == 0x34, "%s: wrong id", how);
	cr_assert_eq(a[3] & 0x0f, 0, "%s: rcode %d", how, a[3] & 0x0f);
	cr_assert_geq((a[6] << 8) | a[7], 1, "%s: no answer", how);
	cr_assert(!memcmp(a + n - 4, "\x7f\x00\x00\x09", 4), "%s: not 127.0.0.9", how);
}

static void dns_udp(int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	unsigned char a[512];
	ssize_t n;

	cr_assert_eq(sendto(fd, dns_query, sizeof(dns_query), 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)sizeof(dns_query));
	cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "no UDP answer");
	n = recv(fd, a, sizeof(a), 0);
	close(fd);
	dns_answer_ok(a, n, "udp");
}

static void dns_tcp(int port)
{
	/* over TCP a DNS message has a 2-byte length first (tcp_talk sends strings: not this) */
	unsigned char q[2 + sizeof(dns_query)] = { 0, sizeof(dns_query) }, a[514];
	int n;

	memcpy(q + 2, dns_query, sizeof(dns_query));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), got = 0;

	cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0, "tcp: %s", strerror(errno));
	cr_assert_eq(write(fd, q, sizeof(q)), (ssize_t)sizeof(q));
	while (got < 2 || got < 2 + ((a[0] << 8) | a[1])) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };

		cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "no TCP answer");
		n = (int)read(fd, a + got, sizeof(a) - (size_t)got);
		cr_assert_gt(n, 0, "tcp: connection closed after %d bytes", got);
		got += n;
	}
	close(fd);
	dns_answer_ok(a + 2, got - 2, "tcp");
}

/*
 * Under the sanitizer run (make asan) the shim needs the ASan runtime
 * preloaded, and dnsmasq with that runtime hangs before it reads its
 * options (`LD_PRELOAD=libasan.so dnsmasq --version` does too, no fdbroker
 * involved).  There the policy is run with netprobe's UDP server and TCP
 * bind instead.
 */
static bool asan_preloaded(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, "libasan");
}

static void dnsmasq_policy_with_netprobe(const char *user, const char *policy)
{
	struct result r;

	r = run_example(user, policy, (char *[]){ (char *)h_netprobe(), "udp", "684", NULL });
	cr_assert(!strncmp(r.out, "ok got=pong", 11), "netprobe udp: %s%s", r.out, r.err);
	h_free(&r);
	r = run_example(user, policy,
			(char *[]){ (char *)h_netprobe(), "bind", "127.0.0.1", "684", "tcp", NULL });
	cr_assert(!strncmp(r.out, "ok fd=", 6), "netprobe bind tcp: %s%s", r.out, r.err);
	h_free(&r);
	h_audit_has("op=bind object=127.0.0.1:684 proto=udp verdict=allow");
	h_audit_has("op=bind object=127.0.0.1:684 proto=tcp verdict=allow");
}

Test(examples, dnsmasq)
{
	const char *user = user_or_nobody("dnsmasq"), *policy, *err;
	char *argv[48];
	struct proc p;

	policy = policy_copy("dnsmasq.policy", "dnsmasq",
			     (const char *[]){ "udp *:53", "udp *:684", "tcp *:53", "tcp *:684", NULL });
	if (asan_preloaded()) {
		dnsmasq_policy_with_netprobe(user, policy);
		return;
	}
	if (access("/usr/sbin/dnsmasq", X_OK) != 0)
		cr_skip_test("dnsmasq is not installed (Debian: dnsmasq-base; scripts/deps.sh)");
	err = h_path("server.err");
	run_argv(argv, user, policy,
		 (char *[]){ "/usr/sbin/dnsmasq", "--keep-in-foreground", "--log-facility=-",
			     "--pid-file=", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
			     "--port=684", "--listen-address=127.0.0.1", "--bind-interfaces",
			     "--address=/test.example/127.0.0.9", NULL });
	p_start(&p, argv, NULL, err);
	/* dnsmasq says "started" once its sockets are bound */
	cr_assert_eq(wait_for_text(err, "started, version", WAIT_MS), 0, "dnsmasq did not start");
	dns_udp(684);
	dns_tcp(684);
	p_stop(&p);
	h_audit_has("op=bind object=127.0.0.1:684 proto=udp verdict=allow");
	h_audit_has("op=bind object=127.0.0.1:684 proto=tcp verdict=allow");
	h_audit_has("dnsmasq.policy:11 errno=0");
}

/* ---- blackbox ICMP prober -------------------------------------------- */

Test(examples, blackbox_icmp)
{
	const char *policy = policy_copy("blackbox-icmp.policy", "nobody", NULL);
	char *probe = (char *)example("icmp-probe.py");
	struct result r;

	/* the raw-socket client of the test suite */
	r = run_example("nobody", policy, (char *[]){ (char *)h_netprobe(), "icmp", NULL });
	cr_assert_eq(r.status, 0, "netprobe icmp: %s%s", r.out, r.err);
	cr_assert(!strncmp(r.out, "ok echo reply", 13), "%s", r.out);
	h_free(&r);
	/* the example prober, with the policy and without */
	r = run_example("nobody", policy, (char *[]){ "python3", probe, "127.0.0.1", NULL });
	cr_assert_eq(r.status, 0, "icmp-probe.py: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "probe_success{target=\"127.0.0.1\"} 1\n"), "%s", r.out);
	cr_assert(strstr(r.out, "probe_icmp_rtt_seconds{target=\"127.0.0.1\"} "), "%s", r.out);
	h_free(&r);
	h_audit_has("prog=python3 op=socket object=inet/raw/1 verdict=allow");
	r = run_example("nobody", NULL,
			(char *[]){ "python3", probe, "--timeout", "1", "127.0.0.1", NULL });
	cr_assert_eq(r.status, 1, "icmp-probe.py without a rule: %s%s", r.out, r.err);
	cr_assert(strstr(r.out, "probe_success{target=\"127.0.0.1\"} 0\n"), "%s", r.out);
	cr_assert(strstr(r.err, "Operation not permitted"), "%s", r.err);
	h_free(&r);
}

/* ---- backup job ------------------------------------------------------- */

Test(examples, backup_reads_root_only_dump)
{
	const char *user = user_or_nobody("backup");
	const char *db = h_dir("db", 0700), *policy, *dump;
	char dbdir[600], script[1400];
	struct result r;

	snprintf(dbdir, sizeof(dbdir), "%s/", db);
	policy = policy_copy("backup.policy", "backup",
			     (const char *[]){ "/var/backups/db/", dbdir, NULL });
	dump = h_file("db/dump.sql", "-- dump of db\nCREATE TABLE t (x int);\n", 0600);
	h_file("secret", "not for backup\n", 0600);
	/* as the job itself: the shell and its cat both get the shim */
	snprintf(script, sizeof(script), "cat %s | wc -c; cat %s", dump, dump);
	r = run_example(user, policy, (char *[]){ "sh", "-c", script, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "38\n-- dump of db\nCREATE TABLE t (x int);\n");
	h_free(&r);
	h_audit_has("prog=cat op=open object=");
	h_audit_has("/db/dump.sql rights=read verdict=allow");
	/* read only, and only below the directory */
	snprintf(script, sizeof(script), "echo x >> %s", dump);
	r = run_example(user, policy, (char *[]){ "sh", "-c", script, NULL });
	cr_assert_neq(r.status, 0, "the dump was written to");
	h_free(&r);
	r = run_example(user, policy, (char *[]){ "cat", (char *)h_path("secret"), NULL });
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
	h_free(&r);
	/* and untouched: still root's, mode 0600, same bytes */
	owned_by(dump, "root");
	r = h_run((char *[]){ "cat", (char *)dump, NULL }, NULL, false);
	cr_assert_str_eq(r.out, "-- dump of db\nCREATE TABLE t (x int);\n");
	h_free(&r);
}

/* ---- a static web server as a systemd service, through fdbroker exec -- */

/* The value of the unit's KEY= line (static buffer); asserts there is one. */
static const char *unit_value(const char *unit, const char *key)
{
	static char buf[4][512];
	static int i;
	size_t klen = strlen(key);

	for (const char *at = unit; at; at = strchr(at, '\n'), at = at ? at + 1 : NULL)
		if (!strncmp(at, key, klen) && at[klen] == '=') {
			i = (i + 1) % 4;
			snprintf(buf[i], sizeof(buf[i]), "%.*s", (int)strcspn(at + klen + 1, "\n"),
				 at + klen + 1);
			return buf[i];
		}
	cr_assert_fail("the unit has no %s= line", key);
	return NULL;
}

/*
 * The unit's ExecStart= word for word, as its User= (its group and
 * supplementary groups, as systemd sets them), with three changes for a
 * test: the built fdbroker for /usr/local/bin/fdbroker, -s the test's
 * broker after "exec", and the test's directory for /var/www.  Port 80 is
 * that of the test's own network namespace.
 */
Test(examples, static_httpd_service)
{
	char *unit = h_slurp_must(example("static-httpd.service"));
	char *readme = h_slurp_must(example("README.md"));
	const char *user = user_or_nobody(unit_value(unit, "User"));
	const char *www = h_dir("www", 0755), *policy;
	char exec_start[512], uid[64], gid[64], *argv[48], *save = NULL;
	struct passwd *pw = getpwnam(user);
	struct served s;
	struct proc p;
	struct result r;
	int n = 0;

	cr_assert_str_eq(unit_value(unit, "BindsTo"), "fdbroker.service");
	cr_assert_str_eq(unit_value(unit, "After"), "fdbroker.service");
	cr_assert(strstr(readme, "static-httpd.service"), "examples/README.md does not mention it");
	snprintf(exec_start, sizeof(exec_start), "%s", unit_value(unit, "ExecStart"));
	cr_assert_not_null(pw);
	snprintf(uid, sizeof(uid), "--reuid=%s", user);
	snprintf(gid, sizeof(gid), "--regid=%u", (unsigned)pw->pw_gid);
	policy = policy_copy("static-httpd.policy", "www-data", NULL);
	h_file("www/index.html", "hello from the static example\n", 0644);
	h_own_netns(NULL);
	served_start(&s, policy, WAIT_MS);

	argv[n++] = "setpriv";
	argv[n++] = uid;
	argv[n++] = gid;
	argv[n++] = "--init-groups";
	for (char *w = strtok_r(exec_start, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		cr_assert_lt(n, 44);
		if (!strcmp(w, "/usr/local/bin/fdbroker"))
			w = (char *)h_fdbroker();
		else if (!strcmp(w, "/var/www"))
			w = (char *)www;
		argv[n++] = w;
		if (!strcmp(w, "exec")) {
			argv[n++] = "-s";
			argv[n++] = (char *)s.sock;
		}
	}
	argv[n] = NULL;
	cr_assert_str_eq(argv[4], h_fdbroker(), "ExecStart= does not start with the fdbroker path");
	p_start(&p, argv, NULL, h_path("server.err"));
	h_wait_port(80);
	r = h_run((char *[]){ "timeout", "30", "curl", "-sS", "--noproxy", "*", "--max-time", "20",
			      "http://127.0.0.1:80/index.html", NULL },
		  (char *[]){ "LD_PRELOAD=", NULL }, false);
	cr_assert_eq(r.status, 0, "curl: %s", r.err);
	cr_assert_str_eq(r.out, "hello from the static example\n");
	h_free(&r);
	cr_assert_eq(p_stop(&p), 128 + SIGTERM, "%s", h_slurp(h_path("server.err")));
	cr_assert_eq(served_stop(&s), 0);
	h_audit_has(": supervised under the seccomp filter");
	h_audit_has("prog=busybox op=bind object=");
	h_audit_has(":80 proto=tcp verdict=allow rule=");
	h_audit_has("static-httpd.policy:9 errno=0 via=seccomp");
	free(unit);
	free(readme);
}
