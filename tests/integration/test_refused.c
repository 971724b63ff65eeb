/*
 * A policy that must not be used is refused by every command that reads
 * one: check says why, run does not start the program, serve does not
 * start, and a serve reload (SIGHUP) keeps the old policy.  Two kinds: a
 * policy that names the removed `append` right, and one reached through a
 * symlink into a directory nobody owns (or below a directory nobody owns).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(refused, .fini = p_suite_fini, .timeout = 60);

#define WAIT_MS 20000

#define APPEND_GONE "'append' is gone: the kernel cannot keep a descriptor append-only " \
		    "(fcntl F_SETFL clears O_APPEND, ftruncate works on it); grant 'write'"

static struct result fdbroker(char *const args[])
{
	return h_fdbroker_cmd(args, NULL, false);
}

/*
 * check exits 1, run exits 125 without running the program, serve exits
 * 125 without making its socket: each with want on standard error.
 */
static void refused_by_check_run_serve(const char *policy, const char *want)
{
	const char *sock = h_path("refused.sock");
	struct result r;
	struct stat st;

	r = fdbroker((char *[]){ "check", "-p", (char *)policy, NULL });
	cr_assert_eq(r.status, 1, "check: %s%s", r.out, r.err);
	cr_assert(strstr(r.err, want), "check: no '%s' in '%s'", want, r.err);
	cr_assert_eq(strstr(r.out, "no errors"), NULL, "%s", r.out);
	h_free(&r);

	r = fdbroker((char *[]){ "run", "-u", "nobody", "-p", (char *)policy, "--", "echo",
				 "started", NULL });
	cr_assert_eq(r.status, 125, "run: %s%s", r.out, r.err);
	cr_assert_str_empty(r.out, "the program ran: %s", r.out);
	cr_assert(strstr(r.err, want), "run: no '%s' in '%s'", want, r.err);
	h_free(&r);

	r = fdbroker((char *[]){ "serve", "-p", (char *)policy, "-s", (char *)sock, "--log",
				 (char *)h_path("refused.log"), NULL });
	cr_assert_eq(r.status, 125, "serve: %s%s", r.out, r.err);
	cr_assert(strstr(r.err, want), "serve: no '%s' in '%s'", want, r.err);
	cr_assert(strstr(r.err, "fdbroker: policy refused"), "%s", r.err);
	cr_assert_neq(stat(sock, &st), 0, "serve made its socket");
	h_free(&r);
}

/*
 * serve on a good policy at path (letting nobody read a file A), then
 * make_bad turns path into a refused policy whose first line would deny A;
 * after SIGHUP the log says why with want and that the old policy stays,
 * and nobody still reads A.
 */
static void reload_refused(const char *path, void (*make_bad)(const char *path, const char *a),
			   const char *want)
{
	const char *a = h_file("allowed.txt", "A\n", 0600);
	char text[600], line[1600];
	struct served srv;
	struct result r;
	char *log;

	snprintf(text, sizeof(text), "allow user nobody open %s read\n", a);
	cr_assert_eq(rename(h_file("good.new", text, 0644), path), 0, "%s", strerror(errno));
	served_start(&srv, path, WAIT_MS);
	make_bad(path, a);
	cr_assert_eq(kill(srv.proc.pid, SIGHUP), 0);
	cr_assert_eq(wait_for_text(srv.log, "policy reload refused", WAIT_MS), 0, "%s",
		     h_slurp(srv.log));
	log = h_slurp(srv.log);
	snprintf(line, sizeof(line), "policy reload: %s", want);
	cr_assert(strstr(log, line), "no '%s' in:\n%s", line, log);
	cr_assert(strstr(log, "the old policy stays"), "%s", log);
	cr_assert_eq(strstr(log, "policy reloaded"), NULL, "%s", log);
	free(log);
	r = h_run((char *[]){ (char *)h_probe(), "open", (char *)a, "r", NULL },
		  h_shim_env(srv.sock), true);
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0 && strstr(r.out, "data=A"), "%s%s", r.out, r.err);
	h_free(&r);
	cr_assert_eq(served_stop(&srv), 0);
}

