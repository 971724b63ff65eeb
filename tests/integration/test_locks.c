/*
 * An inode lock a program holds does not hold the broker (grant/open_job.h).
 * tests/bin/lockhold stops a getdents64 of a directory, or a write to a
 * file, on a page that faults to a userfaultfd it never answers, the lock
 * taken, as a hostile program can with a FUSE file system of its own.  A
 * brokered creation or unix bind in that directory, or an O_TRUNC of that
 * file, waits for the lock: the broker refuses it after its deadline
 * (reason=...-busy) and goes on serving.  Before, its loop waited in the kernel, unkillably,
 * until the lock was let go.  Once it is, what the left job made is taken
 * back: the file or socket file is removed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000

TestSuite(locks, .fini = p_suite_fini, .timeout = 60);

static struct served srv;

/*
 * rawclient as nobody: CMD PATH [N], its line.  A client of the wire, not
 * of the shim: the shim's program would first try the call itself, and wait
 * in the kernel for the lock before it ever asked the broker.
 */
static const char *raw(const char *cmd, const char *path)
{
	return served_raw(&srv, "65534", "65534", false,
			  (char *[]){ (char *)cmd, (char *)path, "1", NULL });
}

/* lockhold HOW PATH, once it holds the lock. */
static void hold(struct proc *p, const char *how, const char *path)
{
	const char *line;

	p_start(p, (char *[]){ (char *)h_lockhold(), (char *)how, (char *)path, NULL }, NULL,
		h_path("lockhold.err"));
	line = p_line(p, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "held");
}

static void start(const char *rules)
{
	served_start(&srv, h_file("policy", rules, 0644), WAIT_MS);
}

/* Wait (inotify) until name in the directory watched by in is deleted. */
static void wait_deleted(int in, const char *name)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	long deadline = h_now_ms() + WAIT_MS;

	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		long left = deadline - h_now_ms();
		ssize_t n;

		cr_assert(left > 0 && poll(&p, 1, (int)left) == 1, "%s was not removed", name);
		n = read(in, buf, sizeof(buf));
		cr_assert_gt(n, 0);
		for (char *at = buf; at < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)at;

			if ((e->mask & IN_DELETE) && e->len && !strcmp(e->name, name))
				return;
			at += sizeof(*e) + e->len;
		}
	}
}

/*
 * With d's lock held (the broker serving rules): rawclient CMD of d/NAME is
 * refused with reason=directory-busy, and an open of d/other is served
 * meanwhile.  Once the lock goes, what the left job made at d/NAME is
 * removed; CMD of it is then served, and it is the program's: its lstat.
 */
static void busy_then_taken_back(const char *rules, const char *cmd, const char *name,
				 struct stat *made)
{
	const char *dir = h_path("d");
	const char *path = h_path(name);
	const char *other = h_path("d/other");
	struct proc holder;
	int in;

	start(rules);
	in = inotify_init1(IN_CLOEXEC);
	cr_assert_geq(in, 0);
	cr_assert_geq(inotify_add_watch(in, dir, IN_DELETE), 0);
	hold(&holder, "dir", dir);
	cr_assert_str_eq(raw(cmd, path), "err EACCES");
	h_audit_has("reason=directory-busy");
	/* the loop was not held: an open in that very directory is served */
	cr_assert_str_eq(raw("open", other), "ok 1");
	p_stop(&holder);
	/* what was made when the lock was let go is taken back */
	wait_deleted(in, strrchr(path, '/') + 1);
	close(in);
	cr_assert_eq(lstat(path, made), -1);
	cr_assert_str_eq(raw(cmd, path), "ok");
	cr_assert_eq(lstat(path, made), 0);
	cr_assert_eq(made->st_uid, 65534, "the program's file");
	cr_assert_eq(served_stop(&srv), 0);
}

Test(locks, a_held_directory_lock_refuses_a_creation_and_the_loop_goes_on)
{
	const char *dir = h_dir("d", 0755);
	char rules[1024];
	struct stat st;

	h_file("d/other", "other\n", 0600);
	snprintf(rules, sizeof(rules), "allow user nobody open %s/ read,write,create\n", dir);
	busy_then_taken_back(rules, "create", "d/made", &st);
	cr_assert(S_ISREG(st.st_mode));
}

