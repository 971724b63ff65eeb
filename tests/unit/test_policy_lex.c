/*
 * helper/policy/lex.c: blanks, comments and columns; quoted paths (names
 * with blanks, '#', quotes and control characters) and the errors a bad
 * quote gives; and policy_quote_path, whose output must read back as
 * exactly its input.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "policy_fixture.h"

TestSuite(policy_lex, .init = policy_fixture_init, .fini = policy_fixture_fini,
	  .timeout = 10);

/* ---- lexing: whitespace, comments, locations ---------------------------- */

Test(policy_lex, whitespace_comments_and_locations)
{
	parse_ok("# a comment\n"
		 "\n"
		 "   \t  \n"
		 "  allow\tuser  1000   open /srv/x/   read,write  # why: uploads\n"
		 "\t# indented comment\n"
		 "deny any open /srv/a#b#still-path\n"
		 "allow any open /crlf read\r\n"
		 "allow any open /last read");
	cr_assert_eq(pol.n, 4);
	cr_assert_str_eq(pol.rules[0].text, "allow user 1000 open /srv/x/ read,write");
	cr_assert_eq(pol.rules[0].line, 4);
	cr_assert_str_eq(pol.rules[1].u.open.path, "/srv/a#b#still-path");
	cr_assert_eq(pol.rules[1].line, 6);
	cr_assert_str_eq(pol.rules[2].text, "allow any open /crlf read");
	cr_assert_eq(pol.rules[3].line, 8, "a last line without newline still counts");
}

Test(policy_lex, hash_inside_a_token_is_not_a_comment)
{
	cr_assert_eq(parse("allow any open /x read#comment\n"), 1);
	cr_assert_str_eq(errs.msg[0], "t.policy:1:19: unknown right 'read#comment' "
				      "(expected read, write or create)");
}

Test(policy_lex, empty_text_is_an_empty_policy)
{
	parse_ok("");
	cr_assert_eq(pol.n, 0);
	parse_ok("\n\n# nothing\n");
	cr_assert_eq(pol.n, 0);
}

/* ---- the quoted forms ------------------------------------------------------ */

Test(policy_lex, every_escape_decodes)
{
	parse_ok("allow any open \"/srv/a b\" read\n"
		 "allow any open \"/srv/#x\" read   # a comment after it\n"
		 "allow any open \"/srv/q\\\"b\\\\s\" read\n"
		 "allow any open \"/srv/n\\nt\\tr\\r\" read\n"
		 "allow any open \"/srv/\\x01\\x7f\\xFF\\xfe\" write\n"
		 "allow any open \"/srv/tree dir/\" read,create owner=root\n"
		 "allow any open \"/srv/plain\" read\n"
		 "allow any open /srv/unquoted\"mid read\n");
	cr_assert_eq(pol.n, 8);
	cr_assert_str_eq(pol.rules[0].u.open.path, "/srv/a b");
	cr_assert_str_eq(pol.rules[1].u.open.path, "/srv/#x");
	cr_assert_str_eq(pol.rules[2].u.open.path, "/srv/q\"b\\s");
	cr_assert_str_eq(pol.rules[3].u.open.path, "/srv/n\nt\tr\r");
	cr_assert_str_eq(pol.rules[4].u.open.path, "/srv/\x01\x7f\xff\xfe");
	cr_assert_eq(pol.rules[4].u.open.rights, RIGHT_WRITE);
	cr_assert_str_eq(pol.rules[5].u.open.path, "/srv/tree dir/");
	cr_assert(pol.rules[5].u.open.tree);
	cr_assert(pol.rules[5].u.open.owner_root);
	cr_assert_str_eq(pol.rules[6].u.open.path, "/srv/plain");
	cr_assert_not(pol.rules[6].u.open.tree);
	/* a quote inside an unquoted word is an ordinary byte, as before */
	cr_assert_str_eq(pol.rules[7].u.open.path, "/srv/unquoted\"mid");
	/* the rule as written, for explain and the log: still quoted, still printable */
	cr_assert_str_eq(pol.rules[3].text, "allow any open \"/srv/n\\nt\\tr\\r\" read");
}

