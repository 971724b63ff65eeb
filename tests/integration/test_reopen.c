/*
 * The program's own descriptors reopened by name after the user switch:
 * /dev/stderr, /dev/fd/N, /proc/self/fd/N, ... of a root-owned file or a
 * pipe root created (libfdshim(7), WHAT THE PROGRAM SEES).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "nginx.h"
#include "spawn.h"

TestSuite(reopen, .fini = p_suite_fini, .timeout = 60);

/* fdbroker run -u nobody [-a RULE] --log audit.log -- ARGV...: room for 32. */
static void run_argv(char **out, const char *rule, char *const argv[])
{
	char *opts[] = { "-a", (char *)rule, NULL };

	h_run_argv(out, 32, "nobody", rule ? opts : NULL, argv);
}

/* The probe under fdbroker run with its stderr on errpath (root's, 0644); its line. */
static const char *probe_err_file(const char *errpath, char *const args[])
{
	static char line[1024];
	char *prog[16] = { (char *)h_probe() }, *argv[32];
	const char *l;
	struct proc p;
	int n = 1;

	for (; args[n - 1] && n < 15; n++)
		prog[n] = args[n - 1];
	prog[n] = NULL;
	run_argv(argv, NULL, prog);
	p_start(&p, argv, NULL, errpath);
	l = p_line(&p, 20000);
	snprintf(line, sizeof(line), "%s", l ? l : "(no output)");
	cr_assert_eq(p_wait(&p), 0, "%s", line);
	return line;
}

/* Acceptance: a write-only descriptor never becomes readable. */
Test(reopen, write_only_stderr_not_readable)
{
	struct result r = h_broker_probe(NULL, (char *[]){ "open", "/proc/self/fd/2", "b", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s %s", r.out, r.err);
	h_audit_has("op=reopen object=/proc/self/fd/2 fd=2 rights=read,write kind=pipe "
		  "reason=access verdict=deny rule=default errno=EACCES");
	h_free(&r);
	r = h_broker_probe(NULL, (char *[]){ "open", "/dev/stderr", "r", NULL });
	cr_assert_str_eq(r.out, "err EACCES\n", "%s %s", r.out, r.err);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=read kind=pipe reason=access "
		  "verdict=deny");
	h_free(&r);
}

Test(reopen, write_only_file_not_readable)
{
	const char *err = h_file("stderr.log", "", 0644);

	cr_assert_str_eq(probe_err_file(err, (char *[]){ "open", "/proc/self/fd/2", "b", NULL }),
			 "err EACCES");
	h_audit_has("op=reopen object=/proc/self/fd/2 fd=2 rights=read,write kind=file "
		  "reason=access verdict=deny");
}

/*
 * stderr a root-owned 0644 file, opened O_APPEND: the reopen without
 * O_APPEND writes at its own offset 0 (over the start of the file) while
 * descriptor 2 keeps O_APPEND and its own offset, as a reopen does without
 * the user switch; a dup would share both.
 */
Test(reopen, stderr_file_own_offset)
{
	const char *err = h_file("stderr.log", "hello\n", 0644);
	char *text;

	cr_assert_str_eq(probe_err_file(err, (char *[]){ "reopen", "2", "/dev/stderr", "w",
							 "DATA", NULL }),
			 "ok off=4 held=0 append=0 heldappend=1 same=1");
	text = h_slurp_must(err);
	cr_assert_str_eq(text, "DATAo\n");
	free(text);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=write kind=file verdict=allow "
		  "rule=default errno=0");
}

/* stderr a pipe root created: what is written through the reopen comes out of the pipe. */
Test(reopen, stderr_pipe)
{
	struct result r = h_broker_probe(NULL, (char *[]){ "reopen", "2", "/dev/stderr", "wa",
							   "PIPEDATA", NULL });

	cr_assert_str_eq(r.out, "ok off=-1 held=-1 append=1 heldappend=0 same=1\n", "%s %s",
			 r.out, r.err);
	cr_assert(strstr(r.err, "PIPEDATA"), "%s", r.err);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=write kind=pipe verdict=allow");
	h_free(&r);
}

