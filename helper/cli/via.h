/*
 * The way PROGRAM's calls reach the broker (--via of run and exec): the
 * shim, preloaded, or the seccomp filter.  auto takes the filter for a
 * program the shim cannot enter (common/elfinfo.h: elf_shim_enters), the
 * shim for the others.
 *
 * Errors: parse_via returns 0, or -1 (said on stderr); the others cannot
 * fail, and say in why what they chose by.
 */
#ifndef FDB_VIA_H
#define FDB_VIA_H

#include <stdbool.h>
#include <stddef.h>

#include "sys/users.h"

enum via { VIA_AUTO, VIA_PRELOAD, VIA_SECCOMP };

/* "auto", "preload", "seccomp", by enum via */
extern const char *const via_names[];

/* --via ARG of command cmd ("run", "exec"): a refusal says "fdbroker CMD: ...". */
int parse_via(const char *cmd, const char *arg, enum via *out);

/*
 * --via auto for the file at path: the filter for a program the shim
 * cannot enter, the shim otherwise and when the file cannot be read.  A #!
 * script (when script is set) is judged by its interpreter, one level
 * down.  why: the reason, for FDBROKER_DEBUG.
 */
enum via judge_file(const char *path, bool script, char *why, size_t cap);

/*
 * The way in for program (argv[0]) under the requested via, run by id
 * (NULL: the calling user, as exec runs it), and under the filter program
 * as id's exec would find it, into path ("" if not found, or under the
 * shim: nothing to search before the exec).  FDBROKER_DEBUG=1: one line on
 * stderr with the way and why.
 */
enum via choose_via(enum via want, const char *program, const struct identity *id, char *path,
		    size_t cap);

#endif
