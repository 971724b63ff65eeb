/* The names of the program's own descriptors (common/fdname.c). */
#include <criterion/criterion.h>

#include "fdname.h"

TestSuite(fdname);

Test(fdname, recognised)
{
	cr_assert_eq(fdname_parse("/dev/stdin", 42), 0);
	cr_assert_eq(fdname_parse("/dev/stdout", 42), 1);
	cr_assert_eq(fdname_parse("/dev/stderr", 42), 2);
	cr_assert_eq(fdname_parse("/dev/fd/0", 42), 0);
	cr_assert_eq(fdname_parse("/dev/fd/17", 42), 17);
	cr_assert_eq(fdname_parse("/proc/self/fd/2", 42), 2);
	cr_assert_eq(fdname_parse("/proc/thread-self/fd/9", 42), 9);
	cr_assert_eq(fdname_parse("/proc/42/fd/3", 42), 3);
	cr_assert_eq(fdname_parse("/proc/self/fd/2147483647", 42), 2147483647);
}

Test(fdname, not_recognised)
{
	static const char *const no[] = {
		"/proc/43/fd/3",   "/proc/420/fd/3",      "/proc/4/fd/3",     "/proc/self/fd/",
		"/proc/self/fd/02", "/proc/self/fd/-1",   "/proc/self/fd/+1", "/proc/self/fd/1/",
		"/proc/self/fd/1x", "/proc/self/fd/2147483648", "/dev//stderr", "/dev/stderr/",
		"/dev/fd",          "/dev/fd/",           "dev/stderr",       "/proc/self/fdinfo/2",
		"/dev/stdio",       "",
	};

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert_eq(fdname_parse(no[i], 42), -1, "%s", no[i]);
	cr_assert_eq(fdname_parse(NULL, 42), -1);
	cr_assert_eq(fdname_parse("/proc/0/fd/1", 0), -1);
}
