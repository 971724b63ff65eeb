/*
 * What /proc says of a process.  Functions return 0 or -1 (the process is
 * gone, or its file could not be read or parsed); they print nothing, and
 * errno after a -1 is not to be relied on (a parse failure does not set it).
 */
#ifndef FDB_PROC_H
#define FDB_PROC_H

#include <sys/types.h>

/* The parent pid and the state letter (R, S, Z, ...) from /proc/PID/stat. */
int proc_stat(pid_t pid, pid_t *ppid, char *state);

#endif
