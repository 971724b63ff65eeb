/*
 * Credentials (issue 6, third item; SPEC §5 "each request is judged on
 * kernel-supplied credentials, never on anything the client claims"):
 *
 *  - a client that attaches SCM_CREDENTIALS claiming uid 0, pid 1 or the
 *    broker's pid is judged as itself.  Without privilege the kernel already
 *    refuses to carry the lie (sendmsg EPERM); with CAP_SETUID/CAP_SETGID/
 *    CAP_SYS_ADMIN kept across the change to nobody the lie reaches the
 *    socket, and the broker (which never sets SO_PASSCRED and judges on
 *    SO_PEERCRED) refuses the request by policy as nobody, or drops the
 *    record as malformed: never a descriptor, and the log names the real
 *    pid and uid;
 *  - a client of user A cannot use user B's rules (user and group rules);
 *  - a descriptor one client sends (a dirfd) never reaches another client,
 *    is never used for another client's request, and is closed afterwards.
 *
 * A real `fdbroker serve` (root), clients are tests/bin/rawclient as nobody
 * (65534) and daemon (1).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000

TestSuite(credentials, .fini = p_suite_fini, .timeout = 30);

static struct served srv;

/* rawclient [-k] -u UID -g GID SOCK ARGS...; its first output line (static). */
static const char *raw_as(const char *uid, const char *gid, bool keep, char *const args[])
{
	return served_raw(&srv, uid, gid, keep, args);
}

static void start_broker(const char *policy_text)
{
	const char *policy = h_file("policy", policy_text, 0644);

	served_start(&srv, policy, WAIT_MS);
}

/* The first log line that holds needle (h_line_with's static buffer), or "". */
static const char *log_line(const char *needle)
{
	char *log = h_slurp(srv.log);
	const char *line = h_line_with(log, needle);

	free(log);
	return line;
}

/* Does any of the broker's descriptors refer to path? */
static bool broker_holds(const char *path)
{
	char dir[64], link[320], target[4096];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)srv.proc.pid);
	d = opendir(dir);
	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, path) == 0)
				found = true;
		}
	}
	closedir(d);
	return found;
}

/*
 * A lie about the sender's ids, attached as SCM_CREDENTIALS: what happened
 * to it.  The outcome must be a refusal judged as nobody or a drop, never a
 * descriptor; the log line names the client's real pid and uid.
 */
static void lie_judged_as_itself(const char *mode, const char *secret)
{
	char *args[] = { "spoof", (char *)mode, (char *)secret, NULL };
	const char *out = raw_as("65534", "65534", true, args);
	char pidkey[32];
	const char *line;
	int pid;

	cr_assert(sscanf(out, "pid=%d sent ", &pid) == 1,
		  "%s: the kernel did not carry the claim even with the capabilities: %s", mode,
		  out);
	snprintf(pidkey, sizeof(pidkey), "pid=%d ", pid);
	line = log_line(pidkey);
	cr_assert(*line, "%s: no log line for pid %d", mode, pid);
	if (strstr(out, "replies=1 drops=0 fds=0 timeouts=0 status=EACCES")) {
		/* judged by policy, as itself */
		cr_assert(strstr(line, "uid=65534 gid=65534 ") && strstr(line, "verdict=deny"),
			  "%s: %s", mode, line);
	} else {
		/* or refused as a malformed record */
		cr_assert(strstr(out, "replies=0 drops=1 fds=0"), "%s: %s", mode, out);
		cr_assert(strstr(line, "client dropped"), "%s: %s", mode, line);
	}
	cr_assert_null(strstr(line, "uid=0 "), "%s: judged as root: %s", mode, line);
}

Test(credentials, claims_of_other_ids_are_judged_as_the_sender)
{
	const char *secret = h_file("secret", "root only\n", 0600);
	const char *pub = h_file("pub", "nobody may\n", 0600);
	char text[1024], bpid[32];
	const char *out;

	/* only root may open secret: a client that passes for root would get it */
	snprintf(text, sizeof(text), "allow user root open %s read\n"
		 "allow user nobody open %s read\n", secret, pub);
	start_broker(text);

	/* without privilege the kernel itself refuses to carry a false claim */
	out = raw_as("65534", "65534", false, (char *[]){ "spoof", "uid0", (char *)secret, NULL });
	cr_assert_str_eq(out, "sendmsg EPERM");
	out = raw_as("65534", "65534", false, (char *[]){ "spoof", "pid1", (char *)secret, NULL });
	cr_assert_str_eq(out, "sendmsg EPERM");

	/* with the capabilities to lie, the lie reaches the broker and changes nothing */
	lie_judged_as_itself("uid0", secret);
	lie_judged_as_itself("pid1", secret);
	snprintf(bpid, sizeof(bpid), "pid=%d", (int)srv.proc.pid);
	lie_judged_as_itself(bpid, secret);
	cr_assert_str_empty(log_line("uid=0 "), "someone was judged as root");

	/* a true claim attached is harmless: nobody still gets nobody's file */
	out = raw_as("65534", "65534", false, (char *[]){ "spoof", "self", (char *)pub, NULL });
	cr_assert(strstr(out, "replies=1 drops=0 fds=1 timeouts=0 status=0") ||
		  strstr(out, "replies=0 drops=1 fds=0"), "%s", out);
	out = raw_as("65534", "65534", false, (char *[]){ "open", (char *)pub, "2", NULL });
	cr_assert_str_eq(out, "ok 2");
	cr_assert_eq(served_stop(&srv), 0);
}

