/*
 * The policy's grammar: tokens to rules (fdbroker-policy(5)).
 *
 * Parsing works a line at a time: the lexer (lex.c) splits the line into
 * tokens that remember their column, and a small recursive-descent parser
 * walks them, one parse_* per rule kind.  A line with an error reports the
 * first problem and is dropped; parsing goes on so that `fdbroker check`
 * shows every bad line in one pass.  The caller refuses the whole policy if
 * anything was reported.
 */
#include "policy/parse.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rule as written, for explain and the audit log: one space between tokens. */
static char *fold(const struct line *l, const char *prefix)
{
	size_t len = strlen(prefix) + 1, at;
	unsigned i;
	char *s;

	for (i = 0; i < l->n; i++)
		len += strlen(l->tok[i].s) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	at = (size_t)sprintf(s, "%s", prefix);
	for (i = 0; i < l->n; i++)
		at += (size_t)sprintf(s + at, "%s%s", i ? " " : "", l->tok[i].s);
	return s;
}

/* Digits only, at most max; no sign, spaces or hex. */
static bool parse_number(const char *s, unsigned long max, unsigned long *out, bool *range)
{
	unsigned long v = 0;

	*range = false;
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - d) / 10)
			*range = true;
		else
			v = v * 10 + d;
	}
	*out = v;
	return !*range;
}

/* Names are looked up once, here; a rule holds the number. */
static int lookup_id(const char *name, bool group, unsigned *id)
{
	struct passwd *pw;
	struct group *gr;

	if (group && (gr = getgrnam(name)))
		*id = (unsigned)gr->gr_gid;
	else if (!group && (pw = getpwnam(name)))
		*id = (unsigned)pw->pw_uid;
	else
		return -1;
	return 0;
}

static int parse_id(struct parser *ps, const struct token *t, bool group, unsigned *id)
{
	const char *kind = group ? "group" : "user";
	unsigned long v;
	bool range;

	/* (uid_t)-1 means "no change" to set*id(), so it is nobody's id. */
	if (parse_number(t->s, 0xfffffffeUL, &v, &range)) {
		*id = (unsigned)v;
		return 0;
	}
	if (range) {
		parse_error(ps, t->col, "%s id %s out of range", kind, t->s);
		return -1;
	}
	if (lookup_id(t->s, group, id) < 0) {
		parse_error(ps, t->col, "unknown %s '%s'", kind, t->s);
		return -1;
	}
	return 0;
}

static int parse_subject(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *t = need(ps, l, "subject (expected user, group or any)");

	if (!t)
		return -1;
	if (strcmp(t->s, "any") == 0) {
		r->subject = SUBJECT_ANY;
		return 0;
	}
	if (strcmp(t->s, "user") == 0) {
		r->subject = SUBJECT_USER;
		t = need(ps, l, "user name or uid");
		return t ? parse_id(ps, t, false, &r->id) : -1;
	}
	if (strcmp(t->s, "group") == 0) {
		r->subject = SUBJECT_GROUP;
		t = need(ps, l, "group name or gid");
		return t ? parse_id(ps, t, true, &r->id) : -1;
	}
	parse_error(ps, t->col, "unknown subject '%s' (expected user, group or any)", t->s);
	return -1;
}


/*
 * "from" on an open or socket rule: it names the peers of a bound socket,
 * so it goes where an address is bound.
 */
#define FROM_NOT_HERE "'from' goes only on bind and accept rules " \
		      "(bind tcp ADDRESS from CIDR...): it names the peers that may reach a bound socket"

#define APPEND_GONE "'append' is gone: the kernel cannot keep a descriptor append-only " \
		    "(fcntl F_SETFL clears O_APPEND, ftruncate works on it); grant 'write'"

