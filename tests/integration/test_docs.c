/*
 * The documentation against the program: `fdbroker --help`, each command's
 * own -h, and fdbroker(8) list the same commands and the same options, in
 * both directions; the three man pages pass `mandoc -T lint -W all` and
 * render with `man -l` without a word on standard error.
 *
 * The man pages are read from the source tree the build directory sits in
 * (dirname(FDB_BUILD_DIR)/man), so a test run checks the pages of its tree.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(docs, .fini = h_cleanup, .timeout = 60);

/* ---- small string sets ---------------------------------------------- */

#define SET_MAX 64

struct set {
	int n;
	char v[SET_MAX][48];
};

static bool set_has(const struct set *s, const char *w)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], w))
			return true;
	return false;
}

static void set_add(struct set *s, const char *w, size_t len)
{
	char buf[48];

	cr_assert_lt(len, sizeof(buf), "word too long: %.*s", (int)len, w);
	memcpy(buf, w, len);
	buf[len] = '\0';
	if (set_has(s, buf))
		return;
	cr_assert_lt(s->n, SET_MAX);
	memcpy(s->v[s->n++], buf, len + 1);
}

static void set_str(const struct set *s, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < s->n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", s->v[i]);
}

/* Every word of a is in b: what = "in --help but not in fdbroker(8)". */
static void set_within(const struct set *a, const struct set *b, const char *what)
{
	char as[1024], bs[1024];

	set_str(a, as, sizeof(as));
	set_str(b, bs, sizeof(bs));
	for (int i = 0; i < a->n; i++)
		cr_expect(set_has(b, a->v[i]), "%s: '%s'\n  [%s]\n  [%s]", what, a->v[i], as, bs);
}

static void set_equal(const struct set *a, const char *an, const struct set *b, const char *bn)
{
	char w1[256], w2[256];

	snprintf(w1, sizeof(w1), "in %s, not in %s", an, bn);
	snprintf(w2, sizeof(w2), "in %s, not in %s", bn, an);
	set_within(a, b, w1);
	set_within(b, a, w2);
	cr_assert(a->n > 0 && b->n > 0, "nothing found in %s or %s", an, bn);
}

/*
 * The option words of text: "-x" (one letter, then no letter or digit) and
 * "--word", each at the start or after a space, bracket, parenthesis, bar,
 * comma or quote; a lone "--" is not an option.  "system-wide" is not one.
 */
static void options_of(const char *text, size_t len, struct set *s)
{
	for (size_t i = 0; i + 1 < len; i++) {
		size_t j;

		if (text[i] != '-' || (i > 0 && !strchr(" \t[(|,'\"", text[i - 1])))
			continue;
		if (text[i + 1] == '-') {
			for (j = i + 2; j < len && (isalnum((unsigned char)text[j]) || text[j] == '-'); j++)
				;
			if (j > i + 2 && isalpha((unsigned char)text[i + 2]))
				set_add(s, text + i, j - i);
			i = j;
		} else if (isalpha((unsigned char)text[i + 1]) &&
			   (i + 2 >= len || !isalnum((unsigned char)text[i + 2]))) {
			set_add(s, text + i, 2);
			i++;
		}
	}
}

/* ---- fdbroker --help and COMMAND -h ----------------------------------- */

/* The commands this test expects at least; the lists compared are what --help says. */
static const char *const commands[] = { "run", "serve", "exec", "check", "explain", "help",
					NULL };

#define CMD_MAX 16

struct help {
	struct set cmds;	/* in the order --help lists them */
	struct set cmd_opts[CMD_MAX]; /* per entry of cmds */
	struct set opts;	/* the Options: list */
	struct set all_opts;	/* every option word anywhere in --help */
};

/* Index of a command in the --help list, or -1. */
static int cmd_index(const struct set *cmds, const char *name, size_t len)
{
	for (int i = 0; i < cmds->n; i++)
		if (strlen(cmds->v[i]) == len && !strncmp(cmds->v[i], name, len))
			return i;
	return -1;
}

