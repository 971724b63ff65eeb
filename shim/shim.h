/*
 * libfdshim internals.  Nothing here is exported: the library is built with
 * -fvisibility=hidden and a version script, and only the interposed libc
 * symbols carry SHIM_EXPORT.
 *
 * Conventions: wrappers return what the libc call returns and leave errno as
 * the real call left it unless the broker helped; internal helpers return
 * -1 with errno set to the caller's original errno (they never invent one).
 */
#ifndef FDSHIM_H
#define FDSHIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __thread __attribute__((tls_model("initial-exec")))

/* The real libc functions, looked up once. */
struct real_fns {
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*open_2)(const char *, int);
	int (*open64_2)(const char *, int);
	int (*openat_2)(int, const char *, int);
	int (*openat64_2)(int, const char *, int);
	int (*creat)(const char *, mode_t);
	int (*creat64)(const char *, mode_t);
	FILE *(*fopen)(const char *, const char *);
	FILE *(*fopen64)(const char *, const char *);
	FILE *(*freopen)(const char *, const char *, FILE *);
	FILE *(*freopen64)(const char *, const char *, FILE *);
	DIR *(*opendir)(const char *);
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	/* stat.c: the stat family, and what answers from a brokered descriptor */
	int (*stat)(const char *, struct stat *);
	int (*stat64)(const char *, struct stat64 *);
	int (*lstat)(const char *, struct stat *);
	int (*lstat64)(const char *, struct stat64 *);
	int (*fstatat)(int, const char *, struct stat *, int);
	int (*fstatat64)(int, const char *, struct stat64 *, int);
	int (*statx)(int, const char *, int, unsigned, struct statx *);
	int (*xstat)(int, const char *, struct stat *);
	int (*xstat64)(int, const char *, struct stat64 *);
	int (*lxstat)(int, const char *, struct stat *);
	int (*lxstat64)(int, const char *, struct stat64 *);
	int (*fxstatat)(int, int, const char *, struct stat *, int);
	int (*fxstatat64)(int, int, const char *, struct stat64 *, int);
	/* access.c */
	int (*access)(const char *, int);
	int (*faccessat)(int, const char *, int, int);
	int (*euidaccess)(const char *, int);
	int (*eaccess)(const char *, int);
	/* exec.c: execl, execlp and execle end in these as glibc's own do */
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
};

extern struct real_fns shim_real;

/* The lookup is done (atomic, set once): shim_init's one load after that. */
extern bool shim_ready;
void shim_init_slow(void);

/* Look the real symbols up (once); after that a load and a predicted branch. */
static inline void shim_init(void)
{
	if (__builtin_expect(!__atomic_load_n(&shim_ready, __ATOMIC_ACQUIRE), 0))
		shim_init_slow();
}

/*
 * Make the process non-dumpable (no same-user ptrace or pidfd_getfd), unless
 * FDBROKER_DUMPABLE=1 was set at start.  Async-signal-safe: one prctl.
 */
void shim_protect(void);

/*
 * The shim's own file as the loader names it (its LD_PRELOAD entry, or the
 * path found for a bare name), taken by the start-up constructor: dladdr
 * takes the loader's lock, which an exec after fork, in a vfork child or in
 * a signal handler must not.  NULL if dladdr could not tell.
 */
extern const char *shim_self_name;

/*
 * True while this thread looks the real symbols up (shim_init).  The broker
 * path itself calls none of our wrappers (the channel makes its socket with
 * a raw syscall), so a signal handler may broker while its thread is in the
 * middle of a request: channel.c gives it a connection of its own.
 */
extern SHIM_TLS int shim_busy;

/* Worth asking the broker?  Only a privilege failure is. */
static inline bool shim_should_ask(int rc_failed, int err)
{
	return __builtin_expect(rc_failed, 0) && (err == EACCES || err == EPERM);
}

/* FDBROKER_DEBUG=1: one line on stderr; otherwise silent. */
void shim_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ask the broker to open path (relative to dirfd as openat would) and return
 * the descriptor, or -1 with errno = orig_errno when the broker denies, is
 * absent or fails, or errno = the broker's kernel errno when the open was
 * allowed and failed there.
 */
int shim_broker_open(int dirfd, const char *path, int flags, mode_t mode, int orig_errno);

/*
 * The descriptor N that path names as one of the program's own
 * (/dev/stderr, /proc/self/fd/N, ...: common/fdname.h), or -1.
 */
int shim_fdname(const char *path);

/*
 * After an open of name (which names descriptor named) failed with
 * orig_errno: have the broker reopen fd (named, or a copy of it) with flags,
 * if orig_errno is EACCES.  Returns
 * the new descriptor, or -1 with errno as for shim_broker_open.  Sets
 * *policy_road when the request is no reopen the broker serves (O_TRUNC on a
 * regular file) and should go through the policy as an ordinary open.
 */
int shim_broker_reopen(int fd, int named, const char *name, int flags, int orig_errno,
		       bool *policy_road);

/*
 * The directory a relative path starts from, to send the broker: dirfd
 * itself, or for AT_FDCWD a new O_PATH descriptor of "." (*own set: the
 * caller's to close).  -1 for an absolute path, or when "." cannot be had.
 */
int shim_start_dir(int dirfd, const char *path, bool *own);

/*
 * Ask the broker about the object at path (from dirfd as fstatat would;
 * at_flags: AT_SYMLINK_NOFOLLOW counts, and for a stat statx's
 * AT_STATX_SYNC_TYPE).  amode FDB_AMODE_STAT: returns 0 with the broker's
 * statx of the object in *stx, asked with mask; an access mode (mask 0, stx
 * NULL): returns 0 for yes.  Otherwise -1 with errno = orig_errno when the
 * broker denies, is absent or fails, or the broker's errno when the object
 * is inside the policy.  (object.c)
 */
int shim_broker_object(int dirfd, const char *path, int at_flags, uint32_t amode, unsigned mask,
		       struct statx *stx, int orig_errno);

/*
 * The program's umask, which the kernel would have applied to a mode it
 * creates with (open's O_CREAT, a unix socket file); 0022 if unknown.
 */
mode_t shim_umask(void);

/*
 * Is fd a listener channel (shim/accept.c)?  If so and sa is not NULL, the
 * listener's own address is copied there (as getsockname would).
 */
bool shim_is_listener(int fd, struct sockaddr *sa, socklen_t *salen);

struct fdb_reply;

/*
 * The broker channel (channel.c): send one request record, with at most one
 * descriptor (closed by the channel after sending when close_sendfd is set),
 * and wait for its reply.  Returns 0 and fills rep (status, rflags, and a
 * stat's statx with FDB_REPLY_STATX) and fd_out, or -1 when no answer could
 * be had (no broker, broker gone, protocol error).
 */
int shim_call(void *req, size_t len, int sendfd, bool close_sendfd, int recv_flags,
	      struct fdb_reply *rep, int *fd_out);

#endif
