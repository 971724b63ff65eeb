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
 * freed by its close), whose close cannot wait; anything else (regular
 * file, directory, device, an anonymous inode, a file statx cannot tell)
 * goes to a closer thread.
 *
 * Each descriptor is closed for an account: the uid whose program gave it,
 * its subordinate uids counted as their owner's (core/shares.h's uid).
 * At most CLOSER_PER_ACCOUNT threads close an account's descriptors at
 * once, so that one user's flushes that never end hold no other user's
 * closes: of CLOSER_THREADS threads in all, it takes CLOSER_THREADS /
 * CLOSER_PER_ACCOUNT accounts stuck at once to hold everyone's.  An
 * account's other descriptors wait in its queue, each still one of the
 * broker's RLIMIT_NOFILE (core/reserve.h deals with their shortage).  To
 * bound them, an account that holds CLOSER_BACKLOG descriptors or more
 * (waiting, or being closed) is busy (closer_busy): the broker takes no
 * more descriptors from its programs (core/rest.h rests their
 * connections, front/reader.c the readers of their seccomp trees) until
 * it holds half as many, which closer_eased_fd tells.  A socket of a busy
 * account (a connection it hung up or was refused, say) is parked instead
 * of queued (closer.c): the kernel keeps it in flight, and it costs the
 * broker no descriptor, CLOSER_PARKED of them for one account at most.
 * So what one account's stuck closes pin is CLOSER_BACKLOG descriptors,
 * what the records read before it was seen busy carry (253 at most each),
 * its connections and its carrier; past CLOSER_PARKED sockets parked, one
 * descriptor more for each connection it then makes, sends a descriptor
 * on, and gives up.
 *
 * The queues never turn a descriptor away: only when one cannot grow (no
 * memory), or no closer thread exists nor can be made, is a descriptor
 * closed inline, as the last resort: a socket then has SO_LINGER taken
 * off first, so that only a flush (FUSE, NFS) can still wait there.
 *
 * Threads are made on demand by the caller's thread, every signal
 * blocked, and kept (detached) for the next close.  The queues allocate
 * only to grow.  closer_close keeps errno.
 */
#ifndef FDB_CLOSER_H
#define FDB_CLOSER_H

#include <stdbool.h>
#include <sys/types.h>

#define CLOSER_THREADS 64
#define CLOSER_PER_ACCOUNT 2
#define CLOSER_BACKLOG 64
/* Sockets parked (closer.c) for one account at most, and for all. */
#define CLOSER_PARKED 256
#define CLOSER_PARKED_ALL 1024

/* Close fd (a program's of account, or any whose close might wait), now or on a closer thread. */
void closer_close(uid_t account, int fd);
/* closer_close as the fn of a struct fdpass_dispose: ctx points to the account (a uid_t). */
void closer_dispose(void *account, int fd);

/*
 * Does account hold CLOSER_BACKLOG descriptors or more?  Then take no
 * more from its programs: closer_eased_fd becomes readable once it holds
 * half as many (or none) again.
 */
bool closer_busy(uid_t account);
/*
 * For a thread that takes descriptors from account's programs: wait until
 * account is not busy, timeout_ms have passed, or closer_wait_end is
 * called.  true if it is not busy.
 */
bool closer_wait(uid_t account, int timeout_ms);
/* End every closer_wait now (a thread asked to stop: front/reader.c). */
void closer_wait_end(void);
/*
 * An eventfd (non-blocking), readable once an account that was found
 * busy holds half as many descriptors again; the loop reads it
 * (closer_eased_clear) and looks at what rests.  Made at the first call:
 * -1 with errno if it cannot be.
 */
int closer_eased_fd(void);
void closer_eased_clear(void);

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
