/*
 * Finding a program in PATH as a shell does: run and exec start it with
 * exec_search, and the preflight checks look for it the same way for
 * another user (each candidate judged by the caller's own test).
 * path_next returns true with a candidate, false when the list is done;
 * exec_search returns only on failure, with errno set.  Neither prints.
 */
#ifndef FDB_PATHSEARCH_H
#define FDB_PATHSEARCH_H

#include <stdbool.h>
#include <stddef.h>

/* $PATH, or glibc's default when it is unset, as execvp(3) uses it. */
const char *path_list(void);

/*
 * The next place *dirs (a PATH list, from path_list) would hold name, into
 * file: "DIR/name", an empty entry being the current directory ("./name").
 * *dirs moves past the entry; an entry too long for file is skipped.
 */
bool path_next(const char **dirs, const char *name, char *file, size_t cap);

/*
 * Exec argv[0] searched in PATH with the caller's own access (run calls it
 * after the switch to USER): a directory the caller cannot search is
 * skipped, not an error, so a name found nowhere is ENOENT (exit 127) and
 * one found but not executable EACCES (126).
 */
void exec_search(char **argv);

#endif