Test(policy_lex, matching_uses_the_decoded_path)
{
	struct subject s = { 1000, 1000, NULL, 0 };
	struct request r = { .op = OP_OPEN, .u.open = { "/srv/a b/c", RIGHT_READ } };

	parse_ok("allow any open \"/srv/a b/\" read\n");
	cr_assert_eq(policy_decide(&pol, &s, &r).verdict, VERDICT_ALLOW);
	r.u.open.path = "/srv/a";
	cr_assert_eq(policy_decide(&pol, &s, &r).verdict, VERDICT_DENY);
}

Test(policy_lex, unix_socket_paths)
{
	parse_ok("allow any bind unix \"/run/my app/s.sock\"\n"
		 "allow any accept unix \"/run/tab\\there/\"\n");
	cr_assert_str_eq(pol.rules[0].u.net.addr.path, "/run/my app/s.sock");
	cr_assert_not(pol.rules[0].u.net.addr.prefix);
	cr_assert_str_eq(pol.rules[1].u.net.addr.path, "/run/tab\there/");
	cr_assert(pol.rules[1].u.net.addr.prefix);
}

Test(policy_lex, inline_rule)
{
	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 1, "open \"/srv/a b\" read", collect,
					 &errs), 0, "%s", errs.msg[0]);
	cr_assert_str_eq(pol.rules[0].u.open.path, "/srv/a b");
	cr_assert_str_eq(pol.rules[0].text, "allow user 1000 open \"/srv/a b\" read");
	cr_assert_eq(policy_parse_inline(&pol, 1000, "-a", 2, "open \"/srv/a b read", collect,
					 &errs), 1);
	cr_assert_str_eq(errs.msg[0], "-a:2:6: unterminated quoted path (no closing '\"')");
}

/* ---- errors, each with FILE:LINE:COL --------------------------------------- */

struct bad {
	char line[64];
	char msg[160];
};

