/*
 * Users and groups from the system databases.
 * Functions return 0, or -1 after printing "fdbroker: ..." to stderr.
 */
#ifndef FDB_USERS_H
#define FDB_USERS_H

#include <stddef.h>
#include <sys/types.h>

struct identity {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary, from the group database */
	int ngroups;
	char name[64];
	char home[256];
};

/*
 * "USER" or "USER:GROUP", names or numbers; groups via getgrouplist.  A
 * uid with no passwd entry needs ":GROUP" and gets no supplementary
 * groups; its name is the number and its home is empty.
 */
int identity_lookup(const char *spec, struct identity *out);

/*
 * uid with gid as its group, by number only (an audit line's uid= and
 * gid=): name, home and supplementary groups from the passwd entry, when
 * there is one; without, as a bare uid of identity_lookup.
 */
int identity_of(uid_t uid, gid_t gid, struct identity *out);

/* Who invoked us: the real uid and gid, as identity_of takes them. */
int identity_self(struct identity *out);
void identity_free(struct identity *id);

/* Become id for good: groups, gid, uid (real, effective, saved). */
int identity_assume(const struct identity *id);

#endif
