/*
 * helper/conf/policy_file.c, policy_parse_file: a policy that anyone but root (or the
 * user the broker runs as) could change is refused unread, as sudo refuses
 * such a sudoers file.  Each test has a fresh directory (0755, root) under
 * $TMPDIR; files and directories get their modes and owners explicitly, so
 * the results do not depend on the umask.  Needs root (CAP_CHOWN), or
 * every test is skipped.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conf/policy_file.h"
#include "policy_fixture.h"

#define NOBODY 65534

static const char good[] = "allow user nobody open /etc/ssl/private/ read\n";

static char tmpdir[PATH_MAX];

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	policy_fixture_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/fdb-policy-file-XXXXXX", t ? t : "/tmp");
	cr_assert_not_null(mkdtemp(tmpdir));
	/*
	 * The tests give files to root, nobody and uid 1: without the right to
	 * (make unit as a user) they are skipped, not failed.  Asked of the
	 * kernel rather than of geteuid(), which would not know CAP_CHOWN.
	 * A skip in .init does not run .fini: clean up here.
	 */
	if (chown(tmpdir, 0, 0) < 0) {
		int e = errno;

		rmdir(tmpdir);
		policy_fixture_fini();
		cr_skip_test("these tests give files to other users: chown: %s (run as root)",
			     strerror(e));
	}
	/* nobody (the euid test) must reach the files below */
	cr_assert_eq(chmod(tmpdir, 0755), 0);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	policy_fixture_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(policy_file, .init = setup, .fini = teardown, .timeout = 10);

/* tmpdir/name, in one of a few buffers that live until the test ends. */
static const char *at(const char *name)
{
	static char bufs[16][PATH_MAX + 64];
	static int i;

	i = (i + 1) % 16;
	snprintf(bufs[i], sizeof(bufs[i]), "%s/%s", tmpdir, name);
	return bufs[i];
}

