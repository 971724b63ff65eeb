/*
 * What /proc says of a process, its pidfd, and the broker's own descriptors
 * by their /proc/self/fd names.  proc_stat returns 0 or -1 (the process is
 * gone, or its file could not be read or parsed), and errno after a -1 is
 * not to be relied on (a parse failure does not set it); the other
 * functions return a descriptor, a length or 0, else -errno.  None prints.
 */
#ifndef FDB_PROC_H
#define FDB_PROC_H

#include <sys/types.h>

/* The parent pid and the state letter (R, S, Z, ...) from /proc/PID/stat. */
int proc_stat(pid_t pid, pid_t *ppid, char *state);

/* pidfd_open(2) of pid with flags (Linux 5.3): the descriptor, or -errno. */
int proc_pidfd_open(pid_t pid, unsigned int flags);

/*
 * A pidfd of the process that connected unix socket fd (SO_PEERPIDFD,
 * Linux 6.5): the descriptor, or -errno; -ENOPROTOOPT on an older kernel.
 */
int proc_peer_pidfd(int fd);

/* pidfd_send_signal(2) of sig (0: only whether the process lives): 0 or -errno. */
int proc_pidfd_signal(int pidfd, int sig);

/*
 * Is the process that connected unix socket fd (SO_PEERCRED's pid, pid)
 * in this process's own user namespace?  1 yes, 0 no (one below it),
 * -errno when it cannot be told (it is gone).  Called on one thread only
 * (the broker's loop).  PIDFD_GET_USER_NAMESPACE on
 * its pidfd (Linux 6.11, and SO_PEERPIDFD 6.5); before, /proc/PID/ns/user,
 * which a pid given to another process meanwhile would answer for.
 */
int proc_peer_own_userns(int fd, pid_t pid);

/*
 * The process's own /proc/self/fd held open (O_PATH), so that a name in
 * it is one component to walk where "/proc/self/fd/N" is four and the
 * "self" link: about 1 µs of a brokered open's 21 (B2 of make bench),
 * whose object is re-opened through its O_PATH descriptor (grant/open.c).
 * Call it once, before any thread.  A child of fork, whose descriptor
 * table is a copy, lets it go and uses the long names, as does a process
 * that never called it.
 */
int proc_self_fd_init(void);

/* open(2) of /proc/self/fd/FD with flags: a new open file of fd's object. */
int proc_self_fd_open(int fd, int flags);

/* readlink(2) of /proc/self/fd/FD into buf (not terminated): its length. */
ssize_t proc_self_fd_readlink(int fd, char *buf, size_t cap);

#endif
