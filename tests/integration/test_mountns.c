/*
 * A client's own mount namespace gives it no object outside the policy:
 * a directory descriptor on one of its mounts is refused (the name the
 * broker would read back is the client's, not the policy's), and absolute
 * paths are resolved in the broker's namespace.  The client is nobody with
 * `unshare -rm` (user + mount namespace, no privilege on the host); if
 * unprivileged user namespaces are off, these tests fail, they do not skip.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

TestSuite(mountns, .fini = h_cleanup, .timeout = 60);

/*
 * Run script with sh as nobody under fdbroker run, in a user + mount
 * namespace of its own.  The shim makes its processes non-dumpable, which
 * stops unshare -r writing its own uid_map, and run serves dumpable members
 * only when told: FDBROKER_DUMPABLE=1, the documented opt-out.
 */
static struct result in_own_ns(const char *policy, const char *script)
{
	return h_broker_run_env("nobody", policy,
				(char *[]){ "unshare", "-rm", "sh", "-c", (char *)script, NULL },
				(char *[]){ "FDBROKER_DUMPABLE=1", NULL });
}

static void assert_ns_made(const struct result *r)
{
	cr_assert(strstr(r->out, "mounted\n"),
		  "the client could not make its own mount namespace (are unprivileged user "
		  "namespaces off?): out=%s err=%s",
		  r->out, r->err);
}

/* The first line of a file, for "was it read" checks. */
static void first_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");

	cr_assert(f, "%s", path);
	cr_assert(fgets(buf, (int)cap, f), "%s is empty", path);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	cr_assert(strlen(buf) > 3, "%s: first line too short to look for", path);
}

/* Issue 12, item 1, as reported: /etc bind-mounted inside the granted tree. */
Test(mountns, bind_mount_of_etc_inside_tree_refused)
{
	const char *w = h_dir("w", 0777);
	char policy[1024], script[2048], shadow[256];
	char *log;

	first_line("/etc/shadow", shadow, sizeof(shadow));
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", w);
	snprintf(script, sizeof(script),
		 "mkdir -p %s/m && mount --bind /etc %s/m && echo mounted && cd %s/m && "
		 "head -2 shadow",
		 w, w, w);
	struct result r = in_own_ns(policy, script);

	assert_ns_made(&r);
	cr_assert_null(strstr(r.out, shadow), "/etc/shadow was read: %s", r.out);
	cr_assert(strstr(r.err, "Permission denied"), "out=%s err=%s", r.out, r.err);
	log = h_audit();
	cr_assert(strstr(log, "op=open object=shadow rights=read reason=foreign-mount "
			      "verdict=deny rule=default errno=EACCES"),
		  "%s", log);
	cr_assert_null(strstr(log, "verdict=allow"), "%s", log);
	free(log);
	h_free(&r);
}

/*
 * A rule for one file in a root-owned directory: the client mounts a tmpfs
 * over the directory and binds a root-only file over the granted name.
 * Through a directory descriptor: refused.  By absolute path: the broker's
 * own file, the one the policy names.
 */
Test(mountns, single_file_rule_under_private_tmpfs)
{
	const char *d = h_dir("etc", 0755);
	const char *granted = h_file("etc/granted", "granted file\n", 0644);
	const char *secret = h_file("secret", "root only\n", 0600);
	char policy[1024], script[2048];
	char *log;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", granted);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs none %s && touch %s && mount --bind %s %s && echo mounted && "
		 "%s openat %s granted r && %s open %s r",
		 d, granted, secret, granted, h_probe(), d, h_probe(), granted);
	struct result r = in_own_ns(policy, script);

	assert_ns_made(&r);
	cr_assert_null(strstr(r.out, "root only"), "the root-only file was read: %s", r.out);
	cr_assert(strstr(r.out, "mounted\nerr EACCES\nok "), "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "data=granted file"), "absolute path: the broker's object: %s",
		  r.out);
	log = h_audit();
	cr_assert(strstr(log, "object=granted rights=read reason=foreign-mount verdict=deny"),
		  "%s", log);
	free(log);
	h_free(&r);
}

