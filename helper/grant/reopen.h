/*
 * The program's own descriptor, reopened: what open("/dev/stderr") or
 * open("/proc/self/fd/N") would give the program without the user switch,
 * never more than the descriptor it holds.  No policy rule is consulted: a
 * reopen grants nothing the program does not hold already.
 * reopen_serve returns nothing: its result says what went wrong (grant/open.h).
 */
#ifndef FDB_REOPEN_HANDLER_H
#define FDB_REOPEN_HANDLER_H

#include "grant/open.h"
#include "request/request.h"

struct reopen_result {
	struct open_result o; /* fd, err, denied (rule always NULL), rights, reason */
	const char *kind;     /* file, dir, fifo, pipe, tty; NULL if not told */
};

/*
 * Reopen req->held, the program's descriptor that came with the request,
 * with req->flags, for uid (whose job it is: grant/open_job.h).  The
 * descriptor stays the caller's.  Refusals (out->o.denied) carry a reason.
 */
void reopen_serve(const struct req_reopen *req, uid_t uid, struct reopen_result *out);

#endif
