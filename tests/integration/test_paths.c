/*
 * No path trick gets a descriptor outside the policy: with only x/ allowed,
 * everything that resolves elsewhere is refused with the program's own errno.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(paths, .fini = h_cleanup, .timeout = 120);

static char policy[1024];
static const char *dir;

static void setup_tree(void)
{
	dir = h_dir("x", 0700);
	h_file("x/inside", "inside\n", 0600);
	h_file("outside", "outside\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
}

static void expect_refused(const char *path)
{
	struct result r = h_broker_probe(policy, (char *[]){ "open", (char *)path, "r", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s gave %s %s", path, r.out, r.err);
	h_free(&r);
}

Test(paths, inside_is_allowed)
{
	char p[512];

	setup_tree();
	snprintf(p, sizeof(p), "%s/inside", dir);
	struct result r = h_broker_probe(policy, (char *[]){ "open", p, "r", NULL });

	cr_assert(strstr(r.out, "data=inside"), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(paths, dotdot_out_of_tree)
{
	char p[512];

	setup_tree();
	snprintf(p, sizeof(p), "%s/../outside", dir);
	expect_refused(p);
	snprintf(p, sizeof(p), "%s/../../../../../../etc/shadow", dir);
	expect_refused(p);
}

Test(paths, symlink_inside_pointing_out)
{
	char p[512];

	setup_tree();
	snprintf(p, sizeof(p), "%s/link", dir);
	cr_assert_eq(symlink("/etc/shadow", p), 0);
	expect_refused(p);
}

Test(paths, symlinked_directory_component)
{
	char p[512];

	setup_tree();
	snprintf(p, sizeof(p), "%s/sub", dir);
	cr_assert_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/sub/shadow", dir);
	expect_refused(p);
}

Test(paths, symlink_staying_inside_is_fine)
{
	char p[512], t[512];

	setup_tree();
	snprintf(p, sizeof(p), "%s/alias", dir);
	snprintf(t, sizeof(t), "%s/inside", dir);
	cr_assert_eq(symlink(t, p), 0);
	struct result r = h_broker_probe(policy, (char *[]){ "open", p, "r", NULL });

	cr_assert(strstr(r.out, "data=inside"), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(paths, proc_self_root)
{
	setup_tree();
	expect_refused("/proc/self/root/etc/shadow");
}

Test(paths, proc_broker_root_and_cwd)
{
	char p[512];

	setup_tree();
	expect_refused("/proc/@PPID/root/etc/shadow");
	snprintf(p, sizeof(p), "/proc/@PPID/root%s/inside", dir);
	expect_refused(p);
	expect_refused("/proc/@PPID/cwd");
}

Test(paths, proc_broker_fds)
{
	char *args[40] = { "read" };
	char names[32][32];

	setup_tree();
	for (int i = 0; i < 32; i++) {
		snprintf(names[i], sizeof(names[i]), "/proc/@PPID/fd/%d", i);
		args[i + 1] = names[i];
	}
	args[33] = NULL;
	struct result r = h_broker_probe(policy, args);

	cr_assert_null(strstr(r.out, "ok "), "a broker descriptor leaked: %s", r.out);
	cr_assert(strstr(r.out, "err "), "%s", r.out);
	h_free(&r);
}

Test(paths, relative_to_dirfd_and_cwd)
{
	const char *pub = h_dir("pub", 0755);

	setup_tree();
	h_file("pub/secret", "pubsecret\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", pub);
	struct result a = h_broker_probe(policy, (char *[]){ "openat", (char *)pub, "secret", "r", NULL });
	cr_assert(strstr(a.out, "data=pubsecret"), "%s %s", a.out, a.err);
	struct result b = h_broker_probe(policy, (char *[]){ "cwd", (char *)pub, "secret", "r", NULL });
	cr_assert(strstr(b.out, "data=pubsecret"), "%s %s", b.out, b.err);
	struct result c = h_broker_probe(policy, (char *[]){ "cwd", (char *)pub, "../outside", "r", NULL });
	cr_assert_str_eq(c.out, "err EACCES\n", "%s", c.out);
	h_free(&a);
	h_free(&b);
	h_free(&c);
}

/* Swap a symlink between inside and outside while the client opens it. */
Test(paths, symlink_swap_race)
{
	char race[512], tmp[512], in[512], out[512], n[16];
	pid_t swapper;

	setup_tree();
	snprintf(race, sizeof(race), "%s/race", dir);
	snprintf(tmp, sizeof(tmp), "%s/race.tmp", dir);
	snprintf(in, sizeof(in), "%s/inside", dir);
	snprintf(out, sizeof(out), "%s/outside", h_tmpdir());
	cr_assert_eq(symlink(in, race), 0);
	swapper = fork();
	cr_assert_geq(swapper, 0);
	if (swapper == 0) {
		for (unsigned long i = 0;; i++) {
			unlink(tmp);
			if (symlink(i % 2 ? out : in, tmp) == 0)
				rename(tmp, race);
		}
	}
	snprintf(n, sizeof(n), "%d", 10000);
	struct result r = h_broker_probe(policy, (char *[]){ "loop", race, n, out, NULL });

	kill(swapper, SIGKILL);
	waitpid(swapper, NULL, 0);
	cr_assert(strstr(r.out, "ok outside=0 "), "%s %s", r.out, r.err);
	cr_assert_null(strstr(r.out, "inside=0 "), "the race never let one through: %s", r.out);
	h_free(&r);
}

