/*
 * Clients: taking connections from the broker's socket, admitting them
 * (credentials, process tree, dumpable, per-uid shares), serving their
 * records as event sources, replying over the wire, letting them go.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno; a
 * request-path function that may drop a client returns -1 meaning "drop this
 * client (already logged)".
 */
#ifndef FDB_CLIENTS_H
#define FDB_CLIENTS_H

struct broker;
struct client;

/* Watch the broker's socket (b->listen_fd) for connections; 0 or -1 with errno. */
int clients_listen(struct broker *b);
/*
 * Admit a connected, non-blocking SOCK_SEQPACKET socket as a client, judged
 * on its SO_PEERCRED like one accepted from the broker's socket.  0, or -1
 * if it was refused (logged, fd closed).
 */
int broker_adopt(struct broker *b, int fd);
/* Let c go: out of the loop, its held replies forgotten, its descriptor closed. */
void client_free(struct broker *b, struct client *c);

#endif
