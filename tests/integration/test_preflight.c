/*
 * No silent failure: run says, before PROGRAM starts, when the way in
 * cannot work (a TMPDIR the user cannot search, which then works anyway; a
 * statically linked program; one with file capabilities; a shim the user
 * cannot read), and at exit how many requests were denied when PROGRAM
 * failed.  doctor prints the same checks without running anything and
 * exits non-zero on any problem.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(preflight, .fini = h_cleanup, .timeout = 30);

static struct result tool(char *const env[], char *const *args)
{
	return h_fdbroker_cmd(args, env, false);
}

static void sh(const char *cmd)
{
	struct result r = h_run((char *[]){ "sh", "-c", (char *)cmd, NULL }, NULL, false);

	cr_assert_eq(r.status, 0, "%s: %s", cmd, r.err);
	h_free(&r);
}

/* A copy of /bin/true with a file capability: the loader ignores LD_PRELOAD in it. */
static const char *setcap_copy(void)
{
	const char *t = h_path("true-cap");
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp /bin/true %s && setcap cap_net_bind_service+ep %s", t, t);
	sh(cmd);
	return t;
}

/* The shim, copied into a directory only root may search. */
static char *private_shim_env(void)
{
	static char env[600];
	const char *dir = h_dir("private", 0700);
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cp %s %s/libfdshim.so", h_shim(), dir);
	sh(cmd);
	snprintf(env, sizeof(env), "FDBROKER_SHIM=%s/libfdshim.so", dir);
	return env;
}

static char *private_tmpdir_env(void)
{
	static char env[600];

	snprintf(env, sizeof(env), "TMPDIR=%s", h_dir("p", 0700));
	return env;
}

/* The case: the user cannot reach a socket in TMPDIR; the run works all the same. */
Test(preflight, private_tmpdir_said_and_works)
{
	char *tmpdir = private_tmpdir_env(), want[1400];
	struct result r = tool((char *[]){ tmpdir, NULL },
			       (char *[]){ "run", "-u", "nobody", "-a", "open /etc/shadow read", "--",
					   "head", "-c5", "/etc/shadow", NULL });

	snprintf(want, sizeof(want), "fdbroker: %s: nobody cannot search %s (mode 0700, owner 0:0)",
		 tmpdir, tmpdir + strlen("TMPDIR="));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "root:", "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert(strstr(r.err, "the socket is made in /tmp instead"), "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "fdbroker: TMPDIR=", NULL), 1, "%s", r.err);
	h_free(&r);
}