/* ---- append ---------------------------------------------------------------- */

static const char append_text[] = "allow user nobody open /var/log/x.log read\n"
				  "allow user nobody open /var/log/app.log append\n";

Test(refused, append_by_check_run_serve)
{
	const char *p = h_file("append.policy", append_text, 0644);
	char want[1200];

	/* line 2, the column of "append" */
	snprintf(want, sizeof(want), "%s:2:41: " APPEND_GONE, p);
	refused_by_check_run_serve(p, want);
}

static void write_append_policy(const char *path, const char *a)
{
	char text[600];

	snprintf(text, sizeof(text), "deny any open %s\nallow user nobody open %s append\n", a, a);
	cr_assert_eq(rename(h_file("bad.new", text, 0644), path), 0, "%s", strerror(errno));
}

Test(refused, append_by_reload)
{
	const char *p = h_path("served.policy"), *a = h_path("allowed.txt");
	char want[1200];

	snprintf(want, sizeof(want), "%s:2:%zu: " APPEND_GONE, p,
		 strlen("allow user nobody open ") + strlen(a) + 2);
	reload_refused(p, write_append_policy, want);
}

/* ---- a policy reached through a symlink into nobody's directory ------------ */

/* DIR/nobodys (nobody's, 0755) holding a root-owned 0644 policy with text; its path. */
static const char *policy_in_nobodys_dir(const char *text)
{
	const char *d = h_dir("nobodys", 0755);

	cr_assert_eq(chown(d, NOBODY_UID, NOBODY_GID), 0);
	return h_file("nobodys/site.policy", text, 0644);
}

static void nobody_dir_want(char *want, size_t cap, const char *link)
{
	snprintf(want, cap,
		 "%s: directory %s (reached through symlink %s) is owned by uid 65534 (user "
		 "nobody), who could replace the policy; it must belong to root",
		 link, h_path("nobodys"), link);
}

Test(refused, symlink_into_nobodys_directory_by_check_run_serve)
{
	const char *target = policy_in_nobodys_dir("allow user nobody open /etc/hostname read\n");
	const char *link = h_path("site.policy");
	char want[2000];

	cr_assert_eq(symlink(target, link), 0);
	nobody_dir_want(want, sizeof(want), link);
	refused_by_check_run_serve(link, want);
}

/* nobody's directory may hold a policy that looks harmless: it is the directory that counts. */
static void link_into_nobodys_dir(const char *path, const char *a)
{
	char text[600];
	const char *target, *tmp = h_path("link.new");

	snprintf(text, sizeof(text), "deny any open %s\n", a);
	target = policy_in_nobodys_dir(text);
	cr_assert_eq(symlink(target, tmp), 0);
	cr_assert_eq(rename(tmp, path), 0, "%s", strerror(errno));
}

Test(refused, symlink_into_nobodys_directory_by_reload)
{
	const char *p = h_path("served.policy");
	char want[2000];

	nobody_dir_want(want, sizeof(want), p);
	reload_refused(p, link_into_nobodys_dir, want);
}

/* No symlink: a directory two levels up belongs to nobody. */
Test(refused, nobodys_ancestor_by_check_run_serve)
{
	const char *top = h_dir("nobodys", 0755);
	const char *p;
	char want[2000];

	cr_assert_eq(chown(top, NOBODY_UID, NOBODY_GID), 0);
	h_dir("nobodys/etc", 0755);
	p = h_file("nobodys/etc/site.policy", "allow user nobody open /etc/hostname read\n", 0644);
	snprintf(want, sizeof(want),
		 "%s: directory %s is owned by uid 65534 (user nobody), who could replace the "
		 "policy; it must belong to root", p, top);
	refused_by_check_run_serve(p, want);
}
