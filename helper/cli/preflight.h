/*
 * Will the way in work?  Checks made before PROGRAM starts (run, exec) or
 * instead of starting it (doctor): can USER reach the socket and read the
 * shim, and will the loader let the shim into PROGRAM (not setuid, no file
 * capabilities, glibc's loader, not statically linked, not Go).  Without
 * them a program fails exactly as without fdbroker, and nothing says why.
 *
 * Each finding is one line naming the file and what to do.  For run and
 * exec only problems are printed, on stderr, as "fdbroker: ..."; for
 * doctor every check prints "ok: ..." or "problem: ..." on stdout.
 *
 * Access is judged from the mode bits of every object on the way, as the
 * kernel would for USER; a "no" is confirmed by asking the kernel as USER
 * (access(2), in a child that became USER when we are root), so an ACL
 * that grants access is never reported as a problem.
 *
 * Functions return 0 when the check passed, 1 when it found a problem
 * (already printed), -1 when the run cannot go on (printed), unless they
 * say otherwise.
 */
#ifndef FDB_PREFLIGHT_H
#define FDB_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "elfinfo.h"
#include "sys/users.h"

struct preflight {
	const struct identity *id;
	bool doctor;       /* print ok lines too, on stdout */
	unsigned problems; /* problem lines printed so far */
};

/*
 * run: the directory the broker makes its socket in: $TMPDIR
 * (or /tmp) when USER can search it, else /tmp, with a line saying so.
 * base gets the directory; -1 when USER can reach neither.
 */
int preflight_socket_base(struct preflight *pf, char *base, size_t cap);

/* exec (and doctor -s): can USER connect to a serve broker's socket? */
int preflight_socket(struct preflight *pf, const char *socket_path);

/* Can USER read the shim (every directory on the way searchable)? */
int preflight_shim(struct preflight *pf, const char *shim);

/*
 * PROGRAM, found through PATH as USER's exec would find it: can the shim
 * enter it?  A #! script is judged by its interpreter (and env's program).
 * A program not found is a problem for doctor only: run and exec say so
 * when they try to start it.
 */
int preflight_program(struct preflight *pf, const char *program);

/*
 * run --via auto: PROGRAM as USER's exec would find it, into out: a name
 * with a slash as it is, else the first PATH entry where USER reaches an
 * executable regular file (judged as above); false if there is none.
 */
bool preflight_find(const struct identity *id, const char *program, char *out, size_t cap);

/*
 * How path starts (common/elfinfo.h), read only if it is a regular file
 * (EISDIR for anything else): 0, or -1 with errno.  Nothing is said.
 */
int preflight_inspect(const char *path, struct exe_info *x);

/*
 * exec: the three checks above for the caller against socket_path; -1 when
 * the caller cannot read the shim (exec then refuses), else 0.
 */
int preflight_exec(const char *socket_path, const char *shim, const char *program);

/*
 * At run's exit: when PROGRAM failed (status non-zero) and the broker
 * denied some of its requests, one line with how many, pointing to
 * --learn and explain.
 */
void preflight_denials(const char *program, int status, unsigned long denied, bool learning);

#endif
