/*
 * make install does what README, fdbroker(8) FILES and examples/README.md
 * say: every example of examples/ in EXAMPLEDIR, fdbroker.policy also as
 * SYSCONFDIR/fdbroker/policy.  Installed into a DESTDIR of the test's own,
 * from the build the suite runs (-o: nothing is rebuilt).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(install, .fini = h_cleanup, .timeout = 120);

static char *src_dir(void)
{
	static char buf[512];
	char build[512];

	snprintf(build, sizeof(build), "%s", FDB_BUILD_DIR);
	snprintf(buf, sizeof(buf), "%s", dirname(build));
	return buf;
}

Test(install, every_example_is_installed)
{
	const char *dest = h_dir("dest", 0755);
	char bvar[600], dvar[600], o1[600], o2[600], path[1200], from[1200];
	struct dirent *d;
	struct result r;
	DIR *dir;
	int n = 0;

	snprintf(bvar, sizeof(bvar), "BUILD=%s", FDB_BUILD_DIR);
	snprintf(dvar, sizeof(dvar), "DESTDIR=%s", dest);
	snprintf(o1, sizeof(o1), "%s/fdbroker", FDB_BUILD_DIR);
	snprintf(o2, sizeof(o2), "%s/libfdshim.so", FDB_BUILD_DIR);
	r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "make", "-s", "-C", src_dir(), bvar, dvar,
			      "PREFIX=/usr/local", "SYSCONFDIR=/etc", "-o", o1, "-o", o2, "install",
			      NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "make install: %s%s", r.out, r.err);
	h_free(&r);
	snprintf(path, sizeof(path), "%s/examples", src_dir());
	dir = opendir(path);
	cr_assert_not_null(dir);
	while ((d = readdir(dir))) {
		char *want, *got;

		if (d->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/examples/%s", src_dir(), d->d_name);
		snprintf(path, sizeof(path), "%s/usr/local/share/doc/fdbroker/examples/%s", dest,
			 d->d_name);
		want = h_slurp_must(from);
		got = h_slurp(path);
		cr_expect_str_eq(got, want, "examples/%s is not installed as %s", d->d_name, path);
		free(want);
		free(got);
		n++;
	}
	closedir(dir);
	cr_assert_gt(n, 3);
	/* and the default policy, from the example */
	snprintf(path, sizeof(path), "%s/etc/fdbroker/policy", dest);
	snprintf(from, sizeof(from), "%s/examples/fdbroker.policy", src_dir());
	char *want = h_slurp_must(from), *got = h_slurp_must(path);

	cr_assert_str_eq(got, want);
	free(want);
	free(got);
}
