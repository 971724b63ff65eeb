/*
 * Reading a trusted policy file: the I/O the policy itself (policy/) never
 * does.  The text it reads is parsed by policy_parse_buffer.
 *
 * Conventions: as the policy's parsers, policy_parse_file returns the
 * number of errors it reported (0 = good) and hands each to the caller's
 * sink, "FILE: message" for the file as a whole and "FILE:LINE:COL:
 * message" for its text; it never reports through errno.
 */
#ifndef FDB_CONF_POLICY_FILE_H
#define FDB_CONF_POLICY_FILE_H

#include "policy/policy.h"

/*
 * Read and parse a file ("cannot read" is one error).  A file, or the
 * directory it is named in, that anyone but root or the broker's own user
 * may change is refused unread, with one error for each such problem.
 */
int policy_parse_file(struct policy *p, const char *file, policy_error_fn err, void *ctx);

#endif
