/*
 * What /proc says of a process, and its pidfd.  proc_stat returns 0 or -1
 * (the process is gone, or its file could not be read or parsed), and errno
 * after a -1 is not to be relied on (a parse failure does not set it); the
 * pidfd functions return a descriptor or 0, else -errno.  None prints.
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

#endif
