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
	unsigned rights;
	const struct rule *rule; /* deciding rule, NULL = default deny or refused */
	const char *reason;      /* refused before the policy: why, for the log; or NULL */
	char object[PATH_MAX];   /* what was judged: canonical path if resolved */
	bool resolved;           /* object is the canonical path of what was reached (or created) */
	int walk_err;            /* not resolved: the errno of the walk that failed, or 0 */
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

#endif
