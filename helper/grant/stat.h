/*
 * stat and access through the policy: the object is resolved and judged
 * exactly as an open resolves and judges it (grant/open.h,
 * object_resolve), and nothing is opened.  stat_serve returns nothing: its
 * result says what went wrong; stat_rights computes a rights mask.
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
 * filled as open_serve fills it: for a stat, out->fd is the O_PATH
 * descriptor of the object judged; for an access question, out->fd stays
 * -1 and out->err is 0 (yes) or the errno the program gets.
 */
void stat_serve(const struct policy *p, const struct subject *s, const struct req_stat *req,
		struct open_result *out);

#endif