static char *help_text(void)
{
	struct result r = h_run((char *[]){ (char *)h_fdbroker(), "--help", NULL }, NULL, false);
	char *out = r.out;

	cr_assert_eq(r.status, 0, "fdbroker --help: %d %s", r.status, r.err);
	cr_assert(strstr(out, "Options:"), "fdbroker --help has no Options: list:\n%s", out);
	free(r.err);
	return out;
}

/*
 *   usage: fdbroker COMMAND [OPTION]...
 *
 *     run     [-u USER[:GROUP]] ...        <- a command: two spaces, a word
 *             -- PROGRAM [ARG]...           <- its continuation lines
 *   Options:
 *     -u, --user USER[:GROUP]  run ...      <- an option: two spaces, a dash;
 *                                              the description after 2+ spaces
 */
static void parse_help(const char *text, struct help *h)
{
	bool in_opts = false;
	int cur = -1;

	memset(h, 0, sizeof(*h));
	options_of(text, strlen(text), &h->all_opts);
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		if (!strncmp(s, "Options:", 8)) {
			in_opts = true;
		} else if (len > 3 && !strncmp(s, "  ", 2) && s[2] != ' ') {
			const char *w = s + 2;
			size_t wl = strcspn(w, " \n");

			if (in_opts && w[0] == '-') {
				const char *gap = strstr(w, "  ");
				size_t col = gap && gap < s + len ? (size_t)(gap - w) : len - 2;

				options_of(w, col, &h->opts);
			} else if (!in_opts) {
				set_add(&h->cmds, w, wl);
				cr_assert_leq(h->cmds.n, CMD_MAX, "--help: too many commands");
				cur = cmd_index(&h->cmds, w, wl);
				options_of(w + wl, len - 2 - wl, &h->cmd_opts[cur]);
			}
		} else if (!in_opts && cur >= 0 && len > 3 && !strncmp(s, "   ", 3)) {
			options_of(s, len, &h->cmd_opts[cur]);
		} else {
			cur = -1;
		}
		s += len + (nl ? 1 : 0);
	}
}

/* ---- fdbroker(8) ------------------------------------------------------ */

static const char *man_path(const char *page)
{
	return h_srcfile("man", page);
}

/* One roff line as text: \- to -, font and zero-width escapes and quotes dropped. */
static void unroff(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char c = s[++i];

			if (c == '-' || c == 'e')
				out[o++] = c == '-' ? '-' : '\\';
			else if (c == 'f' && i + 1 < len)
				i++; /* \fB \fI \fR \fP */
			else if (c == '(' && i + 2 < len)
				i += 2; /* \(aq \(dq ... */
			/* \& and the rest: nothing */
		} else if (s[i] != '"') {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

struct man {
	struct set syn_cmds;       /* .B fdbroker CMD in SYNOPSIS */
	struct set syn_opts[CMD_MAX]; /* options of each SYNOPSIS line, by --help's index */
	struct set global_syn;     /* options of the bare "fdbroker -h|--help" line */
	struct set sec_cmds;       /* .SS CMD under COMMANDS */
	struct set sec_opts[CMD_MAX]; /* options of the synopsis that opens .SS CMD */
	struct set opts;           /* .TP tags under COMMANDS / .SS Options */
};

/*
 * Commands are indexed as in --help; a command --help does not have is
 * listed in syn_cmds / sec_cmds (and so reported), its options ignored.
 */
static void parse_man(const char *text, const struct set *cmds, struct man *m)
{
	char sh[64] = "", ss[64] = "", line[1024];
	bool tag_next = false, sec_syn = false;
	int syn = -3; /* -3 none or unknown, -1 the bare fdbroker line, else cmds index */
	int sec = -1;

	memset(m, 0, sizeof(*m));
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		unroff(s, len, line, sizeof(line));
		s += len + (nl ? 1 : 0);
		if (!strncmp(line, ".SH ", 4)) {
			snprintf(sh, sizeof(sh), "%.63s", line + 4);
			ss[0] = '\0';
			syn = -3;
			sec_syn = false;
			continue;
		}
		if (!strncmp(line, ".SS ", 4)) {
			snprintf(ss, sizeof(ss), "%.63s", line + 4);
			sec_syn = false;
			if (!strcmp(sh, "COMMANDS") && strcmp(ss, "Options")) {
				set_add(&m->sec_cmds, ss, strlen(ss));
				sec = cmd_index(cmds, ss, strlen(ss));
				sec_syn = sec >= 0;
			}
			continue;
		}
		if (!strcmp(sh, "SYNOPSIS")) {
			if (!strncmp(line, ".B fdbroker", 11)) {
				const char *w = line + 11;

				while (*w == ' ')
					w++;
				if (*w) {
					set_add(&m->syn_cmds, w, strlen(w));
					syn = cmd_index(cmds, w, strlen(w));
					if (syn < 0)
						syn = -3;
				} else {
					syn = -1;
				}
			} else if (!strcmp(line, ".br")) {
				syn = -3;
			} else if (syn >= 0) {
				options_of(line, strlen(line), &m->syn_opts[syn]);
			} else if (syn == -1) {
				options_of(line, strlen(line), &m->global_syn);
			}
			continue;
		}
		if (!strcmp(sh, "COMMANDS") && sec_syn) {
			/* the synopsis that opens .SS CMD runs to the first .PP */
			if (!strcmp(line, ".PP"))
				sec_syn = false;
			else if (strncmp(line, ".B fdbroker", 11))
				options_of(line, strlen(line), &m->sec_opts[sec]);
			continue;
		}
		if (!strcmp(sh, "COMMANDS") && !strcmp(ss, "Options")) {
			if (tag_next)
				options_of(line, strlen(line), &m->opts);
			tag_next = !strcmp(line, ".TP");
		}
	}
}