Test(locks, a_held_file_lock_refuses_a_truncation_and_the_loop_goes_on)
{
	const char *file = h_file("log", "kept\n", 0600);
	const char *other = h_file("other", "other\n", 0600);
	char rules[1024];
	struct proc holder;

	snprintf(rules, sizeof(rules), "allow user nobody open %s read,write\n"
		 "allow user nobody open %s read\n", file, other);
	start(rules);
	hold(&holder, "write", file);
	cr_assert_str_eq(raw("truncate", file), "err EACCES");
	h_audit_has("reason=file-busy");
	cr_assert_str_eq(raw("open", other), "ok 1");
	/* without O_TRUNC the same file is opened at once: no lock is taken */
	cr_assert_str_eq(raw("open", file), "ok 1");
	p_stop(&holder);
	cr_assert_str_eq(raw("truncate", file), "ok");
	cr_assert_eq(served_stop(&srv), 0);
}

/* FIFOs at fifo and go that anyone may open (the umask taken off) */
static void make_fifos(const char *fifo, const char *go)
{
	cr_assert_eq(mkfifo(fifo, 0666), 0);
	cr_assert_eq(chmod(fifo, 0666), 0);
	cr_assert_eq(mkfifo(go, 0666), 0);
	cr_assert_eq(chmod(go, 0666), 0);
}

/*
 * A reopen of a pipe waits for the pipe's lock, which a program holds with
 * a write from a stalling page (lockhold write on a FIFO): refused after
 * the deadline (reason=file-busy), and the loop goes on serving.  Before,
 * the loop waited for the lock, and the reopen got no answer.
 */