/* Every name of the program's own descriptor 2; another process's is no reopen. */
Test(reopen, every_name)
{
	static const char *const names[] = { "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2",
					     "/proc/thread-self/fd/2", "/proc/@PID/fd/2" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct result r = h_broker_probe(NULL, (char *[]){ "open", (char *)names[i], "w",
								   NULL });

		cr_assert(strncmp(r.out, "ok fd=3 ", 8) == 0, "%s: %s %s", names[i], r.out, r.err);
		h_free(&r);
	}
	h_audit_has("op=reopen object=/proc/thread-self/fd/2 fd=2 rights=write kind=pipe "
		  "verdict=allow");
	/* pid 1's descriptor: an ordinary open, judged (and denied) by the policy */
	struct result r = h_broker_probe(NULL, (char *[]){ "open", "/proc/1/fd/2", "w", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s %s", r.out, r.err);
	h_audit_lacks("object=/proc/1/fd/2 fd=");
	h_audit_has("op=open object=/proc/1/fd/2 rights=write verdict=deny");
	h_free(&r);
}

/* O_TRUNC on a regular file is no reopen: the policy judges it, and nothing is cut. */
Test(reopen, truncate_goes_to_policy)
{
	const char *err = h_file("stderr.log", "keep me\n", 0644);
	char *text;

	cr_assert_str_eq(probe_err_file(err, (char *[]){ "open", "/dev/stderr", "wt", NULL }),
			 "err EACCES");
	text = h_slurp_must(err);
	cr_assert_str_eq(text, "keep me\n");
	free(text);
	h_audit_lacks("op=reopen");
	h_audit_has("op=open object=/dev/stderr rights=write verdict=deny");
}

/* freopen of stdout's own name, and freopen(NULL): the stream keeps descriptor 1. */
Test(reopen, freopen_stdout)
{
	struct result r = h_broker_probe(NULL, (char *[]){ "freopen", "/dev/stdout", "w",
							   "FREOPENED", NULL });

	cr_assert_str_eq(r.out, "FREOPENED\n", "%s %s", r.out, r.err);
	cr_assert(strstr(r.err, "ok fd=1"), "%s", r.err);
	h_audit_has("op=reopen object=/dev/stdout fd=1 rights=write kind=pipe verdict=allow");
	h_free(&r);
	r = h_broker_probe(NULL, (char *[]){ "freopen", "-", "a", "NULLNAME", NULL });
	cr_assert_str_eq(r.out, "NULLNAME\n", "%s %s", r.out, r.err);
	cr_assert(strstr(r.err, "ok fd=1"), "%s", r.err);
	h_audit_has("op=reopen object=/proc/self/fd/1 fd=1 rights=write kind=pipe verdict=allow");
	h_free(&r);
}

/*
 * A brokered freopen of a root-only log in "a": the stream is at its end
 * and exit() flushes it, as after freopen's own success (the stream used
 * to be left out of libio's list of open streams, and the line was lost).
 */
Test(reopen, brokered_freopen_append_is_flushed_at_exit)
{
	char policy[1024], *text;
	const char *log = h_file("root.log", "line0\n", 0600);
	struct result r;

	snprintf(policy, sizeof(policy), "allow user nobody open %s write\n", log);
	r = h_broker_probe(policy, (char *[]){ "freopen-exit", (char *)log, "a", "started", NULL });
	cr_assert(strstr(r.err, "ok pos=6"), "%s %s", r.out, r.err);
	h_free(&r);
	text = h_slurp_must(log);
	cr_assert_str_eq(text, "line0\nstarted\n");
	free(text);
	h_audit_has("op=open object=");
}

/* ---- nginx with error_log /dev/stderr ---------------------------------- */

/* nginx as nobody on port, error_log /dev/stderr, stderr as p_start_* gave it. */
static void nginx_start(struct proc *p, int port, const char *errpath, int errfd)
{
	char rule[64], *argv[32];
	const char *conf = nginx_conf(port, "/dev/stderr notice");
	char *args[] = { "nginx", "-e", "stderr", "-c", (char *)conf, NULL };

	snprintf(rule, sizeof(rule), "bind tcp 127.0.0.1:%d", port);
	run_argv(argv, rule, args);
	if (errpath)
		p_start(p, argv, NULL, errpath);
	else
		p_start_fd(p, argv, NULL, errfd);
	cr_assert_eq(wait_for_file(h_path("nginx.pid"), 20000), 0, "nginx did not start");
}

/* A page, and a missing one a worker logs. */
static void nginx_requests(int port)
{
	char out[4096];

	cr_assert_gt(tcp_talk(NULL, port, "GET /index.html HTTP/1.0\r\n\r\n", out, sizeof(out)), 0);
	cr_assert(strstr(out, "hello from nginx"), "%s", out);
	cr_assert_gt(tcp_talk(NULL, port, "GET /missing HTTP/1.0\r\n\r\n", out, sizeof(out)), 0);
	cr_assert(strstr(out, " 404 "), "%s", out);
}

/* Read fd until needle appears; false after timeout_ms. */
static bool pipe_has(int fd, const char *needle, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;

	buf[0] = '\0';
	while (!strstr(buf, needle)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0 || len + 1 >= cap)
			return false;
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return true;
}

Test(reopen, nginx_error_log_file)
{
	const char *err = h_file("stderr.log", "", 0644);
	struct proc p;
	char *text;

	nginx_start(&p, 691, err, -1);
	nginx_requests(691);
	/* the worker's line: it writes to the descriptor the master reopened */
	cr_assert_eq(wait_for_text(err, "/missing\" failed (2:", 20000), 0);
	p_stop(&p);
	text = h_slurp_must(err);
	cr_assert(strstr(text, "start worker process"), "%s", text);
	cr_assert(!strstr(text, "Permission denied"), "%s", text);
	free(text);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=write kind=file verdict=allow");
}

Test(reopen, nginx_error_log_pipe)
{
	char buf[16384];
	struct proc p;
	int fds[2];

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	nginx_start(&p, 692, NULL, fds[1]);
	close(fds[1]);
	nginx_requests(692);
	cr_assert(pipe_has(fds[0], "/missing\" failed (2:", buf, sizeof(buf), 20000), "%s", buf);
	cr_assert(strstr(buf, "start worker process"), "%s", buf);
	cr_assert(!strstr(buf, "Permission denied"), "%s", buf);
	p_stop(&p);
	close(fds[0]);
	h_audit_has("op=reopen object=/dev/stderr fd=2 rights=write kind=pipe verdict=allow");
}
