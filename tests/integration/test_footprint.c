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

/*
 * What mapprobe printed, by the order of the mappings (shim/libfdshim.ld):
 * the second code mapping is the rare code, the second read-only one after
 * the code (after rodata) the unwind table; holes ("---p") between them
 * are not counted, as their number depends on the page size.
 */
struct shim_maps {
	long code_rss;   /* the second r-xp mapping: the rare code */
	long unwind_rss; /* the second r--p mapping after the code: the unwind table */
	int codes, after_code;
};

static struct shim_maps parse(const char *out)
{
	struct shim_maps a = { -1, -1, 0, 0 };
	char perms[8];
	long size, rss;

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (sscanf(p, "map %7s size=%ld rss=%ld", perms, &size, &rss) != 3)
			continue;
		if (!strcmp(perms, "r-xp") && ++a.codes == 2)
			a.code_rss = rss;
		else if (!strcmp(perms, "r--p") && a.codes > 0 && ++a.after_code == 2)
			a.unwind_rss = rss;
	}
	return a;
}

static struct shim_maps probe(const char *cmd, const char *file)
{
	char policy[700];
	struct result r;
	struct shim_maps a;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", file);
	r = h_broker_run("nobody", policy,
			 (char *[]){ (char *)h_mapprobe(), (char *)cmd, (char *)file, NULL });
	cr_assert_eq(r.status, 0, "mapprobe %s: %s", cmd, r.err);
	/* brokered: nobody cannot open the file itself */
	cr_assert(strncmp(r.out, "ok fd=", 6) == 0, "the open: %s", r.out);
	a = parse(r.out);
	cr_assert_eq(a.codes, 2, "two code mappings of the shim:\n%s", r.out);
	/* rodata, the unwind table, and the data made read-only after relocation */
	cr_assert_geq(a.after_code, 2, "read-only mappings after its code:\n%s", r.out);
	h_free(&r);
	return a;
}

Test(footprint, a_brokered_open_maps_neither_the_rare_code_nor_the_unwind_table)
{
	struct shim_maps a = probe("open", h_file("secret", "root only\n", 0600));

	cr_expect_eq(a.code_rss, 0, "the rare code: %ld KiB mapped", a.code_rss);
	cr_expect_eq(a.unwind_rss, 0, "the unwind table: %ld KiB mapped", a.unwind_rss);
}

Test(footprint, the_first_socket_call_maps_the_rare_code)
{
	struct shim_maps a = probe("socket", h_file("secret", "root only\n", 0600));

	cr_expect_gt(a.code_rss, 0, "the rare code ran, so some of it is mapped");
	cr_expect_eq(a.unwind_rss, 0, "the unwind table: %ld KiB mapped", a.unwind_rss);
}

Test(footprint, a_thread_cancelled_in_the_shims_open_unwinds_through_it)
{
	const char *fifo = h_path("fifo");
	struct result r;
	struct shim_maps a;

	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0); /* whatever the umask */
	r = h_broker_run("nobody", NULL,
			 (char *[]){ (char *)h_mapprobe(), "cancel", (char *)fifo, NULL });
	cr_assert_eq(r.status, 0, "mapprobe cancel: %s", r.err);
	cr_assert(strncmp(r.out, "cancelled\n", 10) == 0, "the thread: %s", r.out);
	a = parse(r.out);
	cr_expect_eq(a.codes, 2, "two code mappings of the shim:\n%s", r.out);
	cr_expect_gt(a.unwind_rss, 0, "the unwinder read the shim's table:\n%s", r.out);
	h_free(&r);
}
