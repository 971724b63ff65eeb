/*
 * shimexec: a program the shim cannot enter, executed by a shimmed one,
 * is handed to the broker's seccomp supervision before the exec (issue 18,
 * shim/exec.c): `sh -c ./goprog` under `fdbroker run -u nobody` gets the
 * policy as the Go program run by itself would.
 *
 * Two halves.  Under a real `fdbroker run`: a Go and a static program
 * started by /bin/sh (dash, glibc: shimmed), by env's execvp and by every
 * wrapped member of the exec family (tests/bin/execprobe.c) read a
 * root-only file through an open rule, logged with via=seccomp; `--via
 * preload` refuses the hand-over (the broker supervises nothing there) and
 * the program runs unfiltered, getting EACCES; a glibc child is served by
 * the shim as before; a musl program started by sh runs, without the shim
 * in its LD_PRELOAD.  These need the broker's side of ADMIT and HANDOVER.
 *
 * Against a stand-in broker in the test (fake_*): the client's side of the
 * contract, wire.h's ADMIT, HANDOVER and marker, whatever the real broker
 * does: which files are handed over (a #! script by its interpreter, a
 * glibc program not, PATH searched as glibc does), what the program sees
 * when the hand-over is refused (it runs as before) or breaks (no exec,
 * EPERM, one line on stderr), no FDBROKER_SOCKET, errno as the real exec's,
 * a vfork child's hand-over leaving its parent unfiltered, and what is
 * left of LD_PRELOAD for a musl program (the shim's entry taken out, the
 * others kept), for a static one (all of it), and past the copy's bounds
 * (all of it: the musl program dies of the shim as before).
 *
 * The musl tests are skipped under make asan: the sanitizer runtime comes
 * first in LD_PRELOAD there, and the musl loader would die of it as it
 * did of the shim.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "goprog.h"
#include "harness.h"
#include "wire.h"

TestSuite(shimexec, .fini = h_cleanup, .timeout = 180);

#define MAX_ARGS 48

/* build/tests/REL */
static const char *built(const char *rel)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/tests/%s", FDB_BUILD_DIR, rel);
	return buf[i];
}

static const char *fileprobe(void)
{
	return built("static/fileprobe");
}

static const char *execprobe(void)
{
	return built("execprobe");
}

static const char *musl_fileprobe(void)
{
	return built("musl/fileprobe");
}

/* A sanitizer runtime in LD_PRELOAD (make asan): no musl program survives it. */
static void skip_under_sanitizer(void)
{
	const char *pre = getenv("LD_PRELOAD");

	if (pre && strstr(pre, "asan"))
		cr_skip_test("a musl program cannot take the sanitizer runtime in LD_PRELOAD");
}

/* "PATH=build/tests/static:/usr/bin:/bin": fileprobe found by name */
static char *static_path(void)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "PATH=%s/tests/static:/usr/bin:/bin", FDB_BUILD_DIR);
	return buf;
}

