/*
 * No object makes the broker wait (issue 12, item 3): a FIFO opened for
 * reading or writing and a file under a lease opened for writing, in a
 * granted tree, each answer at once, and a hundred other clients are served
 * meanwhile.  A blocking open would hang the FIFO opens for ever and the
 * leased one for lease-break-time (45 s by default), and every client with it.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"

#define WAIT_MS 20000
#define CLIENTS 100
#define ANSWER_MS 10000 /* "at once": far below lease-break-time */

static pid_t holder = -1;

static void nonblock_fini(void)
{
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
		holder = -1;
	}
	p_kill_all();
	h_cleanup();
}

TestSuite(nonblock, .fini = nonblock_fini, .timeout = 60);

/* A process of root's holding a read lease on path until killed; returns once it holds it. */
static void hold_lease(const char *path)
{
	int ready[2];
	char c = 0;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		int fd;

		signal(SIGIO, SIG_IGN); /* the lease-break notice; the lease just goes later */
		fd = open(path, O_RDONLY);
		if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
			_exit(1);
		if (write(ready[1], "y", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the lease holder could not take a lease");
	close(ready[0]);
}

/*
 * files/f0 .. f<n-1>, root-only, for stress threads (h_root_only_files's
 * h_path table holds 64 names, fewer than the clients here).
 */
static const char *many_files(int n)
{
	const char *dir = h_dir("files", 0711);
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(dfd, 0);
	for (int i = 0; i < n; i++) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "f%d", i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		cr_assert_geq(fd, 0, "%s/%s", dir, name);
		cr_assert_eq(write(fd, "f\n", 2), 2);
		close(fd);
	}
	close(dfd);
	return dir;
}

/* argv as nobody (setpriv), under the shim of srv. */
static void start_as_nobody(struct proc *p, const struct served *srv, char *const argv[])
{
	char *full[32] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" };
	int n = 4;

	for (int i = 0; argv[i] && n < 31; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	p_start(p, full, h_shim_env(srv->sock), h_path("clients.err"));
}

Test(nonblock, fifo_and_lease_answer_at_once_while_others_are_served)
{
	char policy[4096], script[4096];
	const char *tree = h_dir("tree", 0755), *fifo = h_path("tree/fifo"), *leased, *files, *line;
	struct served srv;
	struct proc hostile, others;
	char *log;

	leased = h_file("tree/leased", "leased\n", 0600);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(chmod(fifo, 0600), 0);
	files = many_files(CLIENTS);
	snprintf(policy, sizeof(policy),
		 "allow user nobody open %s/ read\nallow user nobody open %s/ read,write\n", files,
		 tree);
	served_start(&srv, h_file("policy", policy, 0644), WAIT_MS);
	hold_lease(leased);

	snprintf(script, sizeof(script),
		 "P=%s; $P open %s r; $P open %s w; $P open %s b; $P open %s w; $P open %s wt; "
		 "$P open %s r",
		 h_probe(), fifo, fifo, fifo, leased, leased, leased);
	start_as_nobody(&hostile, &srv, (char *[]){ "sh", "-c", script, NULL });
	start_as_nobody(&others, &srv,
			(char *[]){ (char *)h_stress(), "threads", (char *)files, "100", "5", NULL }); /* CLIENTS */

	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && strstr(line, "ok ") && strstr(line, "nonblock=0"),
		  "FIFO for reading: %s", line ? line : "(no answer)");
	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && !strcmp(line, "err ENXIO"), "FIFO for writing, no reader: %s",
		  line ? line : "(no answer)");
	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && strstr(line, "ok ") && strstr(line, "nonblock=0"),
		  "FIFO for reading and writing: %s", line ? line : "(no answer)");
	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && !strcmp(line, "err EAGAIN"), "leased file for writing: %s",
		  line ? line : "(no answer)");
	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && !strcmp(line, "err EAGAIN"), "leased file truncated: %s",
		  line ? line : "(no answer)");
	line = p_line(&hostile, ANSWER_MS);
	cr_assert(line && strstr(line, "ok ") && strstr(line, "data=leased"),
		  "leased file for reading: %s", line ? line : "(no answer)");
	cr_assert_eq(p_wait(&hostile), 0);

	line = p_line(&others, WAIT_MS);
	cr_assert(line && strstr(line, "ok opens=500 wrong=0 failed=0 "), "the others: %s",
		  line ? line : "(no answer)");
	cr_assert_eq(p_wait(&others), 0);

	log = h_slurp_must(srv.log);
	cr_assert_eq(h_count_lines(log, "verdict=error", "errno=ENXIO"), 1, "%s", log);
	cr_assert_eq(h_count_lines(log, "verdict=error", "errno=EAGAIN"), 2, "%s", log);
	free(log);
	cr_assert_eq(served_stop(&srv), 0);
}

/* O_NONBLOCK asked for is kept; not asked for, it is cleared (regular file, short road). */
Test(nonblock, flag_as_the_program_asked)
{
	const char *f = h_file("secret", "x\n", 0600);
	char policy[1024];

	snprintf(policy, sizeof(policy), "allow user nobody open %s read\n", f);
	struct result a = h_broker_probe(policy, (char *[]){ "open", (char *)f, "r", NULL });
	struct result b = h_broker_probe(policy, (char *[]){ "open", (char *)f, "rn", NULL });

	cr_assert(strstr(a.out, "ok ") && strstr(a.out, "nonblock=0"), "%s %s", a.out, a.err);
	cr_assert(strstr(b.out, "ok ") && strstr(b.out, "nonblock=1"), "%s %s", b.out, b.err);
	h_free(&a);
	h_free(&b);
}
