/*
 * launch: B6 of `make bench`.  Times fork+exec+wait of each command, the
 * commands interleaved so drift hits all alike; prints one line per
 * command: "median_us p99_us".  (hyperfine, without the dependency.)
 *
 *   launch N CMD [ARG]... [:: CMD [ARG]...]...
 */
#include "bench.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXCMD 8

int main(int argc, char **argv)
{
	char **cmd[MAXCMD];
	double *lat[MAXCMD];
	int ncmd = 0, devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	long n = argc > 2 ? atol(argv[1]) : 0;

	if (n < 1 || devnull < 0) {
		fprintf(stderr, "usage: launch N CMD [ARG]... [:: CMD [ARG]...]...\n");
		return 2;
	}
	cmd[ncmd++] = argv + 2;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "::")) {
			argv[i] = NULL;
			if (ncmd == MAXCMD || i + 1 >= argc)
				return 2;
			cmd[ncmd++] = argv + i + 1;
		}
	for (int c = 0; c < ncmd; c++)
		if (!(lat[c] = malloc(sizeof(double) * (size_t)n)))
			die("malloc");
	for (long i = -n / 10 - 1; i < n; i++)	/* negative: warm-up */
		for (int c = 0; c < ncmd; c++) {
			double t0 = now_us();
			int status;
			pid_t p = fork();

			if (p < 0)
				die("fork");
			if (p == 0) {
				dup2(devnull, 1);
				execvp(cmd[c][0], cmd[c]);
				_exit(127);
			}
			if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status)) {
				fprintf(stderr, "launch: %s failed\n", cmd[c][0]);
				return 1;
			}
			if (i >= 0)
				lat[c][i] = now_us() - t0;
		}
	for (int c = 0; c < ncmd; c++) {
		double med = median(lat[c], (size_t)n);

		printf("%.1f %.1f\n", med, p99_sorted(lat[c], (size_t)n));
	}
	return 0;
}