/* The exec family as execprobe names it; the p-variants search PATH. */
static const struct variant {
	const char *call;
	bool searches;
} variants[] = {
	{ "execve", false }, { "execv", false },   { "execvp", true },
	{ "execvpe", true }, { "execl", false },   { "execlp", true },
	{ "execle", false }, { "fexecve", false }, { "fexecve-opath", false },
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* ============ under fdbroker run: needs the broker's side ============ */

/*
 * fdbroker run -u nobody [--via VIA] -a "open F read" --log LOG -- PROG...,
 * with env additions (NULL-terminated, may be NULL) for it and the program.
 */
static struct result run_rule(const char *via, const char *f, char *const prog[],
			      char *const env[])
{
	char rule[700], *opts[6], *argv[MAX_ARGS];
	int n = 0;

	snprintf(rule, sizeof(rule), "open %s read", f);
	if (via) {
		opts[n++] = "--via";
		opts[n++] = (char *)via;
	}
	opts[n++] = "-a";
	opts[n++] = rule;
	opts[n] = NULL;
	h_run_argv(argv, MAX_ARGS, "nobody", opts, prog);
	return h_run(argv, env, false);
}

/* The grant of f under -a:1 by the seccomp way, for the program prog. */
static void granted_via_seccomp(const char *prog, const char *f)
{
	char want[800];
	char *log = h_audit();

	snprintf(want, sizeof(want), "op=open object=%s rights=read verdict=allow rule=-a:1 "
		 "errno=0 via=seccomp", f);
	cr_assert(strstr(log, want), "audit log lacks '%s':\n%s", want, log);
	snprintf(want, sizeof(want), "prog=%s op=open object=%s", prog, f);
	cr_assert(strstr(log, want), "audit log lacks '%s':\n%s", want, log);
	free(log);
}

/* 1: the acceptance: a Go program started by sh */
Test(shimexec, sh_starts_go_program_reading_root_only_file)
{
	const char *f = h_file("secret", "go reads this\n", 0600);
	const char *go = h_goprobe();
	char dir[512], script[1200];
	struct result r;

	snprintf(dir, sizeof(dir), "%s", go);
	*strrchr(dir, '/') = '\0';
	snprintf(script, sizeof(script), "cd %s && ./goprobe read %s", dir, f);
	r = run_rule(NULL, f, (char *[]){ "/bin/sh", "-c", script, NULL }, NULL);
	cr_assert_str_eq(r.out, "go reads this\n", "stdout '%s', stderr '%s'", r.out, r.err);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_free(&r);
	granted_via_seccomp("goprobe", f);
}

/* 2: a static C program, started by sh, and by env's execvp through PATH */
Test(shimexec, sh_and_env_start_static_program)
{
	const char *f = h_file("secret", "the secret\n", 0600);
	char script[1200];
	struct result r;

	snprintf(script, sizeof(script), "%s cat %s", fileprobe(), f);
	r = run_rule(NULL, f, (char *[]){ "/bin/sh", "-c", script, NULL }, NULL);
	cr_assert_str_eq(r.out, "the secret\n", "sh: stdout '%s', stderr '%s'", r.out, r.err);
	h_free(&r);
	granted_via_seccomp("fileprobe", f);

	/* env is glibc and execs with execvp: the wrapper's PATH search finds the file */
	snprintf(script, sizeof(script), "env fileprobe cat %s", f);
	r = run_rule(NULL, f, (char *[]){ "/bin/sh", "-c", script, NULL },
		     (char *[]){ static_path(), NULL });
	cr_assert_str_eq(r.out, "the secret\n", "env: stdout '%s', stderr '%s'", r.out, r.err);
	h_free(&r);
	granted_via_seccomp("fileprobe", f);
}

/* 2: every wrapped member of the exec family, from a glibc program */
Test(shimexec, every_exec_call_hands_over_static_program)
{
	const char *f = h_file("secret", "the secret\n", 0600);

	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];
		struct result r;

		r = run_rule(NULL, f, (char *[]){ (char *)execprobe(), (char *)v->call,
						  (char *)(v->searches ? "fileprobe" : fileprobe()),
						  "cat", (char *)f, NULL },
			     (char *[]){ static_path(), NULL });
		cr_assert_str_eq(r.out, "the secret\n", "%s: stdout '%s', stderr '%s'", v->call,
				 r.out, r.err);
		h_free(&r);
		granted_via_seccomp("fileprobe", f);
		cr_assert_eq(unlink(h_path("audit.log")), 0);
	}
}

/*
 * 3: under --via preload the broker supervises nothing: it refuses the
 * ADMIT (EPERM), and the static program runs as before the hand-over
 * existed, unfiltered: the kernel's EACCES, no crash, no hang.
 */
Test(shimexec, via_preload_refuses_and_program_runs_unfiltered)
{
	const char *f = h_file("secret", "the secret\n", 0600);
	char script[1200];
	struct result r;

	snprintf(script, sizeof(script), "%s cat %s; echo status=$?", fileprobe(), f);
	r = run_rule("preload", f, (char *[]){ "/bin/sh", "-c", script, NULL },
		     (char *[]){ "FDBROKER_DEBUG=1", NULL });
	cr_assert_str_eq(r.out, "err EACCES\nstatus=0\n", "stdout '%s', stderr '%s'", r.out, r.err);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "(statically linked): not handed over: this broker does not "
			 "supervise programs under the seccomp filter"), "%s", r.err);
	h_free(&r);
	char *log = h_audit();

	cr_assert(!strstr(log, "via=seccomp"), "%s", log);
	free(log);
}

/*
 * 5: a musl program started by sh: handed over, and exec'd without the
 * shim in LD_PRELOAD, which its loader could not take (exit 127 before).
 */
