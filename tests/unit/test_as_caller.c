/*
 * A call made as the program would make it (helper/front/as_caller.c): the
 * kernel judges it on the program's fsuid, fsgid and groups with no
 * capability in effect, and the thread comes back as it was, capabilities
 * included.  Each case runs on a thread of its own, the only one whose
 * credentials change.  Taking another identity needs root: those cases are
 * skipped without it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "front/as_caller.h"

#define NOBODY 65534
#define GROUP 4242 /* no name needed: the kernel compares numbers */

static char tmpdir[PATH_MAX];

/* The files of files(), if a case made them: gone even when it failed. */
static void files_gone(void)
{
	const char *names[] = { "secret", "public", "group", "daemons" };
	char path[PATH_MAX + 16];

	if (!tmpdir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

TestSuite(as_caller, .fini = files_gone, .timeout = 10);

struct caps {
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
};

static void caps_get(struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(c, 0, sizeof(*c));
	cr_assert_eq(syscall(SYS_capget, &h, c->d), 0);
}

/* this thread only: permitted and effective as given, inheritable kept */
static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capset, &h, c->d);
}

/* One case: what the thread saw before, in and after as_caller. */
struct run {
	struct as_caller_id id;
	const char *path;
	struct caps set;   /* the thread's capabilities for the case, if use_set */
	bool use_set;
	int rc;            /* as_caller's */
	bool called;
	uid_t fsuid_in;
	gid_t fsgid_in;
	bool no_caps_in;   /* nothing in effect while fn ran */
	struct caps before, after;
	uid_t fsuid_after;
	gid_t fsgid_after;
	int ngroups_before, ngroups_after;
	gid_t groups_before[64], groups_after[64];
};

static uid_t fsuid_now(void)
{
	return (uid_t)syscall(SYS_setfsuid, -1);
}

static gid_t fsgid_now(void)
{
	return (gid_t)syscall(SYS_setfsgid, -1);
}

/* fn: open r->path for reading; 0 or -errno */
static int try_open(void *arg)
{
	struct run *r = arg;
	struct caps in;
	int fd;

	r->called = true;
	r->fsuid_in = fsuid_now();
	r->fsgid_in = fsgid_now();
	caps_get(&in);
	r->no_caps_in = !in.d[0].effective && !in.d[1].effective;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void *run_thread(void *arg)
{
	struct run *r = arg;

	if (r->use_set && caps_set(&r->set) < 0)
		return NULL;
	caps_get(&r->before);
	r->ngroups_before = (int)syscall(SYS_getgroups, 64, r->groups_before);
	r->rc = as_caller(&r->id, try_open, r);
	caps_get(&r->after);
	r->ngroups_after = (int)syscall(SYS_getgroups, 64, r->groups_after);
	r->fsuid_after = fsuid_now();
	r->fsgid_after = fsgid_now();
	return r;
}

/* r on a thread of its own; the thread came back as it went in. */
static void run_case(struct run *r)
{
	pthread_t t;
	void *done;

	cr_assert_eq(pthread_create(&t, NULL, run_thread, r), 0);
	cr_assert_eq(pthread_join(t, &done), 0);
	cr_assert_eq(done, r, "the thread could not set its capabilities for the case");
	cr_assert_eq(r->fsuid_after, geteuid(), "fsuid back");
	cr_assert_eq(r->fsgid_after, getegid(), "fsgid back");
	cr_assert_eq(memcmp(&r->before, &r->after, sizeof(r->before)), 0,
		     "capabilities back as they were: effective %#x %#x, now %#x %#x",
		     r->before.d[0].effective, r->before.d[1].effective,
		     r->after.d[0].effective, r->after.d[1].effective);
	cr_assert_geq(r->ngroups_before, 0);
	cr_assert_eq(r->ngroups_after, r->ngroups_before, "groups back");
	cr_assert_eq(memcmp(r->groups_before, r->groups_after,
			    (size_t)r->ngroups_before * sizeof(gid_t)), 0, "groups back");
}

static const char *at(const char *name)
{
	static char bufs[4][PATH_MAX + 64];
	static int i;

	i = (i + 1) % 4;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, name);
	return bufs[i];
}

static void make_file(const char *name, gid_t gid, mode_t mode)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0, "%s: %s", at(name), strerror(errno));
	cr_assert_eq(fchown(fd, 0, gid), 0);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* A 0755 directory with secret (0600), public (0644) and group (0640, GROUP); root only. */
