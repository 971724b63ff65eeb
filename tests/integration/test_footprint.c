/*
 * The shim's memory in a client (issue 19, B7): code most programs never
 * run (exec, bind, accept, socket) and the unwind table are mappings of
 * their own (shim/libfdshim.ld), so a program that only opens files, one
 * of them brokered, has mapped none of their pages; the first socket()
 * maps the rare code, and it runs; a thread cancelled inside the shim
 * unwinds through it, reading the unwind table from its mapping.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

TestSuite(footprint, .fini = h_cleanup, .timeout = 60);

/* What mapprobe printed of the mappings after each hole ("---p"). */
struct after_holes {
	long code_rss;   /* the r-xp mapping after a hole: the rare code */
	long unwind_rss; /* the r--p mapping after a hole: the unwind table */
	int holes;
};

static struct after_holes parse(const char *out)
{
	struct after_holes a = { -1, -1, 0 };
	char prev[8] = "", perms[8];
	long size, rss;

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (sscanf(p, "map %7s size=%ld rss=%ld", perms, &size, &rss) != 3)
			continue;
		if (!strcmp(perms, "---p"))
			a.holes++;
		else if (!strcmp(prev, "---p") && !strcmp(perms, "r-xp"))
			a.code_rss = rss;
		else if (!strcmp(prev, "---p") && !strcmp(perms, "r--p"))
			a.unwind_rss = rss;
		snprintf(prev, sizeof(prev), "%s", perms);
	}
	return a;
}

static struct after_holes probe(const char *cmd, const char *file)
{
	char policy[700];
	struct result r;
	struct after_holes a;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", file);
	r = h_broker_run("nobody", policy,
			 (char *[]){ (char *)h_mapprobe(), (char *)cmd, (char *)file, NULL });
	cr_assert_eq(r.status, 0, "mapprobe %s: %s", cmd, r.err);
	/* brokered: nobody cannot open the file itself */
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0, "the open: %s", r.out);
	a = parse(r.out);
	cr_assert_eq(a.holes, 2, "two holes in the shim's mappings:\n%s", r.out);
	cr_assert_geq(a.code_rss, 0, "a code mapping after a hole:\n%s", r.out);
	cr_assert_geq(a.unwind_rss, 0, "a read-only mapping after a hole:\n%s", r.out);
	h_free(&r);
	return a;
}

Test(footprint, a_brokered_open_maps_neither_the_rare_code_nor_the_unwind_table)
{
	struct after_holes a = probe("open", h_file("secret", "root only\n", 0600));

	cr_expect_eq(a.code_rss, 0, "the rare code: %ld KiB mapped", a.code_rss);
	cr_expect_eq(a.unwind_rss, 0, "the unwind table: %ld KiB mapped", a.unwind_rss);
}

Test(footprint, the_first_socket_call_maps_the_rare_code)
{
	struct after_holes a = probe("socket", h_file("secret", "root only\n", 0600));

	cr_expect_gt(a.code_rss, 0, "the rare code ran, so some of it is mapped");
	cr_expect_eq(a.unwind_rss, 0, "the unwind table: %ld KiB mapped", a.unwind_rss);
}

Test(footprint, a_thread_cancelled_in_the_shims_open_unwinds_through_it)
{
	const char *fifo = h_path("fifo");
	struct result r;
	struct after_holes a;

	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0); /* whatever the umask */
	r = h_broker_run("nobody", NULL,
			 (char *[]){ (char *)h_mapprobe(), "cancel", (char *)fifo, NULL });
	cr_assert_eq(r.status, 0, "mapprobe cancel: %s", r.err);
	cr_assert(strncmp(r.out, "cancelled\n", 10) == 0, "the thread: %s", r.out);
	a = parse(r.out);
	cr_expect_eq(a.holes, 2, "two holes in the shim's mappings:\n%s", r.out);
	cr_expect_gt(a.unwind_rss, 0, "the unwinder read the shim's table:\n%s", r.out);
	h_free(&r);
}