Test(shimexec, sh_starts_musl_program_without_the_shim)
{
	char script[1200];
	struct result r;
	const char *f;

	/* before any file: a skipped test gets no .fini to remove its directory */
	skip_under_sanitizer();
	f = h_file("secret", "musl reads this\n", 0600);
	snprintf(script, sizeof(script), "%s cat %s && %s getenv LD_PRELOAD", musl_fileprobe(), f,
		 musl_fileprobe());
	r = run_rule(NULL, f, (char *[]){ "/bin/sh", "-c", script, NULL }, NULL);
	cr_assert_str_eq(r.out, "musl reads this\nok LD_PRELOAD unset\n", "stdout '%s', stderr '%s'",
			 r.out, r.err);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_free(&r);
	granted_via_seccomp("fileprobe", f);
}

/* 4: a glibc child of sh is the shim's, as before: no hand-over, no via=seccomp */
Test(shimexec, glibc_child_is_served_by_the_shim)
{
	const char *f = h_file("secret", "the secret\n", 0600);
	char script[1200], want[800];
	struct result r;

	snprintf(script, sizeof(script), "%s read %s", h_probe(), f);
	r = run_rule(NULL, f, (char *[]){ "/bin/sh", "-c", script, NULL }, NULL);
	cr_assert(strstr(r.out, "data=the secret"), "stdout '%s', stderr '%s'", r.out, r.err);
	h_free(&r);
	char *log = h_audit();

	snprintf(want, sizeof(want), "prog=probe op=open object=%s rights=read verdict=allow "
		 "rule=-a:1 errno=0\n", f);
	cr_assert(strstr(log, want), "audit log lacks '%s':\n%s", want, log);
	cr_assert(!strstr(log, "via=seccomp"), "%s", log);
	free(log);
}

/* ============ against a stand-in broker: the client's side ============ */

#define FAKE_FDS 16

/*
 * A broker that answers ADMIT and HANDOVER with the statuses given, and on
 * a listener it took answers the marker with FDB_MARKER_OK and lets every
 * other trapped call run on (CONTINUE).  Runs in a thread of the test; its
 * counts are read after fake_stop.
 */
struct fake {
	int admit_status, handover_status;
	int lsock, stop[2];
	pthread_t thread;
	int fds[FAKE_FDS];
	bool is_listener[FAKE_FDS];
	int nfds;
	int conns, admits, handovers, markers, trapped;
	char sock[512];
};

static void fake_add(struct fake *fk, int fd, bool listener)
{
	cr_assert_lt(fk->nfds, FAKE_FDS);
	fk->fds[fk->nfds] = fd;
	fk->is_listener[fk->nfds++] = listener;
}

static void fake_drop(struct fake *fk, int i)
{
	close(fk->fds[i]);
	fk->fds[i] = fk->fds[fk->nfds - 1];
	fk->is_listener[i] = fk->is_listener[fk->nfds - 1];
	fk->nfds--;
}

static void fake_reply(int fd, uint32_t seq, int status)
{
	unsigned char msg[FDB_MSG_MAX];
	struct fdb_reply rep = { .status = status };
	int len = wire_encode_reply(msg, sizeof(msg), seq, &rep);

	if (len > 0)
		fdpass_send(fd, msg, (size_t)len, NULL, 0, 0);
}

/* One record on connection i; false: the connection is done. */
static bool fake_record(struct fake *fk, int i)
{
	unsigned char msg[FDB_MSG_MAX];
	struct fdb_hdr h;
	int got[FDB_FDS_MAX];
	size_t ngot = 0;
	ssize_t n = fdpass_recv(fk->fds[i], msg, sizeof(msg), got, FDB_FDS_MAX, &ngot,
				MSG_CMSG_CLOEXEC);

	if (n <= 0 || wire_decode_hdr(msg, (size_t)n, &h) < 0) {
		fdpass_close_all(got, ngot);
		return false;
	}
	if (h.op == FDB_OP_ADMIT) {
		fk->admits++;
		fake_reply(fk->fds[i], h.seq, fk->admit_status);
	} else if (h.op == FDB_OP_HANDOVER && ngot == 1) {
		fk->handovers++;
		if (fk->handover_status == 0)
			fake_add(fk, got[0], true);
		else
			close(got[0]);
		fake_reply(fk->fds[i], h.seq, fk->handover_status);
	} else {
		fdpass_close_all(got, ngot);
		return false;
	}
	return true;
}

