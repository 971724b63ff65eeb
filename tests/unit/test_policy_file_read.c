/*
 * helper/conf/policy_file.c, policy_parse_file: what it reads and how a
 * file it cannot read is reported.  (Whose file it trusts: test_policy_file.c.)
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/policy_file.h"
#include "policy_fixture.h"

static char tmpdir[PATH_MAX];

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	policy_fixture_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/fdb-policy-XXXXXX", t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	policy_fixture_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(policy_file_read, .init = setup, .fini = teardown, .timeout = 10);

static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(policy_file_read, parse_file_good)
{
	static const char text[] = "allow any open /a read\n\ndeny any open /b";
	const char *path = write_file("good.policy", text, sizeof(text) - 1);

	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 0, "%s", errs.msg[0]);
	cr_assert_eq(pol.n, 2);
	cr_assert_str_eq(pol.rules[1].file, path);
	cr_assert_eq(pol.rules[1].line, 3);
}

Test(policy_file_read, parse_file_with_nul_byte)
{
	static const char text[] = "allow any open /a read\nallow\0any open /b read\nallow any open /c read\n";
	const char *path = write_file("nul.policy", text, sizeof(text) - 1);
	char want[PATH_MAX + 64];

	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s:2:6: NUL byte in policy text", path);
	cr_assert_str_eq(errs.msg[0], want);
	cr_assert_eq(pol.n, 2);
}

Test(policy_file_read, parse_file_cannot_read)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/missing.policy", tmpdir);
	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	cr_assert_str_eq(errs.msg[0], want);

	errs.n = 0;
	cr_assert_eq(policy_parse_file(&pol, tmpdir, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", tmpdir, strerror(EISDIR));
	cr_assert_str_eq(errs.msg[0], want);

	errs.n = 0;
	cr_assert_eq(policy_parse_file(&pol, "/dev/null", collect, &errs), 1);
	cr_assert_str_eq(errs.msg[0], "/dev/null: cannot read: not a regular file");

	/* A FIFO with no writer must not hang the parse (the suite has a timeout). */
	errs.n = 0;
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(policy_parse_file(&pol, path, collect, &errs), 1);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file", path);
	cr_assert_str_eq(errs.msg[0], want);
	cr_assert_eq(pol.n, 0);
}

