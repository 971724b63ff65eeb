/*
 * Names by which a program reopens a descriptor it holds: /dev/stdin,
 * /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N,
 * /proc/thread-self/fd/N and /proc/PID/fd/N for the program's own PID.
 *
 * Pure text: no I/O.  fdname_parse returns N (>= 0), or -1 when path is no
 * such name (no errno).
 */
#ifndef FDB_FDNAME_H
#define FDB_FDNAME_H

#include <sys/types.h>

/* own_pid: the caller's getpid() at the time of the open. */
int fdname_parse(const char *path, pid_t own_pid);

#endif
