/*
 * Whose mount a descriptor is on: the broker's own mount namespace, or
 * another one (a client's private namespace, a detached tree).
 * Functions return 0 or a negative errno.
 */
#ifndef FDB_MOUNTS_H
#define FDB_MOUNTS_H

#include <stdint.h>

/*
 * 0 if fd's mount is one of the broker's mount namespace; -EXDEV if it is
 * not (another namespace, a detached mount, an internal one such as sockfs's);
 * another negative errno if the kernel cannot say (before 6.8: -ENOSYS).
 * Never waits on a file system: the inode is not revalidated.
 */
int mount_is_ours(int fd);

/*
 * The same, and when the mount is ours, *magic is its file system's magic
 * number (statfs f_type, from statmount: the file system is not asked; 0 if
 * the kernel did not say).
 */
int mount_is_ours_magic(int fd, uint64_t *magic);

#endif
