/*
 * The audit log cannot be written, or was removed (issue 6, faults bullet):
 * the broker keeps serving and says so once.  Against a real `fdbroker
 * serve` (root) with rawclient as nobody making brokered opens:
 *
 *  - the disk of the log fills: a 64 KiB tmpfs mounted in a private mount
 *    namespace of the broker's own (nothing leaks if the test dies), filled
 *    up from here through /proc/PID/root; every open still succeeds, stderr
 *    says "No space left on device" once, and once space is freed the log
 *    says how many lines were lost;
 *  - --log /dev/full: every line fails from the start, said once;
 *  - the log file is removed: it is re-created within a second or so, its
 *    first line says why, and later decisions land in it;
 *  - its directory is removed too: said once, and the file comes back
 *    when the directory does.
 * Each ends with one more allowed request and the broker stopped by pid.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000
#define REAPPEAR_MS 10000 /* the broker looks for a removed log once a second */

TestSuite(audit_faults, .fini = p_suite_fini, .timeout = 60);

static const char *secret;

/* A root-only file and a policy that lets nobody read it; the policy's path. */
static const char *make_policy(void)
{
	char text[1024];

	secret = h_file("secret", "root only\n", 0600);
	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	return h_file("policy", text, 0644);
}

/* n opens of the secret as nobody on one connection: every one must succeed. */
static void opens(const struct served *s, int n)
{
	char num[16], want[32];

	snprintf(num, sizeof(num), "%d", n);
	snprintf(want, sizeof(want), "ok %d", n);
	cr_assert_str_eq(served_raw(s, "65534", "65534", false,
				    (char *[]){ "open", (char *)secret, num, NULL }),
			 want, "the broker stopped serving:\n%s", h_slurp(h_path("serve.err")));
}

/* The broker's stderr has exactly one line with a and b. */
static void said_once(const char *a, const char *b)
{
	const char *err = h_path("serve.err");
	char *text;

	cr_assert_eq(wait_for_text(err, b, WAIT_MS), 0, "nothing on stderr says '%s':\n%s", b,
		     h_slurp(err));
	text = h_slurp(err);
	cr_assert_eq(h_count_lines(text, a, b), 1, "not once on stderr: '%s ... %s':\n%s", a, b,
		     text);
	free(text);
}

/* No line carries two lines' worth: a partial line was never continued. */
static void no_glued_lines(const char *log)
{
	for (const char *s = log; (s = strstr(s, " fdbroker[")); s++) {
		const char *nl = strchr(s, '\n');
		const char *next = strstr(s + 1, " fdbroker[");

		cr_assert(!next || (nl && nl < next), "two lines glued together:\n%.300s", s);
	}
}

