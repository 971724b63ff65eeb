/* Subordinate uids (sys/subids.h): which lines count, and whose a uid is. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/subids.h"

TestSuite(subids);

static char warned[8][512];
static int nwarned;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	if (nwarned < 8)
		snprintf(warned[nwarned], sizeof(warned[0]), "%s", msg);
	nwarned++;
}

/* text in a file of the test's own; its path in path. */
static void write_file(char *path, const char *text)
{
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

Test(subids, ranges_count_as_their_owners_and_bad_lines_are_told)
{
	char path[] = "/tmp/fdb-subuid-XXXXXX";
	struct subids s;

	write_file(path, "nobody:100000:65536\n"
			 "root:200000:65536\n"
			 "4242:300000:10\n"
			 "\n"
			 "no-such-user-here:400000:10\n"
			 "just words\n"
			 "nobody:4294967290:100\n"
			 "nobody:500000:0\n"
			 "4343:100005:1\n"
			 "4444:600000:10\r\n"
			 "nobody:0:10\n"
			 "nobody:700000:10:extra\n");
	nwarned = 0;
	cr_assert_eq(subids_load(&s, path, collect, NULL), 0);
	cr_assert_eq(s.n, 4, "nobody's, 4242's, 4343's and 4444's; root's left out");
	cr_assert_eq(subids_owner(&s, 600009), 4444, "a CRLF line");
	cr_assert_eq(subids_owner(&s, 100000), 65534);
	cr_assert_eq(subids_owner(&s, 165535), 65534);
	cr_assert_eq(subids_owner(&s, 165536), 165536, "past the range: itself");
	cr_assert_eq(subids_owner(&s, 99999), 99999);
	cr_assert_eq(subids_owner(&s, 300009), 4242);
	cr_assert_eq(subids_owner(&s, 300010), 300010);
	cr_assert_eq(subids_owner(&s, 200001), 200001, "root's range: uid by uid");
	cr_assert_eq(subids_owner(&s, 100005), 65534, "the first line holding it wins");
	cr_assert_eq(nwarned, 6);
	cr_assert(strstr(warned[0], ":5: no such user 'no-such-user-here:400000:10'"), "%s",
		  warned[0]);
	cr_assert(strstr(warned[1], ":6: not owner:start:count 'just words'"), "%s", warned[1]);
	cr_assert(strstr(warned[2], ":7: a range out of the uids"), "%s", warned[2]);
	cr_assert(strstr(warned[3], ":8: a range out of the uids"), "%s", warned[3]);
	cr_assert(strstr(warned[4], ":11: a range holding uid 0"), "%s", warned[4]);
	cr_assert(strstr(warned[5], ":12: not owner:start:count"), "%s", warned[5]);
	cr_assert(!strncmp(warned[0], path, strlen(path)), "%s", warned[0]);
	subids_free(&s);
	unlink(path);
}

Test(subids, a_missing_file_is_no_ranges)
{
	struct subids s;

	cr_assert_eq(subids_load(&s, "/nonexistent/subuid", NULL, NULL), 0);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(subids_owner(&s, 100000), 100000);
	subids_free(&s);
	cr_assert_eq(subids_load(&s, "/", NULL, NULL), -1, "a directory cannot be read");
}
