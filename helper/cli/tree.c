/* The descendants of a process, from /proc, signalled through pidfds. */
#include "cli/tree.h"
#include "sys/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_entry {
	pid_t pid, ppid;
	bool live;   /* not a zombie: a signal still means something to it */
	bool member; /* root or a descendant of it */
};

/* Parent and liveness from /proc/PID/stat; 0, or -1 when it is gone. */
static int read_stat(pid_t pid, pid_t *ppid, bool *live)
{
	char state;

	if (proc_stat(pid, ppid, &state) < 0)
		return -1;
	*live = state != 'Z' && state != 'X';
	return 0;
}

/* Every process in /proc; the count, or -1. */
static long list_procs(struct proc_entry **out)
{
	struct proc_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		struct proc_entry e = { 0 };

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		e.pid = (pid_t)atoi(d->d_name);
		if (read_stat(e.pid, &e.ppid, &e.live) < 0)
			continue;
		if (n == cap) {
			struct proc_entry *nv = realloc(v, sizeof(*v) * (cap ? cap * 2 : 256));

			if (!nv) {
				free(v);
				closedir(dir);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
			cap = cap ? cap * 2 : 256;
		}
		v[n++] = e;
	}
	closedir(dir);
	*out = v;
	return (long)n;
}

static bool is_member(const struct proc_entry *v, long n, pid_t pid)
{
	for (long i = 0; i < n; i++)
		if (v[i].pid == pid)
			return v[i].member;
	return false;
}

/*
 * Mark root's descendants: a process whose parent is marked is marked,
 * until a pass marks nothing (one pass per generation of the tree).
 */
static void mark_tree(struct proc_entry *v, long n, pid_t root)
{
	bool more = true;

	for (long i = 0; i < n; i++)
		v[i].member = v[i].pid == root;
	while (more) {
		more = false;
		for (long i = 0; i < n; i++) {
			if (!v[i].member && is_member(v, n, v[i].ppid)) {
				v[i].member = true;
				more = true;
			}
		}
	}
}

/*
 * The pid is checked again once its pidfd is open: if it was reaped and
 * reused since the walk, the new process's parent is outside the tree
 * (or, if inside, it is a member anyway), and it is spared.
 */
static int signal_one(const struct proc_entry *v, long n, pid_t pid, int sig)
{
	int pfd = proc_pidfd_open(pid, 0), rc = 0;
	pid_t ppid;
	bool live;

	if (pfd < 0)
		return 0; /* gone already */
	if (read_stat(pid, &ppid, &live) == 0 && live && is_member(v, n, ppid) &&
	    proc_pidfd_signal(pfd, sig) == 0)
		rc = 1;
	close(pfd);
	return rc;
}

int tree_signal(pid_t root, int sig)
{
	struct proc_entry *v = NULL;
	long n = list_procs(&v);
	int count = 0;

	if (n < 0)
		return -1;
	mark_tree(v, n, root);
	for (long i = 0; i < n; i++)
		if (v[i].member && v[i].live && v[i].pid != root)
			count += signal_one(v, n, v[i].pid, sig);
	free(v);
	return count;
}
