/*
 * flipper: a hostile target (issue 16, acceptance 7).  One thread flips a
 * path buffer between an allowed and a forbidden name, the other opens
 * that buffer N times, while the broker reads and judges it.  The broker
 * must judge its own copy and open what it judged: a descriptor for the
 * forbidden file, told by its contents, must never come.
 *
 *   flipper ALLOWED FORBIDDEN N MARK_A MARK_F
 *
 * The two names must differ in exactly one byte, so the buffer always
 * holds one of them.  MARK_A and MARK_F are the files' first lines.
 * Prints "ok opens=N allowed=A refused=R forbidden=F other=O": refused
 * counts opens failing with EACCES, other anything else (another errno,
 * other contents).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sc.h"

static char path[4096];
static size_t at;          /* the byte that differs */
static char byte[2];       /* its value in ALLOWED, in FORBIDDEN */
static bool stop;

static void *flip(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		__atomic_store_n(&path[at], byte[1], __ATOMIC_RELAXED);
		__atomic_store_n(&path[at], byte[0], __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The first line of fd, without its newline. */
static void first_line(int fd, char *buf, size_t cap)
{
	if (sc_read_all(fd, buf, cap) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int main(int argc, char **argv)
{
	long n, allowed = 0, refused = 0, forbidden = 0, other = 0;
	size_t len, diff = 0;
	pthread_t t;

	if (argc != 6 || (len = strlen(argv[1])) != strlen(argv[2]) || len >= sizeof(path)) {
		fprintf(stderr, "usage: flipper ALLOWED FORBIDDEN N MARK_A MARK_F (names of one length)\n");
		return 2;
	}
	for (size_t i = 0; i < len; i++)
		if (argv[1][i] != argv[2][i]) {
			at = i;
			diff++;
		}
	if (diff != 1) {
		fprintf(stderr, "flipper: the names must differ in exactly one byte\n");
		return 2;
	}
	byte[0] = argv[1][at];
	byte[1] = argv[2][at];
	memcpy(path, argv[1], len);
	n = strtol(argv[3], NULL, 10);
	if (pthread_create(&t, NULL, flip, NULL) != 0)
		return 2;
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char line[256];

		if (fd < 0) {
			*(errno == EACCES ? &refused : &other) += 1;
			continue;
		}
		first_line(fd, line, sizeof(line));
		close(fd);
		if (!strcmp(line, argv[4]))
			allowed++;
		else if (!strcmp(line, argv[5]))
			forbidden++;
		else
			other++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("ok opens=%ld allowed=%ld refused=%ld forbidden=%ld other=%ld\n", n, allowed,
	       refused, forbidden, other);
	return 0;
}