/* One trapped call on listener fd. */
static void fake_notif(struct fake *fk, int fd)
{
	struct seccomp_notif n;
	struct seccomp_notif_resp resp = { 0 };

	memset(&n, 0, sizeof(n));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return;
	resp.id = n.id;
	if (n.data.nr == SYS_faccessat2 && (int)n.data.args[0] == FDB_MARKER_FD &&
	    (uint32_t)n.data.args[2] == FDB_MARKER_MODE &&
	    (uint32_t)n.data.args[3] == FDB_MARKER_FLAGS) {
		fk->markers++;
		resp.val = FDB_MARKER_OK;
	} else {
		fk->trapped++;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void *fake_main(void *arg)
{
	struct fake *fk = arg;

	for (;;) {
		struct pollfd p[FAKE_FDS + 2];
		int n = fk->nfds;

		p[0] = (struct pollfd){ .fd = fk->stop[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = fk->lsock, .events = POLLIN };
		for (int i = 0; i < n; i++)
			p[i + 2] = (struct pollfd){ .fd = fk->fds[i], .events = POLLIN };
		if (poll(p, (nfds_t)n + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		/* from the last down: a dropped entry takes the last one's place */
		for (int i = n - 1; i >= 0; i--) {
			short ev = p[i + 2].revents;

			if (fk->is_listener[i]) {
				if (ev & POLLIN)
					fake_notif(fk, fk->fds[i]);
				else if (ev & (POLLHUP | POLLERR))
					fake_drop(fk, i); /* no task under the filter is left */
			} else if (ev && !fake_record(fk, i)) {
				fake_drop(fk, i);
			}
		}
		if (p[1].revents & POLLIN) {
			int c = accept4(fk->lsock, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && fk->nfds < FAKE_FDS) {
				fk->conns++;
				fake_add(fk, c, false);
			} else if (c >= 0) {
				close(c);
			}
		}
	}
	return NULL;
}

static void fake_start(struct fake *fk, int admit_status, int handover_status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(fk, 0, sizeof(*fk));
	fk->admit_status = admit_status;
	fk->handover_status = handover_status;
	snprintf(fk->sock, sizeof(fk->sock), "%s", h_path("fake.sock"));
	cr_assert_lt(strlen(fk->sock), sizeof(sa.sun_path));
	memcpy(sa.sun_path, fk->sock, strlen(fk->sock) + 1);
	fk->lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert_geq(fk->lsock, 0);
	cr_assert_eq(bind(fk->lsock, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	/* the programs run as nobody */
	cr_assert_eq(chmod(fk->sock, 0666), 0);
	cr_assert_eq(listen(fk->lsock, 16), 0);
	cr_assert_eq(pipe2(fk->stop, O_CLOEXEC), 0);
	cr_assert_eq(pthread_create(&fk->thread, NULL, fake_main, fk), 0);
}

static void fake_stop(struct fake *fk)
{
	cr_assert_eq(write(fk->stop[1], "x", 1), 1);
	pthread_join(fk->thread, NULL);
	while (fk->nfds)
		fake_drop(fk, fk->nfds - 1);
	close(fk->lsock);
	close(fk->stop[0]);
	close(fk->stop[1]);
	unlink(fk->sock);
}

/*
 * prog run as nobody under the shim, against the stand-in (sock NULL:
 * FDBROKER_SOCKET empty), FDBROKER_DEBUG=1; path: PATH's value, or NULL
 * to keep the test's.  shimmed_vars: with vars (LD_PRELOAD=..., at most
 * 3, NULL-terminated) instead of the shim ahead of the test's LD_PRELOAD.
 */
static struct result shimmed_vars(const char *sock, const char *path, char *const vars[],
				  char *const prog[])
{
	char sockenv[600], pathenv[1200];
	char *env[8];
	int n = 0;

	snprintf(sockenv, sizeof(sockenv), "FDBROKER_SOCKET=%s", sock ? sock : "");
	for (int i = 0; vars[i] && i < 3; i++)
		env[n++] = vars[i];
	env[n++] = sockenv;
	env[n++] = "FDBROKER_DEBUG=1";
	if (path) {
		snprintf(pathenv, sizeof(pathenv), "PATH=%s", path);
		env[n++] = pathenv;
	}
	env[n] = NULL;
	return h_run(prog, env, true);
}

static struct result shimmed(const char *sock, const char *path, char *const prog[])
{
	return shimmed_vars(sock, path, (char *[]){ h_preload_env(), NULL }, prog);
}

/* build/tests/static, then the system's */
static const char *static_dirs(void)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s/tests/static:/usr/bin:/bin", FDB_BUILD_DIR);
	return buf;
}

/* A statement of /proc/self/status, as fileprobe printed it ("Seccomp:\t2"). */
static void status_says(const char *out, const char *field, int value)
{
	char want[64];

	snprintf(want, sizeof(want), "\n%s:\t%d\n", field, value);
	cr_assert(strstr(out, want), "no '%s:\t%d' in:\n%s", field, value, out);
}

/* Every wrapped exec call hands a static program over, once each. */
Test(shimexec, fake_every_exec_call_hands_over)
{
	struct fake fk;

	fake_start(&fk, 0, 0);
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];
		struct result r = shimmed(fk.sock, static_dirs(),
					  (char *[]){ (char *)execprobe(), (char *)v->call,
						      (char *)(v->searches ? "fileprobe" : fileprobe()),
						      "cat", "/proc/self/status", NULL });

		cr_assert_eq(r.status, 0, "%s: %s", v->call, r.err);
		status_says(r.out, "Seccomp", 2);
		/* nobody has no CAP_SYS_ADMIN: the filter came with no_new_privs */
		status_says(r.out, "NoNewPrivs", 1);
		cr_assert(strstr(r.err, "(statically linked): under the broker's seccomp filter"),
			  "%s: %s", v->call, r.err);
		h_free(&r);
	}
	fake_stop(&fk);
	cr_assert_eq(fk.admits, (int)NVARIANTS);
	cr_assert_eq(fk.handovers, (int)NVARIANTS);
	cr_assert_eq(fk.markers, (int)NVARIANTS);
	/* the open of /proc/self/status at least, each time, came through the listener */
	cr_assert_geq(fk.trapped, (int)NVARIANTS);
}

/*
 * What is judged: a #! script by its interpreter, a musl program as a
 * static one; a glibc program and a sh script are not handed over.
 */
Test(shimexec, fake_judges_scripts_by_interpreter_and_leaves_glibc_alone)
{
	char text[700];
	const char *cat_script, *sh_script;
	struct fake fk;
	struct result r;

	snprintf(text, sizeof(text), "#!%s cat\nthe script's own text\n", fileprobe());
	cat_script = h_file("cat-script", text, 0755);
	sh_script = h_file("sh-script", "#!/bin/sh\necho from sh\n", 0755);
	fake_start(&fk, 0, 0);

	/* the kernel runs `fileprobe cat SCRIPT`: static, handed over */
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execve", (char *)cat_script,
					       NULL });
	cr_assert_str_eq(r.out, text, "stderr: %s", r.err);
	cr_assert(strstr(r.err, "(#! ") && strstr(r.err, "fileprobe: statically linked): under "
						     "the broker's seccomp filter"), "%s", r.err);
	h_free(&r);

	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execve", (char *)sh_script,
					       NULL });
	cr_assert_str_eq(r.out, "from sh\n", "stderr: %s", r.err);
	h_free(&r);
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execvp", "true", NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	h_free(&r);
	cr_assert_eq(fk.admits, 1, "only the cat script's interpreter is handed over");

	/* a musl program, started without the glibc shim its loader could not take */
	r = shimmed(fk.sock, NULL, (char *[]){ "env", "-u", "LD_PRELOAD",
					       (char *)built("musl/fileprobe"), "cat",
					       "/proc/self/status", NULL });
	status_says(r.out, "Seccomp", 2);
	cr_assert(strstr(r.err, "(loaded by "), "%s", r.err);
	h_free(&r);
	fake_stop(&fk);
	cr_assert_eq(fk.admits, 2);
	cr_assert_eq(fk.markers, 2);
}

