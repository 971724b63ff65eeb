/*
 * Reply batching, for any transport: replies wait in the outbox until the
 * audit lines of the batch they belong to are written, so nothing is
 * handed out before its line is in the log, and one write carries the lines
 * of several decisions.  An entry is a destination, a small encoded
 * message, a descriptor to pass with it, and the sink that knows how to send
 * to that destination and what to do when sending fails.
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno; a
 * request-path function that may drop a client returns -1 meaning "drop this
 * client (already logged)".
 */
#ifndef FDB_OUTBOX_H
#define FDB_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

struct audit;

/*
 * Most replies held for one audit write.  Holding replies keeps their
 * clients asleep; past a few, the write saved is worth less than the
 * clients that could run on another CPU meanwhile (B4 of make bench, 64
 * clients on 2 CPUs: 1, 2, 4, 8, 64 measured; 4-8 best, 64 ~8% lower).
 */
#define OUTBOX_BATCH 8
/* The largest message an entry holds (a wire reply is 24 bytes, a stat's 280). */
#define OUTBOX_MSG_MAX 288

struct outbox_sink {
	/*
	 * Send len bytes of msg, with fd if it is >= 0 (the outbox closes fd
	 * afterwards); 0, or -1 (logged) if dest must go.
	 */
	int (*send)(void *ctx, void *dest, const void *msg, size_t len, int fd);
	/* A held message could not be sent: let dest go (it calls outbox_forget). */
	void (*drop)(void *ctx, void *dest);
};

struct outbox_entry {
	void *dest; /* NULL: it has gone (outbox_forget) */
	const struct outbox_sink *sink;
	int fd;     /* passed with the message, then closed; -1: none */
	size_t len;
	unsigned char msg[OUTBOX_MSG_MAX];
};

struct outbox {
	struct audit *audit;
	void *ctx;     /* given to the sinks */
	bool batching; /* in an event batch: messages wait */
	unsigned n;
	struct outbox_entry e[OUTBOX_BATCH];
};

void outbox_init(struct outbox *o, struct audit *audit, void *ctx);
/* From here until outbox_flush, messages wait (unless sent now). */
void outbox_begin(struct outbox *o);
/*
 * Send msg (len <= OUTBOX_MSG_MAX) with fd (-1: none; closed by the outbox)
 * to dest: held if a batch is going on, at once otherwise or if now (the
 * destination is dropped next), the audit lines written first.  0, or -1 if
 * sending at once failed and dest must go (the sink has logged it).
 */
int outbox_put(struct outbox *o, void *dest, const struct outbox_sink *sink, const void *msg,
	       size_t len, int fd, bool now);
/*
 * The end of a batch: the audit lines first, in one write, then the
 * messages they record; a destination that cannot take its message is
 * dropped.  The batch is over.
 */
void outbox_flush(struct outbox *o);
/* dest is going: its held messages go nowhere, their descriptors are closed. */
void outbox_forget(struct outbox *o, const void *dest);

#endif
