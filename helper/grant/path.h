/*
 * Path text: lexical folding and the kernel's name for a descriptor.
 * Functions return 0 or a negative errno, or a bool for a question.
 */
#ifndef FDB_PATH_H
#define FDB_PATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Fold an absolute path lexically: "//" and "." vanish, ".." drops the
 * previous component ("/.." stays "/").  No filesystem access, so symlinks
 * are not followed: the result is the path as written, not the object.
 */
int path_fold(const char *in, char *out, size_t cap);

/* Join base (absolute) and rel, then fold. */
int path_join_fold(const char *base, const char *rel, char *out, size_t cap);

/* Whether path (absolute or relative) has a ".." component. */
bool path_has_dotdot(const char *path);

/*
 * path's directory into dir ("." for a bare name, "/" for one under the
 * root) and *base its last component, for a creation: 0, -ENAMETOOLONG
 * when the directory does not fit, -EISDIR when there is no name to create
 * ("", ".", "..", a trailing "/").
 */
int path_parent(const char *path, char *dir, size_t cap, const char **base);

/*
 * The absolute path the kernel reports for fd (/proc/self/fd/N): 0, or
 * -ENOENT for an object with no name (a socket, an anonymous inode, a file
 * or directory unlinked or renamed over since it was opened: the kernel's
 * " (deleted)" name; a file really named so ends up refused too).
 */
int path_of_fd(int fd, char *out, size_t cap);

#endif