/*
 * execvp searches PATH as glibc does: a non-executable file and a
 * directory of the name are passed over, the static program after them
 * is judged; a file neither ELF nor #! goes to /bin/sh (glibc's ENOEXEC
 * fallback) and is not handed over.
 */
Test(shimexec, fake_path_search_as_glibc)
{
	char path[1200];
	struct fake fk;
	struct result r;

	h_dir("a", 0755);
	h_file("a/fileprobe", "not executable\n", 0644);
	h_dir("b", 0755);
	h_dir("b/fileprobe", 0755);
	h_dir("c", 0755);
	h_file("c/plain", "echo plain text run by sh\n", 0755);
	snprintf(path, sizeof(path), "%s:%s:%s:%s", h_path("a"), h_path("b"), h_path("c"),
		 static_dirs());
	fake_start(&fk, 0, 0);
	r = shimmed(fk.sock, path, (char *[]){ (char *)execprobe(), "execvp", "fileprobe", "cat",
					       "/proc/self/status", NULL });
	status_says(r.out, "Seccomp", 2);
	h_free(&r);
	r = shimmed(fk.sock, path, (char *[]){ (char *)execprobe(), "execlp", "plain", NULL });
	cr_assert_str_eq(r.out, "plain text run by sh\n", "stderr: %s", r.err);
	h_free(&r);
	fake_stop(&fk);
	cr_assert_eq(fk.admits, 1);
}

