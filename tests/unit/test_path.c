/* Lexical folding of paths. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "grant/path.h"

TestSuite(path);

struct fold_case {
	char in[64];
	char out[64];
};

ParameterizedTestParameters(path, fold)
{
	static struct fold_case cases[] = {
		{ "/", "/" },
		{ "/etc/shadow", "/etc/shadow" },
		{ "//etc///shadow/", "/etc/shadow" },
		{ "/etc/./shadow", "/etc/shadow" },
		{ "/srv/x/../../etc/shadow", "/etc/shadow" },
		{ "/..", "/" },
		{ "/../../..", "/" },
		{ "/a/b/..", "/a" },
		{ "/a/..", "/" },
		{ "/a/.../b", "/a/.../b" },
		{ "/a/..b/c", "/a/..b/c" },
	};
	return cr_make_param_array(struct fold_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fold_case *c, path, fold)
{
	char out[PATH_MAX];

	cr_assert_eq(path_fold(c->in, out, sizeof(out)), 0);
	cr_assert_str_eq(out, c->out, "%s", c->in);
}

Test(path, relative_refused)
{
	char out[64];

	cr_assert_eq(path_fold("etc/shadow", out, sizeof(out)), -EINVAL);
}

Test(path, too_long)
{
	char out[8];

	cr_assert_eq(path_fold("/abcdefghij", out, sizeof(out)), -ENAMETOOLONG);
}

Test(path, join)
{
	char out[PATH_MAX];

	cr_assert_eq(path_join_fold("/srv/x", "../y/./z", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/srv/y/z");
	cr_assert_eq(path_join_fold("/srv/x", "/abs", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/abs");
}

Test(path, of_fd)
{
	char out[PATH_MAX];
	int fd = open("/etc", O_PATH);

	cr_assert_eq(path_of_fd(fd, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/etc");
	close(fd);
	cr_assert_lt(path_of_fd(fd, out, sizeof(out)), 0);
}

/* A file renamed over (as passwd replaces /etc/shadow) has no name left to judge it by. */
Test(path, of_fd_refuses_an_object_that_lost_its_name)
{
	char dir[] = "/tmp/fdb-path-XXXXXX", a[PATH_MAX], b[PATH_MAX], out[PATH_MAX];
	int old, gone, fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/secret", dir);
	snprintf(b, sizeof(b), "%s/secret+", dir);
	cr_assert_geq(fd = open(a, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	cr_assert_geq(old = open(a, O_PATH), 0);
	cr_assert_eq(path_of_fd(old, out, sizeof(out)), 0);
	cr_assert_str_eq(out, a);
	cr_assert_geq(fd = open(b, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	cr_assert_eq(rename(b, a), 0);
	cr_assert_eq(path_of_fd(old, out, sizeof(out)), -ENOENT, "got %s", out);
	cr_assert_geq(gone = open(a, O_PATH), 0);
	cr_assert_eq(unlink(a), 0);
	cr_assert_eq(path_of_fd(gone, out, sizeof(out)), -ENOENT, "got %s", out);
	close(old);
	close(gone);
	cr_assert_eq(rmdir(dir), 0);
}

struct dotdot_case {
	char in[32];
	bool has;
};

ParameterizedTestParameters(path, has_dotdot)
{
	static struct dotdot_case cases[] = {
		{ "..", true },       { "../x", true },     { "/a/..", true },  { "/a/../b", true },
		{ "a/b/../../c", true }, { "/a/...", false }, { "/a/..b", false }, { "/a/b..", false },
		{ "/a.../b", false }, { "...", false },     { "/", false },     { "", false },
		{ "/a/.../..", true },
	};
	return cr_make_param_array(struct dotdot_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dotdot_case *c, path, has_dotdot)
{
	cr_assert_eq(path_has_dotdot(c->in), c->has, "%s", c->in);
}