/* One open as uid:gid: "ok 1" or "err ENAME". */
static const char *open_as(const char *uid, const char *gid, const char *path)
{
	return raw_as(uid, gid, false, (char *[]){ "open", (char *)path, "1", NULL });
}

Test(credentials, one_users_rules_are_not_anothers)
{
	const char *a = h_file("a", "nobody's\n", 0600);
	const char *b = h_file("b", "daemon's\n", 0600);
	const char *g = h_file("g", "nogroup's\n", 0600);
	char text[1024];

	snprintf(text, sizeof(text),
		 "allow user nobody open %s read\n"
		 "allow user daemon open %s read\n"
		 "allow group nogroup open %s read\n", a, b, g);
	start_broker(text);

	/* nobody:nogroup */
	cr_assert_str_eq(open_as("65534", "65534", a), "ok 1");
	cr_assert_str_eq(open_as("65534", "65534", b), "err EACCES");
	cr_assert_str_eq(open_as("65534", "65534", g), "ok 1");
	/* daemon:daemon */
	cr_assert_str_eq(open_as("1", "1", b), "ok 1");
	cr_assert_str_eq(open_as("1", "1", a), "err EACCES");
	cr_assert_str_eq(open_as("1", "1", g), "err EACCES");
	/* the group rule follows the group, the user rule the user */
	cr_assert_str_eq(open_as("1", "65534", g), "ok 1");
	cr_assert_str_eq(open_as("1", "65534", a), "err EACCES");
	cr_assert_str_eq(open_as("65534", "1", a), "ok 1");
	cr_assert_str_eq(open_as("65534", "1", g), "err EACCES");
	cr_assert_str_eq(open_as("65534", "1", b), "err EACCES");

	/* and the log says who was judged */
	{
		char key[600];

		snprintf(key, sizeof(key), "uid=1 gid=1 prog=rawclient op=open object=%s "
			 "rights=read verdict=deny", a);
		cr_assert(*log_line(key), "no denial of a to daemon in the log");
	}
	cr_assert_eq(served_stop(&srv), 0);
}

/* Start rawclient as uid:gid with args, output read through p_line. */
static void start_raw(struct proc *p, const char *uid, const char *gid, char *const args[])
{
	char *argv[20] = { (char *)h_rawclient(), "-u", (char *)uid, "-g", (char *)gid,
			   (char *)srv.sock };
	int n = 6;

	for (int i = 0; args[i] && n < 19; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	p_start(p, argv, NULL, h_path("clients.err"));
}

Test(credentials, a_descriptor_sent_by_one_client_never_reaches_another)
{
	const char *da = h_dir("da", 0755), *db = h_dir("db", 0755);
	const char *fa = h_file("da/f", "nobody's f\n", 0600);
	const char *fb = h_file("db/f", "daemon's f\n", 0600);
	struct proc a, b, c, d;
	char text[1024];
	const char *line;
	int base;

	snprintf(text, sizeof(text),
		 "allow user nobody open %s read\n"
		 "allow user daemon open %s read\n", fa, fb);
	start_broker(text);
	cr_assert_str_eq(open_as("65534", "65534", fa), "ok 1");
	base = srv.base_fds;

	/*
	 * Concurrently: nobody opens "f" relative to its dirfd on da, daemon
	 * "f" relative to its dirfd on db, daemon db/f by absolute path.  Each
	 * checks every descriptor it gets by device and inode: a dirfd used
	 * for the wrong client, or a descriptor handed to the wrong client,
	 * shows as "bad".
	 */
	start_raw(&a, "65534", "65534", (char *[]){ "dirfd", (char *)da, "f", "3000", NULL });
	start_raw(&b, "1", "1", (char *[]){ "dirfd", (char *)db, "f", "3000", NULL });
	start_raw(&c, "1", "1", (char *[]){ "open", (char *)fb, "3000", NULL });
	/* nobody's dirfd on daemon's directory grants nothing */
	start_raw(&d, "65534", "65534", (char *[]){ "dirfd", (char *)db, "f", "1", NULL });
	line = p_line(&a, WAIT_MS);
	cr_assert(line && !strcmp(line, "ok 3000"), "nobody via da: %s", line ? line : "(none)");
	line = p_line(&b, WAIT_MS);
	cr_assert(line && !strcmp(line, "ok 3000"), "daemon via db: %s", line ? line : "(none)");
	line = p_line(&c, WAIT_MS);
	cr_assert(line && !strcmp(line, "ok 3000"), "daemon db/f: %s", line ? line : "(none)");
	line = p_line(&d, WAIT_MS);
	cr_assert(line && !strcmp(line, "err EACCES"), "nobody via db: %s", line ? line : "(none)");
	cr_assert_eq(p_wait(&a), 0);
	cr_assert_eq(p_wait(&b), 0);
	cr_assert_eq(p_wait(&c), 0);
	cr_assert_eq(p_wait(&d), 0);

	/* every dirfd the broker received is closed again: none left to hand out */
	for (int i = 0; i < 100 && served_fds(&srv) != base; i++)
		cr_assert_str_eq(open_as("65534", "65534", fa), "ok 1");
	cr_assert_eq(served_fds(&srv), base, "broker descriptors %d, baseline %d",
		     served_fds(&srv), base);
	cr_assert(!broker_holds(da) && !broker_holds(db), "the broker kept a client's dirfd");
	cr_assert_eq(served_stop(&srv), 0);
}
