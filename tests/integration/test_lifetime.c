/*
 * fdbroker run as a supervisor: --learn writes the policy a program needs,
 * the broker outlives a daemon's first process and no more, passes SIGTERM
 * on and exits with the program's status.
 *
 * Ports 660-669 here, one per test (test_net.c 600-639, test_serve.c 640-659).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

TestSuite(lifetime, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

/*
 * 5. --learn grants nothing but prints the rules that would have allowed
 * what was denied; fed back with -p they let the same command through.
 * The server is python binding port 660 and exiting: a real program's
 * bind, with no race between its start-up and the script killing it.
 */
Test(lifetime, learn_then_allow)
{
	const char *secret = h_file("shadow", "root-only-secret\n", 0600);
	const char *log1 = h_path("learn.log"), *log2 = h_path("allow.log");
	const char *policy = h_path("learned.policy");
	char script[1024], want_open[600], obj[600];
	struct result r;
	FILE *f;

	snprintf(script, sizeof(script),
		 "cat %s; python3 -c 'import socket; socket.socket().bind((\"127.0.0.1\", 660))'",
		 secret);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "--learn", "-u", "nobody", "--log",
			      (char *)log1, "--", "sh", "-c", script, NULL },
		  NULL, false);
	snprintf(want_open, sizeof(want_open), "allow user nobody open %s read", secret);
	cr_assert(h_has_line(r.err, want_open), "no '%s' in:\n%s", want_open, r.err);
	cr_assert(h_has_line(r.err, "allow user nobody bind tcp 127.0.0.1:660"), "%s", r.err);
	/* learning granted nothing */
	cr_assert_null(strstr(r.out, "root-only-secret"), "cat read the file while learning");
	char *text = h_slurp(log1);
	snprintf(obj, sizeof(obj), "op=open object=%s ", secret);
	cr_assert(strstr(h_line_with(text, obj), "verdict=deny"), "%s", text);
	cr_assert(strstr(h_line_with(text, "op=bind object=127.0.0.1:660 "), "verdict=deny"), "%s",
		  text);
	free(text);

	/* the learned lines, and nothing else, as the policy */
	f = fopen(policy, "w");
	cr_assert_not_null(f);
	for (const char *s = r.err; *s;) {
		size_t len = strcspn(s, "\n");

		if (!strncmp(s, "allow ", 6))
			fprintf(f, "%.*s\n", (int)len, s);
		s += len + (s[len] ? 1 : 0);
	}
	/* a policy others may write is refused, whatever the umask */
	cr_assert_eq(fchmod(fileno(f), 0644), 0);
	fclose(f);
	h_free(&r);

	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "-p", (char *)policy,
			      "--log", (char *)log2, "--", "sh", "-c", script, NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "root-only-secret"), "cat failed: %s%s", r.out, r.err);
	h_free(&r);
	text = h_slurp(log2);
	cr_assert(strstr(h_line_with(text, obj), "verdict=allow"), "%s", text);
	cr_assert(strstr(h_line_with(text, "op=bind object=127.0.0.1:660 "), "verdict=allow"),
		  "the server did not bind: %s", text);
	cr_assert_null(strstr(text, "verdict=deny"), "%s", text);
	free(text);
}

/* The parent pid of pid, from /proc/PID/stat. */
static pid_t parent_of(pid_t pid)
{
	char path[64], *text, *p;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	text = h_slurp(path);
	p = strrchr(text, ')');
	if (p)
		sscanf(p + 1, " %*c %d", &ppid);
	free(text);
	return ppid;
}

/*
 * 6. lighttpd daemonizes by double fork: the process fdbroker run started
 * exits, the broker stays and serves the daemon (which it adopted, as a
 * subreaper), and goes once the daemon is killed.
 */
