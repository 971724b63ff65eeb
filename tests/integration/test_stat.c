/*
 * stat and access through the policy (issue 13): a root-only file an open
 * rule grants is described as root sees it, access says yes only for the
 * rights granted, and nothing outside the policy is described, whatever
 * symlink points there or is swapped in.
 *
 * The tree: x/ (0700, granted for reading) holds inside (0600), tool
 * (0700), and link -> hidden/outside; hidden/ (0700) is not granted, so
 * nobody's own stat of either fails with EACCES and the broker is asked.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(stat, .fini = h_cleanup, .timeout = 120);

static char policy[1024];
static char x[512], inside[600], tool[600], link_[600], outside[600], missing[600];

static void setup_tree(void)
{
	const char *d = h_dir("x", 0700);

	snprintf(x, sizeof(x), "%s", d);
	snprintf(inside, sizeof(inside), "%s", h_file("x/inside", "inside, root only\n", 0600));
	snprintf(tool, sizeof(tool), "%s", h_file("x/tool", "#!/bin/sh\n", 0700));
	h_dir("hidden", 0700);
	snprintf(outside, sizeof(outside), "%s", h_file("hidden/outside", "outside\n", 0600));
	snprintf(link_, sizeof(link_), "%s/link", x);
	snprintf(missing, sizeof(missing), "%s/missing", x);
	cr_assert_eq(symlink(outside, link_), 0);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", x);
}

/* statprobe ARGS as nobody under the policy; its one output line (static). */
static const char *probe(char *const args[])
{
	static char line[512];
	char *argv[8] = { (char *)h_statprobe() };
	struct result r;
	int n = 1;

	for (int i = 0; args[i] && n < 7; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = h_broker_run("nobody", policy, argv);
	cr_assert_eq(r.status, 0, "statprobe %s: %s", args[0], r.err);
	snprintf(line, sizeof(line), "%s", r.out);
	h_free(&r);
	return line;
}

/* What root sees, as statprobe prints it. */
static const char *root_sees(const char *path, bool follow)
{
	static char line[512];
	struct stat st;

	cr_assert_eq(follow ? stat(path, &st) : lstat(path, &st), 0);
	snprintf(line, sizeof(line), "ok ino=%lu size=%ld mode=%o\n", (unsigned long)st.st_ino,
		 (long)st.st_size, (unsigned)st.st_mode);
	return line;
}

static const char *const path_calls[] = { "stat",  "stat64",  "lstat",  "lstat64",
					  "statx", "xstat",   "xstat64", "lxstat" };
static const char *const at_calls[] = { "fstatat", "fstatat64", "fxstatat", "lstatat" };
static const char *const access_calls[] = { "access", "euidaccess", "eaccess", "faccessat" };

/* An access call of path (faccessat: from its directory, opened O_PATH). */
static const char *ask_access(const char *call, const char *path, const char *mode)
{
	char dir[600];
	const char *slash = strrchr(path, '/');

	if (strcmp(call, "faccessat") != 0)
		return probe((char *[]){ (char *)call, (char *)path, (char *)mode, NULL });
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return probe((char *[]){ (char *)call, dir, (char *)slash + 1, (char *)mode, NULL });
}

Test(stat, granted_root_only_file_as_root_sees_it)
{
	char want[512];

	setup_tree();
	snprintf(want, sizeof(want), "%s", root_sees(inside, true));
	for (size_t i = 0; i < sizeof(path_calls) / sizeof(*path_calls); i++)
		cr_assert_str_eq(probe((char *[]){ (char *)path_calls[i], inside, NULL }), want,
				 "%s", path_calls[i]);
	for (size_t i = 0; i < sizeof(at_calls) / sizeof(*at_calls); i++)
		cr_assert_str_eq(probe((char *[]){ (char *)at_calls[i], x, "inside", NULL }), want,
				 "%s", at_calls[i]);
	/* the granted directory itself */
	cr_assert_str_eq(probe((char *[]){ "stat", x, NULL }), root_sees(x, true));
	/* one audit line per decision, as for open */
	char *log = h_audit();

	cr_assert_geq(h_count_lines(log, "op=stat ", "verdict=allow"), 1, "%s", log);
	free(log);
}

Test(stat, access_grants_only_what_the_rule_and_the_mode_bits_give)
{
	setup_tree();
	for (size_t i = 0; i < sizeof(access_calls) / sizeof(*access_calls); i++) {
		const char *c = access_calls[i];

		cr_assert_str_eq(ask_access(c, inside, "f"), "ok\n", "%s F_OK", c);
		cr_assert_str_eq(ask_access(c, inside, "r"), "ok\n", "%s R_OK", c);
		cr_assert_str_eq(ask_access(c, inside, "w"), "err EACCES\n", "%s W_OK", c);
		cr_assert_str_eq(ask_access(c, inside, "rw"), "err EACCES\n", "%s R_OK|W_OK", c);
		/* no x bit: root would be refused too */
		cr_assert_str_eq(ask_access(c, inside, "x"), "err EACCES\n", "%s X_OK", c);
		cr_assert_str_eq(ask_access(c, tool, "rx"), "ok\n", "%s X_OK, 0700", c);
	}
	char *log = h_audit();

	/* one line per decision: one W_OK question per call */
	cr_assert_eq(h_count_lines(log, "op=access ", "mode=W_OK verdict=deny"), 4, "%s", log);
	free(log);
}

Test(stat, write_rule_grants_w_ok)
{
	setup_tree();
	snprintf(policy, sizeof(policy), "allow user nobody open %s read,write\n", inside);
	cr_assert_str_eq(ask_access("access", inside, "rw"), "ok\n");
	cr_assert_str_eq(probe((char *[]){ "stat", inside, NULL }), root_sees(inside, true));
}

Test(stat, outside_the_policy_is_the_kernels_eacces)
{
	setup_tree();
	cr_assert_str_eq(probe((char *[]){ "stat", outside, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "statx", outside, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "lstat", outside, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "access", outside, "f", NULL }), "err EACCES\n");
	/* a name that does not exist: inside the policy the kernel's ENOENT, outside EACCES */
	cr_assert_str_eq(probe((char *[]){ "stat", missing, NULL }), "err ENOENT\n");
	cr_assert_str_eq(probe((char *[]){ "stat", (char *)h_path("hidden/missing"), NULL }),
			 "err EACCES\n");
	char *log = h_audit();

	cr_assert_geq(h_count_lines(log, "op=stat ", "verdict=deny"), 1, "%s", log);
	free(log);
}

Test(stat, symlink_inside_to_outside_describes_nothing_outside)
{
	char link_sees[512];

	setup_tree();
	cr_assert_str_eq(probe((char *[]){ "stat", link_, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "statx", link_, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "xstat", link_, NULL }), "err EACCES\n");
	cr_assert_str_eq(probe((char *[]){ "fstatat", x, "link", NULL }), "err EACCES\n");
	for (size_t i = 0; i < sizeof(access_calls) / sizeof(*access_calls); i++)
		cr_assert_str_eq(ask_access(access_calls[i], link_, "f"), "err EACCES\n", "%s",
				 access_calls[i]);
	/* lstat describes the link, which is inside: never its target */
	snprintf(link_sees, sizeof(link_sees), "%s", root_sees(link_, false));
	cr_assert_str_eq(probe((char *[]){ "lstat", link_, NULL }), link_sees);
	cr_assert_str_eq(probe((char *[]){ "lstatat", x, "link", NULL }), link_sees);
	cr_assert_str_neq(link_sees, root_sees(outside, true));
}

/* --learn writes the open rule that would allow the request: read, or write for W_OK. */
Test(stat, learn_records_open_rules)
{
	struct result r;

	setup_tree();
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn", "--",
			      (char *)h_statprobe(), "stat", inside, NULL },
		  NULL, false);
	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "allow user nobody open ", " read"), 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, inside), "%s", r.err);
	h_free(&r);
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn", "--",
			      (char *)h_statprobe(), "access", inside, "w", NULL },
		  NULL, false);
	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "allow user nobody open ", " write"), 1, "%s", r.err);
	h_free(&r);
	/* a name that leads nowhere is no rule to propose */
	r = h_run((char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "--learn", "--",
			      (char *)h_statprobe(), "stat", missing, NULL },
		  NULL, false);
	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	cr_assert_eq(h_count_lines(r.err, "allow user nobody open ", NULL), 0, "%s", r.err);
	h_free(&r);
}

