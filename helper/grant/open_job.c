/*
 * Opens off the loop; see open_job.h.  A job holds copies of all it needs
 * (a duplicate of the directory or object, the name), so that one left to
 * its thread touches nothing of the request's.
 */
#include "grant/open_job.h"
#include "sys/proc.h"
#include "sys/sockjob.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct open_job {
	struct sockjob job;
	int at;               /* the directory (create) or the object (reopen): our copy */
	char base[NAME_MAX + 1]; /* create: the new file's name in at; "" to reopen at */
	int flags;
	mode_t mode;
	bool chown;
	gid_t gid;
	int fd;  /* what the call gave, or -1 */
	int err; /* its errno, or 0 */
};

static void open_job_fn(struct sockjob *j)
{
	struct open_job *o = (struct open_job *)j;

	if (!o->base[0]) {
		o->fd = proc_self_fd_open(o->at, o->flags);
		o->err = o->fd < 0 ? -o->fd : 0;
		return;
	}
	o->fd = openat(o->at, o->base, o->flags | O_CREAT | O_EXCL | O_NOFOLLOW, o->mode);
	if (o->fd < 0) {
		o->err = errno;
		return;
	}
	/* the program's file, unless the rule keeps it root's */
	if (o->chown && fchown(o->fd, o->job.uid, o->gid) < 0) {
		o->err = errno;
		unlinkat(o->at, o->base, 0);
		close(o->fd);
		o->fd = -1;
	}
}

/*
 * A job done with: one left to its thread has what its call did taken back,
 * as the program was refused; one never run (the stuck counts) has nothing.
 */
static void open_job_release(struct sockjob *j)
{
	struct open_job *o = (struct open_job *)j;

	if (o->fd >= 0) {
		if (o->base[0])
			unlinkat(o->at, o->base, 0);
		close(o->fd);
	}
	close(o->at);
	free(o);
}

static int run(struct open_job *o, int at)
{
	int rc, fd;

	o->fd = -1;
	o->at = fcntl(at, F_DUPFD_CLOEXEC, 3);
	if (o->at < 0) {
		rc = -errno;
		free(o);
		return rc;
	}
	rc = sockjob_call(&o->job);
	if (rc < 0)
		return rc;
	fd = o->fd >= 0 ? o->fd : -o->err;
	close(o->at);
	free(o);
	return fd;
}

int open_job_create(int dirfd, const char *base, int flags, mode_t mode, bool chown, uid_t uid,
		    gid_t gid)
{
	struct open_job *o;

	if (strlen(base) >= sizeof(o->base))
		return -ENAMETOOLONG;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	*o = (struct open_job){ .job = { .fn = open_job_fn, .release = open_job_release,
					 .uid = uid },
				.flags = flags, .mode = mode, .chown = chown, .gid = gid };
	strcpy(o->base, base);
	return run(o, dirfd);
}

int open_job_reopen(int opath, int flags, uid_t uid)
{
	struct open_job *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	*o = (struct open_job){ .job = { .fn = open_job_fn, .release = open_job_release,
					 .uid = uid },
				.flags = flags };
	return run(o, opath);
}