ParameterizedTestParameters(policy_lex, quoted_errors)
{
	static struct bad cases[] = {
		{ "allow any open \"/srv/a b read", "16: unterminated quoted path (no closing '\"')" },
		{ "allow any open \"/srv/a\\", "23: unterminated quoted path: '\\' at the end of the line" },
		{ "allow any open \"/srv/a\\q\" read",
		  "23: unknown escape '\\q' (expected \\\\, \\\", \\n, \\t, \\r or \\xHH)" },
		{ "allow any open \"/srv/a\\0\" read",
		  "23: unknown escape '\\0' (expected \\\\, \\\", \\n, \\t, \\r or \\xHH)" },
		{ "allow any open \"/srv/a\\x\" read", "23: bad escape '\\x' (expected two hex digits, as in \\x0a)" },
		{ "allow any open \"/srv/a\\x4\" read", "23: bad escape '\\x' (expected two hex digits, as in \\x0a)" },
		{ "allow any open \"/srv/a\\xg0\" read", "23: bad escape '\\x' (expected two hex digits, as in \\x0a)" },
		{ "allow any open \"/srv/a\\x00b\" read", "23: '\\x00' in a quoted path: a path cannot hold a NUL byte" },
		{ "allow any open \"/srv/a\tb\" read", "23: control character in a quoted path (write it as \\x09)" },
		{ "allow any open \"/srv/a\x1b[2J\" read", "23: control character in a quoted path (write it as \\x1b)" },
		{ "allow any open /srv/a\x1b[2J read", "22: control character 0x1b (in a path, quote it and write \\x1b)" },
		{ "allow any open \"/srv/a\"b read", "24: expected a blank after the closing quote" },
		{ "allow any open \"/srv/a\"# c", "24: expected a blank after the closing quote" },
		{ "allow any open \"srv/a b\" read", "16: path 'srv/a b' is not absolute" },
		{ "allow any open \"\" read", "16: path '' is not absolute" },
		{ "allow any open \"/a//b\" read", "16: path '/a//b' has an empty component ('//')" },
		{ "allow any open \"/a\\n/../b\" read", "16: path '/a\\x0a/../b' has a '..' component" },
		/* quotes make a path, never a keyword */
		{ "allow any \"open\" /srv/a read",
		  "11: unknown operation '\"open\"' (expected open, socket, bind or accept)" },
		{ "allow any open /srv/a \"read\"", "23: unknown right '\"read\"' (expected read, write or create)" },
		{ "allow any bind tcp \"127.0.0.1:80\"", "20: bad address '\"127.0.0.1:80\"': bad IPv4 address '\"127.0.0.1'" },
		{ "allow any bind unix \"/run/a\\x\"", "28: bad escape '\\x' (expected two hex digits, as in \\x0a)" },
	};
	return cr_make_param_array(struct bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad *c, policy_lex, quoted_errors)
{
	char text[160], want[200];

	/* line 2, after a good line: the line number is not an accident */
	snprintf(text, sizeof(text), "allow any open /ok read\n%s\n", c->line);
	snprintf(want, sizeof(want), "t.policy:2:%s", c->msg);
	cr_assert_eq(parse(text), 1, "'%s' accepted", c->line);
	cr_assert_str_eq(errs.msg[0], want, "for '%s'", c->line);
	cr_assert_eq(pol.n, 1, "the bad line must not become a rule");
}

/* ---- policy_quote_path: what --learn writes reads back exactly ------------- */

/* The path as a rule, parsed back: the rule's path must be path, and nothing else may come. */
static void round_trip(const char *path)
{
	char tok[4096 * 4 + 8], text[sizeof(tok) + 64];
	struct policy p;
	size_t n = policy_quote_path(path, tok, sizeof(tok));

	cr_assert_lt(n, sizeof(tok));
	cr_assert_eq(strlen(tok), n);
	for (const char *c = tok; *c; c++)
		cr_assert(((unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f) ||
			  (*c == ' ' && tok[0] == '"'), "token '%s' holds byte %#x", tok, *c);
	snprintf(text, sizeof(text), "allow user nobody open %s read\n", tok);
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "learned", text, collect, &errs), 0, "%s: %s", tok,
		     errs.msg[0]);
	cr_assert_eq(p.n, 1);
	cr_assert_str_eq(p.rules[0].u.open.path, path);
	cr_assert_eq(p.rules[0].u.open.rights, RIGHT_READ);
	policy_free(&p);
}

Test(policy_lex, quote_path_round_trips)
{
	static const char *const paths[] = {
		"/etc/shadow",
		"/srv/a\"b",
		"/srv/a b",
		"/srv/#",
		"/srv/back\\slash",
		"/x read\nallow user nobody open / read,write,create\n#",
		"/srv/\x01\x02\x1b[31m\x7f",
		"/srv/caf\xc3\xa9",
		"/srv/\r\t\v\f",
		"/srv/tree/",
	};
	char all[300] = "/";
	char buf[64];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		round_trip(paths[i]);
	/* every byte but NUL and '/' in one name */
	for (int c = 1, at = 1; c < 256; c++)
		if (c != '/')
			all[at++] = (char)c;
	round_trip(all);
	/* plain paths stay as they are; the rest is quoted */
	cr_assert_eq(policy_quote_path("/etc/shadow", buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "/etc/shadow");
	policy_quote_path("/a b\n", buf, sizeof(buf));
	cr_assert_str_eq(buf, "\"/a b\\n\"");
	/* a buffer too small is cut and terminated; the length says so */
	cr_assert_eq(policy_quote_path("/a b\n", buf, 4), 8);
	cr_assert_str_eq(buf, "\"/a");
}