/*
 * The filter in place and nobody to read it (the broker took the ADMIT,
 * refused the listener): no exec, EPERM, and one line on stderr.
 */
Test(shimexec, fake_broken_hand_over_refuses_the_exec)
{
	struct fake fk;
	struct result r;
	char want[700];

	fake_start(&fk, 0, EPROTO);
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execve", (char *)fileprobe(),
					       "cat", "/proc/self/status", NULL });
	fake_stop(&fk);
	cr_assert_str_eq(r.out, "err EPERM\n", "stderr: %s", r.err);
	/*
	 * the probe goes on under a filter nobody reads: every open fails with
	 * ENOSYS, the sanitizer run's LeakSanitizer's own at exit too
	 */
	if (!getenv("FDB_SANITIZER") || strcmp(getenv("FDB_SANITIZER"), "1") != 0 ||
	    !strstr(r.err, "LeakSanitizer has encountered a fatal error"))
		cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	snprintf(want, sizeof(want), "fdbroker: %s: the broker refused the seccomp listener: ",
		 fileprobe());
	cr_assert(strstr(r.err, want), "%s", r.err);
	h_free(&r);
	cr_assert_eq(fk.handovers, 1);
	cr_assert_eq(fk.markers, 0);
}

/* An ADMIT refused: nothing changes, the program runs unfiltered; debug says why. */
Test(shimexec, fake_refused_admit_runs_as_before)
{
	struct fake fk;
	struct result r;

	fake_start(&fk, EAGAIN, 0);
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execv", (char *)fileprobe(),
					       "cat", "/proc/self/status", NULL });
	fake_stop(&fk);
	cr_assert_eq(r.status, 0, "%s", r.err);
	status_says(r.out, "Seccomp", 0);
	status_says(r.out, "NoNewPrivs", 0);
	cr_assert(strstr(r.err, "not handed over: the broker supervises as many programs as it "
			 "may"), "%s", r.err);
	h_free(&r);
	cr_assert_eq(fk.admits, 1);
	cr_assert_eq(fk.handovers, 0);
}

/* No FDBROKER_SOCKET: no hand-over, no word of one. */
Test(shimexec, fake_no_socket_no_hand_over)
{
	struct fake fk;
	struct result r;

	fake_start(&fk, 0, 0);
	r = shimmed(NULL, NULL, (char *[]){ (char *)execprobe(), "execve", (char *)fileprobe(),
					    "cat", "/proc/self/status", NULL });
	fake_stop(&fk);
	cr_assert_eq(r.status, 0, "%s", r.err);
	status_says(r.out, "Seccomp", 0);
	cr_assert(!strstr(r.err, "exec "), "%s", r.err);
	h_free(&r);
	cr_assert_eq(fk.conns, 0);
}