/*
 * The symlink oracle (issue 12, item 6): a link inside the tree to a name
 * outside it must not tell whether that name exists, is unreadable, or goes
 * through a file.  Each gives the program's own EACCES.
 */
static void expect_link_refused(const char *target)
{
	char link[512];

	snprintf(link, sizeof(link), "%s/oracle", dir);
	unlink(link);
	cr_assert_eq(symlink(target, link), 0);
	expect_refused(link);
}

Test(paths, symlink_oracle_missing_outside)
{
	setup_tree();
	expect_link_refused(h_path("no-such-name"));
	expect_link_refused(h_path("no-such-dir/name"));
}

Test(paths, symlink_oracle_inside_root_only_directory)
{
	setup_tree();
	h_dir("vault", 0700);
	h_file("vault/present", "present\n", 0600);
	expect_link_refused(h_path("vault/missing"));
	expect_link_refused(h_path("vault/present"));
}

Test(paths, symlink_oracle_through_a_file)
{
	setup_tree();
	expect_link_refused(h_path("outside/sub"));
}

/* A symlinked directory component leads out: a missing name beyond it is not told either. */
Test(paths, symlink_oracle_directory_component)
{
	char p[512];

	setup_tree();
	h_dir("other", 0700);
	snprintf(p, sizeof(p), "%s/sub", dir);
	cr_assert_eq(symlink(h_path("other"), p), 0);
	snprintf(p, sizeof(p), "%s/sub/missing", dir);
	expect_refused(p);
}

/* Inside the tree, with no symlink on the way, a missing name is still ENOENT. */
Test(paths, missing_inside_tree_still_enoent)
{
	char p[512];

	setup_tree();
	h_dir("x/d", 0700);
	snprintf(p, sizeof(p), "%s/missing", dir);
	struct result a = h_broker_probe(policy, (char *[]){ "open", p, "r", NULL });
	snprintf(p, sizeof(p), "%s//d/./missing", dir); /* the long road */
	struct result b = h_broker_probe(policy, (char *[]){ "open", p, "r", NULL });
	struct result c = h_broker_probe(policy, (char *[]){ "openat", (char *)dir, "d/missing", "r",
							     NULL });
	snprintf(p, sizeof(p), "%s/inside/below", dir);
	struct result d = h_broker_probe(policy, (char *[]){ "open", p, "r", NULL });

	cr_assert_str_eq(a.out, "err ENOENT\n", "%s", a.err);
	cr_assert_str_eq(b.out, "err ENOENT\n", "%s", b.err);
	cr_assert_str_eq(c.out, "err ENOENT\n", "%s", c.err);
	cr_assert_str_eq(d.out, "err ENOTDIR\n", "%s", d.err);
	h_free(&a);
	h_free(&b);
	h_free(&c);
	h_free(&d);
}

/* ".." can be renamed out from under a walk: a failure through it is not told. */
Test(paths, dotdot_failure_not_told)
{
	char p[512];

	setup_tree();
	h_dir("x/d", 0700);
	snprintf(p, sizeof(p), "%s/d/../missing", dir);
	expect_refused(p);
}
