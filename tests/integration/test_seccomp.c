/*
 * The seccomp front end (issue 16, acceptance 1-5 and 7): programs the
 * shim cannot enter, run as nobody by `fdbroker run`, get the policy all
 * the same: gcc -static and musl-gcc programs (tests/seccomp/, built by the
 * Makefile into tests/static/ and tests/musl/), Debian's busybox-static, a
 * Go program (tests/go/goprobe, built here), a glibc program making raw
 * system calls (tests/bin/sysopen.c); and hostile targets: a path buffer
 * flipped under the broker's eyes, targets SIGKILLed with calls pending.
 *
 * Granted calls say via=seccomp at the end of their audit line; a call no
 * rule could grant goes on to the kernel and leaves no line.
 *
 * Ports: the tests on port 80 (busybox httpd, Go net/http) and 53 (Go
 * UDP) each run in a network namespace of their own (h_own_netns), so they
 * never meet each other or another suite; port 811 (sockprobe bind) is
 * bound in the host's namespace, 812 refused there.
 *
 * LD_PRELOAD is taken from the environment of the runs (env -u): under
 * make asan it names the sanitizer runtime, which the musl loader would
 * try to load into a musl program; a user's environment has none.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "goprog.h"
#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(seccomp, .fini = p_suite_fini, .timeout = 240);

#define MAX_ARGS 48
#define WAIT_MS 30000

/* build/tests/KIND/NAME: KIND static or musl (tests/seccomp/NAME.c) */
static const char *prog(const char *kind, const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/tests/%s/%s", FDB_BUILD_DIR, kind, name);
	return buf[i];
}

static const char *sysopen(void)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/tests/sysopen", FDB_BUILD_DIR);
	return buf;
}

/*
 * env -u LD_PRELOAD fdbroker run -u nobody [--via VIA] [-a RULE]... --log
 * h_path("audit.log") -- ARGV... into out (room for MAX_ARGS).  Under
 * --via preload the environment stays: a sanitizer runtime must come
 * first in LD_PRELOAD there, before the shim.
 */
static void run_argv(char **out, const char *via, char *const rules[], char *const argv[])
{
	bool keep_env = via && !strcmp(via, "preload");
	char *opts[MAX_ARGS];
	int n = 0;

	if (via) {
		opts[n++] = "--via";
		opts[n++] = (char *)via;
	}
	for (int i = 0; rules && rules[i] && n < MAX_ARGS - 2; i++) {
		opts[n++] = "-a";
		opts[n++] = rules[i];
	}
	opts[n] = NULL;
	out[0] = "env";
	out[1] = "-u";
	out[2] = "LD_PRELOAD";
	h_run_argv(out + (keep_env ? 0 : 3), MAX_ARGS - 3, "nobody", opts, argv);
}

static struct result run(const char *via, char *const rules[], char *const argv[])
{
	char *full[MAX_ARGS];

	run_argv(full, via, rules, argv);
	return h_run(full, NULL, false);
}

/* Run to completion; its stdout must be want. */
static void expect(const char *via, char *const rules[], char *const argv[], const char *want)
{
	struct result r = run(via, rules, argv);

	cr_assert_str_eq(r.out, want, "%s %s: stdout '%s', stderr '%s'", argv[0],
			 argv[1] ? argv[1] : "", r.out, r.err);
	h_free(&r);
}

/* The whole audit log of this test (h_audit stops at 64 KiB). */
static char *audit_log(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/audit.log", h_tmpdir());
	return h_slurp(path);
}

/* Lines of the audit log holding a and b. */
static long audit_lines(const char *a, const char *b)
{
	char *log = audit_log();
	long n = h_count_lines(log, a, b);

	free(log);
	return n;
}

/* The audit line of a granted open of path under rule -a:N, by the seccomp way. */
static void audit_open_granted(const char *path, int n)
{
	char want[700];

	snprintf(want, sizeof(want), "op=open object=%s rights=read verdict=allow rule=-a:%d "
		 "errno=0 via=seccomp", path, n);
	h_audit_has(want);
}

static char rule_buf[8][700];
static int rule_i;

