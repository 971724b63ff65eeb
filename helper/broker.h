/*
 * The broker: an event loop over non-blocking AF_UNIX SOCK_SEQPACKET
 * connections, one request record at a time per client, each judged on the
 * credentials the kernel recorded for the connection.
 *
 * Functions return 0 or -1 with errno (and a line on stderr for set-up).
 */
#ifndef FDB_BROKER_H
#define FDB_BROKER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include "audit.h"
#include "policy.h"

#define BROKER_MAX_CLIENTS 1024

struct broker;
typedef void (*broker_signal_fn)(struct broker *b, const struct signalfd_siginfo *si);

struct broker {
	const struct policy *policy;
	struct audit *audit;
	int listen_fd;
	pid_t tree_root;           /* > 0: serve only this process's descendants */
	broker_signal_fn on_signal; /* signals in the set given to broker_init */
	void *ctx;
	bool stop;
	/* private */
	int epfd;
	int sigfd;
	unsigned nclients;
};

/* listen_fd: a listening, non-blocking SOCK_SEQPACKET socket. */
int broker_init(struct broker *b, int listen_fd, const sigset_t *sigs);
/* Serve until b->stop is set (by a signal callback). */
int broker_run(struct broker *b);
void broker_close(struct broker *b);

/* A listening socket at path, mode 0666, non-blocking; -1 with a message. */
int broker_listen(const char *path);

#endif
