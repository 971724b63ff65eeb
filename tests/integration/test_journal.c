/*
 * --log journal (issue 14, Journal): each decision is a journal entry with
 * its parts as fields, and a journal that does not keep up never blocks
 * the broker.
 *
 * The journal is the test's own: a child of the test enters a private
 * mount namespace (nothing leaks if the test dies), mounts a tmpfs over
 * /run/systemd, binds a datagram socket at /run/systemd/journal/socket and
 * runs `fdbroker run --log journal` there, receiving (or, for the full
 * journal, not receiving) what it sends.  The datagrams are written to a
 * file of the test's directory, separated by a line "--", and checked here.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define JOURNAL_DIR "/run/systemd/journal"

/* Every datagram waiting on s, appended to out, each followed by "--\n". */
static void drain(int s, int out)
{
	static char buf[65536];
	ssize_t n;

	while ((n = recv(s, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (write(out, buf, (size_t)n) != n || write(out, "--\n", 3) != 3)
			_exit(121);
	}
}

/*
 * In the child: the private journal, then fdbroker run --log journal -- sh
 * -c SCRIPT as nobody with the rule 'open /etc/shadow read', its stdout to
 * h_path("stdout"), its stderr to h_path("stderr").  With read_it, entries
 * are received while it runs, else only after it exits (the queue fills).
 * Exits with fdbroker's status; 120+ on a failure of the set-up.
 */
static void journal_child(const char *script, bool read_it)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, out, status;
	pid_t pid;

	/*
	 * Dies with the test (a timeout): its socket closes, and a broker
	 * blocked sending to it gets ECONNREFUSED instead of hanging on.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") < 0 || mkdir(JOURNAL_DIR, 0755) < 0)
		_exit(120);
	snprintf(sa.sun_path, sizeof(sa.sun_path), JOURNAL_DIR "/socket");
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(122);
	out = open(h_path("entries"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		_exit(123);
	pid = fork();
	if (pid == 0) {
		int o = open(h_path("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(h_path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(124);
		execl(h_fdbroker(), "fdbroker", "run", "--log", "journal", "-u", "nobody", "-a",
		      "open /etc/shadow read", "--", "sh", "-c", script, (char *)NULL);
		_exit(125);
	}
	if (pid < 0)
		_exit(126);
	while (waitpid(pid, &status, read_it ? WNOHANG : 0) == 0) {
		struct pollfd p = { .fd = s, .events = POLLIN };

		/* the timeout only bounds the wait for fdbroker's exit */
		if (poll(&p, 1, 50) > 0)
			drain(s, out);
	}
	drain(s, out);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

static int run_journal(const char *script, bool read_it)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		journal_child(script, read_it);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The entry (between "--" lines) that holds every one of a, b, c (b, c may be NULL). */
static char *find_entry(char *all, const char *a, const char *b, const char *c)
{
	for (char *e = all; *e;) {
		char *end = strstr(e, "\n--\n");
		char save;
		bool hit;

		if (!end)
			break;
		save = end[1];
		end[1] = '\0';
		hit = strstr(e, a) && (!b || strstr(e, b)) && (!c || strstr(e, c));
		end[1] = save;
		if (hit) {
			size_t n = (size_t)(end + 1 - e);
			char *copy = malloc(n + 1);

			memcpy(copy, e, n);
			copy[n] = '\0';
			return copy;
		}
		e = end + 4;
	}
	return NULL;
}

TestSuite(journal, .fini = h_cleanup, .timeout = 60);

/* An allowed cat /etc/shadow and a denied open: one entry each, with the fields. */
Test(journal, entries)
{
	char *all, *allow, *deny, *out;
	int rc;

	h_tmpdir();
	rc = run_journal("cat /etc/shadow; cat /etc/gshadow", true);
	all = h_slurp_must(h_path("entries"));
	out = h_slurp_must(h_path("stdout"));
	cr_assert_eq(rc, 1, "fdbroker run: %d (cat of /etc/gshadow fails); stderr: %s", rc,
		     h_slurp(h_path("stderr")));
	cr_assert(strncmp(out, "root:", 5) == 0, "cat read /etc/shadow: %.40s", out);

	allow = find_entry(all, "FDBROKER_VERDICT=allow\n", "FDBROKER_OBJECT=/etc/shadow\n", NULL);
	cr_assert(allow, "no allow entry for /etc/shadow in:\n%s", all);
	cr_assert(strstr(allow, "PRIORITY=6\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_OP=open\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_RULE=-a:1\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_ERRNO=0\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_UID=65534\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_GID=65534\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_PROG=cat\n"), "%s", allow);
	cr_assert(strstr(allow, "FDBROKER_DETAIL=rights=read\n"), "%s", allow);
	cr_assert(strstr(allow, "SYSLOG_IDENTIFIER=fdbroker\n"), "%s", allow);
	cr_assert(strstr(allow, "OBJECT_PID="), "%s", allow);
	/* MESSAGE is today's line without the time and pid prefix */
	cr_assert(strstr(allow, "MESSAGE=pid="), "%s", allow);
	cr_assert(strstr(allow, " prog=cat op=open object=/etc/shadow rights=read verdict=allow "
				"rule=-a:1 errno=0\n"), "%s", allow);

	deny = find_entry(all, "FDBROKER_VERDICT=deny\n", "FDBROKER_OBJECT=/etc/gshadow\n", NULL);
	cr_assert(deny, "no deny entry for /etc/gshadow in:\n%s", all);
	cr_assert(strstr(deny, "PRIORITY=5\n"), "%s", deny);
	cr_assert(strstr(deny, "FDBROKER_RULE=default\n"), "%s", deny);
	cr_assert(strstr(deny, "FDBROKER_ERRNO=EACCES\n"), "%s", deny);
	free(allow);
	free(deny);
	free(all);
	free(out);
}

/*
 * A field holds the escaped form, as the line does: a path with a newline
 * cannot start a forged field, and a program name with a carriage return
 * and an escape sequence cannot drive a terminal that shows the journal.
 */
Test(journal, fields_escaped)
{
	char *all, *deny;

	h_tmpdir();
	/* the broker reads the name from /proc/PID/comm: the file's name, so run a copy of cat */
	run_journal("d=$(mktemp -d); cp /bin/cat \"$d/$(printf 'a\\rb\\033[2J')\"; "
		    "\"$d\"/a* \"$(printf '/root/x\\nPRIORITY=1')\"; rm -rf \"$d\"",
		    true);
	all = h_slurp_must(h_path("entries"));
	deny = find_entry(all, "FDBROKER_OBJECT=/root/x\\x0aPRIORITY=1\n", NULL, NULL);
	cr_assert(deny, "no entry for the path with a newline in:\n%s", all);
	cr_assert(strstr(deny, "FDBROKER_PROG=a\\x0db\\x1b[2J\n"), "%s", deny);
	cr_assert(strstr(deny, "FDBROKER_VERDICT=deny\n"), "%s", deny);
	cr_assert(strstr(deny, "\nPRIORITY=5\n"), "%s", deny);
	cr_assert_null(strstr(deny, "\nPRIORITY=1"), "%s", deny);
	for (const char *c = deny; *c; c++)
		cr_assert(*c == '\n' || (*c >= ' ' && *c < 0x7f), "raw byte 0x%02x in:\n%s",
			  (unsigned char)*c, deny);
	free(deny);
	free(all);
}

/*
 * Nobody reads the journal: its queue fills after a few entries, and the
 * broker goes on serving (a blocking send would hang here until the
 * timeout), says once on stderr that entries are lost and, at exit, how
 * many; those and the entries queued add up to every decision.
 */
Test(journal, full_does_not_block)
{
	char *all, *err, *out, *p;
	unsigned long lost = 0;
	long queued, decisions = 41;
	int rc;

	h_tmpdir();
	rc = run_journal("i=0; while [ $i -lt 40 ]; do cat /etc/gshadow 2>/dev/null; i=$((i+1)); done; "
			 "cat /etc/shadow",
			 false);
	all = h_slurp_must(h_path("entries"));
	err = h_slurp_must(h_path("stderr"));
	out = h_slurp_must(h_path("stdout"));
	cr_assert_eq(rc, 0, "fdbroker run: %d; stderr: %s", rc, err);
	cr_assert(strncmp(out, "root:", 5) == 0, "served with the journal full: %.40s", out);
	cr_assert(strstr(err, "fdbroker: audit log journal: Resource temporarily unavailable; "
			      "decisions are not being recorded"), "%s", err);
	cr_assert_eq(h_count_lines(err, "decisions are not being recorded", NULL), 1, "%s", err);
	p = strstr(err, "fdbroker: audit log journal: ");
	p = p ? strstr(p + 1, "fdbroker: audit log journal: ") : NULL;
	cr_assert(p && sscanf(p, "fdbroker: audit log journal: %lu lines were lost", &lost) == 1,
		  "no count of lost lines at exit: %s", err);
	queued = h_count_lines(all, "FDBROKER_VERDICT=", NULL);
	cr_assert_gt(queued, 0);
	cr_assert_eq(queued + (long)lost, decisions, "%ld queued + %lu lost != %ld decisions", queued,
		     lost, decisions);
	free(all);
	free(err);
	free(out);
}

/* No journal listening: fdbroker says so at start and runs nothing. */
Test(journal, no_journal_refused)
{
	char *argv[] = { (char *)h_fdbroker(), "run", "--log", "journal", "-u", "nobody", "--",
			 "sh", "-c", "echo ran", NULL };
	struct result r;
	int status;
	pid_t pid;

	h_tmpdir();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/run/systemd", "tmpfs", 0, "mode=0755") < 0)
			_exit(120);
		r = h_run(argv, NULL, false);
		_exit(r.status == 0 || strstr(r.out, "ran") ||
		      !strstr(r.err, "fdbroker: cannot open log journal: No such file or directory") ? 1 : 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "fdbroker run --log journal without a journal: status %d", status);
}