/* "open PATH RIGHTS" (DIR "/" for a directory's files), in a buffer that lasts the test. */
static char *open_rule(const char *path, const char *dir, const char *rights)
{
	rule_i = (rule_i + 1) % 8;
	snprintf(rule_buf[rule_i], sizeof(rule_buf[0]), "open %s%s %s", path, dir, rights);
	return rule_buf[rule_i];
}

static char *file_rule(const char *path)
{
	return open_rule(path, "", "read");
}

static char *dir_rule(const char *dir, const char *rights)
{
	return open_rule(dir, "/", rights);
}

/* Start a server under the broker: its stdout is p's, its stderr server.err. */
static void start(struct proc *p, char *const rules[], char *const argv[])
{
	char *full[MAX_ARGS];

	run_argv(full, NULL, rules, argv);
	p_start(p, full, NULL, h_path("server.err"));
}

/* --- 1: a gcc -static program --- */

Test(seccomp, static_program_reads_root_only_file_under_open_rule)
{
	const char *f = h_file("secret", "the secret\n", 0600);

	expect(NULL, (char *[]){ file_rule(f), NULL },
	       (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)f, NULL },
	       "the secret\n");
	audit_open_granted(f, 1);
}

Test(seccomp, static_program_gets_eacces_without_a_rule)
{
	const char *f = h_file("secret", "the secret\n", 0600);
	const char *other = h_file("other", "other\n", 0600);

	expect(NULL, (char *[]){ file_rule(other), NULL },
	       (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)f, NULL },
	       "err EACCES\n");
	/* no rule could grant it: the kernel's own refusal, nothing logged */
	cr_assert_eq(audit_lines("op=open", NULL), 0, "%s", h_audit());
}

/*
 * The prefilter (front/prefilter.h) lets a name no rule names go on to the
 * kernel before anything else is read; a name that reaches a granted file
 * through a symlink, a directory's or the file's own, must still be
 * granted, judged on the file it reaches.
 */
Test(seccomp, static_program_reads_granted_file_through_symlinks)
{
	const char *dir = h_dir("private", 0700);
	char f[600], via_dir[600], via_file[600], lines[1300];

	snprintf(f, sizeof(f), "%s/secret", dir);
	h_file("private/secret", "the secret\n", 0600);
	snprintf(via_dir, sizeof(via_dir), "%s/dirlink/secret", h_tmpdir());
	snprintf(via_file, sizeof(via_file), "%s/filelink", h_tmpdir());
	cr_assert_eq(symlink(dir, h_path("dirlink")), 0, "%s", strerror(errno));
	cr_assert_eq(symlink(f, via_file), 0, "%s", strerror(errno));
	for (int i = 0; i < 2; i++)
		expect(NULL, (char *[]){ file_rule(f), NULL },
		       (char *[]){ (char *)prog("static", "fileprobe"), "cat",
				   i ? via_file : via_dir, NULL },
		       "the secret\n");
	snprintf(lines, sizeof(lines), "op=open object=%s rights=read verdict=allow", f);
	cr_assert_eq(audit_lines(lines, "via=seccomp"), 2, "%s", h_audit());
}

/*
 * The other way round: the name a rule allows is a symlink to a root-only
 * file no rule names.  The question before the broker takes part takes
 * the name as written at its word (front/notif_open.c); the grant then
 * judges the file it leads to, and refuses.
 */
Test(seccomp, static_program_is_refused_a_file_an_allowed_symlink_leads_to)
{
	const char *other = h_file("other", "not granted\n", 0600);
	const char *link = h_path("link");

	cr_assert_eq(symlink(other, link), 0, "%s", strerror(errno));
	expect(NULL, (char *[]){ file_rule(link), NULL },
	       (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)link, NULL },
	       "err EACCES\n");
	cr_assert_eq(audit_lines("verdict=allow", NULL), 0, "%s", h_audit());
}

/* --- 2: Debian's busybox-static --- */

Test(seccomp, busybox_cat_of_file_in_root_only_directory)
{
	const char *dir = h_dir("private", 0700);
	const char *f = h_file("private/notes", "in a root-only directory\n", 0644);

	expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
	       (char *[]){ "/bin/busybox", "cat", (char *)f, NULL }, "in a root-only directory\n");
	audit_open_granted(f, 1);
}

