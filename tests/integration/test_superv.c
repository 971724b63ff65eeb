/*
 * fdbroker exec hands programs the shim cannot enter over to a real
 * fdbroker serve (issue 18), run as unprivileged users through setpriv:
 *
 *   - acceptance 1: a static busybox cat of a root-only file, as nobody
 *     with a rule, prints it; as daemon, without one, gets EACCES;
 *   - acceptance 2: a Go net/http server on port 80 (a network namespace of
 *     the test's own) is reached by curl;
 *   - acceptance 4: 1,000 exec'd programs come and go: serve's descriptors
 *     are back to their baseline after each, its RSS flat between the
 *     100th and the 1,000th;
 *   - acceptance 5: a reload without the rule makes the next open of a
 *     program already supervised fail with EACCES;
 *   - --via preload as before, auto choosing per program; --via seccomp
 *     against no broker, or one that does not supervise, runs the program
 *     without the filter and says so; a handed-over program has no
 *     LD_PRELOAD.
 *
 * Acceptance 3 (a listener of another process) is test_handover.c's.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
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

#include "goprog.h"
#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(superv, .fini = p_suite_fini, .timeout = 120);

#define WAIT_MS 20000
#define MAX_ARGS 40
#define CYCLES 1000
#define RSS_FROM 100
#define RSS_SLACK_KB 256

static const char *fileprobe(void)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/tests/static/fileprobe", FDB_BUILD_DIR);
	return buf;
}

/* A policy file letting nobody read secret. */
static const char *policy_for(const char *secret)
{
	char text[600];

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	return h_file("policy", text, 0644);
}

/*
 * setpriv as user (its own group, no others) fdbroker exec -s sock [--via
 * via] -- argv... into out (room for MAX_ARGS, NULL-terminated).
 */
static void exec_argv(char **out, const char *user, const char *via, const char *sock,
		      char *const argv[])
{
	static char ids[2][64];
	struct passwd *pw = getpwnam(user);
	int n = 0;

	cr_assert_not_null(pw, "no user %s", user);
	snprintf(ids[0], sizeof(ids[0]), "--reuid=%u", (unsigned)pw->pw_uid);
	snprintf(ids[1], sizeof(ids[1]), "--regid=%u", (unsigned)pw->pw_gid);
	out[n++] = "setpriv";
	out[n++] = ids[0];
	out[n++] = ids[1];
	out[n++] = "--clear-groups";
	out[n++] = (char *)h_fdbroker();
	out[n++] = "exec";
	out[n++] = "-s";
	out[n++] = (char *)sock;
	if (via) {
		out[n++] = "--via";
		out[n++] = (char *)via;
	}
	out[n++] = "--";
	for (int i = 0; argv[i]; i++) {
		cr_assert_lt(n, MAX_ARGS - 1, "too many arguments");
		out[n++] = argv[i];
	}
	out[n] = NULL;
}

/* The same, run to completion; env as for h_run. */
static struct result exec_as(const char *user, const char *via, const char *sock,
			     char *const argv[], char *const env[])
{
	char *full[MAX_ARGS];

	exec_argv(full, user, via, sock, argv);
	return h_run(full, env, false);
}

/* --- acceptance 1: a static program reads a root-only file by the rule --- */

Test(superv, busybox_cat_of_root_only_file_as_nobody_refused_as_daemon)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start(&s, policy_for(secret), WAIT_MS);
	r = exec_as("nobody", NULL, s.sock, (char *[]){ "/bin/busybox", "cat", (char *)secret, NULL },
		    NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	cr_assert_str_empty(r.err);
	h_free(&r);
	h_audit_has("uid=65534 prog=fdbroker: supervised under the seccomp filter");
	h_audit_has("prog=busybox op=open object=");
	h_audit_has("rights=read verdict=allow rule=");
	h_audit_has("errno=0 via=seccomp");

	/* daemon has no rule: supervised all the same, and refused as the kernel refuses it */
	r = exec_as("daemon", NULL, s.sock, (char *[]){ "/bin/busybox", "cat", (char *)secret, NULL },
		    NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
	h_free(&r);
	h_audit_has("uid=1 prog=fdbroker: supervised under the seccomp filter");
	cr_assert_eq(served_stop(&s), 0);
}

/* --- acceptance 2: a Go server on a port below 1024 --- */

Test(superv, go_http_server_on_port_80_reached_by_curl)
{
	const char *go = h_goprobe();
	char *argv[MAX_ARGS];
	struct served s;
	struct proc p;
	const char *line;

	/* port 80 of a namespace of this test's own: no other test meets it */
	h_own_netns(NULL);
	served_start(&s, h_file("policy", "allow user nobody bind tcp *:80\n", 0644), WAIT_MS);
	exec_argv(argv, "nobody", NULL, s.sock, (char *[]){ (char *)go, "http", ":80", NULL });
	p_start(&p, argv, NULL, h_path("server.err"));
	line = p_line(&p, WAIT_MS);
	cr_assert(line && !strcmp(line, "ready"), "go server: %s %s", line ? line : "(no output)",
		  h_slurp(h_path("server.err")));
	cr_assert_str_eq(h_curl("http://127.0.0.1:80/"), "hello from go\n");
	cr_assert_eq(p_stop(&p), 128 + SIGTERM);
	h_audit_has("uid=65534 prog=fdbroker: supervised under the seccomp filter");
	h_audit_has("prog=goprobe op=bind object=");
	h_audit_has(":80 proto=tcp verdict=allow rule=");
	cr_assert_eq(served_stop(&s), 0);
}

/* --- acceptance 4: trees come and go, the broker keeps nothing of them --- */

/* The broker's descriptors whose /proc link starts with prefix. */
static int fds_like(const struct served *s, const char *prefix)
{
	char dir[64], path[320], link[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)s->proc.pid);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0 && !strncmp(link, prefix, strlen(prefix)))
			n++;
	}
	closedir(d);
	return n;
}

