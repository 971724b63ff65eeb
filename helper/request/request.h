/*
 * A request as the core sees it, whichever way it arrived (the shim's wire
 * record, later a seccomp notification), and its outcome.
 *
 * A front end fills a struct req from what it received: who asks (the
 * credentials the kernel recorded, never what the program says) and the
 * object, with the program's descriptors it came with.  A grant
 * (helper/grant/) takes the request and fills a struct outcome: the
 * descriptor or errno for the program, and what the core writes in the
 * audit line and teaches the learn table.  The core does the writing and
 * the learning; the front end turns the outcome into its own reply.
 *
 * No functions return errors here: these are types, and outcome_* fill or
 * read an outcome.
 */
#ifndef FDB_REQUEST_H
#define FDB_REQUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "policy/policy.h"

enum req_op {
	REQ_OPEN,   /* open family */
	REQ_STAT,   /* stat or access of a path, judged as an open */
	REQ_REOPEN, /* a name of the program's own descriptor: /dev/stderr, /proc/self/fd/N */
	REQ_SOCKET, /* a socket the kernel would refuse the program */
	REQ_BIND,   /* the program's own socket, bound in place (or a held listener) */
	REQ_SOCKOPT, /* setsockopt on a held listener, through its channel (no grant: the core's) */
};

/* Who asks: the kernel's word for the process at the time of the request. */
struct req_who {
	pid_t pid;
	struct subject id; /* uid, gid, supplementary groups */
	const char *prog;  /* the program's name (comm), for the log */
	const char *via;   /* the way in, for the log: NULL the shim's, "seccomp" */
};

/* "stat" in req.u.stat.amode: a stat (any other value is an access(2) mode). */
#define REQ_AMODE_STAT 0xffffffffu

struct req {
	enum req_op op;
	struct req_who who;
	union {
		struct req_open {
			const char *path;
			int dirfd;      /* the program's directory for a relative path; -1: none */
			unsigned flags; /* open(2) flags as the program passed them */
			unsigned mode;  /* creation mode, the program's umask applied */
		} open;
		struct req_stat {
			const char *path;
			int dirfd;         /* as for open */
			unsigned at_flags; /* AT_SYMLINK_NOFOLLOW; a stat's AT_STATX_SYNC_TYPE */
			uint32_t amode;    /* REQ_AMODE_STAT, or F_OK / R_OK|W_OK|X_OK */
			unsigned mask;     /* a stat's statx(2) mask */
		} stat;
		struct req_reopen {
			const char *name; /* the name the program opened */
			unsigned fd;      /* N of that name */
			unsigned flags;   /* open(2) flags as the program passed them */
			int held;         /* the program's descriptor N, passed along */
		} reopen;
		struct req_socket {
			int family, type, protocol; /* type with SOCK_NONBLOCK/SOCK_CLOEXEC as given */
			int probe; /* a socket the program made, or its /proc/PID/ns/net: its network namespace */
		} socket;
		struct req_bind {
			int sock; /* the program's socket */
			const struct sockaddr *sa;
			socklen_t salen;
			mode_t umask; /* the program's, for a unix socket file */
			/*
			 * The front end has no channel to hand a held listener
			 * down (seccomp): an accept rule binds the socket in
			 * place instead, filtered by its from list.
			 */
			bool no_hold;
		} bind;
		struct req_sockopt {
			int chan; /* what the program says is its end of a listener channel */
			int level, optname;
			const void *value;
			socklen_t len; /* 1 to FDB_SOCKOPT_MAX */
		} sockopt;
	} u;
};

/*
 * What became of a request.  The descriptor is the outcome's: whoever
 * delivers it closes it afterwards.
 */
struct outcome {
	int fd;        /* for the program; -1: none */
	int err;       /* 0, or the errno of the broker's attempt (the program's errno) */
	bool denied;   /* refused: the program keeps its own result and errno */
	bool listener; /* fd is the channel of a held listener (accept rules) */
	bool created;  /* fd is a file the grant created (object names it): undone if never delivered */
	bool has_stx;  /* a stat granted: stx is its answer (a stat hands over no descriptor) */
	struct statx stx;
	const struct rule *rule; /* the deciding rule; NULL: default, or refused beside the policy */
	const char *rule_held;   /* no rule but a held listener's: the name it was granted by */

	/* the audit line: op=OP object=OBJECT DETAIL ...; its texts are at the end */
	const char *op;

	/*
	 * --learn: what the decision teaches, if anything.  taught's path, if
	 * any, points into object (below): an outcome is filled and read in place.
	 */
	bool teach;
	struct request taught; /* what policy_decide was (or would have been) asked */
	int taught_err;        /* the error learned: 0 for a refusal beside the policy */
	const char *why;       /* learn_decision's why and reason (learn.h) */
	const char *reason;
	bool unresolved;       /* no why yet: the name reached no object ... */
	int walk_err;          /* ... with this errno (0: not told) */

	/*
	 * A bind that an accept rule grants: the core holds the listener for the
	 * program (the loop must watch it), and then fills fd, err and listener.
	 */
	bool hold;

	/*
	 * Not a request at all (a descriptor of the wrong kind came with it):
	 * nothing was decided or logged; the front end drops the asker.
	 */
	bool malformed;

	/*
	 * The audit line's texts, last and nothing after them: outcome_init
	 * clears what is before them and empties these two, which are most
	 * of the outcome's size.
	 */
	char object[PATH_MAX + 16];
	char detail[192];
};

/* An outcome with nothing decided yet: no descriptor, no error, op as given. */
void outcome_init(struct outcome *o, const char *op);

/* The audit line's verdict: "deny", "error" or "allow". */
const char *outcome_verdict(const struct outcome *o);

#endif