Test(lifetime, daemon_outlives_first_process)
{
	const char *www = h_dir("www", 0755);
	const char *pidfile = h_path("run/lighttpd.pid"), *log = h_path("audit.log");
	char conf[2048], out[4096], pidtext[32] = "";
	struct proc p;
	pid_t daemon;
	int fd, status;

	h_dir("run", 0777); /* lighttpd, as nobody, writes its pid file and log here */
	h_file("www/index.html", "hello from lighttpd\n", 0644);
	snprintf(conf, sizeof(conf),
		 "server.port = 661\n"
		 "server.bind = \"127.0.0.1\"\n"
		 "server.document-root = \"%s\"\n"
		 "server.pid-file = \"%s\"\n"
		 "server.errorlog = \"%s\"\n",
		 www, pidfile, h_path("run/error.log"));
	const char *cf = h_file("lighttpd.conf", conf, 0644);

	p_start(&p,
		(char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "-a",
			    "bind tcp 127.0.0.1:661", "--log", (char *)log, "--", "lighttpd", "-f",
			    (char *)cf, NULL },
		NULL, h_path("run.err"));
	/* the daemon writes its pid once it listens */
	cr_assert_eq(wait_for_text(pidfile, "\n", WAIT_MS), 0, "lighttpd did not start:\n%s",
		     h_slurp(h_path("run.err")));
	fd = open(pidfile, O_RDONLY | O_CLOEXEC);
	cr_assert_gt(read(fd, pidtext, sizeof(pidtext) - 1), 0);
	close(fd);
	daemon = (pid_t)atoi(pidtext);
	cr_assert_gt(daemon, 0);
	/* in a session of its own: stopped in .fini even if the broker is gone */
	p_track(getpgid(daemon));
	/*
	 * The daemon may write its pid file before its first parent has
	 * exited: wait for that parent (pidfd, no polling), then the broker
	 * must have adopted the daemon, and still be there for it.
	 */
	pid_t first = parent_of(daemon);

	if (first != p.pid && first > 1) {
		int pfd = (int)syscall(SYS_pidfd_open, first, 0);
		struct pollfd pf = { .fd = pfd, .events = POLLIN };

		if (pfd >= 0) {
			poll(&pf, 1, WAIT_MS);
			close(pfd);
		}
	}
	cr_assert_eq(parent_of(daemon), p.pid, "daemon %d's parent is %d, not the broker %d",
		     (int)daemon, (int)parent_of(daemon), (int)p.pid);
	cr_assert_eq(p_wait_ms(&p, 0), -1, "the broker left with the first process");
	for (int i = 0; i < 3; i++) {
		cr_assert_gt(tcp_talk(NULL, 661, "GET /index.html HTTP/1.0\r\n\r\n", out, sizeof(out)),
			     0);
		cr_assert(strstr(out, "200 OK") && strstr(out, "hello from lighttpd"), "%s", out);
	}
	char *text = h_slurp(log);
	cr_assert(strstr(text, "op=bind object=127.0.0.1:661 proto=tcp verdict=allow rule=-a:1"),
		  "%s", text);
	free(text);

	cr_assert_eq(kill(daemon, SIGTERM), 0);
	status = p_wait_ms(&p, WAIT_MS);
	cr_assert_neq(status, -1, "the broker outlived the daemon");
	/* the program's status: lighttpd's first process exited 0 after the fork */
	cr_assert_eq(status, 0, "%s", h_slurp(h_path("run.err")));
}

/* 6. SIGTERM to the broker reaches the program, whose status the broker returns. */
Test(lifetime, sigterm_reaches_program)
{
	struct proc p;
	const char *line;

	p_start(&p,
		(char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--log",
			    (char *)h_path("audit.log"), "--", "sh", "-c",
			    "trap 'echo got-term; exit 3' TERM; echo ready; "
			    "while :; do sleep 0.1; done",
			    NULL },
		NULL, h_path("run.err"));
	line = p_line(&p, WAIT_MS);
	cr_assert(line && !strcmp(line, "ready"), "%s", line ? line : "(none)");
	cr_assert_eq(kill(p.pid, SIGTERM), 0);
	line = p_line(&p, WAIT_MS);
	cr_assert(line && !strcmp(line, "got-term"), "%s", line ? line : "(none)");
	cr_assert_eq(p_wait(&p), 3);
}

/* 6. The program's exit status, 128+N for a signal; root must name a user. */
Test(lifetime, exit_status_and_user_required)
{
	struct result r;

	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--", "sh", "-c",
			      "exit 7", NULL },
		  NULL, false);
	cr_assert_eq(r.status, 7, "%s", r.err);
	h_free(&r);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--", "sh", "-c",
			      "kill -KILL $$", NULL },
		  NULL, false);
	cr_assert_eq(r.status, 128 + SIGKILL, "%s", r.err);
	h_free(&r);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "--", "sh", "-c", "exit 0", NULL }, NULL,
		  false);
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "-u USER") && strstr(r.err, "root"), "%s", r.err);
	h_free(&r);
}

/*
 * run's socket: in TMPDIR, fdbroker.RANDOM.sock, the program's user's,
 * mode 0600 (no other user may connect), and gone when run is: nothing of
 * run's is left in TMPDIR, not even a directory.
 */
Test(lifetime, socket_in_tmpdir_has_its_mode_and_is_removed)
{
	char tmpdir[600], *env[] = { tmpdir, NULL };
	const char *prefix;
	struct result r;
	DIR *d;
	struct dirent *e;
	int left = 0;

	snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", h_dir("t", 01777));
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--", "sh", "-c",
			      "stat -c '%a %U %F %n' \"$FDBROKER_SOCKET\"", NULL },
		  env, false);
	cr_assert_eq(r.status, 0, "%s", r.err);
	prefix = h_path("t/fdbroker.");
	cr_assert(!strncmp(r.out, "600 nobody socket ", 18) && strstr(r.out, prefix) &&
		  strstr(r.out, ".sock\n"), "%s", r.out);
	h_free(&r);
	d = opendir(h_path("t"));
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		left += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	cr_assert_eq(left, 0, "run left %d entries in TMPDIR", left);
}