Test(locks, a_held_pipe_lock_refuses_a_reopen_and_the_loop_goes_on)
{
	const char *fifo = h_path("fifo"), *go = h_path("go");
	const char *other = h_file("other", "other\n", 0600);
	char rules[1024];
	struct proc client, holder;
	const char *line;
	FILE *f;

	make_fifos(fifo, go);
	snprintf(rules, sizeof(rules), "allow user nobody open %s read\n", other);
	start(rules);
	p_start(&client, (char *[]){ (char *)h_rawclient(), "-u", "65534", "-g", "65534",
				     (char *)srv.sock, "reopen", (char *)fifo, (char *)go, NULL },
		NULL, h_path("client.err"));
	line = p_line(&client, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "opened");
	hold(&holder, "write", fifo);
	f = fopen(go, "w");
	cr_assert_not_null(f);
	fclose(f);
	line = p_line(&client, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "err EACCES", "%s",
			 h_slurp(h_path("client.err")));
	h_audit_has("op=reopen");
	h_audit_has("kind=fifo reason=file-busy");
	cr_assert_str_eq(raw("open", other), "ok 1");
	p_stop(&holder);
	cr_assert_eq(p_wait(&client), 0);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * A FIFO anyone may open at path, and a descriptor of both its ends, so
 * that lockhold's open for writing and every open for reading find the
 * other end; data, if any, written into it.
 */
static int fifo_held_open(const char *path, const char *data)
{
	int rw;

	cr_assert_eq(mkfifo(path, 0666), 0);
	cr_assert_eq(chmod(path, 0666), 0);
	rw = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(rw, 0);
	if (data)
		cr_assert_eq(write(rw, data, strlen(data)), (ssize_t)strlen(data));
	return rw;
}

/*
 * The open of a FIFO by name waits for the pipe's lock, even with
 * O_NONBLOCK, which a program holds with a write from a stalling page: on
 * the short road (the name a rule allows as written) as on the long one
 * (through a symlink), refused after the deadline (reason=file-busy), and
 * the loop goes on serving.  Before, the loop waited for the lock, and the
 * open got no answer.
 */
Test(locks, a_held_pipe_lock_refuses_an_open_of_the_fifo_and_the_loop_goes_on)
{
	const char *dir = h_dir("d", 0755);
	const char *fifo = h_path("d/fifo"), *link = h_path("link");
	const char *other = h_file("other", "other\n", 0600);
	char rules[1024];
	struct proc holder;
	int rw = fifo_held_open(fifo, NULL);

	cr_assert_eq(symlink(fifo, link), 0);
	snprintf(rules, sizeof(rules), "allow user nobody open %s/ read\n"
		 "allow user nobody open %s read\n", dir, other);
	start(rules);
	hold(&holder, "write", fifo);
	cr_assert_str_eq(raw("open", fifo), "err EACCES");
	cr_assert_str_eq(raw("open", link), "err EACCES");
	h_audit_has("reason=file-busy");
	cr_assert_str_eq(raw("open", other), "ok 1");
	p_stop(&holder);
	cr_assert_str_eq(raw("open", fifo), "ok 1");
	cr_assert_str_eq(raw("open", link), "ok 1");
	close(rw);
	cr_assert_eq(served_stop(&srv), 0);
}

/*
 * Under seccomp the try as the caller comes before the kernel's own call.
 * With the lock of held taken (lockhold how), prog (under --via seccomp and
 * rule) makes a call that waits for that lock: it goes on to the kernel
 * (FDBROKER_DEBUG says why), and waits there, in the program's thread; once
 * the lock is let go the kernel decides it, and prog prints want.  Before,
 * the try waited on the broker's loop.
 */
static void seccomp_goes_to_the_kernel(const char *how, const char *held, const char *rule,
				       char *const prog[], const char *why, const char *want)
{
	char *argv[40] = { "env", "-u", "LD_PRELOAD", "FDBROKER_DEBUG=1" };
	struct proc holder, p;
	const char *line;

	h_run_argv(argv + 4, 36, "nobody", (char *[]){ "--via", "seccomp", "-a", (char *)rule, NULL },
		   prog);
	hold(&holder, how, held);
	p_start(&p, argv, NULL, h_path("run.err"));
	cr_assert_eq(wait_for_text(h_path("run.err"), why, WAIT_MS), 0, "%s",
		     h_slurp(h_path("run.err")));
	p_stop(&holder);
	line = p_line(&p, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", want);
	p_wait(&p);
}

Test(locks, a_held_directory_lock_sends_a_seccomp_creation_to_the_kernel)
{
	const char *dir = h_dir("d", 0755);
	char rule[700], sysopen[512];

	snprintf(rule, sizeof(rule), "open %s/ read,write,create", dir);
	snprintf(sysopen, sizeof(sysopen), "%s/tests/sysopen", FDB_BUILD_DIR);
	/* nobody may not write in d: the kernel refuses */
	seccomp_goes_to_the_kernel("dir", dir, rule,
				   (char *[]){ sysopen, "creat", (char *)h_path("d/made"), "644",
					       "022", NULL },
				   "an inode's lock is held", "err EACCES");
}

/*
 * An O_RDONLY|O_TRUNC of a file anyone may write, by its name and as a
 * reopen of the program's own descriptor: the try takes no lock (it opens
 * O_RDWR instead, try_one in helper/front/notif_open.c), finds the
 * program's own right at once, and the kernel's call truncates once the
 * lock is let go.  Before, the reopen's try waited for the lock on the
 * broker's loop, and the open's on a thread of its own.
 */
static void seccomp_truncation_goes_to_the_kernel(const char *cmd, const char *name)
{
	const char *file = h_file("log", "kept\n", 0666);
	char rule[700], sysopen[512], why[700];

	snprintf(rule, sizeof(rule), "open %s read,write", file);
	snprintf(sysopen, sizeof(sysopen), "%s/tests/sysopen", FDB_BUILD_DIR);
	/* the debug line of the truncating call, not of retrunc's first open */
	snprintf(why, sizeof(why), "%s: the program's own right", name ? name : file);
	seccomp_goes_to_the_kernel("write", file, rule,
				   (char *[]){ sysopen, (char *)cmd, (char *)file, NULL }, why,
				   "ok size=0");
}

Test(locks, a_held_file_lock_leaves_a_seccomp_truncation_to_the_kernel)
{
	seccomp_truncation_goes_to_the_kernel("trunc", NULL);
}

/* retrunc's descriptor is its first free one, 3 */
Test(locks, a_held_file_lock_leaves_a_seccomp_truncating_reopen_to_the_kernel)
{
	seccomp_truncation_goes_to_the_kernel("retrunc", "/proc/self/fd/3");
}

/*
 * Under seccomp, an open of a FIFO by name that a rule covers: the try as
 * the caller finds a FIFO (its walk is an O_PATH one, then fstat) and makes
 * the open on a thread of its own, which waits for the pipe's lock: the
 * call goes on to the kernel, whose open waits in the program's thread and
 * then reads what the FIFO holds.  Before, the try waited on the loop.
 */
Test(locks, a_held_pipe_lock_sends_a_seccomp_open_of_the_fifo_to_the_kernel)
{
	const char *fifo = h_path("fifo");
	char rule[700], sysopen[512];
	int rw = fifo_held_open(fifo, "data\n");

	snprintf(rule, sizeof(rule), "open %s read", fifo);
	snprintf(sysopen, sizeof(sysopen), "%s/tests/sysopen", FDB_BUILD_DIR);
	seccomp_goes_to_the_kernel("write", fifo, rule,
				   (char *[]){ sysopen, "open", (char *)fifo, NULL },
				   "an inode's lock is held", "ok fd=3 cloexec=1 data=data");
	close(rw);
}

/*
 * Under seccomp, the reopen of the program's own FIFO while a program
 * holds the pipe's lock: the try as the caller waits for it on a thread of
 * its own, so the call goes on to the kernel (FDBROKER_DEBUG says why),
 * whose own open waits in the program's thread until the lock is let go.
 * Before, the try waited on the broker's loop.
 */
Test(locks, a_held_pipe_lock_sends_a_seccomp_reopen_to_the_kernel)
{
	char *argv[40] = { "env", "-u", "LD_PRELOAD", "FDBROKER_DEBUG=1" };
	const char *fifo = h_path("fifo"), *go = h_path("go");
	char rule[700], sysopen[512];
	struct proc holder, p;
	const char *line;
	FILE *f;

	make_fifos(fifo, go);
	snprintf(rule, sizeof(rule), "open %s read", h_file("other", "other\n", 0600));
	snprintf(sysopen, sizeof(sysopen), "%s/tests/sysopen", FDB_BUILD_DIR);
	h_run_argv(argv + 4, 36, "nobody", (char *[]){ "--via", "seccomp", "-a", rule, NULL },
		   (char *[]){ sysopen, "refifo", (char *)fifo, (char *)go, NULL });
	p_start(&p, argv, NULL, h_path("run.err"));
	line = p_line(&p, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "opened", "%s", h_slurp(h_path("run.err")));
	hold(&holder, "write", fifo);
	f = fopen(go, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(wait_for_text(h_path("run.err"), "the object's lock is held", WAIT_MS), 0,
		     "%s", h_slurp(h_path("run.err")));
	p_stop(&holder);
	line = p_line(&p, WAIT_MS);
	cr_assert_str_eq(line ? line : "(nothing)", "ok");
	p_wait(&p);
}

/*
 * A unix bind makes its socket file, which waits for the directory's lock:
 * refused after the deadline (proto=unix reason=directory-busy); the
 * socket file the job makes once the lock is let go is removed again.
 */
Test(locks, a_held_directory_lock_refuses_a_unix_bind_and_the_loop_goes_on)
{
	const char *dir = h_dir("d", 0755);
	const char *other = h_file("d/other", "other\n", 0600);
	char rules[1024];
	struct stat st;

	snprintf(rules, sizeof(rules), "allow user nobody bind unix %s/\n"
		 "allow user nobody open %s read\n", dir, other);
	busy_then_taken_back(rules, "ubind", "d/sock", &st);
	cr_assert(S_ISSOCK(st.st_mode), "a socket file");
	h_audit_has("proto=unix reason=directory-busy");
}

/* Under seccomp the try as the caller of a unix bind goes on to the kernel the same way. */
Test(locks, a_held_directory_lock_sends_a_seccomp_unix_bind_to_the_kernel)
{
	const char *dir = h_dir("d", 0755);
	char rule[700], probe[512];

	snprintf(rule, sizeof(rule), "bind unix %s/", dir);
	snprintf(probe, sizeof(probe), "%s/tests/static/sockprobe", FDB_BUILD_DIR);
	seccomp_goes_to_the_kernel("dir", dir, rule,
				   (char *[]){ probe, "ubind", (char *)h_path("d/sock"), NULL },
				   "its directory's lock is held", "err EACCES bind");
}
