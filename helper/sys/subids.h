/*
 * Subordinate uids (subuid(5)): the ranges of uids each user may map into
 * a user namespace of its own with newuidmap(1), which Debian's adduser
 * gives every user (65,536 each).  A process in such a namespace connects
 * with one of those uids, a different one for each process if it likes;
 * counted as itself, each would be a uid of its own against the per-user
 * limits (core/shares.h), and one user could take the limit of all.  So
 * the broker counts a subordinate uid as its owner's.  Ranges of root's
 * are left out: a namespace root makes (a system container) is counted
 * uid by uid, as before.
 *
 * subids_load returns 0, or -1 with errno when the file cannot be read (a
 * missing file is no ranges: 0).  A line it cannot use (a user with no
 * passwd entry, a number out of range) is told through warn and skipped,
 * as newuidmap skips it.  Nothing here prints.
 */
#ifndef FDB_SUBIDS_H
#define FDB_SUBIDS_H

#include <stddef.h>
#include <sys/types.h>

struct subid_range {
	uid_t start, owner;
	unsigned long long count;
};

struct subids {
	struct subid_range *v;
	size_t n;
};

/* "FILE:LINE: what", for the caller to print or log. */
typedef void (*subids_warn_fn)(void *ctx, const char *msg);

/* The ranges of path into s (empty on error; free the old ones first). */
int subids_load(struct subids *s, const char *path, subids_warn_fn warn, void *ctx);

/* Whose uid counts as: the owner of the first range holding it, or uid itself. */
uid_t subids_owner(const struct subids *s, uid_t uid);

void subids_free(struct subids *s);

/*
 * The ranges the broker counts by (serve's; none elsewhere), and the uid
 * that uid counts as by them: its range owner's.  The stuck jobs of
 * sys/sockjob.h take that whatever namespace the process is in, since a
 * job knows no process; a connection's share looks at the namespace too
 * (core/clients.c).  Both on the broker's loop thread only; s stays valid
 * until subids_use(NULL).
 */
void subids_use(const struct subids *s);
uid_t subids_account(uid_t uid);

#endif