static void load(struct help *h, struct man *m)
{
	char *help = help_text(), *page = h_slurp_must(man_path("fdbroker.8"));

	parse_help(help, h);
	parse_man(page, &h->cmds, m);
	free(help);
	free(page);
}

Test(docs, commands_same_in_help_and_man)
{
	struct help h;
	struct man m;

	load(&h, &m);
	for (int i = 0; commands[i]; i++)
		cr_expect(set_has(&h.cmds, commands[i]), "--help lacks the command %s", commands[i]);
	set_equal(&h.cmds, "fdbroker --help", &m.syn_cmds, "fdbroker(8) SYNOPSIS");
	set_equal(&h.cmds, "fdbroker --help", &m.sec_cmds, "fdbroker(8) COMMANDS");
}

Test(docs, options_same_in_help_and_man)
{
	struct help h;
	struct man m;

	load(&h, &m);
	/* the Options: list of --help and the Options of fdbroker(8) */
	set_equal(&h.opts, "fdbroker --help Options:", &m.opts, "fdbroker(8) COMMANDS/Options");
	/* no option is mentioned in --help that its list does not explain */
	set_within(&h.all_opts, &h.opts, "in fdbroker --help, not in its Options: list");
	/* fdbroker -h | --help */
	set_within(&m.global_syn, &h.opts, "in fdbroker(8) SYNOPSIS, not in --help");
	cr_expect(set_has(&m.global_syn, "-h") && set_has(&m.global_syn, "--help"),
		  "fdbroker(8) SYNOPSIS lacks fdbroker -h|--help");
}