/* The same with a write rule: the root-only file is not truncated. */
Test(mountns, write_rule_under_private_tmpfs)
{
	const char *d = h_dir("etc", 0755);
	const char *granted = h_file("etc/granted", "granted file\n", 0644);
	const char *secret = h_file("secret", "root only\n", 0600);
	char policy[1024], script[2048];
	struct stat st;
	char *text, *log;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read,write\n", granted);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs none %s && touch %s && mount --bind %s %s && echo mounted && "
		 "cd %s && %s cwd . granted wt; echo pwned >granted",
		 d, granted, secret, granted, d, h_probe());
	struct result r = in_own_ns(policy, script);

	assert_ns_made(&r);
	cr_assert(strstr(r.out, "mounted\nerr EACCES\n"), "%s %s", r.out, r.err);
	text = h_slurp_must(secret);
	cr_assert_str_eq(text, "root only\n", "the root-only file was written");
	cr_assert_eq(stat(secret, &st), 0);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	log = h_audit();
	cr_assert_eq(h_count_lines(log, "reason=foreign-mount", "verdict=deny"), 2, "%s", log);
	free(text);
	free(log);
	h_free(&r);
}

/*
 * A create rule for a tree: the client binds a root-owned directory (here
 * standing for /etc) inside the tree and creates a name there: nothing is
 * created in the root-owned directory.
 */
Test(mountns, create_rule_through_bind_mount)
{
	const char *w = h_dir("w", 0755);
	const char *etc = h_dir("rootdir", 0755);
	char policy[1024], script[2048], evil[512];
	struct stat st;
	char *log;

	h_dir("w/m", 0755);
	snprintf(evil, sizeof(evil), "%s/ld.so.preload", etc);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read,write,create\n", w);
	snprintf(script, sizeof(script),
		 "mount --bind %s %s/m && echo mounted && cd %s/m && %s cwd . ld.so.preload wc; "
		 "echo /tmp/x.so >ld.so.preload",
		 etc, w, w, h_probe());
	struct result r = in_own_ns(policy, script);

	assert_ns_made(&r);
	cr_assert(strstr(r.out, "mounted\nerr EACCES\n"), "%s %s", r.out, r.err);
	cr_assert_neq(stat(evil, &st), 0, "a file was created in the root-owned directory");
	cr_assert_neq(stat(h_path("w/m/ld.so.preload"), &st), 0);
	log = h_audit();
	cr_assert_eq(h_count_lines(log, "object=ld.so.preload", "reason=foreign-mount"), 2, "%s",
		     log);
	free(log);
	h_free(&r);
}

/*
 * Acceptance 11: a client in a mount namespace of its own (no mount made,
 * just the copy unshare gives it) is served for an absolute path and refused,
 * with a log line saying why, for a relative one.
 */
Test(mountns, own_namespace_absolute_served_relative_refused)
{
	const char *d = h_dir("pub", 0755);
	char policy[1024], script[2048];
	char *log;

	h_file("pub/file", "public\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", d);
	snprintf(script, sizeof(script),
		 "echo mounted && %s open %s/file r && %s cwd %s file r && %s openat %s file r", h_probe(),
		 d, h_probe(), d, h_probe(), d);
	struct result r = in_own_ns(policy, script);

	assert_ns_made(&r);
	cr_assert(strstr(r.out, "data=public\n"), "absolute path not served: %s %s", r.out, r.err);
	cr_assert(strstr(r.out, "data=public\nerr EACCES\nerr EACCES\n"),
		  "cwd and dirfd not refused: %s", r.out);
	log = h_audit();
	cr_assert_eq(h_count_lines(log, "object=file rights=read reason=foreign-mount "
					"verdict=deny rule=default errno=EACCES", NULL),
		     2, "%s", log);
	cr_assert_eq(h_count_lines(log, "verdict=allow", NULL), 1, "%s", log);
	free(log);
	h_free(&r);
}

/* The same client in the broker's namespace is served for both (the check refuses only others'). */
Test(mountns, broker_namespace_relative_still_served)
{
	const char *d = h_dir("pub", 0755);
	char policy[1024];

	h_file("pub/file", "public\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", d);
	struct result a = h_broker_probe(policy, (char *[]){ "cwd", (char *)d, "file", "r", NULL });
	struct result b = h_broker_probe(policy, (char *[]){ "openat", (char *)d, "file", "r", NULL });

	cr_assert(strstr(a.out, "data=public"), "%s %s", a.out, a.err);
	cr_assert(strstr(b.out, "data=public"), "%s %s", b.out, b.err);
	h_free(&a);
	h_free(&b);
}
