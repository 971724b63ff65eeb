/*
 * The seccomp front end's prefilter (helper/front/prefilter.c): a name goes
 * on to the kernel at once only where the full decision would let it go
 * too.  So it never passes a name an allow open rule names (its file or a
 * tree holding it), one spelled other than canonically, one whose symlinks
 * lead to a name a rule names (or to a dangling symlink), or anything at
 * all while learning or under a permissive policy; and it passes the rest,
 * even a name that does not exist.  Each test builds its own files in a
 * directory of its own.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front/prefilter.h"
#include "policy_fixture.h"

TestSuite(prefilter, .init = policy_fixture_init, .fini = policy_fixture_fini, .timeout = 10);

static char dir[64];

/* dir/name */
static const char *at(const char *name)
{
	static char buf[4][PATH_MAX];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* A directory of the test's own with a file, a subdirectory and a symlink to the file. */
static void files(void)
{
	char d[] = "/tmp/fdb-prefilter.XXXXXX";

	cr_assert_not_null(mkdtemp(d));
	snprintf(dir, sizeof(dir), "%s", d);
	cr_assert(close(open(at("plain"), O_CREAT | O_WRONLY, 0644)) == 0);
	cr_assert(mkdir(at("sub"), 0755) == 0);
	cr_assert(close(open(at("sub/granted"), O_CREAT | O_WRONLY, 0600)) == 0);
	cr_assert(symlink(at("sub/granted"), at("link")) == 0);
	cr_assert(symlink(at("sub"), at("sublink")) == 0);
	/* out: no rule names it; a symlink to it, one in it that dangles, one in sub out to plain */
	cr_assert(mkdir(at("out"), 0755) == 0);
	cr_assert(close(open(at("out/f"), O_CREAT | O_WRONLY, 0644)) == 0);
	cr_assert(symlink(at("out"), at("outlink")) == 0);
	cr_assert(symlink(at("sub/not-yet"), at("out/dangling")) == 0);
	cr_assert(symlink(at("plain"), at("sub/innerlink")) == 0);
}

static void files_gone(void)
{
	unlink(at("sub/innerlink"));
	unlink(at("out/dangling"));
	unlink(at("outlink"));
	unlink(at("out/f"));
	rmdir(at("out"));
	unlink(at("link"));
	unlink(at("sublink"));
	unlink(at("sub/granted"));
	rmdir(at("sub"));
	unlink(at("plain"));
	rmdir(dir);
}

static struct prefilter *with_rule(const char *rule, bool learning)
{
	char text[PATH_MAX * 2];
	struct prefilter *pf;

	snprintf(text, sizeof(text), "%s\n", rule);
	parse_ok(text);
	pf = prefilter_new(&pol, learning);
	cr_assert_not_null(pf);
	return pf;
}

/* The files, and the prefilter of one rule: "allow WHO open" the place of name, then tail. */
static struct prefilter *files_and_rule(const char *who, const char *name, const char *tail)
{
	char rule[PATH_MAX + 64];

	files();
	snprintf(rule, sizeof(rule), "allow %s open %s%s", who, at(name), tail);
	return with_rule(rule, false);
}

Test(prefilter, passes_what_no_rule_names_and_keeps_what_one_does)
{
	struct prefilter *pf = files_and_rule("user 1000", "sub/granted", " read");

	cr_expect(prefilter_passes(pf, at("plain")));
	cr_expect(prefilter_passes(pf, at("missing")), "a name that does not exist");
	cr_expect(prefilter_passes(pf, at("missing/deeper")));
	cr_expect(prefilter_passes(pf, at("plain/under-a-file")), "ENOTDIR: no symlink met");
	cr_expect(!prefilter_passes(pf, at("sub/granted")), "the rule's own file");
	cr_expect(!prefilter_passes(pf, at("link")), "a symlink to it");
	cr_expect(!prefilter_passes(pf, at("sublink/granted")), "a symlinked directory on the way");
	prefilter_drop(pf);
	files_gone();
}

/*
 * A name through symlinks (a merged /usr's /lib, say) is judged by the
 * names the grant would judge: its directory's canonical one with its
 * last component (what an lstat or O_NOFOLLOW asks about), and where
 * that leads.
 */
Test(prefilter, through_symlinks_by_where_they_lead)
{
	struct prefilter *pf = files_and_rule("user 1000", "sub/granted", " read");

	cr_expect(prefilter_passes(pf, at("outlink/f")), "a symlinked directory no rule names");
	cr_expect(prefilter_passes(pf, at("outlink/missing")), "nothing there, in such a directory");
	cr_expect(prefilter_passes(pf, at("sublink/other")), "the rule names only sub/granted");
	cr_expect(!prefilter_passes(pf, at("outlink/dangling")),
		  "a dangling symlink: a creating open would follow it");
	cr_expect(!prefilter_passes(pf, at("outlink/f/under-a-file")), "ENOTDIR past a symlink");
	cr_expect(!prefilter_passes(pf, at("sublink/granted")));
	prefilter_drop(pf);
	files_gone();
}

Test(prefilter, only_canonical_absolute_names)
{
	static const char *odd[] = { "plain/", "./plain", "sub/../plain", "sub//granted", "sub/." };
	struct prefilter *pf = files_and_rule("user 1000", "sub/granted", " read");

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		cr_expect(!prefilter_passes(pf, at(odd[i])), "%s", at(odd[i]));
	cr_expect(!prefilter_passes(pf, "plain"), "relative");
	cr_expect(!prefilter_passes(pf, ""), "empty (AT_EMPTY_PATH)");
	cr_expect(!prefilter_passes(pf, "/"));
	prefilter_drop(pf);
	files_gone();
}

Test(prefilter, a_tree_rule_keeps_its_tree_and_itself)
{
	struct prefilter *pf = files_and_rule("group 1000", "sub", "/ read");

	cr_expect(!prefilter_passes(pf, at("sub")));
	cr_expect(!prefilter_passes(pf, at("sub/granted")));
	cr_expect(!prefilter_passes(pf, at("sub/new-file")), "a file a rule may let it create");
	cr_expect(prefilter_passes(pf, at("plain")));
	cr_expect(!prefilter_passes(pf, at("sublink/new-file")), "the tree, through a symlink");
	cr_expect(!prefilter_passes(pf, at("sublink/innerlink")),
		  "a symlink in the tree, to a name outside it: an lstat judges the symlink");
	cr_expect(prefilter_passes(pf, at("outlink/f")));
	prefilter_drop(pf);
	files_gone();
}

Test(prefilter, deny_and_socket_rules_grant_nothing_by_name)
{
	char rule[PATH_MAX * 2];
	struct prefilter *pf;

	files();
	snprintf(rule, sizeof(rule), "deny user 1000 open %s read\nallow user 1000 bind tcp *:80",
		 at("plain"));
	pf = with_rule(rule, false);
	/* no allow open rule: no walk either, so even a symlink passes */
	cr_expect(prefilter_passes(pf, at("plain")));
	cr_expect(prefilter_passes(pf, at("link")));
	cr_expect(!prefilter_passes(pf, at("sub/../plain")));
	/* the program's own descriptors are reopened whatever the rules */
	cr_expect(!prefilter_passes(pf, "/dev/stderr"));
	cr_expect(!prefilter_passes(pf, "/dev/fd/3"));
	cr_expect(!prefilter_passes(pf, "/proc/self/fd/0"));
	cr_expect(!prefilter_passes(pf, "/proc/1/fd/0"));
	cr_expect(prefilter_passes(pf, "/dev/null"));
	prefilter_drop(pf);
	files_gone();
}

Test(prefilter, nothing_passes_while_learning_or_permissive)
{
	struct prefilter *pf = with_rule("allow user 1000 bind tcp *:80", true);

	cr_expect(!prefilter_passes(pf, "/etc/hostname"));
	prefilter_drop(pf);
	pol.permissive = true;
	pf = prefilter_new(&pol, false);
	cr_assert_not_null(pf);
	cr_expect(!prefilter_passes(pf, "/etc/hostname"));
	prefilter_drop(pf);
}

Test(prefilter, outlives_its_policy_while_held)
{
	struct prefilter *pf = with_rule("allow user 1000 open /srv/x read", false);

	cr_assert_eq(prefilter_hold(pf), pf);
	prefilter_drop(pf);
	policy_free(&pol);
	policy_init(&pol);
	cr_expect(!prefilter_passes(pf, "/srv/x"), "its own copy of the rule's name");
	prefilter_drop(pf);
	prefilter_drop(NULL);
}
