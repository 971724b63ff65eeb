/*
 * The process tree below fdbroker run, for stopping it.
 *
 * A child subreaper adopts the orphans of its tree, but the kernel gives it
 * no list of them (cgroup v2, which would, is not guaranteed here): the tree
 * is found by walking /proc by parent pid, and each member is signalled
 * through a pidfd, so a pid reused between the walk and the signal is not
 * hit (Linux 5.3 for pidfd_open and pidfd_send_signal).
 *
 * tree_signal returns the number of processes signalled, or -1 with errno.
 */
#ifndef FDB_TREE_H
#define FDB_TREE_H

#include <sys/types.h>

/* Send sig to every live descendant of root (root itself is spared). */
int tree_signal(pid_t root, int sig);

#endif