static void files(void)
{
	const char *t = getenv("TMPDIR");

	if (geteuid() != 0)
		cr_skip_test("needs root: the thread takes the identity of nobody");
	snprintf(tmpdir, sizeof(tmpdir), "%s/fdb-as-caller-XXXXXX", t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
	cr_assert_eq(chmod(tmpdir, 0755), 0);
	make_file("secret", 0, 0600);
	make_file("public", 0, 0644);
	make_file("group", GROUP, 0640);
}

static struct run as_nobody(const char *name, const gid_t *groups, size_t ngroups)
{
	struct run r = {
		.id = { .uid = NOBODY, .gid = NOBODY, .groups = groups, .ngroups = ngroups },
		.path = at(name),
	};

	return r;
}

Test(as_caller, nobody_cannot_open_a_root_only_file)
{
	struct run r;

	files();
	r = as_nobody("secret", NULL, 0);
	run_case(&r);
	cr_assert(r.called);
	cr_assert_eq(r.rc, -EACCES);
	cr_assert_eq(r.fsuid_in, NOBODY);
	cr_assert_eq(r.fsgid_in, NOBODY);
	cr_assert(r.no_caps_in, "a capability was in effect as the caller");
}

Test(as_caller, nobody_opens_what_anyone_may_read)
{
	struct run r;

	files();
	r = as_nobody("public", NULL, 0);
	run_case(&r);
	cr_assert_eq(r.rc, 0);
}

Test(as_caller, groups_and_fsgid_are_honoured)
{
	static const gid_t with[] = { 100, GROUP };
	struct run r;

	files();
	r = as_nobody("group", with, 2);
	run_case(&r);
	cr_assert_eq(r.rc, 0, "GROUP among the groups");
	r = as_nobody("group", NULL, 0);
	run_case(&r);
	cr_assert_eq(r.rc, -EACCES, "no GROUP");
	r = as_nobody("group", NULL, 0);
	r.id.gid = GROUP;
	run_case(&r);
	cr_assert_eq(r.rc, 0, "GROUP as the fsgid");
}

/*
 * The fsuid going back to 0 raises the file capabilities from the
 * permitted set into the effective one: a thread that had fewer in effect
 * must come back with exactly those, and with CAP_SETUID and CAP_SETGID
 * only permitted, as they were.
 */
Test(as_caller, a_narrow_effective_set_comes_back_narrow)
{
	struct run r;

	files();
	r = as_nobody("public", NULL, 0);
	caps_get(&r.set);
	r.set.d[0].effective = 1U << CAP_DAC_READ_SEARCH;
	r.set.d[1].effective = 0;
	r.use_set = true;
	run_case(&r);
	cr_assert_eq(r.rc, 0);
	cr_assert_eq(r.after.d[0].effective, 1U << CAP_DAC_READ_SEARCH);
	cr_assert_eq(r.after.d[1].effective, 0);
}

/*
 * A program of uid 0: its uid's step takes no capability away (the kernel
 * empties the effective set only when the uid leaves 0), so the capset
 * must: a file of another user's, 0600, stays shut to it.
 */
Test(as_caller, a_caller_of_uid_0_has_no_capability_in_effect)
{
	struct run r;
	int fd;

	files();
	fd = open(at("daemons"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fchown(fd, 1, 1), 0);
	close(fd);
	r = as_nobody("daemons", NULL, 0);
	r.id.uid = 0;
	run_case(&r);
	cr_assert(r.called);
	cr_assert_eq(r.fsuid_in, 0);
	cr_assert(r.no_caps_in, "a capability was in effect as the caller");
	cr_assert_eq(r.rc, -EACCES);
}

/* An identity the kernel will not give (uid -1 is no uid): refused, fn not called. */
Test(as_caller, an_identity_not_taken_is_eperm)
{
	struct run r;

	files();
	r = as_nobody("public", NULL, 0);
	r.id.uid = (uid_t)-1;
	run_case(&r);
	cr_assert_eq(r.rc, -EPERM);
	cr_assert(!r.called);
	r = as_nobody("public", NULL, 0);
	r.id.gid = (gid_t)-1;
	run_case(&r);
	cr_assert_eq(r.rc, -EPERM);
	cr_assert(!r.called);
}

/* Without CAP_SETUID and CAP_SETGID permitted (any user, or root without them): -EPERM. */
Test(as_caller, without_setuid_and_setgid_is_eperm)
{
	struct run r = { .id = { .uid = NOBODY, .gid = NOBODY }, .path = "/" };

	caps_get(&r.set);
	r.set.d[0].permitted &= ~((1U << CAP_SETUID) | (1U << CAP_SETGID));
	r.set.d[0].effective &= r.set.d[0].permitted;
	r.use_set = true;
	run_case(&r);
	cr_assert_eq(r.rc, -EPERM);
	cr_assert(!r.called);
}
