/*
 * What the broker reads from, and does to, a process that stopped in a
 * trapped system call (a seccomp "target").
 *
 * The target is an attacker: its memory may change while it is read
 * (another thread), its pages may be backed by a file system that stalls
 * (FUSE in its own namespace: process_vm_readv then blocks; the seccomp
 * front end calls the target_read* functions off the event loop, from
 * front/worker.c), and it may die or be interrupted by a signal at any
 * moment, its tid then reused.  So every read is followed by
 * target_valid() before its bytes are trusted to be the call's.
 *
 * Error convention: 0 (or a count, or a descriptor) on success, a negative
 * errno on failure; nothing prints.
 */
#ifndef FDB_FRONT_TARGET_H
#define FDB_FRONT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Is notification id still pending on listener (SECCOMP_IOCTL_NOTIF_ID_VALID)? */
bool target_valid(int listener, uint64_t id);

/*
 * A NUL-terminated string at addr of tid into buf (cap bytes, NUL
 * included): its length, -ENAMETOOLONG if no NUL within cap - 1 bytes,
 * -EFAULT if addr is not readable (as the kernel would answer), another
 * -errno if tid cannot be read.  Reads page by page, so a string that ends
 * just before an unmapped page is read whole.  On an error buf is left
 * empty.
 */
ssize_t target_read_str(pid_t tid, uint64_t addr, char *buf, size_t cap);

/* Exactly len bytes at addr of tid: 0, -EFAULT, or another -errno. */
int target_read(pid_t tid, uint64_t addr, void *buf, size_t len);

/* Exactly len bytes of buf to addr of tid: 0, -EFAULT, or another -errno. */
int target_write(pid_t tid, uint64_t addr, const void *buf, size_t len);

/* Who the thread is now, from /proc/TID/status. */
struct target_cred {
	pid_t tgid;
	uid_t ruid, euid, fsuid;
	gid_t rgid, egid, fsgid;
	gid_t *groups; /* malloc'ed (NULL when ngroups is 0): target_cred_free */
	size_t ngroups;
	mode_t umask;
	uint64_t capeff; /* CapEff: the capabilities in effect, in its user namespace */
	char comm[17]; /* Name:, as the kernel escapes it there */
};

/*
 * A /proc/TID/status kept open for the next read of the same thread: a
 * read then costs one pread instead of an open, two reads and a close.
 * The descriptor names the thread itself, not its number: once that thread
 * is gone it reads ESRCH, and the next thread given the number is opened
 * afresh.  Its holder drops it when done (one per tree: see core/broker.c).
 */
struct target_status {
	pid_t tid;
	int fd; /* -1: none kept */
};
#define TARGET_STATUS_NONE ((struct target_status){ .tid = 0, .fd = -1 })
void target_status_drop(struct target_status *keep);

/*
 * Read tid's credentials into c (zeroed first): 0 or -errno (-ESRCH: gone).
 * keep: NULL, or the status descriptor to use and to keep for the next.
 */
int target_cred_read(pid_t tid, struct target_status *keep, struct target_cred *c);
void target_cred_free(struct target_cred *c);

/*
 * A pidfd for tid: of the thread itself (PIDFD_THREAD, 6.9), else, for the
 * thread group's leader only, of its thread group (-ENOSYS for another
 * thread on such a kernel).  Close-on-exec; -errno.
 */
int target_pidfd(pid_t tid, pid_t tgid);

/* A copy of the target's descriptor fd (pidfd_getfd, 5.6): close-on-exec; -errno. */
int target_getfd(int pidfd, int fd);

/* The target's working directory as an O_PATH descriptor (/proc/TID/cwd); -errno. */
int target_cwd(pid_t tid);

/*
 * 1 if tid's root directory and mount namespace are the broker's own, 0 if
 * not (chroot, another mount namespace), -errno if they cannot be read.
 */
int target_fs_is_ours(pid_t tid);

/* tid's network namespace (/proc/TID/ns/net), close-on-exec: for netns_foreign; -errno. */
int target_netns(pid_t tid);

#endif