Test(seccomp, busybox_sh_runs_static_children_reading_root_only_files)
{
	char policy[1024], script[2048];
	const char *dir = h_root_only_files(4, policy, sizeof(policy));

	snprintf(script, sizeof(script), "for i in 0 1 2 3; do %s cat %s/f$i; done",
		 prog("static", "fileprobe"), dir);
	expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
	       (char *[]){ "/bin/busybox", "sh", "-c", script, NULL },
	       "file 0\nfile 1\nfile 2\nfile 3\n");
	cr_assert_eq(audit_lines("prog=fileprobe op=open", "verdict=allow rule=-a:1 errno=0 via=seccomp"),
		     4, "%s", h_audit());
}

Test(seccomp, busybox_httpd_on_port_80_served_to_curl)
{
	const char *www = h_dir("www", 0755);
	const char *secret = h_file("www/secret.html", "root-only page\n", 0600);
	struct proc p;

	h_file("www/index.html", "hello from busybox\n", 0644);
	h_own_netns(NULL);
	start(&p, (char *[]){ "bind tcp 127.0.0.1:80", file_rule(secret), NULL },
	      (char *[]){ "/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:80", "-h", (char *)www,
			  NULL });
	h_wait_port(80);
	cr_assert_str_eq(h_curl("http://127.0.0.1:80/index.html"), "hello from busybox\n");
	/* opened by httpd's child, relative to its working directory */
	cr_assert_str_eq(h_curl("http://127.0.0.1:80/secret.html"), "root-only page\n");
	p_stop(&p);
	h_audit_has("op=bind object=127.0.0.1:80 proto=tcp verdict=allow rule=-a:1 errno=0 "
		    "via=seccomp");
	cr_assert_eq(audit_lines("op=open object=", "rights=read verdict=allow rule=-a:2 errno=0 "
				 "via=seccomp"), 1, "%s", h_audit());
	h_audit_has(secret);
}

/* --- 3: a Go program (CGO_ENABLED=0) --- */

Test(seccomp, go_net_http_on_port_80_reached_on_v4_and_v6)
{
	const char *secret = h_file("secret", "served by go\n", 0600);
	const char *go = h_goprobe();
	struct proc p;
	const char *line;

	h_own_netns(NULL);
	start(&p, (char *[]){ "bind tcp *:80", file_rule(secret), NULL },
	      (char *[]){ (char *)go, "http", ":80", (char *)secret, NULL });
	line = p_line(&p, WAIT_MS);
	cr_assert(line && !strcmp(line, "ready"), "go server: %s", line ? line : "(no output)");
	cr_assert_str_eq(h_curl("http://127.0.0.1:80/"), "hello from go\n");
	cr_assert_str_eq(h_curl("http://[::1]:80/"), "hello from go\n");
	cr_assert_str_eq(h_curl("http://[::1]:80/file"), "served by go\n");
	p_stop(&p);
	/* Go's own probes of the stack (binds to port 0) are the kernel's: one line */
	cr_assert_eq(audit_lines("op=bind object=", "verdict=allow rule=-a:1 errno=0 via=seccomp"), 1,
		     "%s", h_audit());
	audit_open_granted(secret, 2);
}

Test(seccomp, go_reads_root_only_file_and_gets_eacces_without_rule)
{
	const char *f = h_file("secret", "go reads this\n", 0600);
	const char *other = h_file("other", "other\n", 0600);
	const char *go = h_goprobe();

	expect(NULL, (char *[]){ file_rule(f), NULL },
	       (char *[]){ (char *)go, "read", (char *)f, NULL }, "go reads this\n");
	audit_open_granted(f, 1);
	expect(NULL, (char *[]){ file_rule(other), NULL },
	       (char *[]){ (char *)go, "read", (char *)f, NULL }, "err EACCES\n");
	cr_assert_eq(audit_lines("op=open", NULL), 1, "%s", h_audit());
}

/*
 * 64 goroutines on a few threads, which the Go runtime preempts with
 * SIGURG, each reading 200 of 32 root-only files: every read is the right
 * file's, and every one was the broker's, one audit line each.
 */