/* "read,write": each element is checked, and an error points at the element itself. */
static int parse_rights(struct parser *ps, const struct token *t, unsigned *rights)
{
	const char *s = t->s;

	for (;;) {
		size_t n = strcspn(s, ",");
		unsigned col = t->col + (unsigned)(s - t->s);
		char word[16];
		int v;

		if (n == 0) {
			parse_error(ps, col, "empty right in '%s'", t->s);
			return -1;
		}
		snprintf(word, sizeof(word), "%.*s", (int)n, s);
		if (strcmp(word, "append") == 0) {
			parse_error(ps, col, APPEND_GONE);
			return -1;
		}
		if (n >= sizeof(word) || !name_lookup(right_names, word, &v)) {
			parse_error(ps, col,
				    "unknown right '%.*s' (expected read, write or create)",
				    (int)n, s);
			return -1;
		}
		*rights |= (unsigned)v;
		if (!s[n])
			return 0;
		s += n + 1;
	}
}

static int parse_open(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *path = need(ps, l, "path");
	const struct token *t, *owner = NULL;
	bool have_rights = false;
	char why[256];

	if (!path)
		return -1;
	/* "/etc/./shadow" in a deny rule would deny nothing: paths compare as strings. */
	if (addr_check_path(path->path, why, sizeof(why)) < 0) {
		parse_error(ps, path->col, "%s", why);
		return -1;
	}
	r->u.open.tree = path->path[strlen(path->path) - 1] == '/';
	/* Rights and options in either order; options are the words with '='. */
	while ((t = take(l))) {
		if (strchr(t->s, '=')) {
			if (strcmp(t->s, "owner=root") != 0) {
				parse_error(ps, t->col,
					    "unknown option '%s' (expected owner=root)", t->s);
				return -1;
			}
			owner = t;
		} else if (strcmp(t->s, "from") == 0) {
			parse_error(ps, t->col, FROM_NOT_HERE);
			return -1;
		} else if (have_rights) {
			parse_error(ps, t->col,
				    "unexpected '%s' (rights are one comma-separated list)", t->s);
			return -1;
		} else {
			if (parse_rights(ps, t, &r->u.open.rights) < 0)
				return -1;
			have_rights = true;
		}
	}
	if (r->verdict == VERDICT_ALLOW && !have_rights) {
		parse_error(ps, l->end_col, "allow open needs rights (read, write or create)");
		return -1;
	}
	if (owner && r->verdict != VERDICT_ALLOW) {
		parse_error(ps, owner->col, "owner=root only applies to allow rules");
		return -1;
	}
	if (owner && !(r->u.open.rights & RIGHT_CREATE)) {
		parse_error(ps, owner->col, "owner=root needs the create right");
		return -1;
	}
	r->u.open.owner_root = owner != NULL;
	r->u.open.path = strdup(path->path);
	r->object_col = path->col;
	return 0;
}

#define EXPECT_FAMILY "expected inet, inet6, packet, netlink or unix"
#define EXPECT_TYPE "expected stream, dgram, raw or seqpacket"
#define EXPECT_PROTOCOL "expected icmp, icmpv6, tcp, udp, a number or all"

static int parse_socket(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *t;
	unsigned long v;
	bool range;

	if (!(t = need(ps, l, "family (" EXPECT_FAMILY ")")))
		return -1;
	if (!name_lookup(family_names, t->s, &r->u.socket.family)) {
		parse_error(ps, t->col, "unknown family '%s' (" EXPECT_FAMILY ")", t->s);
		return -1;
	}
	if (!(t = need(ps, l, "socket type (" EXPECT_TYPE ")")))
		return -1;
	if (!name_lookup(type_names, t->s, &r->u.socket.type)) {
		parse_error(ps, t->col, "unknown socket type '%s' (" EXPECT_TYPE ")", t->s);
		return -1;
	}
	if (!(t = need(ps, l, "protocol (" EXPECT_PROTOCOL ")")))
		return -1;
	if (name_lookup(protocol_names, t->s, &r->u.socket.protocol))
		return 0;
	/* Up to 65535: packet sockets take an ethertype here. */
	if (parse_number(t->s, 65535, &v, &range)) {
		r->u.socket.protocol = (int)v;
		return 0;
	}
	if (range)
		parse_error(ps, t->col, "protocol %s out of range (0-65535)", t->s);
	else
		parse_error(ps, t->col, "unknown protocol '%s' (" EXPECT_PROTOCOL ")", t->s);
	return -1;
}

