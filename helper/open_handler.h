/*
 * The privileged open: resolve, decide, open, in that order, on the object
 * itself, in the broker's own mount namespace, never waiting on the object
 * (fdbroker-policy(5), "How paths are judged").
 */
#ifndef FDB_OPEN_HANDLER_H
#define FDB_OPEN_HANDLER_H

#include <limits.h>
#include <stdbool.h>

#include "policy.h"
#include "wire.h"

struct open_result {
	int fd;      /* >= 0 when opened */
	int err;     /* when not: the errno of the broker's attempt */
	bool denied; /* no rule allowed it (the program keeps its own errno) */
	bool any_right; /* asked: any one of rights is enough (stat) */
	bool unresolved; /* object_resolve: the walk reached no object to judge */
	unsigned rights;
	const struct rule *rule; /* deciding rule, NULL = default deny or refused */
	const char *reason;      /* refused before the policy: why, for the log; or NULL */
	char object[PATH_MAX];   /* what was judged: canonical path if resolved */
};

/* The RIGHT_* an open with these flags needs (create excluded); -1 if invalid. */
int open_rights(int flags);

/*
 * Serve one open request for subject s.  dirfd is the program's directory
 * for a relative path (-1 for an absolute one, or ignored); it stays the
 * caller's, and a relative path is refused unless it is on one of the
 * broker's mounts (reason "foreign-mount").
 */
void open_serve(const struct policy *p, const struct subject *s, const struct fdb_open_req *req,
		int dirfd, struct open_result *out);

/*
 * Steps 1, 3 and 4 of an open, for a request that opens nothing (stat,
 * access): resolve path (from dirfd as for open_serve; extra: O_NOFOLLOW or
 * 0) to an O_PATH descriptor and judge the object it reached for rights
 * (any one of them if any).  Returns that descriptor, which the caller
 * closes, or -1 with out filled as open_serve fills it: denied, or (inside
 * the policy) err the kernel's error for the path.
 */
int object_resolve(const struct policy *p, const struct subject *s, const char *path, int dirfd,
		   int extra, unsigned rights, bool any, struct open_result *out);

#endif
