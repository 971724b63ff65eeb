/*
 * The broker's answer about an object: the STAT request that stat.c and
 * access.c share.  Only ever asked after the real call failed with EACCES
 * or EPERM.
 */
#include "shim.h"
#include "wire.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int shim_start_dir(int dirfd, const char *path, bool *own)
{
	*own = false;
	if (path[0] == '/')
		return -1;
	if (dirfd != AT_FDCWD)
		return dirfd;
	*own = true;
	return (int)syscall(SYS_openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int shim_broker_object(int dirfd, const char *path, int at_flags, uint32_t amode, unsigned mask,
		       struct statx *stx, int orig_errno)
{
	unsigned char req[FDB_MSG_MAX];
	struct fdb_stat_req r;
	struct fdb_reply rep;
	int len, sendfd = -1, fd;
	bool own = false, is_stat = amode == FDB_AMODE_STAT;

	/* no path: AT_EMPTY_PATH on a descriptor the program holds, never refused */
	if (!path || !*path)
		goto refuse;
	r.at_flags = (uint32_t)(at_flags & AT_SYMLINK_NOFOLLOW);
	if (is_stat)
		r.at_flags |= (uint32_t)(at_flags & AT_STATX_SYNC_TYPE);
	r.amode = amode;
	r.mask = is_stat ? mask : 0;
	r.path = path;
	r.has_dirfd = path[0] != '/';
	len = wire_encode_stat(req, sizeof(req), 0, &r);
	if (len < 0)
		goto refuse;
	if (r.has_dirfd) {
		sendfd = shim_start_dir(dirfd, path, &own);
		if (sendfd < 0)
			goto refuse;
	}
	if (shim_call(req, (size_t)len, sendfd, own, MSG_CMSG_CLOEXEC, &rep, &fd) < 0)
		goto refuse;
	if (fd >= 0) /* a descriptor where none belongs */
		close(fd);
	if (rep.status == 0 && is_stat && (rep.rflags & FDB_REPLY_STATX)) {
		shim_debug("stat %s: brokered", path);
		*stx = rep.stx;
		return 0;
	}
	if (rep.status == 0 && !is_stat) {
		shim_debug("access %s: brokered", path);
		return 0;
	}
	if (rep.status == 0 || (rep.rflags & FDB_REPLY_DENIED)) {
		shim_debug("%s %s: denied by the broker", is_stat ? "stat" : "access", path);
		errno = orig_errno;
	} else {
		shim_debug("%s %s: allowed, failed in the broker: %s", is_stat ? "stat" : "access",
			   path, strerror(rep.status));
		errno = rep.status;
	}
	return -1;
refuse:
	errno = orig_errno;
	return -1;
}
