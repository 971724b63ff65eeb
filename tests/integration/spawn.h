/*
 * Servers in integration tests: start a process with its stdout piped,
 * read its lines as they come (a server says "ready" when it listens, so no
 * test sleeps), stop it by pid.  And a tiny TCP client.
 */
#ifndef FDB_SPAWN_H
#define FDB_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct proc {
	pid_t pid;
	int out;
	char buf[8192];
	size_t len;
	char line[1024];
};

/* Start argv with env additions (NULL-terminated, may be NULL); stderr to errpath. */
void p_start(struct proc *p, char *const argv[], char *const env[], const char *errpath);
/* The same with stderr on errfd (a pipe's write end, say; the caller's to close). */
void p_start_fd(struct proc *p, char *const argv[], char *const env[], int errfd);
/* The next stdout line, or NULL at end of output or after timeout_ms. */
const char *p_line(struct proc *p, int timeout_ms);
/* Wait for p; exit status or 128+signal. */
int p_wait(struct proc *p);
/* SIGTERM, then wait. */
int p_stop(struct proc *p);
/* SIGKILL every process group p_start made in this test (suite .fini). */
void p_kill_all(void);
/* p_kill_all, then h_cleanup: the .fini of a suite that starts processes. */
void p_suite_fini(void);

/*
 * Poll (a connect every 20 ms) until 127.0.0.1:port accepts; asserts it
 * does within 20 s (the message has h_path("server.err")).
 */
void h_wait_port(int port);
/*
 * curl URL as root: its body (static buffer); asserts it succeeds.  The
 * test's tool, not the code under test: it runs without a sanitizer
 * runtime preloaded (curl deadlocks on a futex under ASan's:
 * test_openssl.c), and timeout stops it should it hang anyway.
 */
const char *h_curl(const char *url);

/* Wait (inotify, no polling) until path exists; 0, or -1 after timeout_ms. */
int wait_for_file(const char *path, int timeout_ms);

/*
 * Connect from src (an address on lo, or NULL) to 127.0.0.1:port, send
 * request (may be NULL), read until EOF into out.  Bytes read, or -1.
 */
int tcp_talk(const char *src, int port, const char *request, char *out, size_t cap);
/* The same to dst ("127.0.0.1", "::1", ...). */
int tcp_talk_to(const char *src, const char *dst, int port, const char *request, char *out,
		size_t cap);

/*
 * Follow a growing file (an audit log) for a string: the count of its
 * occurrences so far, read incrementally, so waiting for the 100th of them
 * in a busy log does not read the log 100 times.
 */
struct follow {
	const char *path;
	const char *needle;
	int fd;
	int count;
	char carry[256];
	size_t ncarry;
};
void follow_init(struct follow *f, const char *path, const char *needle);
/* Wait (inotify, no polling) until needle was seen count times; 0, or -1 after timeout_ms. */
int follow_wait(struct follow *f, int count, int timeout_ms);
void follow_close(struct follow *f);
/* Wait until the file at path contains needle; 0, or -1 after timeout_ms. */
int wait_for_text(const char *path, const char *needle, int timeout_ms);

/* Have p_kill_all stop process group pgid too (a daemon that left for a session of its own). */
void p_track(pid_t pgid);
/* Wait up to timeout_ms for p to exit: its status as p_wait, or -1 if it still runs. */
int p_wait_ms(struct proc *p, int timeout_ms);

#endif