Test(seccomp, go_64_goroutines_200_reads_each_all_correct)
{
	char policy[1024];
	const char *dir = h_root_only_files(32, policy, sizeof(policy));
	const char *go = h_goprobe();

	expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
	       (char *[]){ (char *)go, "many", (char *)dir, "32", "64", "200", NULL },
	       "ok reads=12800 wrong=0 failed=0\n");
	cr_assert_eq(audit_lines("op=open", "verdict=allow rule=-a:1 errno=0 via=seccomp"), 12800);
}

Test(seccomp, go_raw_icmp_socket)
{
	const char *go = h_goprobe();

	expect(NULL, (char *[]){ "socket inet raw icmp", NULL }, (char *[]){ (char *)go, "icmp", NULL },
	       "ok echo reply\n");
	h_audit_has("op=socket object=inet/raw/1 verdict=allow rule=-a:1 errno=0 via=seccomp");
	expect(NULL, NULL, (char *[]){ (char *)go, "icmp", NULL }, "err EPERM socket\n");
	cr_assert_eq(audit_lines("op=socket", NULL), 1, "%s", h_audit());
}

Test(seccomp, go_udp_on_127_0_0_1_port_53)
{
	const char *go = h_goprobe();

	h_own_netns(NULL);
	expect(NULL, (char *[]){ "bind udp 127.0.0.1:53", NULL },
	       (char *[]){ (char *)go, "udp", "127.0.0.1:53", NULL }, "ok got=pong\n");
	h_audit_has("op=bind object=127.0.0.1:53 proto=udp verdict=allow rule=-a:1 errno=0 "
		    "via=seccomp");
}

/* --- 4: a musl-gcc program, dynamic: the musl loader, no shim --- */

Test(seccomp, musl_program_reads_root_only_file_under_default_auto)
{
	const char *f = h_file("secret", "musl reads this\n", 0600);
	char *argv[MAX_ARGS];
	struct result r;

	run_argv(argv, NULL, (char *[]){ file_rule(f), NULL },
		 (char *[]){ (char *)prog("musl", "fileprobe"), "cat", (char *)f, NULL });
	r = h_run(argv, NULL, false);
	cr_assert_str_eq(r.out, "musl reads this\n", "stderr: %s", r.err);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* the glibc-built shim was not loaded: the musl loader says nothing */
	cr_assert(!strstr(r.err, "Error relocating") && !strstr(r.err, "libfdshim"), "%s", r.err);
	h_free(&r);
	audit_open_granted(f, 1);
}

Test(seccomp, musl_raw_icmp_socket)
{
	expect(NULL, (char *[]){ "socket inet raw icmp", NULL },
	       (char *[]){ (char *)prog("musl", "sockprobe"), "icmp", NULL }, "ok echo reply\n");
	h_audit_has("op=socket object=inet/raw/1 verdict=allow rule=-a:1 errno=0 via=seccomp");
}

/* bind: the broker binds the program's own socket (pidfd_getfd): same number, same options */
Test(seccomp, static_bind_keeps_descriptor_and_options)
{
	char *const argv[] = { (char *)prog("static", "sockprobe"), "bind", "127.0.0.1", "811", "tcp",
			       NULL };

	expect(NULL, (char *[]){ "bind tcp 127.0.0.1:811", NULL }, argv,
	       "ok samefd=1 reuseport=1 port=811\n");
	h_audit_has("op=bind object=127.0.0.1:811 proto=tcp verdict=allow rule=-a:1 errno=0 "
		    "via=seccomp");
	expect(NULL, (char *[]){ "bind tcp 127.0.0.1:811", NULL },
	       (char *[]){ (char *)prog("static", "sockprobe"), "bind", "127.0.0.1", "812", "tcp",
			   NULL }, "err EACCES bind\n");
}

/*
 * An accept rule holds the listener and hands the program a channel, which
 * a program under seccomp never asked for: there it binds the program's
 * own socket in place, behind a locked kernel filter (its from list, if
 * any; and no connection of the socket's own), and the one line says so.
 */