/* Bounded polling of the broker's descriptor count until it is base again. */
static void fds_back_to(const struct served *s, int base, int cycle)
{
	long deadline = h_now_ms() + WAIT_MS;
	int n;

	while ((n = served_fds(s)) != base) {
		cr_assert_lt(h_now_ms(), deadline, "tree %d: broker descriptors: %d, baseline %d",
			     cycle, n, base);
		poll(NULL, 0, 1);
	}
}

/*
 * The broker's baseline once a first tree has come and gone: its
 * listener and connection closed (no seccomp listener, sockets as before),
 * and what the first tree started for good, the worker pool that reads
 * targets' memory (its eventfd), still there.
 */
static int baseline_after_first_tree(const struct served *s, int sockets)
{
	long deadline = h_now_ms() + WAIT_MS;

	while (fds_like(s, "anon_inode:seccomp notify") || fds_like(s, "socket:") != sockets) {
		cr_assert_lt(h_now_ms(), deadline, "the first tree's listener and connection stay");
		poll(NULL, 0, 1);
	}
	return served_fds(s);
}

Test(superv, exec_trees_come_and_go_without_leaks, .timeout = 400)
{
	char *argv[MAX_ARGS];
	struct served s;
	long rss_from = -1, rss_end, n;
	int sockets, base;
	char *log;

	served_start(&s, h_file("policy", "", 0644), WAIT_MS);
	sockets = fds_like(&s, "socket:");
	exec_argv(argv, "nobody", NULL, s.sock, (char *[]){ "/bin/busybox", "true", NULL });
	for (int i = 1; i <= CYCLES; i++) {
		struct result r = h_run(argv, NULL, false);

		/* nothing said: handed over, not run without the filter */
		cr_assert(r.status == 0 && !r.err[0], "tree %d: status %d: %s", i, r.status, r.err);
		h_free(&r);
		if (i == 1) {
			base = baseline_after_first_tree(&s, sockets);
			cr_assert_leq(base, s.base_fds + 1, "the first tree left %d descriptors",
				      base - s.base_fds);
		}
		fds_back_to(&s, base, i);
		if (i == RSS_FROM)
			rss_from = served_rss_kb(&s);
	}
	rss_end = served_rss_kb(&s);
	/*
	 * under the sanitizer build ASan keeps freed memory in quarantine
	 * (about 12 KiB a tree here), so RSS says little there and the slack
	 * widens; LeakSanitizer checks the broker at its exit instead
	 * (served_stop below must be 0)
	 */
	cr_assert_leq(rss_end - rss_from,
		      getenv("FDB_SANITIZER") && !strcmp(getenv("FDB_SANITIZER"), "1") ? 32768
										  : RSS_SLACK_KB,
		      "VmRSS %ld kB after %d trees, %ld kB after %d",
		      rss_from, RSS_FROM, rss_end, CYCLES);
	log = h_slurp(s.log);
	n = h_count_lines(log, "supervised under the seccomp filter (trees of uid 65534: 1)", NULL);
	free(log);
	/* each tree was the uid's only one: the one before had been given back */
	cr_assert_eq(n, CYCLES, "%ld of %d trees supervised as the uid's only one", n, CYCLES);
	cr_assert_eq(served_stop(&s), 0);
}

/* --- acceptance 5: a reload reaches a program already supervised --- */

