/*
 * hammer: targets SIGKILLed with calls pending (issue 16, acceptance 7).
 * A round forks a child whose THREADS threads open granted files in a
 * loop; once one open has come back the child is SIGKILLed, so its other
 * calls die waiting for the broker.  A bystander process reads the same
 * files all through the rounds, checking every one: other targets are
 * served meanwhile.  Driven by the test, one command a line on stdin:
 *
 *   hammer DIR NFILES ROUNDS      (DIR/f0 .. f<NFILES-1> hold "file I\n")
 *
 * It first runs WARMUP rounds (with a bystander) and prints "ready"; then
 *   r   one read of f0: "ok file 0" (the test counts the broker's
 *       descriptors between these, each a full pass through its loop,
 *       instead of sleeping)
 *   k   ROUNDS rounds: "killed ROUNDS bystander_reads=N bystander_wrong=W
 *       bystander_failed=F"
 *   q   (or end of input) every file read once: "ok final", and exit
 * Failures: "err ...".  Between commands nothing of it asks the broker.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "sc.h"

#define THREADS 4
#define WARMUP 5

static const char *dir;
static long nfiles;

/* Read DIR/f<i>: 1 if it holds "file I\n", 0 if something else, -1 if it cannot be read. */
static int read_file(long i)
{
	char path[4096], want[32], buf[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/f%ld", dir, i % nfiles);
	snprintf(want, sizeof(want), "file %ld\n", i % nfiles);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = sc_read_all(fd, buf, sizeof(buf));
	close(fd);
	return n >= 0 && !strcmp(buf, want);
}

static int started_fd; /* the round's pipe: one byte once an open came back */

/* Open files in a loop until killed (it never returns). */
static void *opener(void *arg)
{
	bool said = false;

	for (long i = (long)(intptr_t)arg;; i++)
		if (read_file(i) >= 0 && !said)
			said = write(started_fd, "x", 1) == 1;
	return NULL;
}

/* One child: THREADS openers; SIGKILL once one open was answered. */
static int kill_round(void)
{
	int p[2], st;
	char c;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		pthread_t t;

		close(p[0]);
		started_fd = p[1];
		for (intptr_t i = 1; i < THREADS; i++)
			pthread_create(&t, NULL, opener, (void *)i);
		opener(NULL);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	kill(pid, SIGKILL);
	close(p[0]);
	return waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) ? 0 : -1;
}

struct counts {
	long reads, wrong, failed;
};

/* The bystander: read until stop is readable (closed), then send the counts on res. */
static void bystander(int stop, int res)
{
	struct counts c = { 0 };
	struct pollfd p = { .fd = stop, .events = POLLIN };

	for (long i = 0; poll(&p, 1, 0) == 0; i++) {
		int ok = read_file(i);

		c.reads++;
		c.wrong += ok == 0;
		c.failed += ok < 0;
		if (c.reads == 1 && write(res, "S", 1) != 1)
			_exit(1);
	}
	_exit(write(res, &c, sizeof(c)) == sizeof(c) ? 0 : 1);
}

/* A bystander, once it has read a first file: its pid; stop and res its pipes. */
static pid_t start_bystander(int *stop, int *res)
{
	int s[2], r[2];
	char c;
	pid_t pid;

	if (pipe(s) < 0 || pipe(r) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(s[1]);
		close(r[0]);
		bystander(s[0], r[1]);
	}
	close(s[0]);
	close(r[1]);
	*stop = s[1];
	*res = r[0];
	return read(*res, &c, 1) == 1 ? pid : -1;
}

/* n rounds beside a bystander, its counts into c: 0, or -1. */
static int rounds(long n, struct counts *c)
{
	int stop, res, rc = 0;
	pid_t by = start_bystander(&stop, &res);

	if (by < 0)
		return -1;
	for (long i = 0; i < n && rc == 0; i++)
		rc = kill_round();
	close(stop);
	if (read(res, c, sizeof(*c)) != sizeof(*c) || waitpid(by, NULL, 0) != by)
		rc = -1;
	close(res);
	return rc;
}

int main(int argc, char **argv)
{
	struct counts c;
	long n;
	char line[64];

	if (argc != 4) {
		fprintf(stderr, "usage: hammer DIR NFILES ROUNDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dir = argv[1];
	nfiles = strtol(argv[2], NULL, 10);
	n = strtol(argv[3], NULL, 10);
	if (nfiles < 1 || rounds(WARMUP, &c) < 0) {
		printf("err warm-up\n");
		return 3;
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && line[0] != 'q') {
		if (line[0] == 'r')
			printf(read_file(0) == 1 ? "ok file 0\n" : "err file 0\n");
		else if (line[0] == 'k' && rounds(n, &c) == 0)
			printf("killed %ld bystander_reads=%ld bystander_wrong=%ld bystander_failed=%ld\n",
			       n, c.reads, c.wrong, c.failed);
		else
			printf("err %s", line);
	}
	for (long i = 0; i < nfiles; i++)
		if (read_file(i) != 1) {
			printf("err final f%ld\n", i);
			return 0;
		}
	printf("ok final\n");
	return 0;
}
