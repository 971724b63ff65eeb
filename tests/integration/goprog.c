/* The Go test program, built once per run; see goprog.h. */
#include "goprog.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- Go: tests/go/goprobe, built once per run of this binary --- */

/*
 * The run's directory for the Go build (its cache and the program), made
 * before the first test and removed after the last, in the runner: the
 * tests, each a process of its own, find it in FDB_TEST_GO_DIR.
 */
static char go_dir[64];

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	snprintf(go_dir, sizeof(go_dir), "/tmp/fdbtest-go.XXXXXX");
	/* nobody runs the program from here */
	if (mkdtemp(go_dir) && chmod(go_dir, 0755) == 0)
		setenv("FDB_TEST_GO_DIR", go_dir, 1);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	if (go_dir[0] && getenv("FDB_TEST_GO_DIR"))
		nftw(go_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The Go program, built by the first test that asks (the others wait on
 * the lock), with Debian's golang-go: no cgo, no network (GOPROXY=off,
 * nothing to download), caches in the run's directory, not root's home.
 */
const char *h_goprobe(void)
{
	static char out[256];
	const char *dir = getenv("FDB_TEST_GO_DIR");
	char lock[256], tmp[300], cache[256], gopath[256], home[256];
	int fd;

	cr_assert_not_null(dir, "no directory for the Go build (the PRE_ALL hook failed)");
	snprintf(out, sizeof(out), "%s/goprobe", dir);
	snprintf(lock, sizeof(lock), "%s/build.lock", dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", lock, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	if (access(out, X_OK) != 0) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		snprintf(cache, sizeof(cache), "GOCACHE=%s/cache", dir);
		snprintf(gopath, sizeof(gopath), "GOPATH=%s/gopath", dir);
		snprintf(home, sizeof(home), "HOME=%s", dir);
		struct result r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "-C",
						    (char *)h_srcfile("tests", "go"),
						    "CGO_ENABLED=0", "GOPROXY=off", "GOFLAGS=-mod=mod",
						    "GO111MODULE=on", "GOENV=off", cache, gopath, home,
						    "go", "build", "-buildvcs=false", "-trimpath",
						    "-o", tmp, "./goprobe", NULL }, NULL, false);

		cr_assert_eq(r.status, 0, "go build (golang-go: scripts/deps.sh test): %s%s", r.out,
			     r.err);
		h_free(&r);
		cr_assert_eq(chmod(tmp, 0755), 0);
		cr_assert_eq(rename(tmp, out), 0);
	}
	close(fd);
	return out;
}