/*
 * fileprobe as nobody through `fdbroker exec` against s, reading secret
 * once per line written to the FILE returned (a fifo, its stdin, given to
 * it by sh as root).
 */
static FILE *lines_start(struct served *s, struct proc *p, const char *policy, const char *secret)
{
	const char *fifo = h_path("lines");
	char *argv[MAX_ARGS] = { "sh", "-c", "exec \"$@\" <\"$0\"", (char *)fifo };
	FILE *f;

	cr_assert_eq(mkfifo(fifo, 0600), 0, "%s", strerror(errno));
	served_start(s, policy, WAIT_MS);
	exec_argv(argv + 4, "nobody", NULL, s->sock,
		  (char *[]){ (char *)fileprobe(), "lines", (char *)secret, NULL });
	p_start(p, argv, NULL, h_path("probe.err"));
	f = fopen(fifo, "w");
	cr_assert_not_null(f, "%s", strerror(errno));
	return f;
}

/* One more read: its result line must be want. */
static void lines_read(struct proc *p, FILE *f, const char *want)
{
	const char *line;

	fputs("1\n", f);
	fflush(f);
	line = p_line(p, WAIT_MS);
	cr_assert(line && !strcmp(line, want), "%s, not %s: %s", line ? line : "(none)", want,
		  h_slurp(h_path("probe.err")));
}

/* A reload of the policy file, seen in serve's log. */
static void reload_to(struct served *s, const char *text)
{
	h_file("policy", text, 0644);
	cr_assert_eq(kill(s->proc.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(s->log, "policy reloaded", WAIT_MS), 0, "%s", h_slurp(s->log));
}

Test(superv, reload_without_the_rule_refuses_the_next_open_of_a_running_program)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct proc p;
	FILE *f = lines_start(&s, &p, policy_for(secret), secret);

	lines_read(&p, f, "the secret");
	reload_to(&s, "# the rule is gone\n");
	lines_read(&p, f, "err EACCES");
	fclose(f);
	cr_assert_eq(p_wait(&p), 0);
	h_audit_has("uid=65534 prog=fdbroker: supervised under the seccomp filter");
	h_audit_has("prog=fileprobe op=open object=");
	cr_assert_eq(served_stop(&s), 0);
}

/*
 * The other way round: a running program's open of a file no rule named
 * (passed to the kernel by the prefilter, front/prefilter.h) is granted
 * once a reload brings the rule: the prefilter is the policy's in force.
 */
Test(superv, reload_with_the_rule_grants_the_next_open_of_a_running_program)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	const char *other = h_file("other", "other\n", 0600);
	char text[600];
	struct served s;
	struct proc p;
	FILE *f = lines_start(&s, &p, policy_for(other), secret);

	lines_read(&p, f, "err EACCES");
	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	reload_to(&s, text);
	lines_read(&p, f, "the secret");
	fclose(f);
	cr_assert_eq(p_wait(&p), 0);
	cr_assert_eq(served_stop(&s), 0);
	h_audit_has("prog=fileprobe op=open object=");
}

/*
 * Threads of pid that still have capability bit in CapEff or CapPrm, as
 * "TID " words into out (room for cap); how many threads there were.  The
 * bounding set stays as the broker's start left it (shrinking it needs
 * CAP_SETPCAP, given up then; under no_new_privs no exec gains from it).
 */
static int threads_with(pid_t pid, int bit, char *out, size_t cap)
{
	char dir[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	out[0] = '\0';
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		static const char *const sets[] = { "\nCapEff:", "\nCapPrm:" };
		char path[340];
		char *text;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, e->d_name);
		text = h_slurp(path);
		if (!text[0]) { /* ended meanwhile */
			free(text);
			continue;
		}
		n++;
		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
			const char *at = strstr(text, sets[i]);
			unsigned long long v = 0;

			if (at && sscanf(at + strlen(sets[i]), " %llx", &v) == 1 && (v >> bit & 1)) {
				size_t used = strlen(out);

				snprintf(out + used, cap - used, "%s ", e->d_name);
				break;
			}
		}
		free(text);
	}
	closedir(d);
	return n;
}

/*
 * Each thread has its own capabilities: a reload that gives one up
 * (cap_dac_read_search, bit 2, the open rule's) takes it from every thread
 * of the broker, the readers and workers that served a supervised program
 * among them, not only from the one that reloaded (a reader before it
 * serves the next notification).
 */
