/*
 * stat and access under seccomp: stat, lstat, newfstatat, statx, access,
 * faccessat, faccessat2.  A stat's result is written into the program by a
 * worker (it may stall like a read), which then answers.
 */
#include "front/notif_call.h"
#include "audit/audit.h"
#include "core/dispatch.h"
#include "fdname.h"
#include "statx.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct try_stat {
	int dirfd;
	const char *path;
	unsigned at_flags;
	struct notif *n;
	bool access;
	unsigned amode;
	unsigned mask; /* statx's */
};

/* The result a stat call asked for, of the object opath stands for, into n->out. */
static int stat_result(struct notif *n, int opath, unsigned at_flags, unsigned mask)
{
	int rc;

	if (n->call == SC_STATX) {
		rc = statx(opath, "", AT_EMPTY_PATH | (int)(at_flags & AT_STATX_SYNC_TYPE), mask,
			   &n->out.stx);
		n->out_len = sizeof(n->out.stx);
	} else {
		rc = fstatat(opath, "", &n->out.st, AT_EMPTY_PATH);
		n->out_len = sizeof(n->out.st);
	}
	return rc < 0 ? -errno : 0;
}

static int try_stat_fn(void *arg)
{
	struct try_stat *t = arg;
	unsigned nofollow = t->at_flags & AT_SYMLINK_NOFOLLOW;
	int opath, rc;

	/*
	 * O_PATH needs what a stat or access needs on the way (search), and
	 * nothing on the object; without magic links, and never of /proc
	 * (the broker's /proc/self is not the program's)
	 */
	opath = openat2_fd(t->dirfd, t->path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0), 0,
			   RESOLVE_NO_MAGICLINKS);
	if (opath < 0)
		return opath;
	if (on_proc(opath))
		rc = -EXDEV;
	else if (t->access)
		rc = syscall(SYS_faccessat2, opath, "", (int)t->amode, AT_EMPTY_PATH | AT_EACCESS) < 0
			     ? -errno : 0;
	else
		rc = stat_result(t->n, opath, t->at_flags, t->mask);
	close(opath);
	return rc;
}

/* A stat result in n->out, to be written into the program (notif_decide's true). */
static bool give_stat(struct notif *n, const struct args *a, const char *what)
{
	n->out_addr = a->buf;
	debug(n, what);
	return true;
}

bool decide_stat(struct broker *b, struct notif *n, const struct args *a)
{
	bool access = n->call == SC_ACCESS || n->call == SC_FACCESSAT || n->call == SC_FACCESSAT2;
	bool eaccess = n->call == SC_FACCESSAT2 && (a->flags & AT_EACCESS);
	unsigned sync = n->call == SC_STATX ? AT_STATX_SYNC_TYPE : 0;
	struct req r = { .op = REQ_STAT, .who = who_of(n) };
	struct as_caller_id id = caller_id(n, access && !eaccess ? CALLER_REAL : CALLER_FS);
	struct try_stat t;
	struct outcome o;
	int rc;

	if (!n->path[0])
		return kernel(n, "no name: the kernel answers"); /* AT_EMPTY_PATH: an fstat */
	if (n->path[0] != '/' && n->fds.dirfd < 0)
		return kernel(n, "its directory: the kernel answers");
	/* the core's statx: the program's mask and sync type for a statx, else the basic fields */
	r.u.stat = (struct req_stat){ .path = n->path, .dirfd = n->fds.dirfd,
				      .at_flags = a->flags & (AT_SYMLINK_NOFOLLOW | sync),
				      .amode = access ? a->mode : REQ_AMODE_STAT,
				      .mask = n->call == SC_STATX ? a->mask : STATX_BASIC_STATS };
	if (fdname_parse(n->path, n->cred.tgid) >= 0 || !dispatch_would(b, &r))
		return kernel(n, "no rule: the kernel answers");
	t = (struct try_stat){ .dirfd = n->fds.dirfd >= 0 ? n->fds.dirfd : AT_FDCWD,
			       .path = n->path, .at_flags = a->flags, .n = n, .access = access,
			       .amode = a->mode, .mask = a->mask };
	rc = as_caller(&id, try_stat_fn, &t);
	if (rc == 0 && access) {
		notif_value(n, 0);
		debug(n, "the program's own right");
		return false;
	}
	if (rc == 0)
		return give_stat(n, a, "the program's own right");
	if (rc != -EACCES && rc != -EPERM)
		return kernel(n, "the kernel answers");
	outcome_init(&o, access ? "access" : "stat");
	dispatch(b, NULL, &r, &o);
	audit_flush(b->audit);
	if (o.denied || o.malformed)
		return kernel(n, "refused: the kernel answers");
	if (!o.has_stx) {
		if (o.err)
			notif_error(n, o.err);
		else
			notif_value(n, 0);
		debug(n, "granted");
		return false;
	}
	/* the core's statx of the object, in the layout the call fills */
	if (n->call == SC_STATX) {
		n->out.stx = o.stx;
		n->out_len = sizeof(n->out.stx);
	} else {
		statx_to_stat(&o.stx, &n->out.st);
		n->out_len = sizeof(n->out.st);
	}
	return give_stat(n, a, "granted");
}
