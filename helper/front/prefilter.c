/*
 * The prefilter; see prefilter.h.  Its copy of the rules' names is its
 * own, so that a reload may free the policy while workers read it.
 */
#include "front/prefilter.h"
#include "front/notif_call.h"
#include "fdname.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/*
 * Walked in the broker's mounts, did the name meet no symlink before it
 * ended or failed (0)?  -ELOOP if it met one, another -errno if the walk
 * failed otherwise.
 */
static int no_symlink(const char *path)
{
	int fd = openat2_fd(AT_FDCWD, path, O_PATH | O_CLOEXEC, 0, RESOLVE_NO_SYMLINKS);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	/* a missing or non-directory component: the walk stopped there, on no symlink */
	return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
}

/* The name the kernel gives what fd stands for, in out (PATH_MAX bytes): or false. */
static bool fd_name(int fd, char *out)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, out, PATH_MAX - 1);
	if (n <= 0)
		return false;
	out[n] = '\0';
	return true;
}

/*
 * The canonical names a grant would judge path by, once its symlinks are
 * followed in the broker's mounts (PATH_MAX bytes each): in lexical, its
 * directory's and its last component (the object of an lstat, or of an
 * open with O_NOFOLLOW); in target, where the last component leads, or ""
 * if nothing is there (truly nothing: a dangling symlink, which a
 * creating open would follow, is no answer).  false where the walk cannot
 * say (a magic link, a component that is no directory, anything else).
 */
static bool resolved_names(const char *path, char *lexical, char *target)
{
	const char *slash = strrchr(path, '/'), *base = slash + 1;
	char dir[PATH_MAX];
	struct stat st;
	bool ok = false;
	int dfd, fd;

	if ((size_t)(slash - path) >= sizeof(dir))
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	dfd = openat2_fd(AT_FDCWD, slash == path ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
			 RESOLVE_NO_MAGICLINKS);
	if (dfd < 0)
		return false;
	if (!fd_name(dfd, dir) ||
	    snprintf(lexical, PATH_MAX, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base) >= PATH_MAX)
		goto out;
	fd = openat2_fd(dfd, base, O_PATH | O_CLOEXEC, 0, RESOLVE_NO_MAGICLINKS);
	if (fd >= 0) {
		ok = fd_name(fd, target);
		close(fd);
	} else if (fd == -ENOENT && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		   errno == ENOENT) {
		target[0] = '\0';
		ok = true;
	}
out:
	close(dfd);
	return ok;
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

/* A name the grant would judge that no rule can: canonical, no descriptor's, no allow rule's. */
static bool passes_name(const struct prefilter *pf, const char *name)
{
	if (!canonical(name) || reopen_name(name))
		return false;
	for (size_t i = 0; i < pf->n; i++)
		if (rule_path_matches(pf->names[i].path, pf->names[i].tree, name))
			return false;
	return true;
}

bool prefilter_passes(const struct prefilter *pf, const char *path)
{
	char lexical[PATH_MAX], target[PATH_MAX];
	int walk;

	if (pf->none || !passes_name(pf, path))
		return false;
	if (pf->n == 0)
		return true;
	walk = no_symlink(path);
	if (walk != -ELOOP)
		return walk == 0;
	/* through symlinks (/lib of a merged /usr): by the names the grant would judge */
	return resolved_names(path, lexical, target) && passes_name(pf, lexical) &&
	       (!target[0] || passes_name(pf, target));
}