/* Decision lines written whole: their last field is there. */
static int whole_decisions(const char *log, size_t len)
{
	int n = 0;

	for (const char *s = log; s < log + len;) {
		const char *nl = memchr(s, '\n', (size_t)(log + len - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(log + len - s);

		if (memmem(s, l, "op=open ", 8) && l > 8 && !memcmp(s + l - 8, " errno=0", 8))
			n++;
		s += l + 1;
	}
	return n;
}

/* A request at a time until path is there again (the next second's check). */
static void request_until_back(const struct served *s, const char *path)
{
	long deadline = h_now_ms() + REAPPEAR_MS;

	while (access(path, F_OK) != 0) {
		cr_assert_lt(h_now_ms(), deadline, "%s was not re-created:\n%s", path,
			     h_slurp(h_path("serve.err")));
		opens(s, 1);
		/* an inotify wait, not a sleep: returns as soon as the file is made */
		(void)wait_for_file(path, 50);
	}
}

/*
 * 1. The disk fills.  The broker runs in a mount namespace of its own with
 * a 64 KiB tmpfs holding its log; the test fills that tmpfs through
 * /proc/PID/root, so it sees the broker's mounts, and frees it the same way.
 */
Test(audit_faults, disk_full_keeps_serving_and_counts_lost_lines)
{
	const char *policy = make_policy(), *fs = h_dir("logfs", 0755);
	struct served srv = { .sock = h_path("broker.sock") };
	char cmd[4096], log[600], filler[600], *text;
	const char *note;
	unsigned long lost;
	char block[4096];
	int fd, before;

	srv.log = h_path("logfs/audit.log");
	snprintf(cmd, sizeof(cmd),
		 "mount -t tmpfs -o size=64k,mode=0755 fdb-audit-test '%s' && "
		 "exec '%s' serve -p '%s' -s '%s' --log '%s'",
		 fs, h_fdbroker(), policy, srv.sock, srv.log);
	p_start(&srv.proc,
		(char *[]){ "unshare", "--mount", "--propagation", "private", "sh", "-c", cmd,
			    NULL },
		NULL, h_path("serve.err"));
	/* unshare and sh exec: the pid is the broker's */
	snprintf(log, sizeof(log), "/proc/%d/root%s", (int)srv.proc.pid, srv.log);
	snprintf(filler, sizeof(filler), "/proc/%d/root%s/filler", (int)srv.proc.pid, fs);
	cr_assert_eq(wait_for_file(srv.sock, WAIT_MS), 0, "serve did not start:\n%s",
		     h_slurp(h_path("serve.err")));
	cr_assert_eq(wait_for_text(log, "serving ", WAIT_MS), 0, "no serving line:\n%s",
		     h_slurp(h_path("serve.err")));
	cr_assert_neq(access(srv.log, F_OK), 0, "the tmpfs is visible outside the broker");

	fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", filler, strerror(errno));
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	cr_assert_eq(errno, ENOSPC, "filling the tmpfs: %s", strerror(errno));
	close(fd);

	opens(&srv, 200);
	said_once("audit log ", "No space left on device; decisions are not being recorded");
	text = h_slurp(h_path("serve.err"));
	cr_assert(strstr(text, srv.log), "stderr does not name the log:\n%s", text);
	cr_assert_null(strstr(text, "writable again"), "%s", text);
	free(text);

	cr_assert_eq(unlink(filler), 0, "%s: %s", filler, strerror(errno));
	opens(&srv, 5);
	cr_assert_eq(wait_for_text(log, "audit log writable again; ", WAIT_MS), 0);
	said_once("audit log ", "writable again; ");
	text = h_slurp_must(log);
	note = strstr(text, "audit log writable again; ");
	lost = strtoul(note + strlen("audit log writable again; "), NULL, 10);
	cr_assert_gt(lost, 0);
	/*
	 * Each of the 200 decisions is either in the log whole or counted lost
	 * (one cut short just before its newline may look whole as well).
	 */
	before = whole_decisions(text, (size_t)(note - text));
	cr_assert(before + (long)lost >= 200 && before + (long)lost <= 201,
		  "%d lines in the log, %lu lost, of 200", before, lost);
	cr_assert_eq(whole_decisions(note, strlen(note)), 5, "after the note:\n%s", note);
	no_glued_lines(text);
	free(text);

	opens(&srv, 1);
	cr_assert_eq(served_stop(&srv), 0);
}

/* 2. --log /dev/full: no line is ever written, and the broker says so once. */
Test(audit_faults, dev_full_keeps_serving_and_says_so_once)
{
	const char *policy = make_policy();
	struct served srv = { .sock = h_path("broker.sock"), .log = "/dev/full" };
	char *text;

	served_spawn(&srv.proc, policy, srv.sock, srv.log, NULL);
	cr_assert_eq(wait_for_file(srv.sock, WAIT_MS), 0, "serve did not start:\n%s",
		     h_slurp(h_path("serve.err")));
	opens(&srv, 50);
	opens(&srv, 50);
	said_once("audit log /dev/full: ",
		  "No space left on device; decisions are not being recorded until it can be "
		  "written again");
	text = h_slurp(h_path("serve.err"));
	cr_assert_null(strstr(text, "writable again"), "%s", text);
	cr_assert_null(strstr(text, "removed"), "%s", text);
	free(text);
	opens(&srv, 1);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * 3. The log file is removed (rm, or logrotate without the SIGHUP): within
 * about a second of requests it is back, saying why in its first line.
 */
Test(audit_faults, removed_log_is_recreated)
{
	const char *policy = make_policy();
	struct served srv;
	char first[1024], *text;
	struct stat st;

	served_start(&srv, policy, WAIT_MS);
	opens(&srv, 3);
	cr_assert_eq(unlink(srv.log), 0);
	request_until_back(&srv, srv.log);
	opens(&srv, 3);

	text = h_slurp_must(srv.log);
	snprintf(first, sizeof(first), "%s", text);
	first[strcspn(first, "\n")] = '\0';
	cr_assert(strstr(first, " fdbroker[") && strstr(first, "audit log ") &&
			  strstr(first, srv.log) && strstr(first, " was removed; re-created it"),
		  "first line of the new log: %s", first);
	cr_assert_geq(whole_decisions(text, strlen(text)), 3, "%s", text);
	cr_assert_null(strstr(text, "serving "), "the old file's lines are not new:\n%s", text);
	free(text);
	said_once(srv.log, "was removed; re-created it");
	cr_assert_eq(stat(srv.log, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);

	opens(&srv, 1);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * 4. Its directory goes too: the broker says once that it cannot re-create
 * the file, keeps serving, and re-creates it when the directory is back.
 */
Test(audit_faults, removed_log_directory_said_once_then_recreated)
{
	const char *policy = make_policy(), *dir = h_dir("logs", 0755), *err = h_path("serve.err");
	struct served srv = { .sock = h_path("broker.sock"), .log = h_path("logs/audit.log") };
	long deadline;
	char *text;

	served_spawn(&srv.proc, policy, srv.sock, srv.log, NULL);
	cr_assert_eq(wait_for_text(srv.log, "serving ", WAIT_MS), 0, "serve did not start:\n%s",
		     h_slurp(h_path("serve.err")));
	cr_assert_eq(unlink(srv.log), 0);
	cr_assert_eq(rmdir(dir), 0);
	/* requests until the next second's check has spoken */
	deadline = h_now_ms() + REAPPEAR_MS;
	for (;;) {
		opens(&srv, 1);
		if (wait_for_text(err, "cannot be re-created", 50) == 0)
			break;
		cr_assert_lt(h_now_ms(), deadline, "nothing said:\n%s", h_slurp(err));
	}
	/* requests across two more checks (seconds), and still said only once */
	for (time_t t = time(NULL); time(NULL) < t + 2;)
		opens(&srv, 5);
	cr_assert_eq(mkdir(dir, 0755), 0);
	request_until_back(&srv, srv.log);
	said_once(srv.log, "was removed and cannot be re-created: No such file or directory");
	said_once(srv.log, "was removed; re-created it");
	text = h_slurp_must(srv.log);
	cr_assert(strstr(text, "was removed; re-created it"), "%s", text);
	free(text);

	opens(&srv, 1);
	cr_assert_eq(served_stop(&srv), 0);
}
