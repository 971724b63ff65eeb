/*
 * The privileged open: resolve, decide, open, in that order, on the object
 * itself, in the broker's own mount namespace, never waiting on the object
 * (fdbroker-policy(5), "How paths are judged").
 *
 * As everywhere in grant/: functions return 0 or a negative errno, or a
 * value they compute (rights, flags, a descriptor); those that fill a
 * result say so, and its err and denied say what went wrong.
 */
#ifndef FDB_OPEN_HANDLER_H
#define FDB_OPEN_HANDLER_H

#include <limits.h>
#include <stdbool.h>

#include "policy/policy.h"
#include "request/request.h"

struct open_result {
	int fd;      /* >= 0 when opened */
	int err;     /* when not: the errno of the broker's attempt */
	bool denied; /* no rule allowed it (the program keeps its own errno) */
	bool any_right; /* asked: any one of rights is enough (stat) */
	bool unresolved; /* object_resolve: the walk reached no object to judge */
	unsigned rights;
	const struct rule *rule; /* deciding rule, NULL = default deny or refused */
	const char *reason;      /* refused before the policy: why, for the log; or NULL */
	bool resolved;           /* object is the canonical path of what was reached (or created) */
	int walk_err;            /* not resolved: the errno of the walk that failed, or 0 */
	bool created;            /* the file is new: the open created it */
	/* last, nothing after it: only what is before it is cleared for each request */
	char object[PATH_MAX];   /* what was judged: canonical path if resolved */
};

/* The RIGHT_* an open with these flags needs (create excluded); -EINVAL if invalid. */
int open_rights(int flags);

/*
 * The flags every open of the broker uses, from the program's: O_CLOEXEC,
 * O_NOCTTY and O_NONBLOCK added, O_CREAT, O_EXCL, O_NOFOLLOW and O_PATH
 * taken out (the broker chooses them).
 */
int open_broker_flags(unsigned flags);

/*
 * fd was opened with open_broker_flags(flags): clear O_NONBLOCK unless flags ask
 * for it and put fd in out, or close it and put the error there.
 */
void open_hand_over(int fd, unsigned flags, struct open_result *out);

/*
 * Serve one open request for subject s.  req->dirfd is the program's
 * directory for a relative path (-1 for an absolute one, or ignored); it
 * stays the caller's, and a relative path is refused unless it is on one
 * of the broker's mounts (reason "foreign-mount").
 */
void open_serve(const struct policy *p, const struct subject *s, const struct req_open *req,
		struct open_result *out);

/*
 * What open_serve would judge for an absolute path, for explain: resolved
 * the same way (symlinks followed, magic links not, from the root), but
 * nothing opened and no policy asked.  Returns 0 with the canonical path
 * of the object in out (for a file that does not exist and create is
 * set, of its directory followed by the last component); 1 with the path
 * as written, folded, when no object resolves and no symlink was followed
 * (the broker judges that name then); or a negative errno when the broker
 * refuses whatever the policy says: the walk failed after a symlink
 * (-ELOOP for a magic link such as /dev/stderr), or left the broker's
 * mounts (-EXDEV).
 */
int open_judged_path(const char *path, bool create, char *out, size_t cap);

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

/*
 * Could open_serve grant req (or tell an error the policy lets the program
 * know)?  Resolves and judges as open_serve does; opens and creates
 * nothing but O_PATH walks.
 */
bool open_would(const struct policy *p, const struct subject *s, const struct req_open *req);

#endif