Test(seccomp, accept_rule_binds_programs_own_socket)
{
	expect(NULL, (char *[]){ "accept tcp 127.0.0.1:813", NULL },
	       (char *[]){ (char *)prog("static", "sockprobe"), "bind", "127.0.0.1", "813", "tcp",
			   NULL }, "ok samefd=1 reuseport=1 port=813\n");
	h_audit_has("op=bind object=127.0.0.1:813 proto=tcp listener=bound filter=locked "
		    "verdict=allow rule=-a:1 errno=0 via=seccomp");
}

/*
 * The program's own descriptor by name: busybox's stderr is a file only root
 * may open, so its own reopen of /dev/stderr is refused by the kernel, and
 * the broker reopens the descriptor it holds (the reopen grant), as under
 * the shim (>>: a truncation would be the policy's to allow).
 */
Test(seccomp, busybox_reopens_its_root_only_stderr)
{
	const char *errpath = h_path("stderr.log");
	char *argv[32], *s;
	struct proc p;
	int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	close(fd);
	h_run_argv(argv, 32, "nobody", (char *[]){ "--via", "seccomp", NULL },
		   (char *[]){ "/bin/busybox", "sh", "-c", "echo reopened >>/dev/stderr", NULL });
	p_start(&p, argv, NULL, errpath);
	cr_assert_eq(p_wait(&p), 0);
	s = h_slurp(errpath);
	cr_assert(strstr(s, "reopened\n"), "%s", s);
	free(s);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=write");
	h_audit_has("via=seccomp");
}

/*
 * The way a request came is said everywhere: FDBROKER_DEBUG names the way
 * run chose and each trapped call, --learn marks what it learned through
 * seccomp, and the audit line ends with via=seccomp.
 */
Test(seccomp, debug_and_learn_say_the_way)
{
	const char *f = h_file("secret", "learned\n", 0600);
	char *argv[MAX_ARGS], want[700];
	struct result r;

	argv[0] = "env";
	argv[1] = "-u";
	argv[2] = "LD_PRELOAD";
	argv[3] = "FDBROKER_DEBUG=1";
	h_run_argv(argv + 4, MAX_ARGS - 4, "nobody", (char *[]){ "--learn", NULL },
		   (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)f, NULL });
	r = h_run(argv, NULL, false);
	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	cr_assert(strstr(r.err, "fileprobe: via seccomp (statically linked)"), "%s", r.err);
	snprintf(want, sizeof(want), "openat %s: refused: the kernel answers", f);
	cr_assert(strstr(r.err, "fdbroker: via=seccomp pid="), "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "# open %s read: 1 request, by fileprobe, via seccomp\n"
		 "allow user nobody open %s read\n", f, f);
	cr_assert(strstr(r.err, want) || strstr(r.out, want), "%s", r.err);
	h_free(&r);
	snprintf(want, sizeof(want), "op=open object=%s rights=read verdict=deny rule=default "
		 "errno=EACCES via=seccomp", f);
	h_audit_has(want);
}

/* --- 5: raw system calls from glibc; stat as root sees it --- */

Test(seccomp, glibc_raw_syscalls_served_under_via_seccomp)
{
	const char *f = h_file("secret", "raw syscall\n", 0600);
	static const char *const calls[] = { "openat", "open", "openat2" };

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		expect("seccomp", (char *[]){ file_rule(f), NULL },
		       (char *[]){ (char *)sysopen(), (char *)calls[i], (char *)f, NULL },
		       "ok fd=3 cloexec=1 data=raw syscall\n");
	cr_assert_eq(audit_lines("op=open", "verdict=allow rule=-a:1 errno=0 via=seccomp"), 3,
		     "%s", h_audit());
	/* the reason for the seccomp way: the shim never sees a raw system call */
	expect("preload", (char *[]){ file_rule(f), NULL },
	       (char *[]){ (char *)sysopen(), "openat", (char *)f, NULL }, "err EACCES\n");
}

/*
 * A raw creat in dir (mode bits of the directory given): the file is
 * nobody's, with the program's umask applied (0664 under 022).
 */
