/*
 * Policy tokens: a line of text split into them, and a path written back
 * as one (fdbroker-policy(5), "Quoted paths").
 *
 * A line is copied, split in place into tokens that remember their
 * column, and quoted paths are decoded beside it; the grammar (grammar.c)
 * walks the tokens.  policy_quote_path is the lexer's inverse: what it
 * writes reads back here as exactly the path it was given.
 */
#include "policy/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
void parse_error(struct parser *ps, unsigned col, const char *fmt, ...)
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
		parse_error(ps, (unsigned)i + 1,
			    "unterminated quoted path: '\\' at the end of the line");
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
			parse_error(ps, (unsigned)i + 1,
				    "bad escape '\\x' (expected two hex digits, as in \\x0a)");
			return -1;
		}
		if (hi == 0 && lo == 0) {
			parse_error(ps, (unsigned)i + 1,
				    "'\\x00' in a quoted path: a path cannot hold a NUL byte");
			return -1;
		}
		*used = 4;
		return hi * 16 + lo;
	default:
		parse_error(ps, (unsigned)i + 1, "unknown escape '\\%c' (expected " ESCAPES ")",
			    b[i + 1]);
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
			parse_error(ps, (unsigned)*pi + 1,
				    "unterminated quoted path (no closing '\"')");
			return -1;
		}
		c = (unsigned char)b[i];
		if (c == '"')
			break;
		if (c < 0x20 || c == 0x7f) {
			parse_error(ps, (unsigned)i + 1,
				    "control character in a quoted path (write it as \\x%02x)", c);
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
		parse_error(ps, (unsigned)i + 1, "expected a blank after the closing quote");
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
int lex_line(struct parser *ps, struct line *l, const char *s, size_t len)
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
					parse_error(ps, (unsigned)i + 1,
						    "control character 0x%02x (in a path, quote it and write "
						    "\\x%02x)", c, c);
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
