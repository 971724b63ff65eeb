/*
 * stat and access through the policy.
 *
 * Which rights.  A stat reveals what an open and an fstat of the object
 * would: so any right an open rule grants on it (read or write) is enough,
 * and create alone is not (an open under it learns only that the name is
 * taken).  access asks about rights, so it needs them: R_OK read, W_OK
 * write, X_OK read (the program could read and run a copy anyway), F_OK
 * any, as stat.
 *
 * The answer.  A stat gets the O_PATH descriptor the object was judged
 * through; the shim answers from it with fstatat(fd, "", AT_EMPTY_PATH) and
 * closes it.  An O_PATH descriptor carries no access: read and write on it
 * fail with EBADF, it cannot be mmapped, and reopening it through
 * /proc/self/fd/N is a new open that the kernel checks against the
 * caller's own permissions (the link's target inode is walked into and
 * inode_permission runs for the opener), so it gives the program nothing
 * beyond the metadata it asked for.
 *
 * An access question gets yes only for rights the rule grants, and no more
 * than root would get: R_OK and W_OK are asked of the kernel on the object
 * itself with the broker's own credentials (faccessat2 AT_EMPTY_PATH |
 * AT_EACCESS; a W_OK rule means the broker kept CAP_DAC_OVERRIDE, a read
 * rule CAP_DAC_READ_SEARCH, so it sees what root sees, a read-only mount or
 * an immutable file included), X_OK is answered from the mode bits as the
 * kernel answers root: a directory yes, anything else only with an x bit,
 * and not on a noexec mount.  These are inside the policy, so their errno
 * is the program's.
 */
#include "grant/stat.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439 /* Linux 5.8 */
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

unsigned stat_rights(uint32_t amode, bool *any)
{
	unsigned r = 0;

	*any = amode == REQ_AMODE_STAT || amode == F_OK;
	if (*any)
		return RIGHT_READ | RIGHT_WRITE;
	if (amode & (R_OK | X_OK))
		r |= RIGHT_READ;
	if (amode & W_OK)
		r |= RIGHT_WRITE;
	return r;
}

/* What root would be told asking access(amode) of the object: 0 or an errno. */
static int root_access(int opath, uint32_t amode)
{
	struct statvfs vfs;
	struct stat st;

	if ((amode & (R_OK | W_OK)) &&
	    syscall(SYS_faccessat2, opath, "", (int)(amode & (R_OK | W_OK)),
		    AT_EMPTY_PATH | AT_EACCESS) < 0)
		return errno;
	if (!(amode & X_OK))
		return 0;
	if (fstat(opath, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return 0;
	if (!(st.st_mode & 0111))
		return EACCES;
	if (S_ISREG(st.st_mode) && fstatvfs(opath, &vfs) == 0 && (vfs.f_flag & ST_NOEXEC))
		return EACCES;
	return 0;
}

void stat_serve(const struct policy *p, const struct subject *s, const struct req_stat *req,
		struct open_result *out)
{
	bool any;
	unsigned rights = stat_rights(req->amode, &any);
	int extra = (req->at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0;
	int opath = object_resolve(p, s, req->path, req->dirfd, extra, rights, any, out);

	if (opath < 0) {
		/* what learning would grant, and what the log says was asked */
		if (out->denied && any)
			out->rights = RIGHT_READ;
		return;
	}
	if (req->amode == REQ_AMODE_STAT) {
		out->fd = opath;
		return;
	}
	out->err = root_access(opath, req->amode);
	close(opath);
}
