/*
 * Stopping fdbroker run once PROGRAM's first process has gone: SIGTERM to
 * the broker goes to every process left in the tree (daemons it adopted as
 * subreaper, found by walking /proc), SIGKILL after --stop-grace.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

TestSuite(stop, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

/*
 * A pidfd for the pid written in file (waits for the file's line); -1 when
 * that process is gone and reaped already.
 */
static int pidfd_of(const char *file, pid_t *pid)
{
	char *text;
	int fd;

	cr_assert_eq(wait_for_text(file, "\n", WAIT_MS), 0, "no pid in %s", file);
	text = h_slurp(file);
	*pid = (pid_t)atoi(text);
	free(text);
	cr_assert_gt(*pid, 0);
	fd = (int)syscall(SYS_pidfd_open, *pid, 0);
	cr_assert(fd >= 0 || errno == ESRCH, "pidfd_open %d: %s", (int)*pid, strerror(errno));
	return fd;
}

/* Has the process behind pidfd exited (or is it a zombie)?  Waits up to ms. */
static bool gone(int pidfd, int ms)
{
	struct pollfd pf = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return true;
	return poll(&pf, 1, ms) == 1;
}

/*
 * A double fork, as a daemon makes it: PROGRAM's subshell starts two
 * daemons in sessions of their own and exits, PROGRAM exits 0, the broker
 * stays for the daemons.  One ignores SIGTERM.  SIGTERM to the broker stops
 * both (the second by SIGKILL after --stop-grace 1), and run exits with
 * PROGRAM's status.
 */
Test(stop, sigterm_stops_double_forked_daemons)
{
	const char *dir = h_dir("run", 0777); /* nobody writes the pid files here */
	char script[2048];
	struct proc p;
	pid_t first, a, b;
	int pfirst, pa, pb, status;
	char *err;

	snprintf(script, sizeof(script),
		 "echo $$ >%s/first; "
		 "( setsid sh -c 'echo $$ >%s/a; exec sleep 1000' & "
		 "  setsid sh -c 'trap \"\" TERM; echo $$ >%s/b; exec sleep 1001' & ); exit 0",
		 dir, dir, dir);
	p_start(&p,
		(char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--stop-grace", "1", "--log",
			    (char *)h_path("audit.log"), "--", "sh", "-c", script, NULL },
		NULL, h_path("run.err"));
	pfirst = pidfd_of(h_path("run/first"), &first);
	pa = pidfd_of(h_path("run/a"), &a);
	pb = pidfd_of(h_path("run/b"), &b);
	cr_assert(pa >= 0 && pb >= 0, "a daemon died early");
	/* in sessions of their own: stopped in .fini even if this test fails */
	p_track(a);
	p_track(b);
	/* PROGRAM's first process is gone; the broker stays for the daemons */
	cr_assert(gone(pfirst, WAIT_MS), "PROGRAM did not exit");
	cr_assert_eq(p_wait_ms(&p, 0), -1, "the broker left with the first process");
	cr_assert(!gone(pa, 0) && !gone(pb, 0), "a daemon died early");

	cr_assert_eq(kill(p.pid, SIGTERM), 0);
	status = p_wait_ms(&p, WAIT_MS);
	err = h_slurp(h_path("run.err"));
	cr_assert_neq(status, -1, "the broker did not stop: %s", err);
	cr_assert_eq(status, 0, "%s", err);
	/* the broker leaves only once it has reaped the whole tree */
	cr_assert(gone(pa, 0), "daemon a (%d) still runs: %s", (int)a, err);
	cr_assert(gone(pb, 0), "daemon b (%d), which ignores SIGTERM, still runs: %s", (int)b, err);
	/*
	 * At least the two daemons, whatever their shells have not yet
	 * exec'd; at least b, which ignores SIGTERM, takes the SIGKILL.
	 */
	const char *stopping = strstr(err, "fdbroker run: stopping: SIGTERM to ");
	const char *killing = strstr(err, "fdbroker run: SIGKILL to ");
	int nterm = 0, nkill = 0;

	cr_assert(stopping && sscanf(stopping, "fdbroker run: stopping: SIGTERM to %d", &nterm) == 1,
		  "%s", err);
	cr_assert_geq(nterm, 2, "%s", err);
	cr_assert(strstr(stopping, " processes; SIGKILL after 1 s\n"), "%s", err);
	cr_assert(killing && sscanf(killing, "fdbroker run: SIGKILL to %d", &nkill) == 1, "%s", err);
	cr_assert_geq(nkill, 1, "%s", err);
	free(err);
	if (pfirst >= 0)
		close(pfirst);
	close(pa);
	close(pb);
}

/*
 * lighttpd daemonizes by double fork; SIGTERM to the broker reaches the
 * daemon (lighttpd exits on SIGTERM), run exits 0.  PROGRAM is a shell that
 * writes its pid once lighttpd's first process has returned, so the test
 * knows when PROGRAM is gone.  Port 662, of test_lifetime.c's range 660-669.
 */
Test(stop, sigterm_stops_lighttpd)
{
	const char *www = h_dir("www", 0755), *pidfile = h_path("run/lighttpd.pid");
	char conf[2048], script[1024], out[4096], *err;
	struct proc p;
	pid_t daemon, first;
	int pd, pfirst, status;

	h_dir("run", 0777);
	h_file("www/index.html", "hello\n", 0644);
	snprintf(conf, sizeof(conf),
		 "server.port = 662\nserver.bind = \"127.0.0.1\"\n"
		 "server.document-root = \"%s\"\nserver.pid-file = \"%s\"\n"
		 "server.errorlog = \"%s\"\n",
		 www, pidfile, h_path("run/error.log"));
	snprintf(script, sizeof(script), "lighttpd -f %s && echo $$ >%s.tmp && mv %s.tmp %s",
		 h_file("lighttpd.conf", conf, 0644), h_path("run/first"), h_path("run/first"),
		 h_path("run/first"));
	p_start(&p,
		(char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "-a",
			    "bind tcp 127.0.0.1:662", "--log", (char *)h_path("audit.log"), "--",
			    "sh", "-c", script, NULL },
		NULL, h_path("run.err"));
	pd = pidfd_of(pidfile, &daemon);
	cr_assert_geq(pd, 0, "lighttpd is gone: %s", h_slurp(h_path("run.err")));
	p_track(getpgid(daemon));
	pfirst = pidfd_of(h_path("run/first"), &first);
	cr_assert(gone(pfirst, WAIT_MS), "PROGRAM did not exit");
	cr_assert_gt(tcp_talk(NULL, 662, "GET /index.html HTTP/1.0\r\n\r\n", out, sizeof(out)), 0);
	cr_assert(strstr(out, "200 OK"), "%s", out);
	cr_assert_eq(p_wait_ms(&p, 0), -1, "the broker left with the first process");

	cr_assert_eq(kill(p.pid, SIGTERM), 0);
	status = p_wait_ms(&p, WAIT_MS);
	err = h_slurp(h_path("run.err"));
	cr_assert_eq(status, 0, "%s", err);
	cr_assert(gone(pd, 0), "lighttpd (%d) still runs: %s", (int)daemon, err);
	cr_assert(strstr(err, "fdbroker run: stopping: SIGTERM to 1 process; SIGKILL after 10 s\n"),
		  "%s", err);
	free(err);
	if (pfirst >= 0)
		close(pfirst);
	close(pd);
}
