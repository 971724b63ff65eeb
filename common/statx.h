/*
 * A stat's answer travels as a struct statx (the wire's REPLY to a stat,
 * and the seccomp front end's own statx): this turns it into the struct
 * stat that stat(2), lstat(2) and newfstatat(2) fill, field by field as the
 * kernel fills it from the same attributes (cp_new_stat), so the program
 * sees what a stat by root would show.  x86_64's struct stat, which is
 * also its struct stat64.
 *
 * Pure: no I/O, no errors.
 */
#ifndef FDB_STATX_H
#define FDB_STATX_H

#include <sys/stat.h>

void statx_to_stat(const struct statx *sx, struct stat *st);

#endif
