/*
 * The open calls that wait for an inode's lock, off the loop.
 *
 * Creating a file takes its directory's lock, O_TRUNC the file's, the
 * open of a FIFO the pipe's (even with O_NONBLOCK), a terminal's the
 * tty's.  A program can hold them as long as it likes: a getdents64 of a
 * directory it may read, or a write to a file or FIFO it may write, whose
 * buffer lies on a page that faults to a FUSE file system of its own (in a
 * user namespace) that never answers, stops inside the kernel with the
 * lock held.  The broker's loop must not wait there.  So these calls run as a
 * sockjob (sys/sockjob.h): the loop waits SOCKJOB_MS at most, then refuses
 * the request (-EBUSY here) and leaves the job to its thread, which takes
 * back what the call did once the kernel lets it go: the descriptor is
 * closed, and a file it created is removed.
 *
 * Functions return a descriptor or a negative errno; -EBUSY: the lock was
 * not had in time, or too many of uid's jobs (or everyone's) are stuck.
 */
#ifndef FDB_OPEN_JOB_H
#define FDB_OPEN_JOB_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * openat(dirfd, base, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode), then,
 * if chown, fchown to uid and gid (the file is removed again if that
 * fails).  uid is also whose job it is, for the stuck counts.
 */
int open_job_create(int dirfd, const char *base, int flags, mode_t mode, bool chown, uid_t uid,
		    gid_t gid);

/* The object of O_PATH descriptor opath opened anew with flags (/proc/self/fd), for uid. */
int open_job_reopen(int opath, int flags, uid_t uid);

#endif