/* A failing exec fails with the real call's errno. */
Test(shimexec, fake_failing_exec_keeps_errno)
{
	static const struct {
		const char *call, *prog, *want;
	} cases[] = {
		{ "execve", "@/missing", "err ENOENT\n" },
		{ "execv", "@/data", "err EACCES\n" },
		{ "execl", "@", "err EACCES\n" },
		{ "execvp", "no-such-program-here", "err ENOENT\n" },
		{ "execlp", "", "err ENOENT\n" },
		{ "execvpe", "data", "err EACCES\n" },
	};
	struct fake fk;

	h_file("data", "not a program\n", 0644);
	fake_start(&fk, 0, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char prog[600];
		struct result r;

		snprintf(prog, sizeof(prog), "%s%s", cases[i].prog[0] == '@' ? h_tmpdir() : "",
			 cases[i].prog + (cases[i].prog[0] == '@'));
		r = shimmed(fk.sock, h_tmpdir(), (char *[]){ (char *)execprobe(),
							     (char *)cases[i].call, prog, NULL });
		cr_assert_str_eq(r.out, cases[i].want, "%s %s: stderr %s", cases[i].call, prog,
				 r.err);
		h_free(&r);
	}
	fake_stop(&fk);
	cr_assert_eq(fk.admits, 0);
}

/* A vfork child is handed over alone: its parent stays unfiltered. */
Test(shimexec, fake_vfork_child_handed_over_parent_untouched)
{
	struct fake fk;
	struct result r;

	fake_start(&fk, 0, 0);
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "vfork", (char *)fileprobe(),
					       "cat", "/proc/self/status", NULL });
	fake_stop(&fk);
	status_says(r.out, "Seccomp", 2);
	cr_assert(strstr(r.out, "parent status=0 seccomp=0 no_new_privs=0\n"), "%s\n%s", r.out,
		  r.err);
	h_free(&r);
	cr_assert_eq(fk.markers, 1);
}

/* build/tests/musl, then the system's */
static const char *musl_dirs(void)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s/tests/musl:/usr/bin:/bin", FDB_BUILD_DIR);
	return buf;
}

/*
 * Every wrapped exec call of a musl program: the shim's entry of
 * LD_PRELOAD goes, the others stay (the musl loader passes over a
 * missing file; glibc's says so on stderr and goes on too), joined by ':'.
 * Four arguments: execprobe's execle finds its envp after the fourth.
 */
Test(shimexec, fake_every_exec_call_takes_the_shim_out_for_musl)
{
	char preload[1200];
	struct fake fk;

	skip_under_sanitizer();
	snprintf(preload, sizeof(preload), "LD_PRELOAD=/nonexistent/a.so %s:/nonexistent/b.so",
		 h_shim());
	fake_start(&fk, 0, 0);
	for (size_t i = 0; i < NVARIANTS; i++) {
		const struct variant *v = &variants[i];
		struct result r = shimmed_vars(fk.sock, musl_dirs(), (char *[]){ preload, NULL },
					       (char *[]){ (char *)execprobe(), (char *)v->call,
							   (char *)(v->searches ? "fileprobe"
									    : musl_fileprobe()),
							   "getenv", "LD_PRELOAD", "-", "-", NULL });

		cr_assert_str_eq(r.out, "ok LD_PRELOAD=/nonexistent/a.so:/nonexistent/b.so\n",
				 "%s: stdout '%s', stderr '%s'", v->call, r.out, r.err);
		cr_assert_eq(r.status, 0, "%s: %s", v->call, r.err);
		cr_assert(strstr(r.err, "not glibc's loader): under the broker's seccomp filter, "
				 "without the shim in LD_PRELOAD"), "%s: %s", v->call, r.err);
		h_free(&r);
	}
	fake_stop(&fk);
	cr_assert_eq(fk.markers, (int)NVARIANTS);
}

/*
 * Which entries are the shim: its path, a symlink to it, the same file by
 * another name beside it, a bare name the loader found on
 * LD_LIBRARY_PATH; a variable left empty is dropped.  A static program
 * and a #! script by a musl interpreter.
 */
