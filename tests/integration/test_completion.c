/*
 * The bash completion (issue 14, Completion): completion/fdbroker sourced
 * in bash after Debian's bash-completion, driven as readline would drive
 * it (COMP_WORDS, COMP_CWORD, then the function), printing COMPREPLY one
 * word a line.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"

/* COMPREPLY for the words (the last is the one being completed), one a line. */
static struct result complete(const char *words)
{
	char script[2048];
	/* bash, not fdbroker, is under test: no sanitizer runtime preloaded into it */
	char *argv[] = { "env", "-u", "LD_PRELOAD", "bash", "--norc", "--noprofile", "-c", script, NULL };

	cr_assert_eq(access(BASH_COMPLETION, R_OK), 0,
		     BASH_COMPLETION " missing: install bash-completion (scripts/deps.sh)");
	snprintf(script, sizeof(script),
		 ". " BASH_COMPLETION " && . '%s' && COMP_WORDS=(%s) && "
		 "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && COMP_LINE=\"${COMP_WORDS[*]}\" && "
		 "COMP_POINT=${#COMP_LINE} && "
		 "_fdbroker fdbroker \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"; "
		 "printf '%%s\\n' \"${COMPREPLY[@]}\"",
		 h_srcfile("completion", "fdbroker"), words);
	return h_run(argv, NULL, false);
}

/* out holds word as a line of its own. */
static bool offers(const char *out, const char *word)
{
	return h_has_line(out, word);
}

TestSuite(completion, .fini = h_cleanup, .timeout = 30);

Test(completion, commands)
{
	static const char *const want[] = { "run", "serve", "exec", "check", "explain", "doctor" };
	struct result r = complete("fdbroker ''");

	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert(offers(r.out, want[i]), "fdbroker <TAB> does not offer %s:\n%s", want[i], r.out);
	h_free(&r);
	r = complete("fdbroker ex");
	cr_assert_str_eq(r.out, "exec\nexplain\n");
	h_free(&r);
}

Test(completion, users_after_u)
{
	struct result r = complete("fdbroker run -u ''");

	cr_assert(offers(r.out, "nobody"), "fdbroker run -u <TAB>:\n%s", r.out);
	cr_assert(offers(r.out, "root"), "%s", r.out);
	h_free(&r);
	r = complete("fdbroker run -u nob");
	cr_assert_str_eq(r.out, "nobody\n");
	h_free(&r);
}

Test(completion, options_files_rules)
{
	const char *dir = h_tmpdir();
	char words[1024];
	struct result r;

	r = complete("fdbroker run --l");
	cr_assert(offers(r.out, "--log") && offers(r.out, "--learn"), "%s", r.out);
	cr_assert(!offers(r.out, "--socket"), "run has no --socket: %s", r.out);
	h_free(&r);
	r = complete("fdbroker serve -");
	cr_assert(offers(r.out, "--socket") && !offers(r.out, "--allow"), "%s", r.out);
	h_free(&r);

	h_file("site.policy", "", 0644);
	snprintf(words, sizeof(words), "fdbroker check -p %s/si", dir);
	r = complete(words);
	cr_assert(strstr(r.out, "site.policy\n"), "-p <TAB> offers files: %s", r.out);
	h_free(&r);

	r = complete("fdbroker run -a ''");
	cr_assert_str_eq(r.out, "open\nsocket\nbind\naccept\n");
	h_free(&r);
	r = complete("fdbroker run -a \"'open /etc/shadow r\"");
	cr_assert_str_eq(r.out, "open /etc/shadow read\n");
	h_free(&r);
	r = complete("fdbroker serve --log j");
	cr_assert_str_eq(r.out, "journal\n");
	h_free(&r);
}

/*
 * Every long option that `fdbroker help COMMAND` lists is offered after
 * `fdbroker COMMAND --`: the completion cannot fall behind the program.
 */
Test(completion, every_option_of_help)
{
	static const char *const cmds[] = { "run", "serve", "exec", "check", "explain", "doctor" };

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char words[128], opt[64];
		struct result help = h_run((char *[]){ (char *)h_fdbroker(), "help", (char *)cmds[i],
						       NULL },
					   NULL, false);
		struct result r;

		cr_assert_eq(help.status, 0, "help %s: %s", cmds[i], help.err);
		snprintf(words, sizeof(words), "fdbroker %s --", cmds[i]);
		r = complete(words);
		for (const char *p = help.out; (p = strstr(p, " --")); p += 3) {
			size_t n = strspn(p + 1, "-abcdefghijklmnopqrstuvwxyz");

			if (n <= 2 || n >= sizeof(opt))
				continue;
			snprintf(opt, sizeof(opt), "%.*s", (int)n, p + 1);
			if (!strcmp(opt, "--version"))
				continue; /* fdbroker's, not the command's */
			cr_assert(offers(r.out, opt), "fdbroker %s %s: not offered by the completion:\n%s",
				  cmds[i], opt, r.out);
		}
		h_free(&r);
		h_free(&help);
	}
}