/*
 * The race of paths/symlink_swap_race: x/race swapped between inside and
 * outside in a tight loop while the program stats it.  No answer may
 * describe the outside file.
 */
static void race(const char *call)
{
	char race_[600], tmp[600], n[16], ino[32];
	struct stat st;
	pid_t swapper;

	setup_tree();
	cr_assert_eq(stat(outside, &st), 0);
	snprintf(ino, sizeof(ino), "%lu", (unsigned long)st.st_ino);
	snprintf(race_, sizeof(race_), "%s/race", x);
	snprintf(tmp, sizeof(tmp), "%s/race.tmp", x);
	cr_assert_eq(symlink(inside, race_), 0);
	swapper = fork();
	cr_assert_geq(swapper, 0);
	if (swapper == 0) {
		for (unsigned long i = 0;; i++) {
			unlink(tmp);
			if (symlink(i % 2 ? outside : inside, tmp) == 0)
				rename(tmp, race_);
		}
	}
	snprintf(n, sizeof(n), "%d", 5000);
	const char *out = probe((char *[]){ "loop", (char *)call, race_, n, ino, NULL });

	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	cr_assert(strstr(out, "ok outside=0 "), "%s", out);
	cr_assert_null(strstr(out, "inside=0 "), "the race never let one through: %s", out);
}

