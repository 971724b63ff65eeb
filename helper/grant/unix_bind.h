/*
 * Binding a unix socket path for a bind rule, through the directory the
 * broker resolved and judged (see unix_bind.c).
 * Functions return 0 or a negative errno (for unix_bind, the one the
 * program's bind(2) gets).
 */
#ifndef FDB_UNIX_BIND_H
#define FDB_UNIX_BIND_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "policy/addr.h"

struct unix_target {
	int dirfd;                      /* O_PATH: the judged directory; -1 when none */
	char canon[FDB_UNIX_PATH_MAX];  /* its canonical path plus base: what is judged */
	char base[FDB_UNIX_PATH_MAX];   /* the last component */
	bool relative;                  /* set by unix_bind: bound as base from dirfd */
	bool replaced;                  /* set by unix_bind: a stale socket file was removed */
};

/*
 * Resolve the directory of sun's path (absolute only) as the open handler
 * does and fill t; the name judged is t->canon (on failure, the path as
 * asked, for the audit line).
 */
int unix_resolve(const struct sockaddr_un *sun, socklen_t salen, struct unix_target *t);

/*
 * Bind sock at t->base in t->dirfd with the program's umask, give the
 * socket file to uid:gid, and replace a stale socket file of uid's there.
 */
int unix_bind(int sock, struct unix_target *t, uid_t uid, gid_t gid, mode_t umask);

void unix_target_close(struct unix_target *t);

#endif
