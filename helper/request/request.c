/* The outcome of a request; see request.h. */
#include "request/request.h"

#include <stddef.h>
#include <string.h>

/* nothing but padding after detail: outcome_init leaves no field unset */
_Static_assert(sizeof(struct outcome) - offsetof(struct outcome, detail) -
		       sizeof(((struct outcome *)0)->detail) < _Alignof(struct outcome),
	       "outcome: a field after detail");
_Static_assert(offsetof(struct outcome, detail) ==
		       offsetof(struct outcome, object) + sizeof(((struct outcome *)0)->object),
	       "outcome: a field between object and detail");

void outcome_init(struct outcome *o, const char *op)
{
	memset(o, 0, offsetof(struct outcome, object));
	o->object[0] = '\0';
	o->detail[0] = '\0';
	o->fd = -1;
	o->op = op;
}

const char *outcome_verdict(const struct outcome *o)
{
	return o->denied ? "deny" : o->err ? "error" : "allow";
}
