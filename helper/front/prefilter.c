/*
 * The prefilter; see prefilter.h.  Its copy of the rules' names is its
 * own, so that a reload may free the policy while workers read it.
 */
#include "front/prefilter.h"
#include "front/notif_call.h"
#include "fdname.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct prefilter {
	unsigned refs; /* atomic */
	bool none;       /* nothing passes: learning, or a permissive policy */
	size_t n;        /* allow open rules */
	struct pf_name {
		char *path;
		bool tree;
	} *names;
};

struct prefilter *prefilter_new(const struct policy *p, bool learning)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->refs = 1;
	pf->none = learning || p->permissive;
	for (size_t i = 0; i < p->n && !pf->none; i++)
		pf->n += p->rules[i].op == OP_OPEN && p->rules[i].verdict == VERDICT_ALLOW;
	if (pf->n && !(pf->names = calloc(pf->n, sizeof(*pf->names)))) {
		free(pf);
		return NULL;
	}
	for (size_t i = 0, k = 0; k < pf->n; i++) {
		const struct rule *r = &p->rules[i];

		if (r->op != OP_OPEN || r->verdict != VERDICT_ALLOW)
			continue;
		pf->names[k].tree = r->u.open.tree;
		if (!(pf->names[k++].path = strdup(r->u.open.path))) {
			pf->n = k - 1;
			prefilter_drop(pf);
			return NULL;
		}
	}
	return pf;
}

struct prefilter *prefilter_hold(struct prefilter *pf)
{
	__atomic_add_fetch(&pf->refs, 1, __ATOMIC_RELAXED);
	return pf;
}

void prefilter_drop(struct prefilter *pf)
{
	if (!pf || __atomic_sub_fetch(&pf->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < pf->n; i++)
		free(pf->names[i].path);
	free(pf->names);
	free(pf);
}

/* Absolute, and no ".", "..", empty or trailing component: a name as rules spell them. */
static bool canonical(const char *path)
{
	const char *c = path + 1;

	if (path[0] != '/' || !path[1])
		return false;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

/* Walked in the broker's mounts, did the name meet no symlink before it ended or failed? */
static bool no_symlink(const char *path)
{
	int fd = openat2_fd(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* a missing or non-directory component: the walk stopped there, on no symlink */
	return fd == -ENOENT || fd == -ENOTDIR;
}

/*
 * A name for one of the program's own descriptors (common/fdname.h), which
 * no rule decides: /dev/stdin and the like, and every name under /proc
 * (/proc/PID/fd/N is one for the program's own PID, unknown here).
 */
static bool reopen_name(const char *path)
{
	return fdname_parse(path, 0) >= 0 || !strncmp(path, "/proc/", 6);
}

bool prefilter_passes(const struct prefilter *pf, const char *path)
{
	if (pf->none || !canonical(path) || reopen_name(path))
		return false;
	for (size_t i = 0; i < pf->n; i++)
		if (rule_path_matches(pf->names[i].path, pf->names[i].tree, path))
			return false;
	return pf->n == 0 || no_symlink(path);
}
