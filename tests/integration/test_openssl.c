/*
 * Issue 13, acceptance 1: OpenSSL 3's file store stats its key before
 * opening it.  `openssl s_server` as nobody, with the key root-only (0600
 * in a 0700 directory), serves TLS under `open DIR/ read` and
 * `bind tcp *:443`.  Port 443: no other test binds it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(openssl, .fini = h_cleanup, .timeout = 90);

Test(openssl, s_server_reads_a_root_only_key)
{
	const char *dir = h_dir("ssl", 0700);
	char key[600], cert[600], policy[1400], line[256] = "", *log;
	struct result r;
	pid_t broker;
	FILE *out;
	int status;

	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(cert, sizeof(cert), "%s/site.crt", dir);
	r = h_run((char *[]){ "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
			      "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "1",
			      NULL },
		  NULL, false);
	cr_assert_eq(r.status, 0, "openssl req: %s", r.err);
	h_free(&r);
	cr_assert_eq(chmod(key, 0600), 0);
	snprintf(policy, sizeof(policy),
		 "allow user nobody open %s/ read\nallow user nobody bind tcp *:443\n", dir);

	broker = h_broker_spawn("nobody", policy,
				(char *[]){ "openssl", "s_server", "-accept", "127.0.0.1:443", "-key",
					    key, "-cert", cert, "-www", NULL },
				NULL, &out);
	/* s_server says ACCEPT once it listens */
	while (fgets(line, sizeof(line), out) && strncmp(line, "ACCEPT", 6) != 0)
		;
	cr_assert_eq(strncmp(line, "ACCEPT", 6), 0, "s_server did not start: %s", line);

	/*
	 * curl is the test's tool, not the code under test: under the sanitizer
	 * run's preloaded ASan runtime it deadlocks on a futex, so it runs
	 * without it; timeout stops it should it hang anyway.
	 */
	r = h_run((char *[]){ "timeout", "30", "curl", "-sSk", "--max-time", "20",
			      "https://127.0.0.1:443/", NULL },
		  (char *[]){ "LD_PRELOAD=", NULL }, false);
	kill(broker, SIGTERM);
	cr_assert_eq(waitpid(broker, &status, 0), broker);
	fclose(out);
	cr_assert_eq(r.status, 0, "curl: %s", r.err);
	/* -www answers with a page naming the server and the session it made */
	cr_assert_not_null(strstr(r.out, "s_server"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "TLSv1.3"), "%s", r.out);
	h_free(&r);

	log = h_audit();
	cr_assert_geq(h_count_lines(log, "op=stat ", "verdict=allow"), 1, "%s", log);
	cr_assert_geq(h_count_lines(log, "op=open ", "site.key"), 1, "%s", log);
	free(log);
}
