/*
 * Ptrace: another process of the program's user, outside the run tree,
 * cannot take a tree member's kept broker connection (pidfd_getfd) or
 * ptrace the member, because the shim makes the member non-dumpable.  With
 * the documented opt-out (FDBROKER_DUMPABLE=1) both work -- showing it was
 * the protection that stopped them, not something else -- and fdbroker run
 * warns, when Yama does not restrict ptrace, that the program is exposed.
 *
 * The member (credprobe hold) brokers one open so its connection exists,
 * reports its pid and the connection's number, and waits; the test checks
 * as root through /proc that the number is a socket; the other process
 * (credprobe steal) runs as nobody, started by the test, not by run.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

TestSuite(ptrace, .fini = p_suite_fini, .timeout = 30);

/* Would fdbroker warn: kernel.yama.ptrace_scope absent or 0? */
static bool yama_allows_ptrace(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '0';
}

struct member {
	struct proc run;
	const char *file, *err;
	pid_t member; /* credprobe hold */
	char pid[16], fd[16];
};

/*
 * fdbroker run -u nobody -- credprobe hold FILE, env added (may be NULL),
 * or with via_shell, a shell of the tree that forks and executes it; waits
 * for its line.
 */
static void member_start(struct member *m, char *const env[], bool via_shell)
{
	char policy[600], link[64], target[64];
	const char *pfile;
	const char *line;
	int pid, fd;
	ssize_t n;

	h_dir("files", 0711);
	m->file = h_file("files/secret", "the secret\n", 0600);
	m->err = h_path("run.err");
	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", m->file);
	pfile = h_file("ptrace.policy", policy, 0644);
	p_start(&m->run,
		(char *[]){ (char *)h_fdbroker(), "run", "-u", "nobody", "-p", (char *)pfile, "--log",
			    (char *)h_path("audit.log"), "--",
			    via_shell ? "sh" : (char *)h_credprobe(), via_shell ? "-c" : "hold",
			    via_shell ? "\"$0\" hold \"$1\"; exit $?" : (char *)m->file,
			    via_shell ? (char *)h_credprobe() : NULL, (char *)m->file, NULL },
		env, m->err);
	line = p_line(&m->run, 20000);
	cr_assert_not_null(line, "the member did not start: %s", h_slurp(m->err));
	cr_assert_eq(sscanf(line, "ok pid=%d fd=%d", &pid, &fd), 2, "%s", line);
	cr_assert_gt(fd, 500, "the member's kept connection: %s", line);
	/* root still sees a non-dumpable process's descriptors */
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	cr_assert_gt(n, 0, "readlink %s", link);
	target[n] = '\0';
	cr_assert(strncmp(target, "socket:", 7) == 0, "%s is %s", link, target);
	m->member = pid;
	snprintf(m->pid, sizeof(m->pid), "%d", pid);
	snprintf(m->fd, sizeof(m->fd), "%d", fd);
}

/* Stop the member, then run (which waits for the whole tree). */
static void member_stop(struct member *m)
{
	kill(m->member, SIGTERM);
	p_stop(&m->run);
}

/* credprobe steal as nobody, outside the tree: its result line (static). */
static const char *steal(const struct member *m)
{
	static char line[512];
	struct result r = h_run((char *[]){ (char *)h_credprobe(), "steal", (char *)m->pid,
					    (char *)m->fd, (char *)m->file, NULL },
				NULL, true);

	cr_assert_eq(r.status, 0, "%s %s", r.out, r.err);
	snprintf(line, sizeof(line), "%s", r.out);
	h_free(&r);
	return line;
}

static void assert_protected(bool via_shell)
{
	struct member m;
	const char *out;
	char *err, *log;

	member_start(&m, NULL, via_shell);
	out = steal(&m);
	cr_assert_str_eq(out, "ok getfd=EPERM served=- seize=EPERM attach=EPERM\n");
	member_stop(&m);
	err = h_slurp(m.err);
	cr_assert_null(strstr(err, "warning"), "%s", err);
	log = h_slurp_must(h_path("audit.log"));
	cr_assert_eq(h_count_lines(log, "verdict=allow", NULL), 1, "only the member's own: %s", log);
	free(err);
	free(log);
}

Test(ptrace, same_user_outside_tree_cannot_take_connection)
{
	assert_protected(false);
}

/* a process the tree forked and that executed again: exec made it dumpable, the shim undid it */
Test(ptrace, protected_after_fork_and_exec)
{
	assert_protected(true);
}

