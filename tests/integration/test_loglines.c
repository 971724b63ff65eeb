/*
 * The log lines fdbroker(8) documents against those the program writes.
 *
 * Every line form the page spells out -- the non-decision lines of AUDIT
 * LOG (the example block and the list of serve's lines), the examples of
 * serve's start and reload lines under serve, and each quoted
 * message (.RI \(dq ... \(dq, .BR "...") -- must match a format string of
 * the broker's source (the .c files of helper/), so the page cannot document a line no
 * code writes (a format that is mostly directives, such as "%s: %s", does
 * not count).  And serve is run to write its lines for real: each of the
 * forms AUDIT LOG lists for serve, and a decision line with its fields in
 * the documented order, must match a line of its log.
 *
 * A placeholder of the page (a bare word in a roff macro line: N, FILE,
 * SOCKET, reason...) stands for any text; so does a printf directive.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"

TestSuite(loglines, .fini = h_cleanup, .timeout = 60);

#define WAIT_MS 20000
#define MAX_FORMS 128
#define HOLE "\x01" /* a placeholder in a documented form */

struct forms {
	int n;
	char v[MAX_FORMS][512];
};

static void forms_add(struct forms *f, const char *s)
{
	cr_assert_lt(f->n, MAX_FORMS, "too many forms");
	snprintf(f->v[f->n++], sizeof(f->v[0]), "%s", s);
}

/* ---- the page ---------------------------------------------------------- */

/* Roff escapes in text: \- \(aq \(dq \e \& \fX. */
static void unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (s[i] != '\\' || i + 1 >= len) {
			out[o++] = s[i];
			continue;
		}
		char c = s[++i];

		if (c == '-')
			out[o++] = '-';
		else if (c == 'e')
			out[o++] = '\\';
		else if (c == 'f' && i + 1 < len)
			i++;
		else if (c == '(' && i + 2 < len) {
			if (!strncmp(s + i + 1, "aq", 2))
				out[o++] = '\'';
			else if (!strncmp(s + i + 1, "dq", 2))
				out[o++] = '"';
			else if (!strncmp(s + i + 1, "rs", 2))
				out[o++] = '\\';
			i += 2;
		}
	}
	out[o] = '\0';
}

/*
 * A macro line (.RI, .BR, .TP tag ...) as a form: quoted arguments are
 * text, bare ones placeholders (the page's convention), \(dq marks dropped.
 * "serving " SOCKET ": rules=" N -> "serving \1: rules=\1".
 */
static void macro_form(const char *line, char *out, size_t cap)
{
	const char *s = strchr(line, ' ');
	size_t o = 0;

	out[0] = '\0';
	while (s && *s) {
		char piece[512];
		const char *start;
		size_t len;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			start = ++s;
			while (*s && *s != '"')
				s++;
			len = (size_t)(s - start);
			if (*s)
				s++;
			unescape(start, len, piece, sizeof(piece));
			/* "..." in a form: text the page leaves out */
			for (char *e; (e = strstr(piece, "...")); )
				memmove(e + 1, e + 3, strlen(e + 3) + 1), e[0] = HOLE[0];
		} else {
			start = s;
			while (*s && *s != ' ')
				s++;
			len = (size_t)(s - start);
			if (len == 4 && !strncmp(start, "\\(dq", 4)) {
				if (o > 0)
					break; /* the closing mark: what follows is the sentence's */
				continue;
			}
			unescape(start, len, piece, sizeof(piece));
			/* a bare word of letters is a placeholder; punctuation stays */
			if (isalpha((unsigned char)piece[0]))
				snprintf(piece, sizeof(piece), HOLE);
		}
		o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s", piece);
	}
}

/*
 * The documented forms: the lines of the example block after "Lines that
 * are not decisions", the tags of the list after "also writes these lines",
 * and every quoted message in the page.  serve_forms gets the list's.
 */
