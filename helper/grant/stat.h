/*
 * stat and access through the policy: the object is resolved and judged
 * exactly as an open resolves and judges it (grant/open.h,
 * object_resolve), and nothing is opened or handed over.  stat_serve says
 * whether it has a stat's answer, its result what went wrong; stat_rights
 * computes a rights mask.
 */
#ifndef FDB_STAT_HANDLER_H
#define FDB_STAT_HANDLER_H

#include "grant/open.h"

/*
 * The open rights a STAT request needs: stat and F_OK any right on the
 * object (*any set), R_OK and X_OK read, W_OK write.
 */
unsigned stat_rights(uint32_t amode, bool *any);

/*
 * Serve one STAT request for subject s, req->dirfd as for open_serve.  out is
 * filled as open_serve fills it, but out->fd stays -1: nothing is handed
 * over.  A stat granted gets the statx(2) of the object judged in *stx
 * (req->mask, req->at_flags' sync type) and returns true; out->err is the
 * errno of that statx if it failed.  An access question returns false with
 * out->err 0 (yes) or the errno the program gets.
 */
bool stat_serve(const struct policy *p, const struct subject *s, const struct req_stat *req,
		struct open_result *out, struct statx *stx);

#endif
