/*
 * The file grants as outcomes: open, stat and access, reopen.  What each
 * decision means for the audit line and for --learn is said here, once;
 * the resolving and judging is in open.c, stat.c and reopen.c.
 */
#include "grant/grant.h"
#include "grant/open.h"
#include "grant/reopen.h"
#include "grant/stat.h"
#include "policy/str.h"

#include <stdio.h>
#include <unistd.h>

/* What every file outcome takes from a result: object, rule, the descriptor. */
static void outcome_from(struct outcome *o, const struct open_result *res)
{
	o->fd = res->fd;
	o->err = res->fd >= 0 ? 0 : res->err;
	o->denied = res->denied;
	o->rule = res->rule;
	o->created = res->created && res->fd >= 0;
	str_copy(o->object, sizeof(o->object), res->object);
}

/* --learn: the open rule that would allow the object, with the rights asked. */
static void teach_open(struct outcome *o, const struct open_result *res)
{
	o->teach = true;
	o->taught.op = OP_OPEN;
	o->taught.u.open.path = o->object;
	o->taught.u.open.rights = res->rights;
	o->taught_err = o->err;
	/* a refusal beside the policy is no rule to learn */
	o->why = res->reason ? "refused beside the policy" : NULL;
	o->reason = res->reason;
}

void grant_open(const struct policy *p, const struct req *r, struct outcome *o)
{
	struct open_result res;
	char rights[64];
	size_t at = 0;

	open_serve(p, &r->who.id, &r->u.open, &res);
	outcome_from(o, &res);
	rights_format(res.rights, rights, sizeof(rights));
	str_append(o->detail, sizeof(o->detail), &at, "rights=");
	str_append(o->detail, sizeof(o->detail), &at, rights);
	if (res.reason) {
		str_append(o->detail, sizeof(o->detail), &at, " reason=");
		str_append(o->detail, sizeof(o->detail), &at, res.reason);
	}
	teach_open(o, &res);
	/* nor is a name that did not resolve (why: learn_why_unresolved) */
	o->unresolved = !res.reason && !res.resolved;
	o->walk_err = res.walk_err;
}

/* access(2)'s mode for the log: "F_OK", or "R_OK|W_OK" and so on. */
static void amode_format(uint32_t amode, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", amode ? "" : "F_OK", (amode & R_OK) ? "R_OK" : "",
		 (amode & W_OK) ? ((amode & R_OK) ? "|W_OK" : "W_OK") : "",
		 (amode & X_OK) ? ((amode & (R_OK | W_OK)) ? "|X_OK" : "X_OK") : "");
}

/*
 * Logged and learned as an open: op=stat or op=access, and --learn writes
 * the open rule that would allow the request.  A name that led to no
 * object is not learned: no rule would make it answer more than ENOENT,
 * and programs probe many (a shell or Python searching a PATH through
 * directories they may not search).
 */
void grant_stat(const struct policy *p, const struct req *r, struct outcome *o)
{
	bool is_stat = r->u.stat.amode == REQ_AMODE_STAT;
	struct open_result res;
	char rights[64], mode[32] = "";

	o->op = is_stat ? "stat" : "access";
	/* nothing is handed over: a stat's answer is stx, an access question's err */
	o->has_stx = stat_serve(p, &r->who.id, &r->u.stat, &res, &o->stx);
	outcome_from(o, &res);
	rights_format(res.rights, rights, sizeof(rights));
	if (!is_stat)
		amode_format(r->u.stat.amode, mode, sizeof(mode));
	snprintf(o->detail, sizeof(o->detail), "rights=%s%s%s%s%s", rights,
		 is_stat ? "" : " mode=", mode, res.reason ? " reason=" : "",
		 res.reason ? res.reason : "");
	if (res.rights && !res.unresolved)
		teach_open(o, &res);
}

/*
 * A reopen of the program's own descriptor: no rule decides it (it grants
 * nothing the program does not hold), so nothing is learnt, and the line
 * says rule=default.
 */
void grant_reopen(const struct policy *p, const struct req *r, struct outcome *o)
{
	struct reopen_result res;
	char rights[64];

	(void)p;
	reopen_serve(&r->u.reopen, r->who.id.uid, &res);
	outcome_from(o, &res.o);
	o->rule = NULL;
	rights_format(res.o.rights, rights, sizeof(rights));
	snprintf(o->detail, sizeof(o->detail), "fd=%u rights=%s%s%s%s%s", r->u.reopen.fd, rights,
		 res.kind ? " kind=" : "", res.kind ? res.kind : "",
		 res.o.reason ? " reason=" : "", res.o.reason ? res.o.reason : "");
}
