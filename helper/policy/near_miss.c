/*
 * Near misses, for explain: which allow rule comes nearest to a request no
 * rule allows, and what differs.  No I/O, no allocation: the rule's own
 * words (rule->text) name its subject, the caller names the requester.
 *
 * "Nearest" weighs what a rule is about above who it is for: a rule that
 * names the path but is for another user is nearer than one for the right
 * user and another path.  Among rules that miss the path, the one sharing
 * the longest leading part with it wins; then the first.
 */
#include "policy/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WEIGHT_OBJECT 8 /* the path, the address, the family */
#define WEIGHT_BELOW 4  /* the path is below a rule written without its trailing '/' */

static unsigned open_miss(const struct rule *rule, const struct request *r)
{
	const char *rp = rule->u.open.path, *path = r->u.open.path;
	size_t n = strlen(rp);
	unsigned miss = 0;

	if (!rule_path_matches(rp, rule->u.open.tree, path)) {
		if (!rule->u.open.tree && strncmp(rp, path, n) == 0 && path[n] == '/')
			miss |= MISS_BELOW;
		else
			miss |= MISS_PATH;
	}
	if (r->u.open.rights & ~rights_expand(rule->u.open.rights))
		miss |= MISS_RIGHTS;
	return miss;
}

static unsigned socket_miss(const struct rule *rule, const struct request *r)
{
	int type = r->u.socket.type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned miss = 0;

	if (rule->u.socket.family != r->u.socket.family)
		miss |= MISS_FAMILY;
	if (rule->u.socket.type != type)
		miss |= MISS_TYPE;
	if (rule->u.socket.protocol != PROTOCOL_ALL &&
	    rule->u.socket.protocol != r->u.socket.protocol)
		miss |= MISS_PROTOCOL;
	return miss;
}

static unsigned net_miss(const struct rule *rule, const struct request *r)
{
	struct policy_addr any_port = rule->u.net.addr;
	const struct endpoint *ep = &r->u.net.ep;
	unsigned miss = 0;

	if (rule->u.net.proto != r->u.net.proto)
		miss |= MISS_PROTO;
	any_port.port_lo = 0;
	any_port.port_hi = 65535;
	if (!policy_addr_matches(&any_port, ep))
		miss |= MISS_ADDR;
	else if (rule->u.net.addr.kind != ADDR_UNIX &&
		 (ep->port < rule->u.net.addr.port_lo || ep->port > rule->u.net.addr.port_hi))
		miss |= MISS_PORT;
	return miss;
}

static unsigned weight(unsigned miss)
{
	unsigned w = 0;

	for (unsigned bit = 1; bit <= MISS_PROTOCOL; bit <<= 1) {
		if (!(miss & bit))
			continue;
		if (bit == MISS_PATH || bit == MISS_ADDR || bit == MISS_FAMILY)
			w += WEIGHT_OBJECT;
		else if (bit == MISS_BELOW)
			w += WEIGHT_BELOW;
		else
			w += 1;
	}
	return w;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

struct near_miss policy_near_miss(const struct policy *p, const struct subject *s,
				  const struct request *r)
{
	struct near_miss best = { NULL, 0 };
	unsigned best_w = 0;
	size_t best_common = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct rule *rule = &p->rules[i];
		unsigned miss, w;
		size_t common = 0;

		if (rule->verdict != VERDICT_ALLOW || rule->op != r->op)
			continue;
		if (r->op == OP_OPEN)
			miss = r->u.open.path ? open_miss(rule, r) : MISS_PATH;
		else if (r->op == OP_SOCKET)
			miss = socket_miss(rule, r);
		else
			miss = net_miss(rule, r);
		if (!rule_subject_matches(rule, s))
			miss |= MISS_SUBJECT;
		w = weight(miss);
		if ((miss & MISS_PATH) && r->u.open.path)
			common = common_prefix(rule->u.open.path, r->u.open.path);
		if (!best.rule || w < best_w || (w == best_w && common > best_common)) {
			best = (struct near_miss){ rule, miss };
			best_w = w;
			best_common = common;
		}
	}
	return best;
}

/* Appends to a fixed buffer; what does not fit is cut. */
struct text {
	char *buf;
	size_t len, at;
};

__attribute__((format(printf, 2, 3)))
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->at >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->at, t->len - t->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->at += (size_t)n;
}

/* "user www-data" or "group ssl-cert": the rule's subject as written (after the verdict). */
static void subject_words(const struct rule *rule, char *buf, size_t len)
{
	const char *s = strchr(rule->text, ' ');
	const char *end;

	s = s ? s + 1 : rule->text;
	end = strchr(s, ' ');
	end = end ? strchr(end + 1, ' ') : NULL;
	snprintf(buf, len, "%.*s", end ? (int)(end - s) : (int)strlen(s), s);
}

