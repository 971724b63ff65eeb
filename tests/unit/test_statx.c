/* common/statx.c: a statx turned into struct stat is what fstatat fills, byte for byte. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "statx.h"

TestSuite(statx);

static void same_as_fstatat(const char *path)
{
	struct stat want, got;
	struct statx sx;

	memset(&want, 0, sizeof(want));
	cr_assert_eq(fstatat(AT_FDCWD, path, &want, AT_SYMLINK_NOFOLLOW), 0, "%s", path);
	cr_assert_eq(statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0);
	statx_to_stat(&sx, &got);
	cr_assert_eq(memcmp(&want, &got, sizeof(want)), 0, "%s: ino %lu/%lu dev %lx/%lx", path,
		     (unsigned long)want.st_ino, (unsigned long)got.st_ino,
		     (unsigned long)want.st_dev, (unsigned long)got.st_dev);
}

/* a directory, a regular file, a device (st_rdev), a symbolic link, and /proc's own kind */
Test(statx, each_kind_of_object_as_fstatat_fills_it)
{
	static const char *const paths[] = { "/", "/etc/passwd", "/dev/null", "/dev/tty",
					     "/proc/self", "/proc/self/status" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		same_as_fstatat(paths[i]);
}
