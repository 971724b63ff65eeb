/*
 * Every member of the open family, brokered for an unprivileged program;
 * and the shim exports the interposed calls and nothing else.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(symbols, .fini = h_cleanup, .timeout = 30);

/* Arrays, not pointers: Criterion runs each case in a fresh process image. */
struct sym_case {
	char sym[16];
	char rights[8]; /* what the symbol's flags need */
	bool reads;     /* output shows the file's first line */
};

static struct sym_case cases[] = {
	{ "open", "read", true },         { "open64", "read", true },
	{ "openat", "read", true },       { "openat64", "read", true },
	{ "__open_2", "read", true },     { "__open64_2", "read", true },
	{ "__openat_2", "read", true },   { "__openat64_2", "read", true },
	{ "creat", "write", false },      { "creat64", "write", false },
	{ "fopen", "read", true },        { "fopen64", "read", true },
	{ "freopen", "read", true },      { "freopen64", "read", true },
};

ParameterizedTestParameters(symbols, allowed)
{
	return cr_make_param_array(struct sym_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sym_case *c, symbols, allowed)
{
	const char *f = h_file("secret", "top secret\n", 0600);
	char policy[1024];

	snprintf(policy, sizeof(policy), "allow user nobody open %s %s\n", f, c->rights);
	struct result r = h_broker_probe(policy, (char *[]){ "sym", (char *)c->sym, (char *)f, NULL });

	cr_assert_eq(r.status, 0, "%s: status %d, stderr: %s", c->sym, r.status, r.err);
	cr_assert(strncmp(r.out, "ok ", 3) == 0, "%s: %s", c->sym, r.out);
	if (c->reads)
		cr_assert(strstr(r.out, "data=top secret"), "%s: %s", c->sym, r.out);
	if (!strncmp(c->sym, "freopen", 7))
		cr_assert(strstr(r.out, "fd=0 "), "freopen keeps stdin's number: %s", r.out);
	h_free(&r);
}

ParameterizedTestParameters(symbols, denied)
{
	return cr_make_param_array(struct sym_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Without a rule each symbol fails exactly as it would without the shim. */
ParameterizedTest(struct sym_case *c, symbols, denied)
{
	const char *f = h_file("secret", "top secret\n", 0600);
	struct result r = h_broker_probe("", (char *[]){ "sym", (char *)c->sym, (char *)f, NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s: %s", c->sym, r.out);
	h_free(&r);
	char *log = h_audit();

	cr_assert(strstr(log, "verdict=deny rule=default errno=EACCES"), "%s", log);
	free(log);
}

Test(symbols, opendir_lists_root_only_directory)
{
	const char *d = h_dir("private", 0700);
	char policy[1024];

	h_file("private/one", "1", 0600);
	h_file("private/two", "2", 0600);
	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", d);
	struct result r = h_broker_probe(policy, (char *[]){ "sym", "opendir", (char *)d, NULL });

	cr_assert(strstr(r.out, "ok entries="), "%s %s", r.out, r.err);
	cr_assert(strstr(r.out, "one,") && strstr(r.out, "two,"), "%s", r.out);
	h_free(&r);
}

Test(symbols, opendir_denied_keeps_errno)
{
	const char *d = h_dir("private", 0700);
	struct result r = h_broker_probe("", (char *[]){ "sym", "opendir", (char *)d, NULL });

	cr_assert_str_eq(r.out, "err EACCES\n");
	h_free(&r);
}

/*
 * What the shim exports (shim/libfdshim.map): exactly the interposed
 * calls.  One missing is a call that goes to libc unseen; one more is a
 * helper of ours that a program could bind to by accident.
 */
Test(symbols, exported_set_is_the_interposed_calls)
{
	static const char *const want[] = {
		"open", "open64", "openat", "openat64",
		"__open_2", "__open64_2", "__openat_2", "__openat64_2",
		"creat", "creat64",
		"fopen", "fopen64", "freopen", "freopen64", "opendir",
		"socket", "bind", "listen", "accept", "accept4", "getsockname",
		"getpeername", "getsockopt", "setsockopt",
		"stat", "stat64", "lstat", "lstat64", "fstatat", "fstatat64", "statx",
		"__xstat", "__xstat64", "__lxstat", "__lxstat64", "__fxstatat", "__fxstatat64",
		"access", "faccessat", "euidaccess", "eaccess",
		"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve",
	};
	size_t nwant = sizeof(want) / sizeof(want[0]), seen = 0;
	struct result r = h_run((char *[]){ "nm", "-D", "--defined-only", "--format=posix",
					    (char *)h_shim(), NULL }, NULL, false);
	char *line, *save = NULL;

	cr_assert_eq(r.status, 0, "nm (binutils): %s", r.err);
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t i;

		line[strcspn(line, " ")] = '\0';
		for (i = 0; i < nwant && strcmp(want[i], line); i++)
			;
		cr_expect_lt(i, nwant, "the shim exports %s, which it does not interpose", line);
		seen += i < nwant;
	}
	cr_assert_eq(seen, nwant, "the shim exports %zu of the %zu interposed calls", seen, nwant);
	h_free(&r);
}