/* The differences, each as "is for ..." / "grants ..." / "allows ...", joined with sep. */
static void say_subject(struct text *t, const struct near_miss *m, const char *who)
{
	char subj[160];

	subject_words(m->rule, subj, sizeof(subj));
	if (m->rule->subject == SUBJECT_GROUP)
		add(t, "is for %s, and %s is not in it", subj, who);
	else
		add(t, "is for %s, not %s", subj, who);
}

static void say_open(struct text *t, const struct near_miss *m, const struct request *r,
		     const char *sep)
{
	char want[64], have[64], rp[1024], path[1024];
	bool first = true;

	policy_quote_path(m->rule->u.open.path, rp, sizeof(rp));
	policy_quote_path(r->u.open.path ? r->u.open.path : "?", path, sizeof(path));
	if (m->miss & MISS_PATH) {
		add(t, "names %s, not %s", rp, path);
		first = false;
	} else if (m->miss & MISS_BELOW) {
		add(t, "names %s itself only, not what is below it (a tree is written %s/)", rp, rp);
		first = false;
	}
	if (m->miss & MISS_RIGHTS) {
		rights_format(m->rule->u.open.rights, have, sizeof(have));
		rights_format(r->u.open.rights & ~rights_expand(m->rule->u.open.rights), want,
			      sizeof(want));
		if (first && !(m->miss & MISS_SUBJECT))
			add(t, "names the path but grants %s, not %s", have, want);
		else if (first)
			add(t, "grants %s, not %s", have, want);
		else
			add(t, "%sgrants %s, not %s", sep, have, want);
	}
}

static const char *proto_word(enum proto p)
{
	return p == PROTO_TCP ? "tcp" : p == PROTO_UDP ? "udp" : "unix";
}

static void say_net(struct text *t, const struct near_miss *m, const struct request *r,
		    const char *sep)
{
	const struct policy_addr *a = &m->rule->u.net.addr;
	char ra[160], ea[160];
	const char *s = "";

	endpoint_format(&r->u.net.ep, ea, sizeof(ea));
	if (m->miss & MISS_PROTO) {
		add(t, "is for %s, not %s", proto_word(m->rule->u.net.proto),
		    proto_word(r->u.net.proto));
		s = sep;
	}
	if (m->miss & MISS_ADDR) {
		policy_addr_format(a, ra, sizeof(ra));
		add(t, "%sallows %s, not %s", s, ra, ea);
		s = sep;
	}
	if (m->miss & MISS_PORT) {
		if (a->port_lo == a->port_hi)
			add(t, "%sallows port %u, not %u", s, a->port_lo, r->u.net.ep.port);
		else
			add(t, "%sallows ports %u-%u, not %u", s, a->port_lo, a->port_hi,
			    r->u.net.ep.port);
	}
}

static void say_socket(struct text *t, const struct near_miss *m, const struct request *r,
		       const char *sep)
{
	const char *rf = socket_family_name(m->rule->u.socket.family);
	const char *f = socket_family_name(r->u.socket.family);
	const char *rt = socket_type_name(m->rule->u.socket.type);
	const char *ty = socket_type_name(r->u.socket.type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK));
	const char *s = "";

	if (m->miss & MISS_FAMILY) {
		add(t, "is for family %s, not %s", rf ? rf : "?", f ? f : "?");
		s = sep;
	}
	if (m->miss & MISS_TYPE) {
		add(t, "%sis for type %s, not %s", s, rt ? rt : "?", ty ? ty : "?");
		s = sep;
	}
	if (m->miss & MISS_PROTOCOL)
		add(t, "%sis for protocol %d, not %d", s, m->rule->u.socket.protocol,
		    r->u.socket.protocol);
}

const char *near_miss_format(const struct near_miss *m, const struct request *r, const char *who,
			     char *buf, size_t len)
{
	struct text t = { buf, len, 0 };
	unsigned object = m->miss & ~(unsigned)MISS_SUBJECT;
	const char *sep = ", and ";

	if (len)
		buf[0] = '\0';
	if (!m->rule) {
		add(&t, "no rule allows %s at all", op_name(r->op));
		return buf;
	}
	add(&t, "line %u ", m->rule->line);
	if (m->miss & MISS_SUBJECT) {
		say_subject(&t, m, who);
		if (!object)
			return buf;
		add(&t, "%s", sep);
	}
	if (r->op == OP_OPEN)
		say_open(&t, m, r, sep);
	else if (r->op == OP_SOCKET)
		say_socket(&t, m, r, sep);
	else
		say_net(&t, m, r, sep);
	if (!m->miss) /* cannot happen for a request no rule allows */
		add(&t, "matches");
	return buf;
}
