/*
 * check's warnings: rules that parse, but that likely do not say what
 * their writer meant.  Warnings, not errors: each can be meant (a file
 * really named "*.key", a rule for a directory itself), so the policy is
 * still good.  No I/O here: whether a path is a directory comes from the
 * caller.
 *
 * Shadowing is judged simply and exactly: a later rule is shadowed when an
 * earlier one of the same operation, for the same subject (or any), covers
 * every request the later one matches, so the later one never decides
 * anything.  Overlaps that cover only part, and groups a user is in, are
 * not looked at.
 *
 * A "from" list on a port the program may bind without privilege is never
 * enforced; the first such port (net.ipv4.ip_unprivileged_port_start)
 * comes from the caller.
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ALL_RIGHTS (RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE)

struct lint {
	policy_error_fn warn;
	void *ctx;
	unsigned n;
};

__attribute__((format(printf, 4, 5)))
static void warn(struct lint *l, const struct rule *r, unsigned col, const char *fmt, ...)
{
	char msg[1024], out[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s:%u:%u: warning: %s", r->file, r->line, col ? col : 1, msg);
	l->n++;
	if (l->warn)
		l->warn(l->ctx, out);
}

/* The path a rule names: an open path or a unix socket path; NULL for none. */
static const char *rule_path(const struct rule *r)
{
	if (r->op == OP_OPEN)
		return r->u.open.path;
	if ((r->op == OP_BIND || r->op == OP_ACCEPT) && r->u.net.addr.kind == ADDR_UNIX)
		return r->u.net.addr.path;
	return NULL;
}

static void lint_glob(struct lint *l, const struct rule *r)
{
	const char *path = rule_path(r), *g;
	char q[1024], dir[1024];
	size_t n;

	if (!path || !(g = strpbrk(path, "*?[")))
		return;
	policy_quote_path(path, q, sizeof(q));
	/* the directory the pattern was meant for, as a tree */
	n = (size_t)(g - path);
	while (n > 0 && path[n - 1] != '/')
		n--;
	snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
	warn(l, r, r->object_col, "'%c' in %s is no wildcard: paths match as written, so this "
	     "names one file with a '%c' in its name (name each file, or the tree %s)",
	     *g, q, *g, dir);
}

static void lint_dir(struct lint *l, const struct rule *r, policy_isdir_fn isdir, void *ctx)
{
	char q[1024];

	if (r->op != OP_OPEN || r->u.open.tree || !isdir || !isdir(ctx, r->u.open.path))
		return;
	policy_quote_path(r->u.open.path, q, sizeof(q));
	warn(l, r, r->object_col, "%s is a directory, but without a trailing '/' the rule covers "
	     "the directory itself only, not what is in it (write %s/ for the tree)", q, q);
}

/* The rights a rule answers for: 0 in a deny rule is every right. */
static unsigned answers(const struct rule *r)
{
	return r->u.open.rights ? rights_expand(r->u.open.rights) : ALL_RIGHTS;
}

/*
 * Does a (earlier) match every open request b matches?  Paths: the same,
 * or b inside a's tree.  Rights: an allow rule matches a request whose
 * rights it all grants, a deny rule one that asks any right it names; so
 * a covers b when b's rights are within a's, except that an allow rule
 * covers a deny rule only when it grants everything.
 */
static bool open_covers(const struct rule *a, const struct rule *b)
{
	const char *pa = a->u.open.path, *pb = b->u.open.path;
	bool path = a->u.open.tree ? rule_path_matches(pa, true, pb)
				   : !b->u.open.tree && strcmp(pa, pb) == 0;

	if (!path)
		return false;
	if (a->verdict == VERDICT_ALLOW && b->verdict == VERDICT_DENY)
		return answers(a) == ALL_RIGHTS;
	return (answers(b) & ~answers(a)) == 0;
}

static bool addr_covers(const struct policy_addr *a, const struct policy_addr *b)
{
	if (a->kind == ADDR_UNIX || b->kind == ADDR_UNIX) {
		if (a->kind != b->kind)
			return false;
		if (a->prefix)
			return strncmp(a->path, b->path, strlen(a->path)) == 0;
		return !b->prefix && strcmp(a->path, b->path) == 0;
	}
	if (a->port_lo > b->port_lo || a->port_hi < b->port_hi)
		return false;
	if (a->kind == ADDR_ANY)
		return true;
	if (a->kind != b->kind)
		return false;
	if (a->kind == ADDR_IPV4)
		return memcmp(a->ip, b->ip, 4) == 0;
	return memcmp(a->ip, b->ip, 16) == 0 && (a->scope_id == 0 || a->scope_id == b->scope_id);
}

