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
 * The answer.  A stat gets the broker's statx(2) of the object judged,
 * through the O_PATH descriptor it was judged through (AT_EMPTY_PATH), with
 * the mask and sync type the program asked for; the descriptor itself never
 * leaves the broker.  It must not: an O_PATH descriptor carries no access
 * of its own, but it stands past every directory on the way, so the
 * program could reopen it through /proc/self/fd/N (the kernel then checks
 * only the file's own mode bits, not the search rights of the directories
 * above it: a 0644 file under a 0700 directory reads), or openat() below
 * it when it is a directory.  A stat grants the metadata and nothing else.
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

bool stat_serve(const struct policy *p, const struct subject *s, const struct req_stat *req,
		struct open_result *out, struct statx *stx)
{
	bool any;
	unsigned rights = stat_rights(req->amode, &any);
	int extra = (req->at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0;
	int opath = object_resolve(p, s, req->path, req->dirfd, extra, rights, any, out);

	if (opath < 0) {
		/* what learning would grant, and what the log says was asked */
		if (out->denied && any)
			out->rights = RIGHT_READ;
		return false;
	}
	if (req->amode == REQ_AMODE_STAT) {
		int sync = (int)(req->at_flags & AT_STATX_SYNC_TYPE);
		bool ok = statx(opath, "", AT_EMPTY_PATH | sync, req->mask, stx) == 0;

		out->err = ok ? 0 : errno;
		close(opath);
		return ok;
	}
	out->err = root_access(opath, req->amode);
	close(opath);
	return false;
}