/* A good policy at tmpdir/name, owned by uid:0 with exactly this mode. */
static const char *policy_file(const char *name, uid_t uid, mode_t mode)
{
	const char *path = at(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	cr_assert_eq(fchown(fd, uid, 0), 0);
	cr_assert_eq(fchmod(fd, mode), 0); /* after chown, which may clear bits */
	close(fd);
	return path;
}

static const char *policy_dir(const char *name, uid_t uid, mode_t mode)
{
	const char *path = at(name);

	cr_assert_eq(mkdir(path, 0700), 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(chown(path, uid, 0), 0);
	cr_assert_eq(chmod(path, mode), 0);
	return path;
}

static int parse_file(const char *path)
{
	int n = policy_parse_file(&pol, path, collect, &errs);

	cr_assert_eq(n, errs.n, "returned %d errors, reported %d", n, errs.n);
	return n;
}

static void accepted(const char *path)
{
	cr_assert_eq(parse_file(path), 0, "%s refused: %s", path, errs.msg[0]);
	cr_assert_eq(pol.n, 1);
}

/* Refused with exactly one error, which is want; nothing parsed. */
static void refused(const char *path, const char *want)
{
	cr_assert_eq(parse_file(path), 1, "%s: %d errors, first: %s", path, errs.n, errs.msg[0]);
	cr_assert_str_eq(errs.msg[0], want);
	cr_assert_eq(pol.n, 0, "a refused policy gave rules");
}

Test(policy_file, root_0644_accepted)
{
	accepted(policy_file("p.policy", 0, 0644));
}

Test(policy_file, root_0600_accepted)
{
	accepted(policy_file("p.policy", 0, 0600));
}

Test(policy_file, group_writable_refused)
{
	const char *p = policy_file("p.policy", 0, 0664);
	char want[2 * PATH_MAX];

	snprintf(want, sizeof(want), "%s: writable by group root (mode 0664); chmod go-w %s", p, p);
	refused(p, want);
}

Test(policy_file, world_writable_refused)
{
	const char *p = policy_file("p.policy", 0, 0646);
	char want[2 * PATH_MAX];

	snprintf(want, sizeof(want), "%s: writable by anyone (mode 0646); chmod go-w %s", p, p);
	refused(p, want);
}

Test(policy_file, owned_by_nobody_refused)
{
	const char *p = policy_file("p.policy", NOBODY, 0644);
	char want[2 * PATH_MAX];

	snprintf(want, sizeof(want),
		 "%s: owned by uid 65534 (user nobody); a policy must belong to root", p);
	refused(p, want);
}

/* Both problems are named: the administrator fixes them in one go. */
Test(policy_file, owner_and_mode_both_reported)
{
	const char *p = policy_file("p.policy", NOBODY, 0666);

	cr_assert_eq(parse_file(p), 2);
	cr_assert(strstr(errs.msg[0], ": owned by uid 65534 (user nobody);"), "%s", errs.msg[0]);
	cr_assert(strstr(errs.msg[1], ": writable by anyone (mode 0666);"), "%s", errs.msg[1]);
}

Test(policy_file, directory_writable_refused)
{
	const char *d = policy_dir("d", 0, 0777);
	const char *p = policy_file("d/p.policy", 0, 0644);
	char want[3 * PATH_MAX];

	snprintf(want, sizeof(want),
		 "%s: directory %s is writable by anyone (mode 0777), who could replace the "
		 "policy; chmod go-w %s", p, d, d);
	refused(p, want);
}

Test(policy_file, directory_group_writable_refused)
{
	const char *d = policy_dir("d", 0, 0775);
	const char *p = policy_file("d/p.policy", 0, 0644);
	char want[3 * PATH_MAX];

	snprintf(want, sizeof(want),
		 "%s: directory %s is writable by group root (mode 0775), who could replace the "
		 "policy; chmod go-w %s", p, d, d);
	refused(p, want);
}

Test(policy_file, directory_owned_by_nobody_refused)
{
	const char *d = policy_dir("d", NOBODY, 0755);
	const char *p = policy_file("d/p.policy", 0, 0644);
	char want[3 * PATH_MAX];

	snprintf(want, sizeof(want),
		 "%s: directory %s is owned by uid 65534 (user nobody), who could replace the "
		 "policy; it must belong to root", p, d);
	refused(p, want);
}

/* /tmp-like: others may write the directory but not replace a file they do not own. */
Test(policy_file, sticky_directory_accepted)
{
	policy_dir("d", 0, 01777);
	accepted(policy_file("d/p.policy", 0, 0644));
}

Test(policy_file, sticky_directory_still_checks_file)
{
	policy_dir("d", 0, 01777);
	cr_assert_eq(parse_file(policy_file("d/p.policy", NOBODY, 0644)), 1);
	cr_assert(strstr(errs.msg[0], ": owned by uid 65534 (user nobody);"), "%s", errs.msg[0]);
}

/* A name without a slash is judged in the current directory, named by its path. */
Test(policy_file, relative_name_checks_current_directory)
{
	const char *d = policy_dir("d", 0, 0777);
	char want[3 * PATH_MAX];

	policy_file("d/p.policy", 0, 0644);
	cr_assert_eq(chdir(d), 0);
	snprintf(want, sizeof(want), "p.policy: directory %s is writable by anyone (mode 0777), "
		 "who could replace the policy; chmod go-w %s", d, d);
	refused("p.policy", want);
}

/* ---- the whole way to the file: every directory from /, every symlink ------ */

static void symlink_at(const char *target, const char *name, uid_t owner)
{
	cr_assert_eq(symlink(target, at(name)), 0, "%s: %s", at(name), strerror(errno));
	cr_assert_eq(lchown(at(name), owner, 0), 0);
}

/* The case: a policy named through a symlink into a directory nobody owns. */
Test(policy_file, symlink_into_nobody_directory_refused)
{
	const char *d = policy_dir("nobodys", NOBODY, 0755);
	char want[4 * PATH_MAX], link[PATH_MAX];

	policy_file("nobodys/p.policy", 0, 0644);
	symlink_at("nobodys/p.policy", "site.policy", 0);
	snprintf(link, sizeof(link), "%s", at("site.policy"));
	snprintf(want, sizeof(want),
		 "%s: directory %s (reached through symlink %s) is owned by uid 65534 (user "
		 "nobody), who could replace the policy; it must belong to root", link, d, link);
	refused(link, want);
}

/* The same with an absolute target into a directory anyone may write. */
Test(policy_file, symlink_into_writable_directory_refused)
{
	const char *d = policy_dir("shared", 0, 0777);
	char want[4 * PATH_MAX], link[PATH_MAX];

	symlink_at(policy_file("shared/p.policy", 0, 0644), "site.policy", 0);
	snprintf(link, sizeof(link), "%s", at("site.policy"));
	snprintf(want, sizeof(want),
		 "%s: directory %s (reached through symlink %s) is writable by anyone (mode 0777), "
		 "who could replace the policy; chmod go-w %s", link, d, link, d);
	refused(link, want);
}

/* A directory further up, not the file's own, belongs to nobody: still refused. */
Test(policy_file, ancestor_owned_by_nobody_refused)
{
	const char *a = policy_dir("a", NOBODY, 0755);
	const char *p;
	char want[4 * PATH_MAX];

	policy_dir("a/b", 0, 0755);
	policy_dir("a/b/c", 0, 0755);
	p = policy_file("a/b/c/p.policy", 0, 0644);
	snprintf(want, sizeof(want),
		 "%s: directory %s is owned by uid 65534 (user nobody), who could replace the "
		 "policy; it must belong to root", p, a);
	refused(p, want);
}

Test(policy_file, ancestor_writable_refused)
{
	const char *a = policy_dir("a", 0, 0773);
	const char *p;
	char want[4 * PATH_MAX];

	policy_dir("a/b", 0, 0755);
	p = policy_file("a/b/p.policy", 0, 0644);
	snprintf(want, sizeof(want),
		 "%s: directory %s is writable by anyone (mode 0773), who could replace the "
		 "policy; chmod go-w %s", p, a, a);
	refused(p, want);
}

/* A symlink to a directory counts as that directory. */
Test(policy_file, directory_symlink_into_nobody_directory_refused)
{
	const char *d = policy_dir("nobodys", NOBODY, 0755);
	char want[4 * PATH_MAX], path[PATH_MAX];

	policy_file("nobodys/p.policy", 0, 0644);
	symlink_at(d, "etc", 0);
	snprintf(path, sizeof(path), "%s/p.policy", at("etc"));
	snprintf(want, sizeof(want),
		 "%s: directory %s (reached through symlink %s) is owned by uid 65534 (user "
		 "nobody), who could replace the policy; it must belong to root", path, d, at("etc"));
	refused(path, want);
}

/* In a sticky shared directory anyone may make a link: only root's (or ours) is followed. */
Test(policy_file, symlink_owned_by_nobody_in_sticky_directory_refused)
{
	const char *s = policy_dir("tmp", 0, 01777);
	const char *p = policy_file("p.policy", 0, 0644);
	char want[4 * PATH_MAX], link[PATH_MAX];

	symlink_at(p, "tmp/site.policy", NOBODY);
	snprintf(link, sizeof(link), "%s", at("tmp/site.policy"));
	snprintf(want, sizeof(want),
		 "%s: symlink %s is owned by uid 65534 (user nobody) in the shared directory %s, so "
		 "its owner could point it elsewhere; it must belong to root, or name the policy by "
		 "its own path", link, link, s);
	refused(link, want);
}

Test(policy_file, symlink_owned_by_root_in_sticky_directory_accepted)
{
	policy_dir("tmp", 0, 01777);
	symlink_at(policy_file("p.policy", 0, 0644), "tmp/site.policy", 0);
	accepted(at("tmp/site.policy"));
}

/* Links to links, relative, with "." and ".." on the way, all trusted: read. */
Test(policy_file, trusted_symlink_chain_accepted)
{
	policy_dir("etc", 0, 0755);
	policy_dir("etc/fdbroker", 0, 0755);
	policy_file("etc/fdbroker/real.policy", 0, 0644);
	symlink_at("fdbroker/./real.policy", "etc/l2", 0);
	symlink_at("etc/fdbroker/../l2", "l1", 0);
	accepted(at("l1"));
	cr_assert_str_eq(pol.rules[0].file, at("l1"), "rules name the file as it was given");
}

Test(policy_file, symlink_loop_refused)
{
	char want[2 * PATH_MAX], path[PATH_MAX];

	symlink_at("l2", "l1", 0);
	symlink_at("l1", "l2", 0);
	snprintf(path, sizeof(path), "%s", at("l1"));
	snprintf(want, sizeof(want), "%s: cannot read: more than 40 symbolic links on the way",
		 path);
	refused(path, want);
}

Test(policy_file, missing_and_not_a_directory)
{
	char want[2 * PATH_MAX], path[PATH_MAX];

	policy_file("p.policy", 0, 0644);
	snprintf(path, sizeof(path), "%s/x", at("p.policy"));
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOTDIR));
	refused(path, want);
	errs.n = 0;
	symlink_at("gone.policy", "dangling.policy", 0);
	snprintf(path, sizeof(path), "%s", at("dangling.policy"));
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	refused(path, want);
}

