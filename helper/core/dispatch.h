/*
 * The one path every request takes, whichever front end it came by: the
 * grant decides, the core learns and logs, the front end delivers.
 * Nothing here fails: what went wrong is in the outcome.
 */
#ifndef FDB_DISPATCH_H
#define FDB_DISPATCH_H

#include "core/broker.h"
#include "request/request.h"

/*
 * Decide r, asked by c, into o (from outcome_init): the grant of r->op
 * fills o, a bind an accept rule grants gets its held listener, then
 * --learn learns and the audit line is written (buffered: the reply must
 * wait for it, core/broker.h broker_reply).  o->malformed: nothing was
 * decided or logged, and the front end drops c.
 */
void dispatch(struct broker *b, struct client *c, const struct req *r, struct outcome *o);
/* c is NULL for a front end without client connections (seccomp): no listener is held for it. */

/*
 * Could dispatch(r) give the program anything, or teach --learn anything?
 * false: the front end may let the kernel answer, with nothing decided or
 * logged.  Judges without side effects (grant_would).
 */
bool dispatch_would(struct broker *b, const struct req *r);

#endif
