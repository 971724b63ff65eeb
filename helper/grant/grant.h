/*
 * The grants: each takes a request (request/request.h) and fills its
 * outcome.  A grant judges with the policy and does the privileged part on
 * objects it resolved itself; it never replies, writes the audit trail or
 * teaches the learn table (the core does: core/dispatch.c), and it never
 * keeps the request's descriptors.
 *
 * No return values: everything a grant has to say is in the outcome, o,
 * which must come from outcome_init.
 */
#ifndef FDB_GRANT_H
#define FDB_GRANT_H

#include "policy/policy.h"
#include "request/request.h"

/* open family: the object opened is the object judged (grant/open.c) */
void grant_open(const struct policy *p, const struct req *r, struct outcome *o);
/* stat and access: judged as an open, nothing opened; a stat answered with a statx */
void grant_stat(const struct policy *p, const struct req *r, struct outcome *o);
/* a program's own descriptor reopened by name: no rule decides it */
void grant_reopen(const struct policy *p, const struct req *r, struct outcome *o);
/* a socket the kernel refuses the program, made in the broker's namespace */
void grant_socket(const struct policy *p, const struct req *r, struct outcome *o);
/*
 * The program's socket bound in place; or, when an accept rule grants it,
 * o->hold set for the core to hold the listener (o->rule and
 * o->taught.u.net.ep say which and where).
 */
void grant_bind(const struct policy *p, const struct req *r, struct outcome *o);

/*
 * Could the grant of r give the program anything (grant/would.c)?  May say
 * yes where the grant then refuses, never no where it would grant.
 * Judges only: nothing opened, bound or created.
 */
bool grant_would(const struct policy *p, const struct req *r);

#endif
