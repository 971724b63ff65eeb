/*
 * opener: the client side of B1, B2, B4 and B7 of `make bench`.
 *
 *   opener loop FILE N          N open+close through libc (the shim when
 *                               preloaded); prints ns per open+close
 *   opener lat FILE N           the same, each timed: "median_us p99_us"
 *   opener rawlat SOCK FILE N   N round trips to floor_server: "median_us p99_us"
 *   opener par K libc FILE N    K processes, N opens each through libc, all
 *   opener par K raw SOCK FILE N  started together: prints requests/s
 *   opener hold K FILE PID      K threads, one open each, connections kept;
 *                               prints PID's VmRSS (KiB) before and with them
 *   opener rss FILE             one open (brokered under the shim), then
 *                               prints our own VmRSS, RssAnon and Pss (KiB)
 */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *sock_path;	/* raw: the floor server */
static int raw_fd = -1;
static uint32_t raw_seq;

static void raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	raw_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (raw_fd < 0 || connect(raw_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect floor");
}

/* One open+close, through libc or through the floor server. */
static void one(bool raw, const char *file)
{
	int fd;

	if (!raw) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(file);
		close(fd);
		return;
	}
	struct floor_req rq = { .op = 1, .seq = ++raw_seq };
	struct floor_rep rp;

	snprintf(rq.path, sizeof(rq.path), "%s", file);
	if (floor_send(raw_fd, &rq, sizeof(rq), -1, 0) != (ssize_t)sizeof(rq))
		die("send");
	if (floor_recv(raw_fd, &rp, sizeof(rp), &fd, 0) != (ssize_t)sizeof(rp) ||
	    rp.seq != raw_seq || rp.err || fd < 0) {
		errno = rp.err ? rp.err : EPROTO;
		die("floor reply");
	}
	close(fd);
}

static void latencies(bool raw, const char *file, long n)
{
	double *lat = malloc(sizeof(double) * (size_t)n);

	if (!lat)
		die("malloc");
	for (long i = 0; i < n / 10 + 1; i++)	/* warm-up, not counted */
		one(raw, file);
	for (long i = 0; i < n; i++) {
		double t0 = now_us();

		one(raw, file);
		lat[i] = now_us() - t0;
	}
	double med = median(lat, (size_t)n);

	printf("%.3f %.3f\n", med, p99_sorted(lat, (size_t)n));
	free(lat);
}

/* K processes released together through a pipe; wall time of all. */
static void parallel(int k, bool raw, const char *file, long n)
{
	int ready[2], go[2];
	char c;

	if (pipe(ready) < 0 || pipe(go) < 0)
		die("pipe");
	for (int i = 0; i < k; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0) {
			close(ready[0]);
			close(go[1]);
			if (raw)
				raw_connect();
			one(raw, file);	/* connected and warm */
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 0)
				_exit(1);
			for (long j = 0; j < n; j++)
				one(raw, file);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < k; i++)
		if (read(ready[0], &c, 1) != 1)
			die("a client failed to start");
	double t0 = now_us();
	int status, bad = 0;

	close(go[1]);	/* EOF releases them all */
	while (wait(&status) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status);
	double t1 = now_us();

	if (bad) {
		fprintf(stderr, "opener: a client failed\n");
		exit(1);
	}
	printf("%.0f\n", (double)k * (double)n / ((t1 - t0) / 1e6));
}

static pthread_barrier_t opened, measured;
static const char *hold_file;

static void *holder(void *arg)
{
	(void)arg;
	one(false, hold_file);	/* the shim keeps this thread's connection */
	pthread_barrier_wait(&opened);
	pthread_barrier_wait(&measured);
	return NULL;
}

static void hold(int k, const char *file, int pid)
{
	pthread_t *t = calloc((size_t)k, sizeof(*t));
	pthread_attr_t a;
	long before = vmrss_kib(pid), with;

	hold_file = file;
	if (!t || pthread_attr_init(&a) || pthread_attr_setstacksize(&a, 64 * 1024) ||
	    pthread_barrier_init(&opened, NULL, (unsigned)k + 1) ||
	    pthread_barrier_init(&measured, NULL, (unsigned)k + 1))
		die("hold setup");
	for (int i = 0; i < k; i++)
		if ((errno = pthread_create(&t[i], &a, holder, NULL)))
			die("pthread_create");
	pthread_barrier_wait(&opened);
	usleep(200000);	/* let the broker settle */
	with = vmrss_kib(pid);
	pthread_barrier_wait(&measured);
	for (int i = 0; i < k; i++)
		pthread_join(t[i], NULL);
	printf("%ld %ld\n", before, with);
	free(t);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "loop") && argc == 4) {
		long n = atol(argv[3]);

		for (long i = 0; i < n / 10 + 1; i++)
			one(false, argv[2]);
		double t0 = now_us();

		for (long i = 0; i < n; i++)
			one(false, argv[2]);
		printf("%.1f\n", (now_us() - t0) * 1e3 / (double)n);
	} else if (!strcmp(mode, "lat") && argc == 4) {
		latencies(false, argv[2], atol(argv[3]));
	} else if (!strcmp(mode, "rawlat") && argc == 5) {
		sock_path = argv[2];
		raw_connect();
		latencies(true, argv[3], atol(argv[4]));
	} else if (!strcmp(mode, "par") && argc == 6 && !strcmp(argv[3], "libc")) {
		parallel(atoi(argv[2]), false, argv[4], atol(argv[5]));
	} else if (!strcmp(mode, "par") && argc == 7 && !strcmp(argv[3], "raw")) {
		sock_path = argv[4];
		parallel(atoi(argv[2]), true, argv[5], atol(argv[6]));
	} else if (!strcmp(mode, "hold") && argc == 5) {
		hold(atoi(argv[2]), argv[3], atoi(argv[4]));
	} else if (!strcmp(mode, "rss") && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		printf("%ld %ld %ld\n", vmrss_kib(0), status_kib(0, "RssAnon:"),
		       proc_kib(0, "smaps_rollup", "Pss:"));
	} else {
		fprintf(stderr, "usage: see the comment at the top of tests/bench/opener.c\n");
		return 2;
	}
	return 0;
}
