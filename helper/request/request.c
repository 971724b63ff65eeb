/* The outcome of a request; see request.h. */
#include "request/request.h"

#include <string.h>

void outcome_init(struct outcome *o, const char *op)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->op = op;
}

const char *outcome_verdict(const struct outcome *o)
{
	return o->denied ? "deny" : o->err ? "error" : "allow";
}
