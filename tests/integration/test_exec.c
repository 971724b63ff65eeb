/*
 * exec: children inherit the shim and are brokered too (a shell, a script,
 * cat); the shim's descriptor does not survive exec; a setuid program
 * behaves exactly as without the shim.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(exec, .fini = h_cleanup, .timeout = 30);

static char policy[1024];

static const char *secret(void)
{
	const char *dir = h_dir("files", 0711);

	snprintf(policy, sizeof(policy), "allow user nobody open %s/ read\n", dir);
	return h_file("files/secret", "the secret\n", 0600);
}

Test(exec, shell_execs_cat)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cat %s", secret());
	struct result r = h_broker_run("nobody", policy, (char *[]){ "sh", "-c", cmd, NULL });
	char *log = h_audit();

	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	cr_assert(strstr(log, "prog=cat op=open") && strstr(log, "verdict=allow"), "%s", log);
	free(log);
	h_free(&r);
}

Test(exec, script_runs_cat)
{
	char text[700];

	snprintf(text, sizeof(text), "#!/bin/sh\nexec 2>&1\ncat %s\necho status=$?\n", secret());
	const char *script = h_file("script.sh", text, 0755);
	struct result r = h_broker_run("nobody", policy, (char *[]){ (char *)script, NULL });

	cr_assert_str_eq(r.out, "the secret\nstatus=0\n", "%s", r.err);
	h_free(&r);
}

/* without a rule, the same script sees what it would see without the shim */
Test(exec, script_without_rule_sees_eacces)
{
	char text[700];

	snprintf(text, sizeof(text), "#!/bin/sh\ncat %s 2>/dev/null\necho status=$?\n", secret());
	const char *script = h_file("script.sh", text, 0755);
	struct result r = h_broker_run("nobody", "", (char *[]){ (char *)script, NULL });

	cr_assert_str_eq(r.out, "status=1\n", "%s", r.err);
	h_free(&r);
}

/* the program brokers (the shim holds a channel), then execs itself */
Test(exec, channel_not_inherited_across_exec)
{
	const char *f = secret();
	struct result r = h_broker_run("nobody", policy,
				       (char *[]){ (char *)h_stress(), "execself", (char *)f, NULL });

	cr_assert_str_eq(r.out, "ok inherited=none\n", "%s", r.err);
	h_free(&r);
}

/*
 * passwd is setuid root: the loader drops LD_PRELOAD, and the program must
 * not notice fdbroker at all.  Compared with the same user running it alone;
 * fdbroker says first, in one line, that nothing passwd asks is brokered.
 */
Test(exec, setuid_program_as_without_shim)
{
	struct result alone = h_run((char *[]){ "passwd", "-S", NULL }, NULL, true);
	struct result under = h_broker_run("nobody", "",
					   (char *[]){ "passwd", "-S", NULL });

	cr_assert_eq(alone.status, 0, "%s", alone.err);
	cr_assert(!strncmp(alone.out, "nobody ", 7), "%s", alone.out);
	const char *nl = strchr(under.err, '\n');

	cr_assert_str_eq(under.out, alone.out);
	cr_assert(!strncmp(under.err, "fdbroker: /usr/bin/passwd is setuid", 35) && nl, "%s",
		  under.err);
	cr_assert_str_eq(nl + 1, alone.err);
	cr_assert_eq(under.status, alone.status);
	h_free(&alone);
	h_free(&under);
}

/*
 * fdbroker exec -s with a relative socket name passes it on made absolute:
 * the program may change directory before it first connects, and what it
 * runs may start in another.
 */
Test(exec, relative_socket_is_passed_on_absolute)
{
	char cmd[1024], want[600];
	struct result r;

	snprintf(cmd, sizeof(cmd), "cd %s && exec %s exec -s rel.sock -- /usr/bin/env", h_tmpdir(),
		 h_fdbroker());
	r = h_run((char *[]){ "sh", "-c", cmd, NULL }, NULL, false);
	snprintf(want, sizeof(want), "FDBROKER_SOCKET=%s/rel.sock\n", h_tmpdir());
	cr_assert(strstr(r.out, want), "want %s in: %s %s", want, r.out, r.err);
	h_free(&r);
}