static void raw_creat_keeps_umask(const char *name, mode_t dirmode)
{
	const char *dir = h_dir(name, dirmode);
	char f[512];
	struct stat st;

	snprintf(f, sizeof(f), "%s/new", dir);
	expect("seccomp", (char *[]){ dir_rule(dir, "read,write,create"), NULL },
	       (char *[]){ (char *)sysopen(), "creat", f, "0664", "022", NULL }, "ok fd=3\n");
	cr_assert_eq(stat(f, &st), 0, "%s: %s", f, strerror(errno));
	cr_assert_eq(st.st_uid, NOBODY_UID);
	cr_assert_eq(st.st_gid, NOBODY_GID);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o: 0664 under umask 022", st.st_mode & 07777);
}

/* In a root-only directory: the broker creates it for the program. */
Test(seccomp, glibc_raw_creat_owned_by_caller_with_its_umask)
{
	raw_creat_keeps_umask("private", 0700);
	h_audit_has("op=open");
}

/*
 * In a directory the program may write itself: the try as the caller
 * creates it, with the program's umask too (not the broker's 0), unlogged.
 */
Test(seccomp, glibc_raw_creat_by_its_own_right_keeps_its_umask)
{
	raw_creat_keeps_umask("open", 0777);
	h_audit_lacks("object=");
}

/*
 * A call the program may make itself is made by the kernel (CONTINUE), not
 * handed over from the try as the broker: an O_CREAT open of a directory
 * is EISDIR, which the try (O_CREAT taken off for a file that exists)
 * never saw; the kernel's own call also meets the program's Landlock
 * domain and LSM label, which no try as the broker can.
 */
Test(seccomp, glibc_raw_open_by_its_own_right_is_the_kernels)
{
	const char *dir = h_dir("open", 0755);

	expect("seccomp", (char *[]){ dir_rule(dir, "read,write,create"), NULL },
	       (char *[]){ (char *)sysopen(), "ocreat", (char *)dir, NULL }, "err EISDIR\n");
	h_audit_lacks("object=");
}

/*
 * The try as the caller makes no change the program's own call might not
 * make: an O_RDONLY|O_TRUNC of a file the program may write, in a Landlock
 * domain that refuses truncation, leaves the file whole (the kernel's call
 * is refused; before, the try had already truncated it).  Landlock ABI 3,
 * Linux 6.2.
 */
Test(seccomp, a_truncation_the_programs_landlock_refuses_is_not_made)
{
	const char *f = h_file("kept", "whole\n", 0666);
	struct result r = run("seccomp", (char *[]){ open_rule(f, "", "read,write"), NULL },
			      (char *[]){ (char *)sysopen(), "lltrunc", (char *)f, NULL });
	char *data;

	if (!strcmp(r.out, "no landlock\n")) {
		h_free(&r);
		cr_skip_test("Landlock ABI 3 (Linux 6.2) is not on this kernel");
	}
	cr_assert_str_eq(r.out, "err EACCES\n", "stderr '%s'", r.err);
	h_free(&r);
	data = h_slurp(f);
	cr_assert_str_eq(data, "whole\n");
	free(data);
	h_audit_lacks("object=");
}

/*
 * A right the program has through its file's owner bits, its group, the
 * other bits or an ACL is its own, although a rule names the file: the kernel makes the
 * call (no audit line).  The broker skips the try as the caller where the
 * mode bits alone say the program's own open fails (surely_denied in
 * helper/front/notif_open.c); none of these may be taken for one.  The
 * last file is one it cannot read (its owner bits are none, though the
 * others may): granted.
 */
