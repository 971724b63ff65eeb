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

#endif
