/*
 * Integration test harness: temporary directories, processes run to
 * completion with their output captured, and fdbroker run of the probe as
 * nobody.  Functions abort the test (cr_assert) on set-up failures.
 */
#ifndef FDB_HARNESS_H
#define FDB_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define NOBODY_UID 65534
#define NOBODY_GID 65534

struct result {
	int status; /* exit status, or 128+signal */
	char *out;
	char *err;
};

/* A fresh 0755 directory under /tmp for this test; removed by h_cleanup. */
const char *h_tmpdir(void);
void h_cleanup(void);

/* path = dir/name, in a buffer that lives until h_cleanup. */
const char *h_path(const char *name);
/*
 * Write a file (root-owned, exactly mode whatever the umask) and return its
 * path.  Policy files: 0644 or 0600, as fdbroker refuses one others may write.
 */
const char *h_file(const char *name, const char *content, mode_t mode);
const char *h_dir(const char *name, mode_t mode);

/*
 * In a child just forked by parent: SIGKILL when the parent dies, so that
 * a test killed at its timeout (its .fini never runs) leaves no broker or
 * program behind; exits at once if the parent is gone already.  Call it
 * after any change of credentials, which clears the setting.
 */
void h_die_with_parent(pid_t parent);

/* Run argv (NULL-terminated), env additions "K=V" (NULL-terminated or NULL). */
struct result h_run(char *const argv[], char *const env[], bool as_nobody);
void h_free(struct result *r);

/* build/fdbroker, build/libfdshim.so, build/tests/probe */
const char *h_fdbroker(void);
const char *h_shim(void);
const char *h_probe(void);
const char *h_netprobe(void);
/* build/tests/rawclient: raw wire records to a broker (tests/bin/rawclient.c). */
const char *h_rawclient(void);
/* build/tests/handprobe: seccomp listeners handed to a broker (tests/bin/handprobe.c). */
const char *h_handprobe(void);
/* build/tests/statprobe: the stat and access families (tests/bin/statprobe.c). */
const char *h_statprobe(void);
/* build/tests/credprobe: who may use a program's connection (tests/bin/credprobe.c). */
const char *h_credprobe(void);
/* build/tests/mapprobe: which of the shim's pages a program maps (tests/bin/mapprobe.c). */
const char *h_mapprobe(void);
/* build/tests/lockhold: holds an inode's lock in the kernel (tests/bin/lockhold.c). */
const char *h_lockhold(void);
/* The source tree's DIR/NAME (the parent of the build directory): man pages, examples. */
const char *h_srcfile(const char *dir, const char *name);

/*
 * fdbroker run -u nobody -p POLICY --log LOG -- probe ARGS...; policy is the
 * text of a policy file written for this run (may be NULL), log goes to
 * h_path("audit.log").
 */
struct result h_broker_probe(const char *policy, char *const probe_args[]);
/* The audit log of the last h_broker_probe. */
char *h_audit(void);

/* build/tests/stress: the robustness test program (tests/bin/stress.c). */
const char *h_stress(void);

/*
 * argv for fdbroker run -u USER OPTS... --log h_path("audit.log") -- PROG...
 * into out (room for cap, NULL-terminated; OPTS and PROG are cut to fit).
 * opts: option words ("-p", PATH, "-a", RULE, ...) NULL-terminated, or NULL.
 */
void h_run_argv(char **out, int cap, const char *user, char *const opts[], char *const prog[]);

/*
 * fdbroker run -u USER [-p POLICY] --log LOG -- ARGV...: h_broker_probe for
 * any program and user (policy and log as there).
 */
struct result h_broker_run(const char *user, const char *policy, char *const argv[]);
/* The same with env additions "K=V" (NULL-terminated) for fdbroker and so the program. */
struct result h_broker_run_env(const char *user, const char *policy, char *const argv[],
			       char *const env[]);

/*
 * The same, left running: returns fdbroker's pid, *out reads the program's
 * stdout (stderr is the test's).  env as for h_run.  The caller reaps it.
 */
pid_t h_broker_spawn(const char *user, const char *policy, char *const argv[],
		     char *const env[], FILE **out);

/*
 * fdbroker run -u nobody of a program that prints its FDBROKER_SOCKET and
 * then waits on a FIFO (the gate): for tests that act on the broker while
 * its program runs.  Keep it static, so the suite's .fini can stop it.
 */
struct gated_run {
	pid_t broker;    /* 0 once reaped */
	FILE *out;       /* the program's stdout */
	char gate[700];  /* the FIFO */
	char sock[600];  /* the broker's socket, absolute */
};
/* Start it; asserts the program said its socket. */
void h_gated_start(struct gated_run *g);
/* Open the gate, so the program ends, and reap the broker; its wait status. */
int h_gated_release(struct gated_run *g);
/* A suite's .fini: a broker left by a failed test continued, the gate opened, killed, reaped. */
void h_gated_stop(struct gated_run *g);

/* The whole of a file (a busy audit log may be megabytes), malloc'd; "" if absent. */
char *h_slurp(const char *path);
/* The same, but the file must be there (asserts it opens). */
char *h_slurp_must(const char *path);
/* Lines of text holding a (and b too, unless b is NULL). */
long h_count_lines(const char *text, const char *a, const char *b);
/* fdbroker ARGS... (NULL-terminated, at most 30), run to completion; env as for h_run. */
struct result h_fdbroker_cmd(char *const args[], char *const env[], bool as_nobody);
/* The audit log of the last h_broker_probe/h_broker_run holds (lacks) what. */
void h_audit_has(const char *what);
void h_audit_lacks(const char *what);
/* Does text hold this exact line (ended by a newline or the end of text)? */
bool h_has_line(const char *text, const char *line);
/* The first line of text holding needle, without its newline (static buffer), or "". */
const char *h_line_with(const char *text, const char *needle);

/*
 * "LD_PRELOAD=..." for a client: the shim after whatever is preloaded (a
 * sanitizer runtime stays first, as fdbroker run and exec do).  Static buffer.
 */
char *h_preload_env(void);
/* { h_preload_env(), "FDBROKER_SOCKET=socket_path", NULL }, static: env for h_run or p_start. */
char **h_shim_env(const char *socket_path);

/*
 * dir/f0 .. f<n-1>: root-only files ("file I\n", 0600) in a directory
 * "files" (0711) nobody may search but not list; policy gets a rule letting
 * nobody open them for reading.  Returns the directory.
 */
const char *h_root_only_files(int n, char *policy, size_t cap);

/*
 * Move this test into a network namespace of its own, lo up: its ports are
 * free whatever runs beside.  v6 (NULL-terminated, may be NULL) are IPv6
 * addresses added to its lo (/128: no route beyond them, no DAD on lo).
 */
void h_own_netns(const char *const v6[]);

/* CLOCK_MONOTONIC in milliseconds (deadlines, durations). */
long h_now_ms(void);

/* The n-th whitespace-separated line of s (0-based), in a static buffer. */
const char *h_line(const char *s, int n);

#endif