/* The walk follows symbolic links: the directory named is the one in the way. */
Test(preflight, private_tmpdir_behind_symlink)
{
	const char *priv = h_dir("p", 0700), *link = h_path("link");
	char env[600], want[1400];

	h_dir("p/q", 0755);
	snprintf(want, sizeof(want), "%s/q", priv);
	cr_assert_eq(symlink(want, link), 0);
	snprintf(env, sizeof(env), "TMPDIR=%s", link);
	snprintf(want, sizeof(want), "fdbroker: TMPDIR=%s: nobody cannot search %s (mode 0700", link,
		 priv);
	struct result r = tool((char *[]){ env, NULL },
			       (char *[]){ "run", "-u", "nobody", "-a", "open /etc/shadow read", "--",
					   "head", "-c5", "/etc/shadow", NULL });

	cr_assert_str_eq(r.out, "root:", "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}

Test(preflight, static_binary_said)
{
	cr_assert_eq(access("/bin/busybox", X_OK), 0, "busybox-static is missing: scripts/deps.sh");
	struct result r = tool(NULL, (char *[]){ "run", "--via", "preload", "-u", "nobody", "--",
						 "/bin/busybox", "true", NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker: /bin/busybox is statically linked: no loader runs, so "
				"LD_PRELOAD cannot bring the shim in"), "%s", r.err);
	cr_assert(strstr(r.err, "--via seccomp"), "the way that reaches it is named: %s", r.err);
	h_free(&r);
}

/* The default way takes seccomp for it: nothing to warn about. */
Test(preflight, static_binary_auto_silent)
{
	struct result r = tool(NULL, (char *[]){ "run", "-u", "nobody", "--", "/bin/busybox", "true",
						 NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.err, "statically linked"), "%s", r.err);
	h_free(&r);
}

/* A #! script is judged by its interpreter: here the static busybox. */
Test(preflight, script_judged_by_interpreter)
{
	const char *script = h_file("script", "#!/bin/busybox sh\nexit 0\n", 0755);
	struct result r = tool(NULL, (char *[]){ "run", "--via", "preload", "-u", "nobody", "--",
						 (char *)script, NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker: /bin/busybox is statically linked"), "%s", r.err);
	h_free(&r);
}

Test(preflight, setcap_copy_said)
{
	const char *t = setcap_copy();
	char want[700];
	struct result r = tool(NULL, (char *[]){ "run", "-u", "nobody", "--", (char *)t, NULL });

	snprintf(want, sizeof(want), "fdbroker: %s has file capabilities (getcap %s): the loader "
				     "ignores LD_PRELOAD in it", t, t);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}

/* Without the shim nothing would be brokered: refused before PROGRAM starts. */
Test(preflight, unreadable_shim_said_and_refused)
{
	char *env = private_shim_env(), want[900];
	const char *shim = env + strlen("FDBROKER_SHIM=");
	struct result r = tool((char *[]){ env, NULL },
			       (char *[]){ "run", "-u", "nobody", "--", "echo", "ran", NULL });

	snprintf(want, sizeof(want), "fdbroker: nobody cannot read the shim %s: nobody cannot "
				     "search %.*s (mode 0700, owner 0:0)", shim,
		 (int)(strrchr(shim, '/') - shim), shim);
	cr_assert_eq(r.status, 126, "%s", r.err);
	cr_assert_str_eq(r.out, "", "PROGRAM ran");
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert(strstr(r.err, "point FDBROKER_SHIM at a readable copy"), "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "fdbroker:", NULL), 1, "%s", r.err);
	h_free(&r);
}

Test(preflight, denials_counted_when_program_fails)
{
	struct result r = tool(NULL, (char *[]){ "run", "-u", "nobody", "--", "sh", "-c",
						 "cat /etc/shadow; cat /etc/gshadow", NULL });

	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker: sh failed (status 1) after the broker denied 2 requests "
				"(verdict=deny in the audit log): rerun with --learn"), "%s", r.err);
	cr_assert(strstr(r.err, "fdbroker explain"), "%s", r.err);
	h_free(&r);
}

/* A program that copes with a denial and succeeds gets no line. */
Test(preflight, no_denial_line_when_program_succeeds)
{
	struct result r = tool(NULL, (char *[]){ "run", "-u", "nobody", "--", "sh", "-c",
						 "cat /etc/shadow; exit 0", NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "verdict=deny"), "%s", r.err);
	cr_assert_null(strstr(r.err, "after the broker denied"), "%s", r.err);
	h_free(&r);
}

Test(preflight, nothing_said_for_cat)
{
	struct result r = tool(NULL, (char *[]){ "run", "-u", "nobody", "--", "/bin/cat", "/dev/null",
						 NULL });

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	h_free(&r);
}

Test(preflight, doctor_passes_cat)
{
	struct result r = tool(NULL, (char *[]){ "doctor", "-u", "nobody", "--", "/bin/cat", NULL });

	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "ok: socket: made in "), "%s", r.out);
	cr_assert(strstr(r.out, "ok: shim "), "%s", r.out);
	cr_assert(strstr(r.out, "ok: program /bin/cat: dynamically linked"), "%s", r.out);
	cr_assert_null(strstr(r.out, "problem"), "%s", r.out);
	cr_assert_eq(h_count_lines(r.out, "ok: ", NULL), 3, "%s", r.out);
	h_free(&r);
}

/* doctor: each problem is one "problem:" line, and the exit status says so. */
static void doctor_finds(char *const env[], const char *program, const char *want)
{
	struct result r = tool(env, (char *[]){ "doctor", "-u", "nobody", "--", (char *)program,
						NULL });

	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, want), "want %s in:\n%s", want, r.out);
	cr_assert_eq(h_count_lines(r.out, "problem: ", NULL), 1, "%s", r.out);
	h_free(&r);
}

Test(preflight, doctor_private_tmpdir)
{
	doctor_finds((char *[]){ private_tmpdir_env(), NULL }, "/bin/cat",
		     "problem: TMPDIR=");
}

Test(preflight, doctor_static_binary)
{
	doctor_finds(NULL, "/bin/busybox", "problem: /bin/busybox is statically linked");
}

Test(preflight, doctor_setcap_copy)
{
	char want[600];
	const char *t = setcap_copy();

	snprintf(want, sizeof(want), "problem: %s has file capabilities", t);
	doctor_finds(NULL, t, want);
}

Test(preflight, doctor_unreadable_shim)
{
	doctor_finds((char *[]){ private_shim_env(), NULL }, "/bin/cat",
		     "problem: nobody cannot read the shim ");
}

Test(preflight, doctor_setuid_program)
{
	doctor_finds(NULL, "passwd", "problem: /usr/bin/passwd is setuid (mode 4755, owner uid 0)");
}

Test(preflight, doctor_program_not_found)
{
	doctor_finds(NULL, "fdb-no-such-program", "problem: fdb-no-such-program: not found in PATH");
}

/* exec: a serve broker's socket that is not there is said, and PROGRAM still runs. */
Test(preflight, exec_missing_socket_said)
{
	const char *sock = h_path("no-socket");
	struct result r = h_run((char *[]){ (char *)h_fdbroker(), "exec", "-s", (char *)sock, "--",
					    "echo", "ran", NULL }, NULL, true);
	char want[600];

	snprintf(want, sizeof(want), "fdbroker: no broker socket at %s", sock);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ran\n");
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
}
