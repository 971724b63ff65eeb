/*
 * Identity: a program that changes users during its life is judged at each
 * request by its effective ids at that moment, whatever connection the shim
 * kept from before.
 *
 * The program has to start as root to change users, which fdbroker run
 * never does, so it runs against a `fdbroker serve` broker with the shim
 * preloaded; every brokered request is made with an unprivileged effective
 * uid (the saved set-user-ID stays 0, as in a daemon that drops root for a
 * while).  It goes A, B, A, B, each time opening A's file and B's file, both
 * root-only.
 */
#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(identity, .fini = p_suite_fini, .timeout = 30);

/* Run argv as root with the shim against a serve broker judging by policy. */
static struct result run_served(const char *policy, char *const argv[])
{
	const char *pfile = h_file("identity.policy", policy, 0644), *sock = h_path("socket");
	struct result r;
	struct proc srv;

	served_spawn(&srv, pfile, sock, h_path("audit.log"), NULL);
	cr_assert_eq(wait_for_file(sock, 20000), 0, "the broker did not start");
	r = h_run(argv, h_shim_env(sock), false);
	cr_assert_eq(p_stop(&srv), 0);
	return r;
}

/* rules "allow KIND SUBJ_A open A's file" and "allow KIND SUBJ_B open B's file" */
static void switch_users(const char *kind, const char *subj_a, const char *subj_b, unsigned ua,
			 unsigned ga, unsigned ub, unsigned gb)
{
	const char *fa, *fb;
	char policy[1024], a[4][16], want[512];

	h_dir("files", 0711);
	fa = h_file("files/a", "for A\n", 0600);
	fb = h_file("files/b", "for B\n", 0600);
	snprintf(policy, sizeof(policy), "allow %s %s open %s read\nallow %s %s open %s read\n",
		 kind, subj_a, fa, kind, subj_b, fb);
	snprintf(a[0], 16, "%u", ua);
	snprintf(a[1], 16, "%u", ga);
	snprintf(a[2], 16, "%u", ub);
	snprintf(a[3], 16, "%u", gb);
	struct result r = run_served(policy, (char *[]){ (char *)h_stress(), "identity", (char *)fa,
							  (char *)fb, a[0], a[1], a[2], a[3], NULL });

	snprintf(want, sizeof(want),
		 "ok A(euid=%u,suid=0): a=ok b=EACCES B(euid=%u,suid=0): a=EACCES b=ok"
		 " A(euid=%u,suid=0): a=ok b=EACCES B(euid=%u,suid=0): a=EACCES b=ok\n",
		 ua, ub, ua, ub);
	cr_assert_str_eq(r.out, want, "%s", r.err);
	h_free(&r);
}

/* A = nobody, B = daemon, each with its own group */
Test(identity, users_with_their_groups)
{
	struct passwd *b = getpwnam("daemon");

	cr_assert_not_null(b, "user daemon");
	switch_users("user", "nobody", "daemon", NOBODY_UID, NOBODY_GID, b->pw_uid, b->pw_gid);
}

/* the same group throughout: only the uid changes */
Test(identity, uid_alone_changes)
{
	struct passwd *b = getpwnam("daemon");

	cr_assert_not_null(b, "user daemon");
	switch_users("user", "nobody", "daemon", NOBODY_UID, NOBODY_GID, b->pw_uid, NOBODY_GID);
}

/* the same uid throughout: only the group changes, rules by group */
Test(identity, gid_alone_changes)
{
	struct group *g = getgrnam("daemon");

	cr_assert_not_null(g, "group daemon");
	switch_users("group", "nogroup", "daemon", NOBODY_UID, NOBODY_GID, NOBODY_UID, g->gr_gid);
}