/*
 * "from CIDR...": on allow bind and accept rules of tcp and udp, 1..
 * POLICY_MAX_FROM networks.  It never decides whether the bind is
 * allowed, only how the socket is filtered once it is, so on a deny rule
 * it could only mislead (a reader would take it for "deny these peers").
 */
static int parse_from(struct parser *ps, struct line *l, struct rule *r, const struct token *from)
{
	const struct token *t;
	char why[128];

	if (r->u.net.proto == PROTO_UNIX) {
		parse_error(ps, from->col,
			    "'from' is not allowed with unix: a unix peer has no address");
		return -1;
	}
	if (r->verdict != VERDICT_ALLOW) {
		parse_error(ps, from->col, "'from' goes only on allow rules: a deny rule refuses "
			    "the bind whatever the peer");
		return -1;
	}
	while ((t = take(l))) {
		if (r->u.net.nfrom == POLICY_MAX_FROM) {
			parse_error(ps, t->col, "too many networks after 'from' (at most %d)",
				    POLICY_MAX_FROM);
			return -1;
		}
		if (cidr_parse(t->s, &r->u.net.from[r->u.net.nfrom], why, sizeof(why)) < 0) {
			parse_error(ps, t->col, "bad network '%s': %s", t->s, why);
			return -1;
		}
		r->u.net.nfrom++;
	}
	if (r->u.net.nfrom == 0) {
		parse_error(ps, l->end_col, "'from' needs at least one network");
		return -1;
	}
	return 0;
}

static int parse_net(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *t;
	char why[128];
	int proto, rc;

	if (!(t = need(ps, l, "protocol (expected tcp, udp or unix)")))
		return -1;
	if (!name_lookup(proto_names, t->s, &proto)) {
		parse_error(ps, t->col, "unknown protocol '%s' (expected tcp, udp or unix)", t->s);
		return -1;
	}
	r->u.net.proto = (enum proto)proto;
	if (!(t = need(ps, l, proto == PROTO_UNIX ? "socket path" : "address (ADDRESS:PORT)")))
		return -1;
	if (proto == PROTO_UNIX)
		rc = addr_parse_unix(t->path, &r->u.net.addr, why, sizeof(why));
	else
		rc = addr_parse_inet(t->s, &r->u.net.addr, why, sizeof(why));
	if (rc < 0) {
		parse_error(ps, t->col, "bad address '%s': %s", t->s, why);
		return -1;
	}
	r->object_col = t->col;
	if (l->next < l->n && strcmp(l->tok[l->next].s, "from") == 0)
		return parse_from(ps, l, r, take(l));
	return 0;
}

/* OPERATION OBJECT... [OPTIONS], and nothing after: shared by policy lines and -a rules. */
static int parse_operation(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *t = need(ps, l, "operation (expected open, socket, bind or accept)");
	int op, rc;

	if (!t)
		return -1;
	if (!name_lookup(op_names, t->s, &op)) {
		parse_error(ps, t->col,
			    "unknown operation '%s' (expected open, socket, bind or accept)", t->s);
		return -1;
	}
	r->op = (enum op)op;
	if (r->op == OP_OPEN)
		rc = parse_open(ps, l, r);
	else if (r->op == OP_SOCKET)
		rc = parse_socket(ps, l, r);
	else
		rc = parse_net(ps, l, r);
	if (rc < 0)
		return -1;
	if ((t = take(l))) {
		if (strcmp(t->s, "from") == 0)
			parse_error(ps, t->col, FROM_NOT_HERE);
		else
			parse_error(ps, t->col, "unexpected '%s'", t->s);
		return -1;
	}
	return 0;
}

static void rule_free(struct rule *r)
{
	if (r->op == OP_OPEN)
		free(r->u.open.path);
	free(r->file);
	free(r->text);
}

