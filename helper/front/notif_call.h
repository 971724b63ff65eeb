/*
 * The seccomp front end's calls, one file per family (notif_open.c,
 * notif_stat.c, notif_net.c), and what they share (notif.c).  Private to
 * the front end.  A decide_* function answers n, or leaves a result in
 * n->out to be written (true), as notif_decide.
 */
#ifndef FDB_FRONT_NOTIF_CALL_H
#define FDB_FRONT_NOTIF_CALL_H

#include "front/as_caller.h"
#include "front/notif.h"
#include "request/request.h"

/* The arguments of a call, by meaning (syscalls.h says which call has which). */
struct args {
	int dirfd;      /* AT_FDCWD when the call has none */
	uint64_t path;  /* the name, for every call but socket and bind */
	unsigned flags; /* open flags, or AT_* flags */
	unsigned mode;  /* creation mode, or access mode */
	uint64_t buf;   /* stat or statx result; openat2's how */
	uint64_t size;  /* openat2's how size; bind's address length */
	unsigned mask;  /* statx */
};

bool decide_open(struct broker *b, struct notif *n, const struct args *a);
bool decide_stat(struct broker *b, struct notif *n, const struct args *a);
bool decide_socket(struct broker *b, struct notif *n);
bool decide_bind(struct broker *b, struct notif *n);

/* Is a a call of the open family (open, openat, openat2, creat)? */
bool is_open_call(enum sc_call c);
/* FDBROKER_DEBUG: one line on stderr for the call and what became of it. */
void debug(const struct notif *n, const char *what);
/* The call goes on to the kernel (CONTINUE), why for FDBROKER_DEBUG; returns false. */
bool kernel(struct notif *n, const char *why);
/* Who asks, for the core: the thread's credentials as read, via=seccomp. */
struct req_who who_of(const struct notif *n);
/*
 * The caller's identity for a try as the caller: its file-system ids, or
 * with CALLER_REAL its real ones (access(2) without AT_EACCESS); its umask
 * only with CALLER_CREATES (a try that makes a file), else the process's
 * stays and the two umask calls are saved.
 */
enum { CALLER_FS = 0, CALLER_REAL = 1, CALLER_CREATES = 2 };
struct as_caller_id caller_id(const struct notif *n, unsigned how);
/*
 * Give id a copy of its groups, in *own (malloc'ed; NULL when there are
 * none), for a job that may outlive the notification: 0 or -ENOMEM.
 */
int caller_id_keep(struct as_caller_id *id, gid_t **own);
/* Is n's address a unix socket's absolute path name (neither abstract nor relative)? */
bool unix_path_name(const struct notif *n);
/* Is fd an object of /proc (or cannot that be told)? */
bool on_proc(int fd);
/* openat2 with these flags, mode and RESOLVE_*: fd or -errno. */
int openat2_fd(int dirfd, const char *path, unsigned flags, unsigned mode, uint64_t resolve);
/* Hand fd (which stays ours) to the program; a file made for it at path from start is removed if that fails. */
void give_fd(struct notif *n, int fd, bool cloexec, int start, const char *created, const char *what);
/* The core's outcome of a descriptor call (open, reopen, socket) to the program. */
void give_outcome_fd(struct broker *b, struct notif *n, struct outcome *o, bool cloexec);

#endif
