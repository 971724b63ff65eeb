/*
 * The license and the Debian package (issue 14, License; acceptance 8):
 * LICENSE holds the MIT text, debian/copyright is machine-readable and
 * names Expat, and the package scripts/deb.sh builds, with the completion
 * and the copyright in it, passes lintian without an error.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(package, .fini = h_cleanup);

Test(package, license_mit)
{
	char *lic = h_slurp_must(h_srcfile(".", "LICENSE"));
	char *cp = h_slurp_must(h_srcfile("debian", "copyright"));

	cr_assert(strncmp(lic, "MIT License\n", 12) == 0, "%.60s", lic);
	cr_assert(strstr(lic, "Copyright (c) 2026 The fdbroker authors\n"), "%s", lic);
	cr_assert(strstr(lic, "Permission is hereby granted, free of charge, to any person obtaining a copy\n"));
	cr_assert(strstr(lic, "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND"));
	cr_assert(strncmp(cp, "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n",
			  75) == 0, "%s", cp);
	cr_assert(strstr(cp, "\nFiles: *\nCopyright: 2026 The fdbroker authors\nLicense: Expat\n"), "%s", cp);
	cr_assert(strstr(cp, "\nLicense: Expat\n Permission is hereby granted"), "%s", cp);
	cr_assert_null(strstr(cp, "UNDECIDED"));
	free(lic);
	free(cp);
}

/* Builds the whole package from a copy of the tree: a minute or so. */
Test(package, lintian_clean, .timeout = 900)
{
	char out[600], deb[700], *argv[] = {
		/* a sanitizer runtime preloaded into the suite must not reach the build tools */
		"env", "-u", "LD_PRELOAD", "-u", "ASAN_OPTIONS", "-u", "LSAN_OPTIONS", "-u",
		"UBSAN_OPTIONS", "sh", (char *)h_srcfile("scripts", "deb.sh"), out, NULL,
	};
	char *list[] = { "env", "-u", "LD_PRELOAD", "sh", "-c", deb, NULL };
	struct result r, c;

	snprintf(out, sizeof(out), "%s/deb", h_tmpdir());
	r = h_run(argv, NULL, false);
	cr_assert_eq(r.status, 0, "scripts/deb.sh: %d\n%s\n%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "deb: lintian "), "lintian did not run:\n%s", r.out);
	cr_assert_null(strstr(r.out, "\nE: "), "lintian errors:\n%s", r.out);
	cr_assert_null(strstr(r.err, "lintian reports errors"), "%s", r.err);

	snprintf(deb, sizeof(deb), "dpkg-deb -c %s/fdbroker_*_*.deb", out);
	c = h_run(list, NULL, false);
	cr_assert_eq(c.status, 0, "%s", c.err);
	cr_assert(strstr(c.out, "./usr/share/bash-completion/completions/fdbroker\n"), "%s", c.out);
	cr_assert(strstr(c.out, "./usr/share/doc/fdbroker/copyright\n"), "%s", c.out);
	h_free(&r);
	h_free(&c);
}