/*
 * A POSIX ACL granting nobody write: st_mode's group bits become the ACL
 * mask (rw), so the mode check catches it and the message names the ACL.
 * The ACL is written as the kernel's xattr (no libacl needed).
 */
Test(policy_file, acl_granting_write_refused)
{
	enum { USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, MASK = 0x10, OTHER = 0x20 };
	const uint32_t none = UINT32_MAX;
	struct {
		uint32_t version;
		struct {
			uint16_t tag, perm;
			uint32_t id;
		} e[5];
	} acl = { 2, { { USER_OBJ, 6, none }, { USER, 6, NOBODY }, { GROUP_OBJ, 4, none },
		       { MASK, 6, none }, { OTHER, 4, none } } };
	const char *p = policy_file("p.policy", 0, 0644);
	char want[2 * PATH_MAX];
	struct stat st;

	if (setxattr(p, "system.posix_acl_access", &acl, sizeof(acl), 0) < 0) {
		cr_assert(errno == EOPNOTSUPP, "setxattr: %s", strerror(errno));
		cr_skip_test("no POSIX ACLs on %s", tmpdir);
	}
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0664, "mode %o: the ACL mask is not the group bits",
		     st.st_mode & 07777);
	snprintf(want, sizeof(want),
		 "%s: writable by group root or its ACL entries (mode 0664); chmod go-w %s", p, p);
	refused(p, want);
}