/* a comes first: does it decide every request b would? */
static bool covers(const struct rule *a, const struct rule *b)
{
	if (a->op != b->op)
		return false;
	if (a->subject != SUBJECT_ANY && (a->subject != b->subject || a->id != b->id))
		return false;
	switch (a->op) {
	case OP_OPEN:
		return open_covers(a, b);
	case OP_SOCKET:
		return a->u.socket.family == b->u.socket.family &&
		       a->u.socket.type == b->u.socket.type &&
		       (a->u.socket.protocol == PROTOCOL_ALL ||
			a->u.socket.protocol == b->u.socket.protocol);
	case OP_BIND:
	case OP_ACCEPT:
		/* "from" filters the socket once it is bound: not part of the match */
		return a->u.net.proto == b->u.net.proto && addr_covers(&a->u.net.addr, &b->u.net.addr);
	}
	return false;
}

static void lint_shadow(struct lint *l, const struct policy *p, size_t i)
{
	const struct rule *b = &p->rules[i];

	for (size_t j = 0; j < i; j++) {
		const struct rule *a = &p->rules[j];
		char where[600];

		if (!covers(a, b))
			continue;
		if (strcmp(a->file, b->file) == 0)
			snprintf(where, sizeof(where), "line %u", a->line);
		else
			snprintf(where, sizeof(where), "%s:%u", a->file, a->line);
		warn(l, b, 1, "never decides anything: %s (%s) comes first and matches every request "
		     "this rule matches", where, a->text);
		return;
	}
}

/*
 * The broker sees a bind only when the kernel refuses it to the program
 * (under seccomp, only when its try as the program is refused), so a
 * "from" list is enforced only on the ports the kernel keeps for
 * privilege: 1 up to below unpriv.  Port 0 (any free port, picked by the
 * kernel) and the ports from unpriv up the program binds itself, with no
 * filter.
 */
static void lint_from_ports(struct lint *l, const struct rule *r, unsigned unpriv)
{
	const struct policy_addr *a = &r->u.net.addr;
	unsigned lo = a->port_lo, hi = a->port_hi;
	char ports[64];

	if ((r->op != OP_BIND && r->op != OP_ACCEPT) || r->u.net.nfrom == 0)
		return;
	if (lo >= unpriv) {
		warn(l, r, r->object_col, "'from' is never enforced on ports %u and up "
		     "(net.ipv4.ip_unprivileged_port_start=%u): the program binds them itself and "
		     "the broker never sees it", unpriv, unpriv);
	} else if (hi >= unpriv) {
		if (hi == unpriv)
			snprintf(ports, sizeof(ports), "port %u", hi);
		else
			snprintf(ports, sizeof(ports), "ports %u-%u", unpriv, hi);
		warn(l, r, r->object_col, "'from' is never enforced on %s%s of %u-%u "
		     "(net.ipv4.ip_unprivileged_port_start=%u): the program binds %s itself and "
		     "the broker never sees it", ports, lo == 0 ? " and port 0" : "", lo, hi,
		     unpriv, hi == unpriv && lo != 0 ? "it" : "them");
	} else if (lo == 0) {
		warn(l, r, r->object_col, "'from' is never enforced on port 0: a bind to port 0 "
		     "(a free port the kernel picks) needs no privilege, so the broker never sees "
		     "it");
	}
}

unsigned policy_lint(const struct policy *p, unsigned unprivileged_port_start,
		     policy_isdir_fn isdir, void *isdir_ctx, policy_error_fn warn_fn, void *ctx)
{
	struct lint l = { warn_fn, ctx, 0 };

	for (size_t i = 0; i < p->n; i++) {
		lint_glob(&l, &p->rules[i]);
		lint_dir(&l, &p->rules[i], isdir, isdir_ctx);
		lint_from_ports(&l, &p->rules[i], unprivileged_port_start);
		lint_shadow(&l, p, i);
	}
	return l.n;
}