Test(seccomp, own_right_by_owner_group_other_or_acl_is_the_kernels)
{
	/* the ACL u:nobody:r-- on a 0600 file: version 2, then tag, perm, id, in tag order */
	static const uint32_t acl[] = { 2, 0x01 | 6 << 16, ~0u, 0x02 | 4 << 16, 65534,
					0x04 | 0 << 16, ~0u, 0x10 | 4 << 16, ~0u, 0x20 | 0 << 16,
					~0u };
	const char *dir = h_dir("own", 0755);
	const char *owner = h_file("own/owner", "by owner\n", 0400);
	const char *group = h_file("own/group", "by group\n", 0640);
	const char *other = h_file("own/other", "by other\n", 0604);
	const char *byacl = h_file("own/acl", "by acl\n", 0600);
	const char *none = h_file("own/none", "granted\n", 0066);
	const char *own[][2] = {
		{ owner, "by owner\n" }, { group, "by group\n" },
		{ other, "by other\n" }, { byacl, "by acl\n" },
	};
	struct stat st;

	cr_assert_eq(chown(owner, 65534, 0), 0);
	cr_assert_eq(chown(group, 0, 65534), 0);
	cr_assert_eq(chown(none, 65534, 0), 0);
	cr_assert_eq(setxattr(byacl, "system.posix_acl_access", acl, sizeof(acl), 0), 0, "%s",
		     strerror(errno));
	cr_assert_eq(stat(byacl, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0640, "the ACL's mask is the group bits: %o", st.st_mode);

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
		       (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)own[i][0], NULL },
		       own[i][1]);
	h_audit_lacks("object=");
	expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
	       (char *[]){ (char *)prog("static", "fileprobe"), "cat", (char *)none, NULL },
	       "granted\n");
	audit_open_granted(none, 1);
}

/* What root sees of path, as fileprobe prints it. */
static const char *root_sees(const char *path)
{
	static char line[256];
	struct stat st;

	cr_assert_eq(stat(path, &st), 0);
	snprintf(line, sizeof(line), "ok ino=%lu size=%ld mode=%o\n", (unsigned long)st.st_ino,
		 (long)st.st_size, (unsigned)st.st_mode);
	return line;
}

Test(seccomp, static_and_musl_stat_of_granted_root_only_file_as_root_sees_it)
{
	const char *dir = h_dir("private", 0700);
	const char *f = h_file("private/data", "twenty-three bytes long", 0600);
	static const char *const kinds[] = { "static", "musl" };
	char want[256];

	snprintf(want, sizeof(want), "%s", root_sees(f));
	for (size_t k = 0; k < 2; k++) {
		const char *fp = prog(kinds[k], "fileprobe");
		static const char *const calls[] = { "stat", "lstat", "statx" };

		for (size_t i = 0; i < 3; i++)
			expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
			       (char *[]){ (char *)fp, (char *)calls[i], (char *)f, NULL }, want);
		expect(NULL, (char *[]){ dir_rule(dir, "read"), NULL },
		       (char *[]){ (char *)fp, "fstatat", (char *)dir, "data", NULL }, want);
	}
	cr_assert_geq(audit_lines("op=stat ", "verdict=allow rule=-a:1 errno=0 via=seccomp"), 8,
		      "%s", h_audit());
}

Test(seccomp, static_access_says_yes_only_for_the_rights_granted)
{
	const char *dir = h_dir("private", 0700);
	const char *f = h_file("private/data", "data\n", 0600);
	char *const rules[] = { dir_rule(dir, "read"), NULL };
	const char *fp = prog("static", "fileprobe");

	expect(NULL, rules, (char *[]){ (char *)fp, "access", (char *)f, "f", NULL }, "ok\n");
	expect(NULL, rules, (char *[]){ (char *)fp, "access", (char *)f, "r", NULL }, "ok\n");
	expect(NULL, rules, (char *[]){ (char *)fp, "access", (char *)f, "w", NULL }, "err EACCES\n");
}

/* --- 7: hostile targets --- */

/*
 * One thread flips a byte of the path between A/secret (granted) and
 * B/secret (not), the other opens it 10,000 times: the broker judges and
 * opens its own copy, so the forbidden file never comes, and every open
 * that came was logged as the granted one.
 */
