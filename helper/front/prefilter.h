/*
 * The seccomp front end's prefilter: a call by name (the open and the stat
 * families) that no rule could grant goes on to the kernel (CONTINUE) as
 * soon as its name is read, on the worker that read it, before the
 * caller's credentials are read and without a round through the loop.
 *
 * CONTINUE is safe for anyone: the kernel then makes the call with the
 * caller's own rights, as without fdbroker.  What the prefilter must not do
 * is lose a grant, so it passes a name only where the full decision would
 * pass it too (dispatch_would, front/notif.c):
 *
 *   - the broker does not learn, and the policy is not permissive (every
 *     refusal is then a request for the core);
 *   - the name is absolute and spelled canonically: no ".", "..", "//" or
 *     trailing "/"; and it is no name of the program's own descriptors,
 *     which the broker reopens whatever the rules (/dev/stdin, /dev/fd/N,
 *     anything under /proc);
 *   - no allow open rule, of any subject, names it (its file, or a tree
 *     that holds it): the only rules that grant by name;
 *   - and it resolves in the broker's mounts without meeting a symlink
 *     (or fails before one), so that the name is the canonical path the
 *     broker would judge; or, through symlinks (a merged /usr's /lib), the
 *     names the grant would judge pass the same test: its directory's
 *     canonical name with its last component, and where that leads (a
 *     dangling symlink at the end, a magic link or a failing walk on the
 *     way take the full way).
 *
 * A policy without allow open rules passes every such name without the
 * walk.  A prefilter is built from one policy and never changes; each
 * user holds it (prefilter_hold, prefilter_drop, from any thread), and
 * the last to let go frees it.
 */
#ifndef FDB_FRONT_PREFILTER_H
#define FDB_FRONT_PREFILTER_H

#include <stdbool.h>

#include "policy/policy.h"

struct prefilter;

/* The prefilter of p (learning: one that passes nothing); NULL with errno. */
struct prefilter *prefilter_new(const struct policy *p, bool learning);
/* One more user; the last prefilter_drop frees it. */
struct prefilter *prefilter_hold(struct prefilter *pf);
void prefilter_drop(struct prefilter *pf);

/*
 * May the call by this name (as read from the target) go on to the kernel
 * at once?  Walks the name (O_PATH, no symlinks; again through them if it
 * met one) unless no rule could grant any name: call it off the loop.
 */
bool prefilter_passes(const struct prefilter *pf, const char *path);

#endif
