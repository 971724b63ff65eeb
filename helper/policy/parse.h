/*
 * Private to helper/policy/: what the lexer (lex.c), the grammar (grammar.c)
 * and the name tables (names.c) share.  Nothing outside this folder
 * includes it; the policy's interface is policy.h.
 *
 * Conventions: as in policy.h.  Lexing and grammar functions return 0, or
 * -1 after reporting the problem through parse_error (which counts it in
 * struct parser); name lookups return a boolean.
 */
#ifndef FDB_POLICY_PARSE_H
#define FDB_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

#define LINE_MAX_BYTES 4096
/*
 * Longest rules: verdict, subject (2), bind or accept, proto, address,
 * from, 16 networks = 23.
 */
#define MAX_TOKENS 40

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
 * Report "FILE:LINE:COL: message" (col 0: "FILE: message") to the caller's
 * sink, control characters written as \xHH, and count it.
 */
__attribute__((format(printf, 3, 4)))
void parse_error(struct parser *ps, unsigned col, const char *fmt, ...);

/*
 * Split s[0..len) (len at most LINE_MAX_BYTES) into l's tokens; -1 after
 * reporting the problem (lex.c).
 */
int lex_line(struct parser *ps, struct line *l, const char *s, size_t len);

/* The next token, or NULL at the end of the line. */
static inline const struct token *take(struct line *l)
{
	return l->next < l->n ? &l->tok[l->next++] : NULL;
}

/* The next token, or NULL after reporting "missing WHAT" where it would go. */
static inline const struct token *need(struct parser *ps, struct line *l, const char *what)
{
	const struct token *t = take(l);

	if (!t)
		parse_error(ps, l->end_col, "missing %s", what);
	return t;
}

/* The policy's words and their values (names.c); each table ends in { NULL, 0 }. */
struct name {
	const char *s;
	int value;
};

extern const struct name right_names[];    /* RIGHT_*: read, write, create */
extern const struct name family_names[];   /* AF_* of socket rules */
extern const struct name type_names[];     /* SOCK_* */
extern const struct name protocol_names[]; /* IPPROTO_* and PROTOCOL_ALL */
extern const struct name proto_names[];    /* PROTO_* of bind and accept */
extern const struct name op_names[];       /* OP_* */

/* The value of word s in tab into *out; false if tab has no such word. */
bool name_lookup(const struct name *tab, const char *s, int *out);

#endif