/* Each command: the same options in --help, its own -h, and both synopses of fdbroker(8). */
Test(docs, each_command_same_options)
{
	struct help h;
	struct man m;

	load(&h, &m);
	for (int i = 0; i < h.cmds.n; i++) {
		const char *cmd = h.cmds.v[i];
		struct result r = h_run((char *[]){ (char *)h_fdbroker(), (char *)cmd, "-h", NULL },
					NULL, false);
		char name[4][96];
		struct set own = { 0 };
		const char *usage = r.out;

		/* a command's full usage, on standard output */
		cr_expect_eq(r.status, 0, "fdbroker %s -h: exit %d", cmd, r.status);
		cr_assert(!strncmp(usage, "usage: fdbroker ", 16), "fdbroker %s -h: '%s' '%s'", cmd,
			  r.out, r.err);
		cr_expect_str_empty(r.err, "fdbroker %s -h wrote on stderr", cmd);
		if (h.cmd_opts[i].n == 0) { /* help [COMMAND]: no option to compare */
			options_of(usage, strlen(usage), &own);
			cr_expect_eq(own.n, 0, "fdbroker %s -h lists options --help does not", cmd);
			h_free(&r);
			continue;
		}
		/* its synopsis, up to the first blank line, against the others */
		const char *blank = strstr(usage, "\n\n");
		size_t synlen = blank ? (size_t)(blank - usage) : strlen(usage);
		struct set listed = { 0 };

		options_of(usage, synlen, &own);
		/*
		 * and its Options: list explains options --help explains, a short
		 * one only if the synopsis has it (a long form may stand for it)
		 */
		options_of(usage + synlen, strlen(usage) - synlen, &listed);
		for (int k = 0; k < listed.n; k++)
			cr_expect(set_has(&h.opts, listed.v[k]) &&
				  (listed.v[k][1] == '-' || set_has(&own, listed.v[k])),
				  "fdbroker %s -h lists %s, not in --help or its synopsis", cmd,
				  listed.v[k]);
		snprintf(name[0], sizeof(name[0]), "fdbroker --help (%s)", cmd);
		snprintf(name[1], sizeof(name[1]), "fdbroker %s -h", cmd);
		snprintf(name[2], sizeof(name[2]), "fdbroker(8) SYNOPSIS (%s)", cmd);
		snprintf(name[3], sizeof(name[3]), "fdbroker(8) COMMANDS/%s", cmd);
		set_equal(&h.cmd_opts[i], name[0], &own, name[1]);
		set_equal(&h.cmd_opts[i], name[0], &m.syn_opts[i], name[2]);
		set_equal(&h.cmd_opts[i], name[0], &m.sec_opts[i], name[3]);
		h_free(&r);
	}
}

/* The parsers of this test see what they should (a broken parser passes anything). */
Test(docs, parsers_see_known_words)
{
	struct help h;
	struct man m;

	load(&h, &m);
	cr_assert(set_has(&h.opts, "--learn") && set_has(&h.opts, "-u") && set_has(&h.opts, "--user"));
	cr_assert(set_has(&m.opts, "--log") && set_has(&m.opts, "-s") && set_has(&m.opts, "--socket"));
	cr_assert(set_has(&h.cmd_opts[cmd_index(&h.cmds, "run", 3)], "-a"));
	cr_assert(!set_has(&h.cmd_opts[cmd_index(&h.cmds, "exec", 4)], "-p"));
	cr_assert(set_has(&m.syn_opts[cmd_index(&h.cmds, "serve", 5)], "--learn"));
	cr_assert(set_has(&m.sec_opts[cmd_index(&h.cmds, "explain", 7)], "-u"));
	cr_assert(!set_has(&m.sec_opts[cmd_index(&h.cmds, "check", 5)], "-u"));
}

/* ---- lint and render -------------------------------------------------- */

static const char *const pages[] = { "fdbroker.8", "fdbroker-policy.5", "libfdshim.7", NULL };

Test(docs, mandoc_lint_silent)
{
	for (int i = 0; pages[i]; i++) {
		/* no sanitizer runtime in the tools (ASan runs preload it into children) */
		struct result r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "mandoc", "-T", "lint",
						    "-W", "all", (char *)man_path(pages[i]), NULL },
					NULL, false);

		cr_expect_eq(r.status, 0, "mandoc -T lint %s: exit %d", pages[i], r.status);
		cr_expect_str_empty(r.out, "mandoc -T lint -W all %s:\n%s", pages[i], r.out);
		cr_expect_str_empty(r.err, "mandoc -T lint -W all %s:\n%s", pages[i], r.err);
		h_free(&r);
	}
}

Test(docs, man_renders_cleanly)
{
	for (int i = 0; pages[i]; i++) {
		struct result r = h_run((char *[]){ "env", "-u", "LD_PRELOAD", "man", "-l",
						    (char *)man_path(pages[i]), NULL },
					(char *[]){ "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", NULL },
					false);

		cr_expect_eq(r.status, 0, "man -l %s: exit %d\n%s", pages[i], r.status, r.err);
		cr_expect_gt(strlen(r.out), 1000, "man -l %s: no page", pages[i]);
		/* groff's warnings (a table wider than the line, ...) go to stderr */
		cr_expect_str_empty(r.err, "man -l %s:\n%s", pages[i], r.err);
		h_free(&r);
	}
}
