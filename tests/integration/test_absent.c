/* No broker: the program sees exactly what it would without the shim. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(absent, .fini = h_cleanup, .timeout = 30);

static struct result probe_alone(const char *socket_path, char *const *args)
{
	char *argv[16] = { (char *)h_probe() };
	int n = 1;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run(argv, h_shim_env(socket_path), true);
}

Test(absent, no_socket_keeps_errno)
{
	const char *f = h_file("secret", "s\n", 0600);
	struct result r = probe_alone(h_path("no-such-socket"), (char *[]){ "open", (char *)f, "r", NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	cr_assert_str_eq(r.err, "", "the shim is silent without FDBROKER_DEBUG");
	h_free(&r);
}

Test(absent, socket_path_is_a_file)
{
	const char *f = h_file("secret", "s\n", 0600);
	const char *notsock = h_file("plain", "", 0666);
	struct result r = probe_alone(notsock, (char *[]){ "sym", "fopen", (char *)f, NULL });

	cr_assert_str_eq(r.out, "err EACCES\n", "%s", r.err);
	h_free(&r);
}

Test(absent, other_errors_untouched)
{
	struct result r = probe_alone(h_path("no-such-socket"),
				      (char *[]){ "open", "/nonexistent/file", "r", NULL });

	cr_assert_str_eq(r.out, "err ENOENT\n");
	h_free(&r);
}