Test(stat, symlink_swap_race_stat) { race("stat"); }
Test(stat, symlink_swap_race_statx) { race("statx"); }

/* Python's own calls: os.stat, os.lstat, os.access, os.path.exists. */
#define PY "import os, sys\n" \
	   "def st(f, p):\n" \
	   "    try:\n        s = f(p); return 'ino=%d size=%d mode=%o' % (s.st_ino, s.st_size, s.st_mode)\n" \
	   "    except OSError as e: return 'errno %d' % e.errno\n" \
	   "i, o, l = sys.argv[1:4]\n" \
	   "print(st(os.stat, i)); print(st(os.lstat, i))\n" \
	   "print(os.access(i, os.R_OK), os.access(i, os.W_OK), os.access(i, os.F_OK))\n" \
	   "print(os.path.exists(i), os.path.exists(o), os.path.exists(l))\n" \
	   "print(st(os.stat, o), st(os.stat, l), os.access(l, os.F_OK))\n"

Test(stat, python_os_calls)
{
	char want[2048], sees[512];
	struct result r;

	setup_tree();
	snprintf(sees, sizeof(sees), "%s", root_sees(inside, true) + 3);
	sees[strcspn(sees, "\n")] = '\0';
	snprintf(want, sizeof(want), "%s\n%s\nTrue False True\nTrue False False\n"
		 "errno 13 errno 13 False\n", sees, sees);
	r = h_broker_run("nobody", policy,
			 (char *[]){ "/usr/bin/python3", "-c", PY, inside, outside, link_, NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	h_free(&r);
}

/*
 * A stat is answered with the broker's statx, never with a descriptor of
 * the object.  One would stand past the directories the program may not
 * search: reopened through /proc/self/fd/N, the kernel checks only the
 * file's own mode bits, so a 0644 file under a 0700 directory would read
 * for a program whose rule grants only write (any right answers a stat).
 * rawclient, a client of the wire that would keep whatever came, asks for
 * exactly that file: the reply is root's statx of it and nothing else.
 * (Before, the reply carried an O_PATH descriptor, and the reopen read.)
 */
Test(stat, a_stat_hands_over_no_descriptor, .fini = p_suite_fini)
{
	const char *f;
	char rules[1024], want[128];
	struct served srv;
	struct stat st;

	h_dir("sealed", 0700);
	f = h_file("sealed/file", "readable past its directory\n", 0644);
	cr_assert_eq(stat(f, &st), 0);
	snprintf(rules, sizeof(rules), "allow user nobody open %s write\n", f);
	served_start(&srv, h_file("policy", rules, 0644), 20000);
	snprintf(want, sizeof(want), "ok ino=%llu size=%llu mode=%o",
		 (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
		 (unsigned)st.st_mode);
	cr_assert_str_eq(served_raw(&srv, "65534", "65534", false,
				    (char *[]){ "stat", (char *)f, NULL }),
			 want);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * A directory descriptor on a mount of the client's own namespace is
 * refused for stat as for open (issue 12): the client binds a root-only
 * directory into the granted tree and stats a name below it from there.
 * Needs unprivileged user namespaces (as the mountns suite).
 */
Test(stat, foreign_mount_dirfd_refused)
{
	const char *w = h_dir("w", 0777), *secret = h_dir("secret", 0700);
	char script[2048], *log;
	struct result r;

	h_file("secret/key", "root only\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", w);
	snprintf(script, sizeof(script),
		 "mkdir -p %s/m && mount --bind %s %s/m && echo mounted && %s fstatat %s/m key",
		 w, secret, w, h_statprobe(), w);
	/* unshare -r needs dumpable processes, and run then serves them (opt-out) */
	r = h_broker_run_env("nobody", policy,
			     (char *[]){ "unshare", "-rm", "sh", "-c", script, NULL },
			     (char *[]){ "FDBROKER_DUMPABLE=1", NULL });
	cr_assert(strstr(r.out, "mounted\n"), "no namespace of its own: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "err EACCES\n"), "out=%s err=%s", r.out, r.err);
	log = h_audit();
	cr_assert(strstr(log, "op=stat object=key rights=read reason=foreign-mount verdict=deny"),
		  "%s", log);
	cr_assert_null(strstr(log, "verdict=allow"), "%s", log);
	free(log);
	h_free(&r);
}