static void page_forms(struct forms *all, struct forms *serve_forms, char *decision, size_t dcap)
{
	char *page = h_slurp_must(h_srcfile("man", "fdbroker.8"));
	enum { NONE, EX_WANTED, EX, LIST } state = NONE;
	bool tag_next = false, first_ex = true;
	char line[1024], form[512];

	decision[0] = '\0';
	for (char *s = page; *s;) {
		size_t len = strcspn(s, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		s += len + (s[len] ? 1 : 0);
		/* the example blocks of log lines: non-decisions, serve's start and reloads */
		if (strstr(line, "Lines that are not decisions") ||
		    strstr(line, "to the audit log, its limits and what it serves") ||
		    !strcmp(line, "The audit log says which:"))
			state = EX_WANTED;
		else if (state == EX_WANTED && !strcmp(line, ".EX"))
			state = EX;
		else if (state == EX && !strcmp(line, ".EE"))
			state = NONE;
		else if (state == EX) {
			unescape(line, strlen(line), form, sizeof(form));
			forms_add(all, form);
		} else if (!strcmp(line, "also writes these lines (see")) {
			state = LIST;
		} else if (state == LIST && !strncmp(line, ".PP", 3)) {
			state = NONE;
		}
		/* the first example of AUDIT LOG: a decision line, folded */
		if (first_ex && decision[0] == '\0' && strstr(line, "fdbroker[") &&
		    strstr(line, "Z fdbroker[")) {
			unescape(line, strlen(line), decision, dcap);
			for (int k = 0; k < 2 && *s; k++) { /* the two continuation lines */
				len = strcspn(s, "\n");
				snprintf(line, sizeof(line), "%.*s", (int)len, s);
				s += len + (s[len] ? 1 : 0);
				unescape(line, strlen(line), form, sizeof(form));
				strncat(decision, form + strspn(form, " ") - 1, dcap - strlen(decision) - 1);
			}
			first_ex = false;
			continue;
		}
		if (state == LIST && (tag_next || !strncmp(line, ".TQ", 3))) {
			if (line[0] == '.' && strncmp(line, ".TQ", 3)) {
				macro_form(line, form, sizeof(form));
				forms_add(all, form);
				forms_add(serve_forms, form);
			}
		}
		tag_next = !strcmp(line, ".TP") || !strcmp(line, ".TQ");
		/* quoted messages anywhere: .RI \(dq "text " N ... \(dq */
		if (!strncmp(line, ".RI \\(dq ", 9) && strstr(line + 9, "\\(dq")) {
			macro_form(line, form, sizeof(form));
			forms_add(all, form);
		}
	}
	free(page);
}

/* ---- the code ------------------------------------------------------------ */

/* The page quotes a message without the "fdbroker: " of standard error. */
static const char *unprefixed(const char *fmt)
{
	if (!strncmp(fmt, "fdbroker: ", 10))
		fmt += 10;
	return fmt + strspn(fmt, " ");
}

/* printf format -> anchored extended regex: a directive is any text. */
static void format_regex(const char *fmt, char *out, size_t cap)
{
	size_t o = 0;

	fmt = unprefixed(fmt);
	o += (size_t)snprintf(out, cap, "^(fdbroker: )?");
	for (const char *p = fmt; *p && o + 8 < cap; p++) {
		if (*p == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else if (*p == '%') {
			p += strspn(p + 1, "-+ #0123456789.*hlzjt");
			p++; /* the conversion */
			o += (size_t)snprintf(out + o, cap - o, ".*");
		} else if (*p == '\n') {
			continue;
		} else {
			if (strchr(".[]()*+?{}|^$\\", *p))
				out[o++] = '\\';
			out[o++] = *p;
		}
	}
	out[o++] = '$';
	out[o] = '\0';
}

/* Characters of a format that are text, not directives. */
static size_t literal_chars(const char *fmt)
{
	size_t n = 0;

	for (const char *p = fmt; *p; p++) {
		if (*p == '%' && p[1] && p[1] != '%') {
			p += strspn(p + 1, "-+ #0123456789.*hlzjt") + 1;
			continue;
		}
		n += *p != '\n';
	}
	return n;
}

/* Every string literal of the .c files in folder, adjacent ones joined, as regexes. */
static int folder_regexes(const char *folder, regex_t *re, size_t *lits, int cap)
{
	char dirpath[512];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(dirpath, sizeof(dirpath), "%s", h_srcfile(folder, ""));
	dir = opendir(dirpath);
	cr_assert_not_null(dir, "%s", dirpath);
	while ((d = readdir(dir))) {
		size_t l = strlen(d->d_name);
		char *src, lit[2048], rx[4096];
		size_t ll = 0;
		bool in = false, pending = false;

		if (l < 3 || strcmp(d->d_name + l - 2, ".c"))
			continue;
		src = h_slurp_must(h_srcfile(folder, d->d_name));
		for (char *p = src; *p; p++) {
			/* comments may hold a lone quote */
			if (!in && p[0] == '/' && p[1] == '*') {
				char *end = strstr(p + 2, "*/");

				p = end ? end + 1 : p + strlen(p) - 1;
				continue;
			}
			if (!in && p[0] == '/' && p[1] == '/') {
				p += strcspn(p, "\n");
				if (!*p)
					break;
				continue;
			}
			if (!in && *p == '\'' && p[1] && p[2] == '\'') { /* 'x' */
				p += 2;
				continue;
			}
			if (!in && *p == '\'' && p[1] == '\\') { /* '\x' */
				p += 3;
				continue;
			}
			if (!in && *p == '"') {
				in = true;
				if (!pending)
					ll = 0;
				continue;
			}
			if (in && *p == '\\' && p[1]) {
				p++;
				if (ll + 1 < sizeof(lit))
					lit[ll++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				continue;
			}
			if (in && *p == '"') {
				in = false;
				pending = true;
				continue;
			}
			if (in) {
				if (ll + 1 < sizeof(lit))
					lit[ll++] = *p;
				continue;
			}
			if (pending && !isspace((unsigned char)*p)) {
				/* the literal ended: keep it if it has words */
				lit[ll] = '\0';
				pending = false;
				if (ll > 8 && n < cap) {
					format_regex(lit, rx, sizeof(rx));
					if (regcomp(&re[n], rx, REG_EXTENDED | REG_NOSUB) == 0)
						lits[n++] = literal_chars(unprefixed(lit));
				}
			}
		}
		free(src);
	}
	closedir(dir);
	return n;
}

/* Every string literal of helper/ (each part in a folder of its own), as regexes. */
static int code_regexes(regex_t *re, size_t *lits, int cap)
{
	char dirpath[512], folder[300];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(dirpath, sizeof(dirpath), "%s", h_srcfile("helper", ""));
	dir = opendir(dirpath);
	cr_assert_not_null(dir, "%s", dirpath);
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.' || d->d_type != DT_DIR)
			continue;
		snprintf(folder, sizeof(folder), "helper/%s", d->d_name);
		n += folder_regexes(folder, re + n, lits + n, cap - n);
	}
	closedir(dir);
	return n;
}

/* The form with each placeholder replaced by word. */
static void instance(const char *form, const char *word, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = form; *p && o + strlen(word) + 1 < cap; p++) {
		if (*p == HOLE[0])
			o += (size_t)snprintf(out + o, cap - o, "%s", word);
		else
			out[o++] = *p;
	}
	out[o] = '\0';
}

Test(loglines, every_documented_line_is_written_by_the_code)
{
	static struct forms all, serve_forms;
	static regex_t re[8192];
	static size_t lits[8192];
	char decision[1024], text[1024];
	int nre = code_regexes(re, lits, 8192);

	page_forms(&all, &serve_forms, decision, sizeof(decision));
	/* the parsers found what the page has */
	cr_assert_gt(nre, 200, "only %d literals in helper/", nre);
	cr_assert_geq(serve_forms.n, 6, "%d forms in serve's list", serve_forms.n);
	cr_assert_gt(all.n, 20, "%d documented forms", all.n);
	for (int i = 0; i < all.n; i++) {
		bool found = false;

		instance(all.v[i], "X", text, sizeof(text));
		if (!text[0] || !strcmp(text, "X"))
			continue; /* a quoted name, not a line */
		/* a line's prefix is not in the format: "refused pid=5232 ..." */
		for (int k = 0; k < nre && !found; k++)
			found = lits[k] >= 8 && lits[k] * 100 >= strlen(text) * 12 &&
				regexec(&re[k], text, 0, NULL, 0) == 0;
		cr_expect(found, "fdbroker(8) documents a line no code writes:\n  %s", text);
	}
	for (int k = 0; k < nre; k++)
		regfree(&re[k]);
}

/* ---- the program ------------------------------------------------------- */

/* form -> anchored regex over a whole log line: prefix, then the form. */
static void form_regex(const char *form, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "^[0-9T:.Z-]+ fdbroker\\[[0-9]+\\]: ");

	for (const char *p = form; *p && o + 8 < cap; p++) {
		if (*p == HOLE[0]) {
			o += (size_t)snprintf(out + o, cap - o, ".+");
		} else {
			if (strchr(".[]()*+?{}|^$\\", *p))
				out[o++] = '\\';
			out[o++] = *p;
		}
	}
	snprintf(out + o, cap - o, "$");
}

