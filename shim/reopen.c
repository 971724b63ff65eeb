/*
 * The program's own descriptors, reopened by name: open("/dev/stderr"),
 * "/proc/self/fd/N" and the like (common/fdname.h).
 *
 * Such an open checks the permissions of the object behind descriptor N
 * against the program's user, which after fdbroker run's user switch is
 * not the user who made its stderr (a root-owned file, a pipe root
 * created): EACCES although the program holds the object.  On that EACCES
 * the shim sends descriptor N itself to the broker (FDB_OP_REOPEN), which
 * reopens it with at most the access the descriptor has
 * (helper/grant/reopen.c).  The result is what a reopen gives without the
 * user switch: a new open file with its own offset and status flags, not a
 * dup of N.
 */
#include "shim.h"
#include "fdname.h"
#include "wire.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int shim_fdname(const char *path)
{
	/* getpid only for a /proc name: every brokered absolute open passes here */
	return fdname_parse(path, strncmp(path, "/proc/", 6) == 0 ? getpid() : 0);
}

int shim_broker_reopen(int fd, int named, const char *name, int flags, int orig_errno,
		       bool *policy_road)
{
	unsigned char req[FDB_MSG_MAX];
	struct fdb_reopen_req r = { .flags = (uint32_t)flags, .fd = (uint32_t)named,
				   .name = name };
	struct stat st;
	int len, out;
	struct fdb_reply rep;

	*policy_road = false;
	errno = orig_errno;
	if (fd < 0 || named < 0 || !name || orig_errno != EACCES || fstat(fd, &st) < 0) {
		errno = orig_errno;
		return -1;
	}
	/* truncating a regular file is a write the policy judges, as for any path */
	if ((flags & O_TRUNC) && S_ISREG(st.st_mode)) {
		*policy_road = true;
		return -1;
	}
	len = wire_encode_reopen(req, sizeof(req), 0, &r);
	if (len < 0 || shim_call(req, (size_t)len, fd, false,
				 (flags & O_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0, &rep, &out) < 0) {
		errno = orig_errno;
		return -1;
	}
	if (rep.status == 0 && out >= 0) {
		shim_debug("reopen %s (fd %d): brokered, fd %d", name, named, out);
		return out;
	}
	if (rep.status == 0 || (rep.rflags & FDB_REPLY_DENIED)) {
		shim_debug("reopen %s (fd %d): refused by the broker", name, named);
		errno = orig_errno;
	} else {
		shim_debug("reopen %s (fd %d): failed in the broker: %s", name, named,
			   strerror(rep.status));
		errno = rep.status;
	}
	return -1;
}
