/*
 * Groups: a program that changes its supplementary groups is judged at its
 * next request by the groups it has then, whatever connection the shim kept
 * from before.
 *
 * As in test_identity.c, the program starts as root (to be able to change
 * groups) with the shim preloaded against a `fdbroker serve` broker, and
 * makes every request with euid nobody, egid nogroup; only its
 * supplementary groups change between requests, so the euid/egid checks
 * alone would keep the old connection.  A `group daemon` rule grants it a
 * root-only file: with daemon, without it, with it again.
 */
#include <criterion/criterion.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

TestSuite(groups, .fini = p_suite_fini, .timeout = 30);

/*
 * credprobe groups under serve with a `group daemon` rule for a root-only
 * file, extra made-up groups besides: its result line; the audit log in *log.
 */
static char *drop_group(const char *extra, char **log)
{
	struct group *g = getgrnam("daemon");
	const char *file, *pfile, *sock = h_path("socket"), *logpath = h_path("audit.log");
	char policy[1024], gid[16], ugid[16];
	struct result r;
	struct proc srv;
	char *out;

	cr_assert_not_null(g, "group daemon");
	h_dir("files", 0711);
	file = h_file("files/secret", "for daemon\n", 0600);
	snprintf(policy, sizeof(policy), "allow group daemon open %s read\n", file);
	pfile = h_file("groups.policy", policy, 0644);
	snprintf(gid, sizeof(gid), "%u", (unsigned)g->gr_gid);
	snprintf(ugid, sizeof(ugid), "%u", NOBODY_UID);
	served_spawn(&srv, pfile, sock, logpath, NULL);
	cr_assert_eq(wait_for_file(sock, 20000), 0, "the broker did not start");
	r = h_run((char *[]){ (char *)h_credprobe(), "groups", (char *)file, ugid, ugid, gid,
			      (char *)extra, NULL },
		  h_shim_env(sock), false);
	cr_assert_eq(p_stop(&srv), 0);
	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	out = strdup(r.out);
	*log = h_slurp_must(logpath);
	h_free(&r);
	return out;
}

/* one request with daemon, one without, one with it again: allow, deny, allow */
static void assert_dropped_group_refused(const char *extra)
{
	char *log, *out = drop_group(extra, &log);

	cr_assert_str_eq(out, "ok with=ok without=EACCES again=ok\n", "%s%s", out, log);
	cr_assert_eq(h_count_lines(log, "op=open object=", "verdict=allow"), 2, "%s", log);
	cr_assert_eq(h_count_lines(log, "uid=65534 gid=65534 ", "verdict=deny rule=default"), 1,
		     "%s", log);
	free(out);
	free(log);
}

Test(groups, dropped_group_refused_next_request)
{
	assert_dropped_group_refused("0");
}

/*
 * More groups than the shim compares (64): it cannot tell a change, so it
 * never keeps a connection, and the drop is still seen.
 */
Test(groups, dropped_group_refused_among_many)
{
	assert_dropped_group_refused("100");
}
