/*
 * The decision over parsed rules: first matching rule wins, no match is deny
 * (fdbroker-policy(5), "Matching"), and the permissive learning's grant
 * where no rule matches (fdbroker(8), LEARNING).  No I/O, no allocation.
 */
#include "policy/policy.h"
#include "policy/str.h"

#include <string.h>
#include <sys/socket.h>

bool rule_subject_matches(const struct rule *rule, const struct subject *s)
{
	size_t i;

	switch (rule->subject) {
	case SUBJECT_ANY:
		return true;
	case SUBJECT_USER:
		return s->uid == (uid_t)rule->id;
	case SUBJECT_GROUP:
		if (s->gid == (gid_t)rule->id)
			return true;
		for (i = 0; i < s->ngroups; i++)
			if (s->groups[i] == (gid_t)rule->id)
				return true;
		return false;
	}
	return false;
}

/* create implies write: O_CREAT without write access is useless. */
unsigned rights_expand(unsigned rights)
{
	if (rights & RIGHT_CREATE)
		rights |= RIGHT_WRITE;
	return rights;
}

bool rule_path_matches(const char *rule_path, bool tree, const char *path)
{
	size_t len = strlen(rule_path);

	if (!tree)
		return strcmp(rule_path, path) == 0;
	if (strncmp(rule_path, path, len) == 0)
		return true;
	return strlen(path) == len - 1 && strncmp(rule_path, path, len - 1) == 0;
}

static bool open_matches(const struct rule *rule, const struct request *r)
{
	unsigned have = rights_expand(rule->u.open.rights);
	unsigned want = r->u.open.rights;

	if (!r->u.open.path || !rule_path_matches(rule->u.open.path, rule->u.open.tree, r->u.open.path))
		return false;
	if (rule->verdict == VERDICT_DENY)
		return rule->u.open.rights == 0 || (want & have) != 0;
	/* An allow rule without rights cannot come from the parser; grant nothing. */
	return have != 0 && (want & ~have) == 0;
}

static bool socket_matches(const struct rule *rule, const struct request *r)
{
	/* The flags ride on the type argument of socket(2) but are no part of it. */
	int type = r->u.socket.type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);

	return rule->u.socket.family == r->u.socket.family && rule->u.socket.type == type &&
	       (rule->u.socket.protocol == PROTOCOL_ALL ||
		rule->u.socket.protocol == r->u.socket.protocol);
}

static bool net_matches(const struct rule *rule, const struct request *r)
{
	return rule->u.net.proto == r->u.net.proto &&
	       policy_addr_matches(&rule->u.net.addr, &r->u.net.ep);
}

bool rule_matches(const struct rule *rule, const struct subject *s, const struct request *r)
{
	if (rule->op != r->op || !rule_subject_matches(rule, s))
		return false;
	switch (r->op) {
	case OP_OPEN:
		return open_matches(rule, r);
	case OP_SOCKET:
		return socket_matches(rule, r);
	case OP_BIND:
	case OP_ACCEPT:
		return net_matches(rule, r);
	}
	return false;
}

const struct rule policy_learn_rule = { .verdict = VERDICT_ALLOW };

bool rule_is_learned(const struct rule *r)
{
	return r == &policy_learn_rule;
}

void rule_name(const struct rule *r, char *buf, size_t len)
{
	size_t at = 0;

	if (!len)
		return;
	/* a permissive grant is the default's, under --learn=permissive */
	if (r && !rule_is_learned(r)) {
		str_append(buf, len, &at, r->file);
		str_append(buf, len, &at, ":");
		str_append_uint(buf, len, &at, r->line);
	} else {
		str_copy(buf, len, "default");
	}
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool path_learnable(const char *path, const char **why)
{
	size_t n = strlen(path);

	if (!strcmp(path, "/")) {
		*why = "a rule for / would be the tree of every file";
		return false;
	}
	if (addr_check_path(path, NULL, 0) < 0 || path[n - 1] == '/') {
		*why = "not one absolute canonical file name";
		return false;
	}
	if (under(path, "/proc") || under(path, "/dev/fd")) {
		*why = "a name under /proc or /dev/fd: the broker's own there, or one that changes "
		       "from run to run";
		return false;
	}
	if (policy_quote_path(path, NULL, 0) >= POLICY_TOKEN_MAX) {
		*why = "as a rule it would not fit on a policy line";
		return false;
	}
	return true;
}

bool policy_learnable(const struct request *r, const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	switch (r->op) {
	case OP_OPEN:
		if (!r->u.open.rights) {
			*why = "it asks for no right a rule grants";
			return false;
		}
		return r->u.open.path && path_learnable(r->u.open.path, why);
	case OP_SOCKET:
		if (!socket_family_name(r->u.socket.family) || !socket_type_name(r->u.socket.type)) {
			*why = "a socket family or type the policy has no word for";
			return false;
		}
		return true;
	case OP_BIND:
		return r->u.net.ep.family != AF_UNIX || path_learnable(r->u.net.ep.path, why);
	case OP_ACCEPT:
		break;
	}
	*why = "not an operation --learn writes rules for";
	return false;
}

/* A tcp bind an accept rule speaks for is the accept rule's (grant/bind.c). */
static bool accept_speaks(const struct policy *p, const struct subject *s,
			  const struct request *r)
{
	struct request a = *r;

	if (r->op != OP_BIND || r->u.net.proto != PROTO_TCP)
		return false;
	a.op = OP_ACCEPT;
	for (size_t i = 0; i < p->n; i++)
		if (rule_matches(&p->rules[i], s, &a))
			return true;
	return false;
}

struct decision policy_decide(const struct policy *p, const struct subject *s,
			      const struct request *r)
{
	struct decision d = { VERDICT_DENY, NULL };
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (rule_matches(&p->rules[i], s, r)) {
			d.verdict = p->rules[i].verdict;
			d.rule = &p->rules[i];
			return d;
		}
	}
	/* only where no rule speaks: a deny rule is never overridden */
	if (p->permissive && policy_learnable(r, NULL) && !accept_speaks(p, s, r)) {
		d.verdict = VERDICT_ALLOW;
		d.rule = &policy_learn_rule;
	}
	return d;
}
