/*
 * tcpbench: B5 of `make bench`, a TCP server and its load.
 *
 *   tcpbench server PORT     accept on 127.0.0.1:PORT forever: accept,
 *                            write one byte, close
 *   tcpbench client PORT T N T threads, N connections each: connect, read
 *                            the byte, close with a reset (no TIME_WAIT, so
 *                            ports never run out); prints connections/s
 *
 * The server is run natively (with CAP_NET_BIND_SERVICE) and under
 * fdbroker with an accept rule; the client load is the same.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in sa = { .sin_family = AF_INET };
static long nconn;

static int conn_once(void)
{
	struct linger lg = { 1, 0 };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char c;

	if (s < 0)
		die("socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || read(s, &c, 1) != 1) {
		close(s);
		return -1;
	}
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
	return 0;
}

static void *client(void *arg)
{
	(void)arg;
	for (long i = 0; i < nconn; i++)
		if (conn_once() < 0)
			die("connection");
	return NULL;
}

static void server(void)
{
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1024) < 0)
		die("server");
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		(void)!write(c, "x", 1);
		close(c);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "";

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)(argc > 2 ? atoi(argv[2]) : 0));
	if (!strcmp(mode, "server") && argc == 3) {
		server();
	} else if (!strcmp(mode, "client") && argc == 5) {
		int t = atoi(argv[3]);
		pthread_t th[64];

		nconn = atol(argv[4]);
		if (t < 1 || t > 64 || nconn < 1)
			return 2;
		/* wait up to 10 s for the server, then warm up */
		for (int i = 0; conn_once() < 0; i++) {
			if (i > 1000)
				die("no server");
			usleep(10000);
		}
		for (int i = 0; i < 200; i++)
			conn_once();
		double t0 = now_us();

		for (int i = 0; i < t; i++)
			if ((errno = pthread_create(&th[i], NULL, client, NULL)))
				die("pthread_create");
		for (int i = 0; i < t; i++)
			pthread_join(th[i], NULL);
		printf("%.0f\n", (double)t * (double)nconn / ((now_us() - t0) / 1e6));
	} else {
		fprintf(stderr, "usage: tcpbench server PORT | tcpbench client PORT THREADS N\n");
		return 2;
	}
	return 0;
}