Test(ptrace, opt_out_exposes_connection_and_warns)
{
	struct member m;
	const char *out;
	char *err;

	member_start(&m, (char *[]){ "FDBROKER_DUMPABLE=1", NULL }, false);
	out = steal(&m);
	cr_assert_str_eq(out, "ok getfd=ok served=the secret seize=ok attach=-\n");
	member_stop(&m);
	err = h_slurp(m.err);
	cr_assert_eq(strstr(err, "fdbroker: warning: FDBROKER_DUMPABLE=1") != NULL,
		     yama_allows_ptrace(), "%s", err);
	free(err);
}

Test(ptrace, exec_warns_with_opt_out)
{
	struct result r = h_run((char *[]){ (char *)h_fdbroker(), "exec", "-s",
					    (char *)h_path("none"), "--", "true", NULL },
				(char *[]){ "FDBROKER_DUMPABLE=1", NULL }, true);

	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.err, "fdbroker: warning: FDBROKER_DUMPABLE=1") != NULL,
		     yama_allows_ptrace(), "%s", r.err);
	h_free(&r);
	r = h_run((char *[]){ (char *)h_fdbroker(), "exec", "-s", (char *)h_path("none"), "--",
			      "true", NULL },
		  NULL, true);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* what exec says of the missing socket is preflight's (test_preflight.c) */
	cr_assert_null(strstr(r.err, "FDBROKER_DUMPABLE"), "%s", r.err);
	h_free(&r);
}

/*
 * A tree member the shim did not enter (here the raw client, which speaks
 * the wire itself, as a static program's ptracer could make it) stays
 * dumpable: another process of its uid could ptrace it and ask through it,
 * so run refuses it, with a line saying why.  Given FDBROKER_DUMPABLE=1,
 * run serves it.
 */
Test(ptrace, dumpable_member_refused_unless_run_opted_out)
{
	char policy[256], cmd[1024];
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct result r;
	char *log;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", secret);
	snprintf(cmd, sizeof(cmd), "exec env -u LD_PRELOAD %s \"$FDBROKER_SOCKET\" open %s 1",
		 h_rawclient(), secret);
	r = h_broker_run("nobody", policy, (char *[]){ "sh", "-c", cmd, NULL });
	/* refused at connect: closed before or after the request went out */
	cr_assert(!strcmp(r.out, "bad dropped\n") || !strcmp(r.out, "bad send EPIPE\n"), "%s %s",
		  r.out, r.err);
	h_free(&r);
	log = h_audit();
	cr_assert(strstr(log, "prog=rawclient: dumpable, so any process of uid 65534 could be "
			      "asking through it"), "%s", log);
	cr_assert_null(strstr(log, "verdict=allow"), "%s", log);
	free(log);

	r = h_broker_run_env("nobody", policy, (char *[]){ "sh", "-c", cmd, NULL },
			     (char *[]){ "FDBROKER_DUMPABLE=1", NULL });
	cr_assert_str_eq(r.out, "ok 1\n", "%s", r.err);
	h_free(&r);
}

/*
 * A tree member that executed in a user namespace of its own is not
 * dumpable, and its /proc files are root's, yet the user who made the
 * namespace holds CAP_SYS_PTRACE over it and could ptrace it from outside
 * the tree: run refuses it too, with a line saying why.  (unshare -U maps
 * nothing, so the broker's root owns the files.)  Given
 * FDBROKER_DUMPABLE=1, run serves it.  Before, it was served.
 */
Test(ptrace, member_in_a_user_namespace_of_its_own_refused)
{
	char policy[256];
	const char *secret = h_file("secret", "the secret\n", 0600);
	struct result r;
	char *log;

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", secret);
	r = h_broker_run("nobody", policy, (char *[]){ "unshare", "-U", "cat", (char *)secret,
						       NULL });
	cr_assert_neq(r.status, 0, "%s %s", r.out, r.err);
	cr_assert_null(strstr(r.out, "the secret"), "%s", r.out);
	h_free(&r);
	log = h_audit();
	cr_assert(strstr(log, "prog=cat: in a user namespace of its own, so its maker could be "
			      "asking through it"), "%s", log);
	cr_assert_null(strstr(log, "verdict=allow"), "%s", log);
	free(log);

	r = h_broker_run_env("nobody", policy, (char *[]){ "unshare", "-U", "cat", (char *)secret,
							   NULL },
			     (char *[]){ "FDBROKER_DUMPABLE=1", NULL });
	cr_assert_str_eq(r.out, "the secret\n", "%s", r.err);
	h_free(&r);
}