/*
 * Run as nobody (in a child: Criterion's worker keeps its credentials):
 * 0 when every path in ok parses and bad gets exactly the error want.
 */
static int as_nobody(const char *const ok[], const char *bad, const char *want)
{
	struct errs e = { 0 };
	struct policy p;
	gid_t g = NOBODY;
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (setgroups(1, &g) || setresgid(g, g, g) || setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		for (int i = 0; ok[i]; i++) {
			policy_init(&p);
			if (policy_parse_file(&p, ok[i], collect, &e) != 0 || p.n != 1) {
				fprintf(stderr, "%s: %s\n", ok[i], e.msg[0]);
				_exit(20 + i);
			}
			policy_free(&p);
		}
		policy_init(&p);
		if (policy_parse_file(&p, bad, collect, &e) != 1 || strcmp(e.msg[0], want)) {
			fprintf(stderr, "%s: %d errors, first: %s\n", bad, e.n, e.msg[0]);
			_exit(30);
		}
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died with status %#x", status);
	return WEXITSTATUS(status);
}

/* A broker not running as root trusts its own user's files too, and no one else's. */
Test(policy_file, own_file_accepted_when_not_root)
{
	const char *ok[3], *bad;
	char want[2 * PATH_MAX], who[300];
	struct passwd *pw;
	int rc;

	policy_dir("home", NOBODY, 0755);
	ok[0] = policy_file("home/own.policy", NOBODY, 0644);
	ok[1] = policy_file("root.policy", 0, 0644);
	ok[2] = NULL;
	bad = policy_file("other.policy", 1, 0644);
	pw = getpwuid(1);
	snprintf(who, sizeof(who), pw ? "uid 1 (user %s)" : "uid 1", pw ? pw->pw_name : "");
	snprintf(want, sizeof(want),
		 "%s: owned by %s; a policy must belong to root or to the user fdbroker runs as, "
		 "uid 65534 (user nobody)", bad, who);
	rc = as_nobody(ok, bad, want);
	cr_assert_eq(rc, 0, "child status %d: 10 = cannot become nobody, 2x = ok[x] refused, "
			    "30 = %s not refused as expected (its stderr says why)", rc, bad);
}
