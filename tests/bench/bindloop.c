/*
 * bindloop: B3 of `make bench`.  As an unprivileged user, N times:
 * socket(), bind() to 127.0.0.1:PORT (a port below 1024), close(); each
 * timed.  Run under authbind and under fdbroker; prints "median_us p99_us".
 *
 *   bindloop PORT N
 */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void one(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	close(s);
}

int main(int argc, char **argv)
{
	int port = argc == 3 ? atoi(argv[1]) : 0;
	long n = argc == 3 ? atol(argv[2]) : 0;
	double *lat = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));

	if (port <= 0 || n <= 0 || !lat) {
		fprintf(stderr, "usage: bindloop PORT N\n");
		return 2;
	}
	for (long i = 0; i < n / 10 + 1; i++)
		one(port);
	for (long i = 0; i < n; i++) {
		double t0 = now_us();

		one(port);
		lat[i] = now_us() - t0;
	}
	double med = median(lat, (size_t)n);

	printf("%.3f %.3f\n", med, p99_sorted(lat, (size_t)n));
	return 0;
}
