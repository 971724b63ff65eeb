/*
 * Closing a descriptor a program gave the broker, off the loop.
 *
 * close() calls the file's ->flush, and some file systems wait there for
 * someone else: FUSE sends FUSE_FLUSH and waits for its server, which a
 * program that mounted it itself need never answer; NFS and CIFS flush to
 * their server too, and the last close of a socket with SO_LINGER set
 * waits for its peer.  A descriptor that came from a program (over
 * SCM_RIGHTS, or out of a seccomp target with pidfd_getfd) may be any of
 * these.  So closer_close looks at what the file is without asking its
 * driver (statx with AT_STATX_DONT_SYNC: FUSE and NFS answer from their
 * cache) and closes inline only a FIFO or a socket without linger (and,
 * for a unix socket, with nothing queued: descriptors in flight there are
 * freed by its close), whose close cannot wait; anything else (regular file, directory, device, an
 * anonymous inode, a file statx cannot tell) goes to a closer thread.
 *
 * The bound: at most CLOSER_THREADS closes stuck at once (that many
 * flushes a program never ends); the next descriptors wait in a queue,
 * each still costing the broker a descriptor of its RLIMIT_NOFILE, whose
 * shortage core/reserve.h deals with (a descriptor sent to a broker that
 * has none left is dropped by the kernel, which flushes nothing then).
 * The queue starts with room for CLOSER_QUEUE and doubles when full, so it
 * never turns a descriptor away: it can hold every one the broker may
 * have.  Only when it cannot grow (no memory), or no closer thread exists
 * nor can be made, is a descriptor closed inline, as the last resort: a
 * socket then has SO_LINGER taken off first, so that only a flush (FUSE,
 * NFS) can still wait there.
 *
 * Threads are made on demand by the caller's thread, every signal
 * blocked, and kept (detached) for the next close.  The queue allocates
 * only to grow.  closer_close keeps errno.
 */
#ifndef FDB_CLOSER_H
#define FDB_CLOSER_H

#define CLOSER_THREADS 8
#define CLOSER_QUEUE 1024

/* Close fd (a program's, or any whose close might wait), now or on a closer thread. */
void closer_close(int fd);

/*
 * Close a socket only the broker holds (a connection it accepted and will
 * not hand over) at once: without SO_LINGER, which a connection inherits
 * from its listener, so a peer that never acknowledges cannot hold the
 * close.  Keeps errno.
 */
void closer_close_socket(int fd);
/*
 * Wake the idle closer threads (after caps_limit_all, sys/caps.h): each
 * gives up what the reload gave up; a busy one does before its next close.
 */
void closer_wake(void);

/* How many descriptors went to the closer threads so far (tests). */
unsigned closer_queued_total(void);

/* How many closer threads there are (tests). */
unsigned closer_threads(void);

/*
 * Tests only: what a closer thread calls instead of close(), so a test
 * can make a close that waits.  NULL: close() again.
 */
void closer_test_close(int (*fn)(int fd));

#endif
