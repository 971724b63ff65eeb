/* Flags, descriptor numbers, rights and creation on brokered opens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

TestSuite(flags, .fini = h_cleanup, .timeout = 30);

static struct result probe_file(const char *rights, const char *flags, const char **path)
{
	char policy[1024];

	*path = h_file("secret", "line one\n", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s %s\n", *path, rights);
	return h_broker_probe(policy, (char *[]){ "open", (char *)*path, (char *)flags, NULL });
}

Test(flags, cloexec_set_when_asked)
{
	const char *p;
	struct result r = probe_file("read", "re", &p);

	cr_assert(strstr(r.out, "ok ") && strstr(r.out, "cloexec=1"), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(flags, cloexec_clear_when_not_asked)
{
	const char *p;
	struct result r = probe_file("read", "r", &p);

	cr_assert(strstr(r.out, "ok ") && strstr(r.out, "cloexec=0"), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(flags, nonblock_and_append_carried)
{
	const char *p;
	struct result r = probe_file("write", "wan", &p);

	cr_assert(strstr(r.out, "nonblock=1 append=1"), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(flags, lowest_free_number)
{
	const char *f = h_file("secret", "x\n", 0600);
	char policy[1024];

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", f);
	struct result r = h_broker_probe(policy, (char *[]){ "lowest", (char *)f, NULL });

	cr_assert(strstr(r.out, "ok fd=5 "), "%s %s", r.out, r.err);
	h_free(&r);
}

Test(flags, write_without_write_right_refused)
{
	const char *p;
	struct result r = probe_file("read", "w", &p);

	cr_assert_str_eq(r.out, "err EACCES\n");
	h_free(&r);
}

Test(flags, trunc_without_write_right_refused)
{
	const char *p;
	struct result r = probe_file("read", "wat", &p);
	struct stat st;

	cr_assert_str_eq(r.out, "err EACCES\n");
	stat(p, &st);
	cr_assert_eq(st.st_size, 9, "file untouched");
	h_free(&r);
}

/* There is no append-only descriptor to grant: O_APPEND needs write, and read is not enough. */
Test(flags, append_needs_write_right)
{
	const char *p;
	struct result r = probe_file("read", "wa", &p);
	char *text;

	cr_assert_str_eq(r.out, "err EACCES\n");
	text = h_audit();
	cr_assert(strstr(text, "rights=write verdict=deny"), "%s", text);
	free(text);
	h_free(&r);
}

Test(flags, directory_flag_on_file_is_enotdir)
{
	const char *p;
	struct result r = probe_file("read", "rd", &p);

	cr_assert_str_eq(r.out, "err ENOTDIR\n");
	h_free(&r);
}

Test(flags, create_owned_by_client_with_requested_mode)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];
	struct stat st;

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read,write,create\n", d);
	snprintf(path, sizeof(path), "%s/new.txt", d);
	struct result r = h_broker_probe(policy, (char *[]){ "create", path, "wc", "0664", "022", NULL });

	cr_assert(strstr(r.out, "ok "), "%s %s", r.out, r.err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, NOBODY_UID);
	cr_assert_eq(st.st_gid, NOBODY_GID);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o: 0664 under umask 022",
		     st.st_mode & 07777);
	h_free(&r);
}

Test(flags, create_owner_root_keeps_root)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];
	struct stat st;

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ write,create owner=root\n", d);
	snprintf(path, sizeof(path), "%s/new.txt", d);
	struct result r = h_broker_probe(policy, (char *[]){ "create", path, "wc", "0600", "0", NULL });

	cr_assert(strstr(r.out, "ok "), "%s %s", r.out, r.err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, 0);
	h_free(&r);
}

Test(flags, create_without_create_right_refused)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];
	struct stat st;

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read,write\n", d);
	snprintf(path, sizeof(path), "%s/new.txt", d);
	struct result r = h_broker_probe(policy, (char *[]){ "create", path, "wc", "0600", "0", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n");
	cr_assert_neq(stat(path, &st), 0);
	h_free(&r);
}

Test(flags, missing_file_inside_policy_is_enoent)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", d);
	snprintf(path, sizeof(path), "%s/nothing", d);
	struct result r = h_broker_probe(policy, (char *[]){ "open", path, "r", NULL });

	cr_assert_str_eq(r.out, "err ENOENT\n");
	h_free(&r);
}

Test(flags, missing_file_outside_policy_keeps_eacces)
{
	const char *d = h_dir("private", 0700);
	char path[512];

	snprintf(path, sizeof(path), "%s/nothing", d);
	struct result r = h_broker_probe("", (char *[]){ "open", path, "r", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "existence must not leak");
	h_free(&r);
}

Test(flags, fopen_modes)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read,write,create\n", d);
	snprintf(path, sizeof(path), "%s/f.txt", d);
	struct result w = h_broker_probe(policy, (char *[]){ "fopen", path, "w", "hello", NULL });
	cr_assert_str_eq(w.out, "ok wrote\n", "%s", w.err);
	struct result a = h_broker_probe(policy, (char *[]){ "fopen", path, "a", " world", NULL });
	cr_assert_str_eq(a.out, "ok wrote\n", "%s", a.err);
	struct result rd = h_broker_probe(policy, (char *[]){ "fopen", path, "r", NULL });
	cr_assert(strstr(rd.out, "data=hello world"), "%s", rd.out);
	struct result rp = h_broker_probe(policy, (char *[]){ "fopen", path, "r+", NULL });
	cr_assert(strstr(rp.out, "data=hello world"), "%s", rp.out);
	h_free(&w);
	h_free(&a);
	h_free(&rd);
	h_free(&rp);
}

/* Create NAME in a fresh root-only directory under RULE_RIGHTS with MODE and UMASK; stat it. */
static void create_and_stat(const char *rule_rights, const char *mode, const char *mask,
			    struct stat *st)
{
	const char *d = h_dir("private", 0700);
	char policy[1024], path[512];

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ %s\n", d, rule_rights);
	snprintf(path, sizeof(path), "%s/new.txt", d);
	struct result r = h_broker_probe(policy, (char *[]){ "create", path, "wc", (char *)mode,
							     (char *)mask, NULL });

	cr_assert(strstr(r.out, "ok "), "%s %s", r.out, r.err);
	cr_assert_eq(stat(path, st), 0);
	h_free(&r);
}

Test(flags, create_never_sets_setid_or_sticky_bits)
{
	struct stat st;

	create_and_stat("read,write,create", "7777", "0", &st);
	cr_assert_eq(st.st_uid, NOBODY_UID);
	cr_assert_eq(st.st_mode & 07777, 0777, "mode %o", st.st_mode & 07777);
}

Test(flags, create_applies_the_client_umask)
{
	struct stat st;

	create_and_stat("read,write,create", "0777", "077", &st);
	cr_assert_eq(st.st_mode & 07777, 0700, "mode %o: 0777 under umask 077", st.st_mode & 07777);
}

Test(flags, create_owner_root_not_group_or_world_writable)
{
	struct stat st;

	create_and_stat("write,create owner=root", "6666", "0", &st);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o", st.st_mode & 07777);
}