Test(superv, reload_that_gives_up_a_capability_takes_it_from_every_thread)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	char left[512] = "";
	struct served s;
	struct proc p;
	FILE *f = lines_start(&s, &p, policy_for(secret), secret);
	long deadline;
	int threads;

	char main_tid[16];

	lines_read(&p, f, "the secret");
	threads = threads_with(s.proc.pid, 2, left, sizeof(left));
	cr_assert_gt(threads, 1, "serve has %d thread(s) after a supervised open", threads);
	/* a thread of its own, not only the one that reloads, had it */
	snprintf(main_tid, sizeof(main_tid), "%d ", (int)s.proc.pid);
	cr_assert(strcmp(left, main_tid) != 0 && left[0], "threads with cap_dac_read_search: %s",
		  left);
	reload_to(&s, "# the rule is gone\n");
	/* the reader gives it up before it serves this one; the rest are woken */
	lines_read(&p, f, "err EACCES");
	/* woken threads give it up on their own time: wait for it, not for a time */
	deadline = h_now_ms() + WAIT_MS;
	do
		threads_with(s.proc.pid, 2, left, sizeof(left));
	while (left[0] && h_now_ms() < deadline && usleep(10000) == 0);
	cr_assert_eq(left[0], '\0', "threads that kept cap_dac_read_search: %s", left);
	fclose(f);
	cr_assert_eq(p_wait(&p), 0);
	cr_assert_eq(served_stop(&s), 0);
}

/* --- the other ways --- */

Test(superv, via_preload_gives_a_glibc_program_the_shim)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start(&s, policy_for(secret), WAIT_MS);
	r = exec_as("nobody", "preload", s.sock, (char *[]){ "cat", (char *)secret, NULL }, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	h_free(&r);
	h_audit_has("prog=cat op=open object=");
	h_audit_lacks("via=seccomp");
	h_audit_lacks("supervised under");
	cr_assert_eq(served_stop(&s), 0);
}

/* auto: the shim for cat, the filter for busybox; FDBROKER_DEBUG=1 says which and why */
Test(superv, via_auto_chooses_per_program)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start(&s, policy_for(secret), WAIT_MS);
	r = exec_as("nobody", NULL, s.sock, (char *[]){ "cat", (char *)secret, NULL },
		    (char *[]){ "FDBROKER_DEBUG=1", NULL });
	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker: /usr/bin/cat: via preload (loaded by glibc's ") ||
		  strstr(r.err, "fdbroker: /bin/cat: via preload (loaded by glibc's "), "%s", r.err);
	h_free(&r);
	r = exec_as("nobody", NULL, s.sock, (char *[]){ "/bin/busybox", "cat", (char *)secret, NULL },
		    (char *[]){ "FDBROKER_DEBUG=1", NULL });
	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker: /bin/busybox: via seccomp (statically linked)"), "%s",
		  r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}

/* Handed over, the filter covers the tree: exec takes LD_PRELOAD out. */
Test(superv, handed_over_program_has_no_ld_preload)
{
	const char *pre = getenv("LD_PRELOAD");
	char env[1024];
	struct served s;
	struct result r;

	/* under make asan the sanitizer runtime is there already, and must stay first */
	snprintf(env, sizeof(env), "LD_PRELOAD=%s", pre && *pre ? pre : "libc.so.6");
	served_start(&s, h_file("policy", "", 0644), WAIT_MS);
	r = exec_as("nobody", "seccomp", s.sock, (char *[]){ "/bin/busybox", "env", NULL },
		    (char *[]){ env, NULL });
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "PATH="), "%s", r.out);
	cr_assert(!strstr(r.out, "LD_PRELOAD="), "%s", r.out);
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}

Test(superv, via_seccomp_without_a_broker_runs_without_the_filter)
{
	const char *pub = h_file("public", "for anyone\n", 0644);
	struct result r;

	r = exec_as("nobody", "seccomp", h_path("no.sock"),
		    (char *[]){ "/bin/busybox", "cat", (char *)pub, NULL }, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "for anyone\n");
	cr_assert(strstr(r.err, "fdbroker exec: /bin/busybox runs without the seccomp filter: "
				"cannot reach the broker: No such file or directory\n"),
		  "%s", r.err);
	h_free(&r);
}

Test(superv, via_seccomp_against_no_supervise_runs_without_the_filter)
{
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct served s;
	struct result r;

	served_start_args(&s, policy_for(secret), (char *[]){ "--no-supervise", NULL }, WAIT_MS);
	r = exec_as("nobody", "seccomp", s.sock,
		    (char *[]){ "/bin/busybox", "cat", (char *)secret, NULL }, NULL);
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.err, "fdbroker exec: /bin/busybox runs without the seccomp filter: this "
				"broker does not supervise programs under the seccomp filter\n"),
		  "%s", r.err);
	cr_assert(strstr(r.err, "Permission denied"), "%s", r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&s), 0);
}