/* Does a line of log match the form? */
static bool log_has(const char *log, const char *rx_text)
{
	regex_t re;
	bool hit = false;

	cr_assert_eq(regcomp(&re, rx_text, REG_EXTENDED | REG_NOSUB), 0, "%s", rx_text);
	for (const char *s = log; *s && !hit;) {
		size_t len = strcspn(s, "\n");
		char line[4096];

		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		hit = regexec(&re, line, 0, NULL, 0) == 0;
		s += len + (s[len] ? 1 : 0);
	}
	regfree(&re);
	return hit;
}

/* Rewrite the policy and SIGHUP; wait for the log's n-th "policy reload". */
static void reload(struct served *srv, const char *policy, const char *text, int n)
{
	struct follow f;

	h_file(policy + strlen(h_tmpdir()) + 1, text, 0644);
	follow_init(&f, srv->log, "policy reload");
	cr_assert_eq(kill(srv->proc.pid, SIGHUP), 0);
	cr_assert_eq(follow_wait(&f, n, WAIT_MS), 0, "%s", h_slurp(srv->log));
	follow_close(&f);
}

/*
 * serve writes each line its list documents: start, a good reload, one
 * that does not parse, one that needs a capability given up, and a log
 * that cannot be reopened; and a decision line in the documented order.
 */
