/*
 * The policy: text to rules, and a request to a verdict (fdbroker-policy(5)).
 *
 * Parsing works a line at a time: the line is copied, split in place into
 * tokens that remember their column, and a small recursive-descent parser
 * walks the tokens.  A line with an error reports the first problem and is
 * dropped; parsing goes on so that `fdbroker check` shows every bad line in
 * one pass.  The caller refuses the whole policy if anything was reported.
 */
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096
/* Longest rule: verdict, subject (2), accept, proto, address, from, 16 networks = 23. */
#define MAX_TOKENS 40
/* A policy is a few kilobytes; refuse to slurp something absurd. */

struct token {
	const char *s;    /* as written, NUL-terminated inside struct line's buffer */
	const char *path; /* the path it names: s, or a quoted path decoded */
	unsigned col;     /* 1-based */
};

struct line {
	char buf[LINE_MAX_BYTES + 1];
	char dec[LINE_MAX_BYTES + 1]; /* decoded quoted paths: never longer than written */
	struct token tok[MAX_TOKENS];
	unsigned n, next;
	unsigned end_col; /* just past the last token: where a missing one would go */
};

struct parser {
	struct policy *p;
	const char *file;
	unsigned lineno;
	policy_error_fn err;
	void *ctx;
	int nerr;
};

/*
 * A message may quote a decoded path, and a path may hold any byte but NUL:
 * control characters are written \xHH so a terminal or log shows them as
 * bytes instead of acting on them.
 */
static void escape_controls(const char *in, char *out, size_t len)
{
	size_t at = 0;

	for (; *in && at + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7f)
			at += (size_t)snprintf(out + at, len - at, "\\x%02x", c);
		else
			out[at++] = (char)c;
	}
	out[at] = '\0';
}