/* Fill in where the rule came from and append it; the policy owns r's memory after. */
static int add_rule(struct parser *ps, const struct line *l, struct rule *r, const char *prefix)
{
	struct policy *p = ps->p;

	r->file = strdup(ps->file);
	r->line = ps->lineno;
	r->text = fold(l, prefix);
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct rule *rules = reallocarray(p->rules, cap, sizeof(*rules));

		if (rules) {
			p->rules = rules;
			p->cap = cap;
		}
	}
	if (!r->file || !r->text || p->n == p->cap ||
	    (r->op == OP_OPEN && !r->u.open.path)) {
		parse_error(ps, 1, "out of memory");
		rule_free(r);
		return -1;
	}
	p->rules[p->n++] = *r;
	return 0;
}

static void parse_line(struct parser *ps, struct line *l, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	struct rule r;
	const struct token *t;

	if (len > LINE_MAX_BYTES) {
		parse_error(ps, LINE_MAX_BYTES + 1, "line too long (%zu bytes, at most %d)", len,
			    LINE_MAX_BYTES);
		return;
	}
	if (nul) {
		parse_error(ps, (unsigned)(nul - s) + 1, "NUL byte in policy text");
		return;
	}
	if (lex_line(ps, l, s, len) < 0 || l->n == 0)
		return;
	memset(&r, 0, sizeof(r));
	t = take(l);
	if (strcmp(t->s, "allow") == 0) {
		r.verdict = VERDICT_ALLOW;
	} else if (strcmp(t->s, "deny") == 0) {
		r.verdict = VERDICT_DENY;
	} else {
		parse_error(ps, t->col, "unknown verdict '%s' (expected allow or deny)", t->s);
		return;
	}
	if (parse_subject(ps, l, &r) < 0 || parse_operation(ps, l, &r) < 0) {
		rule_free(&r);
		return;
	}
	add_rule(ps, l, &r, "");
}

int policy_parse_buffer(struct policy *p, const char *file, const char *buf, size_t len,
			policy_error_fn err, void *ctx)
{
	struct parser ps = { p, file, 0, err, ctx, 0 };
	struct line *l = malloc(sizeof(*l));
	size_t pos = 0;

	if (!l) {
		parse_error(&ps, 0, "out of memory");
		return ps.nerr;
	}
	while (pos < len) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		size_t n = eol ? (size_t)(eol - (buf + pos)) : len - pos;

		ps.lineno++;
		parse_line(&ps, l, buf + pos, n);
		pos += n + 1;
	}
	free(l);
	return ps.nerr;
}

void policy_init(struct policy *p)
{
	p->rules = NULL;
	p->n = p->cap = 0;
	p->permissive = false;
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		rule_free(&p->rules[i]);
	free(p->rules);
	policy_init(p);
}

int policy_parse_text(struct policy *p, const char *file, const char *text,
		      policy_error_fn err, void *ctx)
{
	return policy_parse_buffer(p, file, text, strlen(text), err, ctx);
}

int policy_parse_inline(struct policy *p, uid_t uid, const char *file, unsigned line,
			const char *rule, policy_error_fn err, void *ctx)
{
	struct parser ps = { p, file, line, err, ctx, 0 };
	size_t len = strlen(rule);
	const char *nl = memchr(rule, '\n', len);
	char prefix[48];
	struct line *l;
	struct rule r;

	if (nl) {
		parse_error(&ps, (unsigned)(nl - rule) + 1, "an inline rule is a single line");
		return ps.nerr;
	}
	if (len > LINE_MAX_BYTES) {
		parse_error(&ps, LINE_MAX_BYTES + 1, "rule too long (%zu bytes, at most %d)", len,
			    LINE_MAX_BYTES);
		return ps.nerr;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		parse_error(&ps, 0, "out of memory");
		return ps.nerr;
	}
	memset(&r, 0, sizeof(r));
	r.verdict = VERDICT_ALLOW;
	r.subject = SUBJECT_USER;
	r.id = (unsigned)uid;
	if (lex_line(&ps, l, rule, len) < 0) {
		/* reported */
	} else if (l->n == 0) {
		parse_error(&ps, 1, "empty rule (expected open, socket, bind or accept)");
	} else if (parse_operation(&ps, l, &r) < 0) {
		rule_free(&r);
	} else {
		snprintf(prefix, sizeof(prefix), "allow user %u ", r.id);
		add_rule(&ps, l, &r, prefix);
	}
	free(l);
	return ps.nerr;
}
