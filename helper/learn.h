/*
 * --learn: remember every request no rule spoke for, and write the policy
 * lines that would have allowed them.  No I/O but the final print.
 */
#ifndef FDB_LEARN_H
#define FDB_LEARN_H

#include <stdio.h>

#include "policy.h"

struct learn;

struct learn *learn_new(void);
void learn_free(struct learn *l);
/* Remember a default-denied request (duplicates merge; open rights add up). */
void learn_record(struct learn *l, const struct subject *s, const struct request *r);
/* "allow user NAME OPERATION OBJECT..." lines, one per remembered request. */
void learn_print(const struct learn *l, FILE *out);

#endif
