/*
 * reloadprobe: a client that keeps asking, for the policy reload test.
 *
 *   reloadprobe ALLOWED DENIED STOPFILE
 *
 * Round after round it opens ALLOWED, which must succeed and be that very
 * file (the inode stat(2) reports), and DENIED, which must fail with
 * EACCES, until STOPFILE exists.  It prints "ready" after the first round
 * and, at the end,
 *   done rounds=N allowed_bad=K denied_bad=M first=WHAT
 * where WHAT describes the first wrong answer ("-" if none).  Like probe,
 * it knows nothing of fdbroker; the tests run it under the shim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long rounds = 0, allowed_bad = 0, denied_bad = 0;
	char first[128] = "-";
	struct stat want;

	if (argc != 4) {
		fprintf(stderr, "usage: reloadprobe ALLOWED DENIED STOPFILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stat(argv[1], &want) < 0) {
		printf("err stat %s\n", strerrorname_np(errno));
		return 1;
	}
	while (rounds == 0 || access(argv[3], F_OK) != 0) {
		struct stat got;
		int fd = open(argv[1], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &got) < 0 || got.st_ino != want.st_ino ||
		    got.st_dev != want.st_dev) {
			if (!allowed_bad++)
				snprintf(first, sizeof(first), "allowed:round%ld:%s", rounds,
					 fd < 0 ? strerrorname_np(errno) : "wrong-file");
		}
		if (fd >= 0)
			close(fd);
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != EACCES) {
			if (!denied_bad++)
				snprintf(first, sizeof(first), "denied:round%ld:%s", rounds,
					 fd >= 0 ? "opened" : strerrorname_np(errno));
			if (fd >= 0)
				close(fd);
		}
		if (rounds++ == 0)
			printf("ready\n");
	}
	printf("done rounds=%ld allowed_bad=%ld denied_bad=%ld first=%s\n", rounds, allowed_bad,
	       denied_bad, first);
	return 0;
}
