/*
 * Mount ownership; see mounts.h.
 *
 * statx(STATX_MNT_ID) gives a 32-bit id the kernel reuses, which another
 * namespace's mount may carry; STATX_MNT_ID_UNIQUE (6.8) gives the 64-bit id
 * that is never reused.  statmount(2) (6.8) looks that id up in the caller's
 * own mount namespace and answers ENOENT for any mount outside it: one call,
 * no /proc/self/mountinfo to parse.  The Debian 12 headers predate both.
 */
#include "grant/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef STATMOUNT_SB_BASIC
#define STATMOUNT_SB_BASIC 0x00000001U
#endif

/* linux/mount.h, version 0 (24 bytes): no mnt_ns_id, so the caller's namespace. */
struct fdb_mnt_id_req {
	uint32_t size;
	uint32_t spare;
	uint64_t mnt_id;
	uint64_t param;
};

int mount_is_ours_magic(int fd, uint64_t *magic)
{
	struct statx stx;
	struct fdb_mnt_id_req req = { .size = sizeof(req), .param = STATMOUNT_SB_BASIC };
	/* struct statmount is 520 bytes today; the kernel copies at most what fits */
	uint64_t buf[128];

	memset(&stx, 0, sizeof(stx));
	/* DONT_SYNC: a FUSE or network file system is not asked anything */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return -ENOSYS;
	req.mnt_id = stx.stx_mnt_id;
	if (syscall(SYS_statmount, &req, buf, sizeof(buf), 0) != 0)
		return errno == ENOENT ? -EXDEV : -errno;
	/* u32 size, u32 spare, u64 mask, u32 sb_dev_major, u32 sb_dev_minor, u64 sb_magic */
	if (magic)
		*magic = (buf[1] & STATMOUNT_SB_BASIC) ? buf[3] : 0;
	return 0;
}

int mount_is_ours(int fd)
{
	return mount_is_ours_magic(fd, NULL);
}
