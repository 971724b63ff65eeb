/*
 * Bounded copies into the fixed buffers of a decision's texts (the object,
 * the rule's name, the audit detail), which every request fills: a copy
 * costs a tenth of snprintf's "%s".  No I/O, no allocation.
 */
#ifndef FDB_POLICY_STR_H
#define FDB_POLICY_STR_H

#include <stddef.h>

/* src into dst (cap bytes), cut to fit and ended unless cap is 0: strlen(src), as strlcpy (>= cap: cut). */
size_t str_copy(char *dst, size_t cap, const char *src);
/* src after the *at bytes dst holds, cut to fit and ended; *at moves to the end (none if *at >= cap). */
void str_append(char *dst, size_t cap, size_t *at, const char *src);
/* The same for v in decimal. */
void str_append_uint(char *dst, size_t cap, size_t *at, unsigned long v);

#endif