Test(loglines, serve_writes_the_documented_lines)
{
	static struct forms all, serve_forms;
	const char *secret = h_file("secret", "s\n", 0600);
	char decision[1024], rx[4096], text[1024], *log;
	const char *policy;
	struct served srv;

	page_forms(&all, &serve_forms, decision, sizeof(decision));
	snprintf(text, sizeof(text), "allow user nobody open %s read\n", secret);
	policy = h_file("site.policy", text, 0644);
	served_start_args(&srv, policy, NULL, WAIT_MS);
	cr_assert_str_eq(served_raw(&srv, "65534", "65534", false,
				    (char *[]){ "open", (char *)secret, "1", NULL }),
			 "ok 1");
	/* a good reload, one that does not parse, one that needs more */
	reload(&srv, policy, text, 1);
	reload(&srv, policy, "allow user nobody opne /x read\n", 3);
	reload(&srv, policy, "allow user nobody bind tcp 0.0.0.0:80\n", 4);
	/*
	 * A log that cannot be reopened: a directory where it was.  The line
	 * goes to the file the broker has open, now at its new name.
	 */
	char old[1024];
	struct follow f;

	snprintf(old, sizeof(old), "%s.old", srv.log);
	cr_assert_eq(rename(srv.log, old), 0);
	cr_assert_eq(mkdir(srv.log, 0755), 0);
	follow_init(&f, old, "cannot reopen log");
	cr_assert_eq(kill(srv.proc.pid, SIGHUP), 0);
	cr_assert_eq(follow_wait(&f, 1, WAIT_MS), 0, "%s", h_slurp(old));
	follow_close(&f);
	log = h_slurp(old);
	for (int i = 0; i < serve_forms.n; i++) {
		form_regex(serve_forms.v[i], rx, sizeof(rx));
		cr_expect(log_has(log, rx), "no line like fdbroker(8)'s\n  %s\nin\n%s", rx, log);
	}
	/* the decision line: the documented example with its values as holes */
	{
		char form[1024];
		size_t o = 0;
		const char *p = strstr(decision, "]: ");

		cr_assert_not_null(p, "no decision example: '%s'", decision);
		for (p += 3; *p && o + 2 < sizeof(form);) {
			size_t w = strcspn(p, " "), eq = strcspn(p, "=");

			/* field=VALUE -> field=HOLE */
			if (eq < w) {
				memcpy(form + o, p, eq + 1);
				o += eq + 1;
				form[o++] = HOLE[0];
			}
			p += w;
			while (*p == ' ')
				p++;
			if (*p)
				form[o++] = ' ';
		}
		form[o] = '\0';
		form_regex(form, rx, sizeof(rx));
		cr_expect(log_has(log, rx), "no decision line like fdbroker(8)'s\n  %s\nin\n%s", rx,
			  log);
	}
	free(log);
	cr_assert_eq(served_stop(&srv), 0);
}