__attribute__((format(printf, 3, 4)))
static void perr(struct parser *ps, unsigned col, const char *fmt, ...)
{
	char msg[512], out[1024], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (col)
		snprintf(out, sizeof(out), "%s:%u:%u: %s", ps->file, ps->lineno, col, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", ps->file, msg);
	escape_controls(out, safe, sizeof(safe));
	ps->nerr++;
	if (ps->err)
		ps->err(ps->ctx, safe);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#define ESCAPES "\\\\, \\\", \\n, \\t, \\r or \\xHH"

/*
 * One escape at b[i] (the backslash) of a quoted path: the byte it stands
 * for, and *used the characters it took; -1 after reporting what is wrong.
 * A NUL cannot be part of a name the kernel takes, so \x00 is an error.
 */
static int unescape(struct parser *ps, const char *b, size_t i, size_t len, size_t *used)
{
	int hi, lo;

	if (i + 1 == len) {
		perr(ps, (unsigned)i + 1, "unterminated quoted path: '\\' at the end of the line");
		return -1;
	}
	*used = 2;
	switch (b[i + 1]) {
	case '\\':
	case '"':
		return (unsigned char)b[i + 1];
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case 'x':
		hi = i + 2 < len ? hex_digit(b[i + 2]) : -1;
		lo = i + 3 < len && hi >= 0 ? hex_digit(b[i + 3]) : -1;
		if (lo < 0) {
			perr(ps, (unsigned)i + 1, "bad escape '\\x' (expected two hex digits, as in \\x0a)");
			return -1;
		}
		if (hi == 0 && lo == 0) {
			perr(ps, (unsigned)i + 1, "'\\x00' in a quoted path: a path cannot hold a NUL byte");
			return -1;
		}
		*used = 4;
		return hi * 16 + lo;
	default:
		perr(ps, (unsigned)i + 1, "unknown escape '\\%c' (expected " ESCAPES ")", b[i + 1]);
		return -1;
	}
}

/*
 * A quoted path from l->buf[*pi], the opening quote, decoded into l->dec at
 * *pd.  On success *pi is just past the closing quote, where a blank or the
 * end of the line must follow.  Raw control characters are refused inside
 * quotes, so the rule as written (which explain and the log show) is
 * printable; they are written as escapes.
 */
static int lex_quoted(struct parser *ps, struct line *l, size_t *pi, size_t len, size_t *pd)
{
	const char *b = l->buf;
	size_t i = *pi + 1, d = *pd;

	for (;;) {
		unsigned char c;
		size_t used;
		int v;

		if (i == len) {
			perr(ps, (unsigned)*pi + 1, "unterminated quoted path (no closing '\"')");
			return -1;
		}
		c = (unsigned char)b[i];
		if (c == '"')
			break;
		if (c < 0x20 || c == 0x7f) {
			perr(ps, (unsigned)i + 1, "control character in a quoted path (write it as "
			     "\\x%02x)", c);
			return -1;
		}
		if (c != '\\') {
			l->dec[d++] = (char)c;
			i++;
			continue;
		}
		if ((v = unescape(ps, b, i, len, &used)) < 0)
			return -1;
		l->dec[d++] = (char)v;
		i += used;
	}
	i++;
	if (i < len && !is_blank(b[i])) {
		perr(ps, (unsigned)i + 1, "expected a blank after the closing quote");
		return -1;
	}
	l->dec[d++] = '\0';
	*pi = i;
	*pd = d;
	return 0;
}

/*
 * Split s[0..len) into tokens.  '#' starts a comment only where a token
 * could start, so "/srv/a#b" stays one path.  A token that starts with '"'
 * is a quoted path, which may hold blanks, '#' and escapes.  A control
 * character (other than the blanks) is refused wherever it stands: what a
 * terminal shows of a policy is then what it says.  len is at most
 * LINE_MAX_BYTES.  -1 after reporting the problem.
 */
static int lex(struct parser *ps, struct line *l, const char *s, size_t len)
{
	size_t i = 0, d = 0;

	memcpy(l->buf, s, len);
	l->buf[len] = '\0';
	l->n = l->next = 0;
	l->end_col = 1;
	while (i < len) {
		size_t start;
		const char *path;

		while (i < len && is_blank(l->buf[i]))
			i++;
		if (i == len || l->buf[i] == '#')
			break;
		start = i;
		if (l->buf[i] == '"') {
			path = l->dec + d;
			if (lex_quoted(ps, l, &i, len, &d) < 0)
				return -1;
		} else {
			path = l->buf + start;
			for (; i < len && !is_blank(l->buf[i]); i++) {
				unsigned char c = (unsigned char)l->buf[i];

				if (c < 0x20 || c == 0x7f) {
					perr(ps, (unsigned)i + 1, "control character 0x%02x (in a "
					     "path, quote it and write \\x%02x)", c, c);
					return -1;
				}
			}
		}
		l->buf[i] = '\0'; /* overwrites a blank, or the final NUL */
		/* Rules need far fewer; the first unused token is reported as extra. */
		if (l->n < MAX_TOKENS)
			l->tok[l->n++] = (struct token){ l->buf + start, path, (unsigned)start + 1 };
		l->end_col = (unsigned)i + 1;
		i++;
	}
	return 0;
}

static const struct token *take(struct line *l)
{
	return l->next < l->n ? &l->tok[l->next++] : NULL;
}

static const struct token *need(struct parser *ps, struct line *l, const char *what)
{
	const struct token *t = take(l);

	if (!t)
		perr(ps, l->end_col, "missing %s", what);
	return t;
}

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

struct name {
	const char *s;
	int value;
};

static bool lookup(const struct name *tab, const char *s, int *out)
{
	for (; tab->s; tab++) {
		if (strcmp(tab->s, s) == 0) {
			*out = tab->value;
			return true;
		}
	}
	return false;
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
		perr(ps, t->col, "%s id %s out of range", kind, t->s);
		return -1;
	}
	if (lookup_id(t->s, group, id) < 0) {
		perr(ps, t->col, "unknown %s '%s'", kind, t->s);
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
	perr(ps, t->col, "unknown subject '%s' (expected user, group or any)", t->s);
	return -1;
}

static const struct name right_names[] = {
	{ "read", RIGHT_READ }, { "write", RIGHT_WRITE }, { "create", RIGHT_CREATE },
	{ NULL, 0 },
};

/*
 * Where "from" stands after anything but an accept address.  (fdbroker-
 * policy(5) plans "bind ... from" with a kernel filter; until the broker
 * can keep that promise the parser refuses it.)
 */
#define FROM_ONLY_ACCEPT "'from' goes only on accept rules (accept tcp ADDRESS from CIDR...), " \
			 "whose listener the broker holds and filters"

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
			perr(ps, col, "empty right in '%s'", t->s);
			return -1;
		}
		snprintf(word, sizeof(word), "%.*s", (int)n, s);
		if (strcmp(word, "append") == 0) {
			perr(ps, col, APPEND_GONE);
			return -1;
		}
		if (n >= sizeof(word) || !lookup(right_names, word, &v)) {
			perr(ps, col, "unknown right '%.*s' (expected read, write or create)",
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
		perr(ps, path->col, "%s", why);
		return -1;
	}
	r->u.open.tree = path->path[strlen(path->path) - 1] == '/';
	/* Rights and options in either order; options are the words with '='. */
	while ((t = take(l))) {
		if (strchr(t->s, '=')) {
			if (strcmp(t->s, "owner=root") != 0) {
				perr(ps, t->col, "unknown option '%s' (expected owner=root)", t->s);
				return -1;
			}
			owner = t;
		} else if (strcmp(t->s, "from") == 0) {
			perr(ps, t->col, FROM_ONLY_ACCEPT);
			return -1;
		} else if (have_rights) {
			perr(ps, t->col, "unexpected '%s' (rights are one comma-separated list)",
			     t->s);
			return -1;
		} else {
			if (parse_rights(ps, t, &r->u.open.rights) < 0)
				return -1;
			have_rights = true;
		}
	}
	if (r->verdict == VERDICT_ALLOW && !have_rights) {
		perr(ps, l->end_col, "allow open needs rights (read, write or create)");
		return -1;
	}
	if (owner && r->verdict != VERDICT_ALLOW) {
		perr(ps, owner->col, "owner=root only applies to allow rules");
		return -1;
	}
	if (owner && !(r->u.open.rights & RIGHT_CREATE)) {
		perr(ps, owner->col, "owner=root needs the create right");
		return -1;
	}
	r->u.open.owner_root = owner != NULL;
	r->u.open.path = strdup(path->path);
	r->object_col = path->col;
	return 0;
}

static const struct name family_names[] = {
	{ "inet", AF_INET }, { "inet6", AF_INET6 }, { "packet", AF_PACKET },
	{ "netlink", AF_NETLINK }, { "unix", AF_UNIX }, { NULL, 0 },
};

static const struct name type_names[] = {
	{ "stream", SOCK_STREAM }, { "dgram", SOCK_DGRAM }, { "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET }, { NULL, 0 },
};

static const struct name protocol_names[] = {
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP }, { "all", PROTOCOL_ALL }, { NULL, 0 },
};

static const char *name_of(const struct name *tab, int value)
{
	for (; tab->s; tab++)
		if (tab->value == value)
			return tab->s;
	return NULL;
}

const char *socket_family_name(int family)
{
	return name_of(family_names, family);
}

const char *socket_type_name(int type)
{
	return name_of(type_names, type);
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
	if (!lookup(family_names, t->s, &r->u.socket.family)) {
		perr(ps, t->col, "unknown family '%s' (" EXPECT_FAMILY ")", t->s);
		return -1;
	}
	if (!(t = need(ps, l, "socket type (" EXPECT_TYPE ")")))
		return -1;
	if (!lookup(type_names, t->s, &r->u.socket.type)) {
		perr(ps, t->col, "unknown socket type '%s' (" EXPECT_TYPE ")", t->s);
		return -1;
	}
	if (!(t = need(ps, l, "protocol (" EXPECT_PROTOCOL ")")))
		return -1;
	if (lookup(protocol_names, t->s, &r->u.socket.protocol))
		return 0;
	/* Up to 65535: packet sockets take an ethertype here. */
	if (parse_number(t->s, 65535, &v, &range)) {
		r->u.socket.protocol = (int)v;
		return 0;
	}
	if (range)
		perr(ps, t->col, "protocol %s out of range (0-65535)", t->s);
	else
		perr(ps, t->col, "unknown protocol '%s' (" EXPECT_PROTOCOL ")", t->s);
	return -1;
}

static const struct name proto_names[] = {
	{ "tcp", PROTO_TCP }, { "udp", PROTO_UDP }, { "unix", PROTO_UNIX }, { NULL, 0 },
};

/* "from CIDR...": only on accept, never for unix, 1..POLICY_MAX_FROM networks. */
static int parse_from(struct parser *ps, struct line *l, struct rule *r, const struct token *from)
{
	const struct token *t;
	char why[128];

	if (r->u.net.proto == PROTO_UNIX) {
		perr(ps, from->col, "'from' is not allowed with unix: a unix peer has no address");
		return -1;
	}
	while ((t = take(l))) {
		if (r->u.net.nfrom == POLICY_MAX_FROM) {
			perr(ps, t->col, "too many networks after 'from' (at most %d)",
			     POLICY_MAX_FROM);
			return -1;
		}
		if (cidr_parse(t->s, &r->u.net.from[r->u.net.nfrom], why, sizeof(why)) < 0) {
			perr(ps, t->col, "bad network '%s': %s", t->s, why);
			return -1;
		}
		r->u.net.nfrom++;
	}
	if (r->u.net.nfrom == 0) {
		perr(ps, l->end_col, "'from' needs at least one network");
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
	if (!lookup(proto_names, t->s, &proto)) {
		perr(ps, t->col, "unknown protocol '%s' (expected tcp, udp or unix)", t->s);
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
		perr(ps, t->col, "bad address '%s': %s", t->s, why);
		return -1;
	}
	r->object_col = t->col;
	if (r->op == OP_ACCEPT && l->next < l->n && strcmp(l->tok[l->next].s, "from") == 0)
		return parse_from(ps, l, r, take(l));
	return 0;
}

static const struct name op_names[] = {
	{ "open", OP_OPEN }, { "socket", OP_SOCKET }, { "bind", OP_BIND },
	{ "accept", OP_ACCEPT }, { NULL, 0 },
};

/* OPERATION OBJECT... [OPTIONS], and nothing after: shared by policy lines and -a rules. */
static int parse_operation(struct parser *ps, struct line *l, struct rule *r)
{
	const struct token *t = need(ps, l, "operation (expected open, socket, bind or accept)");
	int op, rc;

	if (!t)
		return -1;
	if (!lookup(op_names, t->s, &op)) {
		perr(ps, t->col, "unknown operation '%s' (expected open, socket, bind or accept)",
		     t->s);
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
			perr(ps, t->col, FROM_ONLY_ACCEPT);
		else
			perr(ps, t->col, "unexpected '%s'", t->s);
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
		perr(ps, 1, "out of memory");
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
		perr(ps, LINE_MAX_BYTES + 1, "line too long (%zu bytes, at most %d)", len,
		     LINE_MAX_BYTES);
		return;
	}
	if (nul) {
		perr(ps, (unsigned)(nul - s) + 1, "NUL byte in policy text");
		return;
	}
	if (lex(ps, l, s, len) < 0 || l->n == 0)
		return;
	memset(&r, 0, sizeof(r));
	t = take(l);
	if (strcmp(t->s, "allow") == 0) {
		r.verdict = VERDICT_ALLOW;
	} else if (strcmp(t->s, "deny") == 0) {
		r.verdict = VERDICT_DENY;
	} else {
		perr(ps, t->col, "unknown verdict '%s' (expected allow or deny)", t->s);
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
		perr(&ps, 0, "out of memory");
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
		perr(&ps, (unsigned)(nl - rule) + 1, "an inline rule is a single line");
		return ps.nerr;
	}
	if (len > LINE_MAX_BYTES) {
		perr(&ps, LINE_MAX_BYTES + 1, "rule too long (%zu bytes, at most %d)", len,
		     LINE_MAX_BYTES);
		return ps.nerr;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		perr(&ps, 0, "out of memory");
		return ps.nerr;
	}
	memset(&r, 0, sizeof(r));
	r.verdict = VERDICT_ALLOW;
	r.subject = SUBJECT_USER;
	r.id = (unsigned)uid;
	if (lex(&ps, l, rule, len) < 0) {
		/* reported */
	} else if (l->n == 0) {
		perr(&ps, 1, "empty rule (expected open, socket, bind or accept)");
	} else if (parse_operation(&ps, l, &r) < 0) {
		rule_free(&r);
	} else {
		snprintf(prefix, sizeof(prefix), "allow user %u ", r.id);
		add_rule(&ps, l, &r, prefix);
	}
	free(l);
	return ps.nerr;
}

/* Bytes a path may hold and still be written as it is. */
static bool plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"';
}

/* Append piece to buf as far as it fits; *at counts what the whole would need. */
static void put(char *buf, size_t len, size_t *at, const char *piece)
{
	for (; *piece; piece++, (*at)++)
		if (*at + 1 < len)
			buf[*at] = *piece;
}

size_t policy_quote_path(const char *path, char *buf, size_t len)
{
	const unsigned char *c = (const unsigned char *)path;
	bool plain = *c && *c != '#';
	size_t at = 0;

	for (; plain && *c; c++)
		plain = plain_byte(*c);
	if (plain)
		return (size_t)snprintf(buf, len, "%s", path);
	put(buf, len, &at, "\"");
	for (c = (const unsigned char *)path; *c; c++) {
		char one[8];

		if (*c == '\\' || *c == '"')
			snprintf(one, sizeof(one), "\\%c", *c);
		else if (*c == '\n')
			snprintf(one, sizeof(one), "\\n");
		else if (*c == '\t')
			snprintf(one, sizeof(one), "\\t");
		else if (*c == '\r')
			snprintf(one, sizeof(one), "\\r");
		else if (*c < 0x20 || *c >= 0x7f)
			snprintf(one, sizeof(one), "\\x%02x", *c);
		else
			snprintf(one, sizeof(one), "%c", *c);
		put(buf, len, &at, one);
	}
	put(buf, len, &at, "\"");
	if (len)
		buf[at < len ? at : len - 1] = '\0';
	return at;
}

void rights_format(unsigned rights, char *buf, size_t len)
{
	const struct name *n;
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (rights == 0) {
		snprintf(buf, len, "all");
		return;
	}
	for (n = right_names; n->s; n++) {
		if (!(rights & (unsigned)n->value))
			continue;
		snprintf(buf + at, len - at, "%s%s", at ? "," : "", n->s);
		at += strlen(buf + at);
		if (at >= len - 1)
			break;
	}
}

const char *op_name(enum op op)
{
	const struct name *n;

	for (n = op_names; n->s; n++)
		if (n->value == (int)op)
			return n->s;
	return "?";
}