Test(shimexec, fake_musl_program_loses_only_the_shim)
{
	char link[600], lib[600], alone[700], both[1800], text[700];
	char *const getenv_musl[] = { (char *)execprobe(), "execve", (char *)musl_fileprobe(),
				      "getenv", "LD_PRELOAD", NULL };
	const char *script;
	struct fake fk;
	struct result r;

	skip_under_sanitizer();
	snprintf(link, sizeof(link), "%s", h_path("shim-link.so"));
	cr_assert_eq(symlink(h_shim(), link), 0, "%s", strerror(errno));
	snprintf(alone, sizeof(alone), "LD_PRELOAD=%s", link);
	/* glibc loads the file once, by its first name: the second is the same file */
	snprintf(both, sizeof(both), "LD_PRELOAD=%s %s /nonexistent/c.so", h_shim(), link);
	snprintf(lib, sizeof(lib), "LD_LIBRARY_PATH=%s", FDB_BUILD_DIR);
	fake_start(&fk, 0, 0);

	r = shimmed_vars(fk.sock, NULL, (char *[]){ alone, NULL }, getenv_musl);
	cr_assert_str_eq(r.out, "ok LD_PRELOAD unset\n", "link: stderr %s", r.err);
	h_free(&r);
	r = shimmed_vars(fk.sock, NULL, (char *[]){ both, NULL }, getenv_musl);
	cr_assert_str_eq(r.out, "ok LD_PRELOAD=/nonexistent/c.so\n", "both: stderr %s", r.err);
	h_free(&r);
	r = shimmed_vars(fk.sock, NULL, (char *[]){ "LD_PRELOAD=libfdshim.so", lib, NULL },
			 getenv_musl);
	cr_assert_str_eq(r.out, "ok LD_PRELOAD unset\n", "bare: stderr %s", r.err);
	cr_assert(strstr(r.err, "without the shim in LD_PRELOAD"), "bare: %s", r.err);
	h_free(&r);

	/* static: handed over, the environment as it was */
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execve", (char *)fileprobe(),
					       "getenv", "LD_PRELOAD", NULL });
	snprintf(text, sizeof(text), "ok %s\n", h_preload_env());
	cr_assert_str_eq(r.out, text, "static: stderr %s", r.err);
	h_free(&r);

	/* a script whose interpreter is the musl program: it runs */
	snprintf(text, sizeof(text), "#!%s cat\nread by a musl interpreter\n", musl_fileprobe());
	script = h_file("musl-script", text, 0755);
	r = shimmed(fk.sock, NULL, (char *[]){ (char *)execprobe(), "execv", (char *)script, NULL });
	cr_assert_str_eq(r.out, text, "script: stderr %s", r.err);
	cr_assert_eq(r.status, 0, "script: %s", r.err);
	h_free(&r);
	fake_stop(&fk);
	cr_assert_eq(fk.markers, 5);
}

/*
 * Past the copy's bounds (511 variables, 1024 bytes of rewritten
 * LD_PRELOAD) the environment goes as it is: the musl program dies of the
 * shim (127) as before, and debug says why.
 */
Test(shimexec, fake_past_the_bounds_environment_unchanged)
{
	enum { NVARS = 520 };
	static char vars[NVARS][24];
	char *argv[NVARS + 8], preload[1600], other[1200];
	struct fake fk;
	struct result r;
	int n = 0;

	skip_under_sanitizer();
	fake_start(&fk, 0, 0);
	argv[n++] = "env";
	for (int i = 0; i < NVARS; i++) {
		snprintf(vars[i], sizeof(vars[i]), "FDB_V%d=x", i);
		argv[n++] = vars[i];
	}
	argv[n++] = (char *)execprobe();
	argv[n++] = "execve";
	argv[n++] = (char *)musl_fileprobe();
	argv[n++] = "getenv";
	argv[n++] = "LD_PRELOAD";
	argv[n] = NULL;
	r = shimmed(fk.sock, NULL, argv);
	cr_assert_eq(r.status, 127, "variables: stdout '%s', stderr '%s'", r.out, r.err);
	cr_assert(strstr(r.err, "LD_PRELOAD left as it is"), "variables: %s", r.err);
	h_free(&r);

	memset(other, 'a', sizeof(other) - 1);
	other[0] = '/';
	other[sizeof(other) - 1] = '\0';
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s %s", other, h_shim());
	r = shimmed_vars(fk.sock, NULL, (char *[]){ preload, NULL },
			 (char *[]){ (char *)execprobe(), "execve", (char *)musl_fileprobe(),
				     "getenv", "LD_PRELOAD", NULL });
	cr_assert_eq(r.status, 127, "bytes: stdout '%s', stderr '%s'", r.out, r.err);
	cr_assert(strstr(r.err, "LD_PRELOAD left as it is"), "bytes: %s", r.err);
	h_free(&r);
	fake_stop(&fk);
}