Test(seccomp, flipped_path_buffer_never_yields_forbidden_file)
{
	long opens, allowed, refused, forbidden, other;
	const char *a, *b;
	struct result r;
	char *argv[MAX_ARGS];

	h_dir("A", 0711);
	h_dir("B", 0711);
	a = h_file("A/secret", "ALLOWED\n", 0600);
	b = h_file("B/secret", "FORBIDDEN\n", 0600);
	run_argv(argv, NULL, (char *[]){ file_rule(a), NULL },
		 (char *[]){ (char *)prog("static", "flipper"), (char *)a, (char *)b, "10000",
			     "ALLOWED", "FORBIDDEN", NULL });
	r = h_run(argv, NULL, false);
	cr_assert_eq(sscanf(r.out, "ok opens=%ld allowed=%ld refused=%ld forbidden=%ld other=%ld",
			    &opens, &allowed, &refused, &forbidden, &other), 5, "%s %s", r.out, r.err);
	cr_assert_eq(forbidden, 0, "%s", r.out);
	cr_assert_eq(other, 0, "%s", r.out);
	cr_assert_eq(opens, 10000);
	/* both names were met: the race was run */
	cr_assert(allowed > 0 && refused > 0, "%s", r.out);
	h_free(&r);
	cr_assert_eq(audit_lines("verdict=allow", NULL), allowed);
	cr_assert_eq(audit_lines(a, "verdict=allow"), allowed);
	cr_assert_eq(audit_lines(b, NULL), 0, "the forbidden name in the log: %s", h_audit());
}

/* Start argv with a pipe on its stdin: the write end into *in. */
static void start_with_stdin(struct proc *p, char *const argv[], int *in)
{
	int fds[2], saved = fcntl(0, F_DUPFD_CLOEXEC, 3);

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	/* p_start's child inherits our descriptor 0: for this start, the pipe */
	cr_assert_eq(dup2(fds[0], 0), 0);
	p_start(p, argv, NULL, h_path("server.err"));
	if (saved >= 0) {
		dup2(saved, 0);
		close(saved);
	} else {
		close(0);
	}
	close(fds[0]);
	*in = fds[1];
}

/* One command to the hammer; its answer line (must come). */
static const char *hammer_cmd(struct proc *p, int in, const char *cmd)
{
	const char *line;

	cr_assert_eq(write(in, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	line = p_line(p, WAIT_MS * 4);
	cr_assert_not_null(line, "hammer: no answer to %s", cmd);
	return line;
}

/*
 * The fewest descriptors the broker shows over a few round trips of the
 * idle hammer (each a full pass through the broker's loop): its baseline.
 */
static int broker_fds_idle(struct proc *p, int in)
{
	int least = pid_fd_count(p->pid);

	for (int i = 0; i < 10; i++) {
		int n;

		cr_assert_str_eq(hammer_cmd(p, in, "r\n"), "ok file 0");
		n = pid_fd_count(p->pid);
		least = n < least ? n : least;
	}
	return least;
}

/*
 * 100 children, 4 threads each opening granted files, SIGKILLed with
 * calls pending: the broker's descriptors come back to their baseline, a
 * bystander target reads correctly all through, and the broker still
 * serves after.
 */
Test(seccomp, sigkilled_targets_with_calls_pending_leak_nothing)
{
	char policy[1024];
	const char *dir = h_root_only_files(8, policy, sizeof(policy));
	long reads = 0, wrong = -1, failed = -1;
	char *argv[MAX_ARGS];
	int in, base, n;
	struct proc p;

	signal(SIGPIPE, SIG_IGN);
	run_argv(argv, NULL, (char *[]){ dir_rule(dir, "read"), NULL },
		 (char *[]){ (char *)prog("static", "hammer"), (char *)dir, "8", "100", NULL });
	start_with_stdin(&p, argv, &in);
	cr_assert_str_eq(p_line(&p, WAIT_MS) ?: "(none)", "ready");
	base = broker_fds_idle(&p, in);
	cr_assert_eq(sscanf(hammer_cmd(&p, in, "k\n"),
			    "killed 100 bystander_reads=%ld bystander_wrong=%ld bystander_failed=%ld",
			    &reads, &wrong, &failed), 3, "%s", p.line);
	cr_assert(reads > 0 && wrong == 0 && failed == 0, "bystander: %s", p.line);
	/* the killed calls' descriptors may be closed a loop pass or two later */
	n = pid_fd_count(p.pid);
	for (int i = 0; i < 200 && n > base; i++) {
		cr_assert_str_eq(hammer_cmd(&p, in, "r\n"), "ok file 0");
		n = pid_fd_count(p.pid);
	}
	cr_assert_leq(n, base, "broker descriptors: %d, baseline %d", n, base);
	cr_assert_str_eq(hammer_cmd(&p, in, "q\n"), "ok final");
	close(in);
	cr_assert_eq(p_wait(&p), 0);
}
