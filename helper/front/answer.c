/*
 * The seccomp front end's answers to the kernel: a value, an errno,
 * CONTINUE, or a descriptor installed with SECCOMP_IOCTL_NOTIF_ADDFD.  An
 * answer to a call that is gone (the target killed, or interrupted by a
 * signal) fails with ENOENT, which nothing here reports: there is no one
 * left to tell.
 */
#include "front/notif.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

int notif_send(int listener, uint64_t id, long long val, int err, unsigned flags)
{
	struct seccomp_notif_resp r = { .id = id, .val = val, .error = -err, .flags = flags };
	int rc;

	/* a reader's kick (front/reader.h) may interrupt the wait for the listener's lock */
	do
		rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

int notif_continue(struct notif *n)
{
	n->answered = true;
	return notif_send(n->listener, n->n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

int notif_error(struct notif *n, int err)
{
	n->answered = true;
	return notif_send(n->listener, n->n.id, -1, err, 0);
}

int notif_value(struct notif *n, long long val)
{
	n->answered = true;
	return notif_send(n->listener, n->n.id, val, 0, 0);
}

int notif_fd(struct notif *n, int fd, bool cloexec)
{
	struct seccomp_notif_addfd a = {
		.id = n->n.id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (uint32_t)fd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int rc = ioctl(n->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);

	if (rc >= 0) {
		n->answered = true;
		return 0;
	}
	if (errno != EINVAL)
		return -errno;
	/*
	 * before Linux 5.14: install, then answer with the number; should the
	 * answer find the call gone, the program holds a descriptor it was
	 * never told of (within the policy: it was granted)
	 */
	a.flags = 0;
	rc = ioctl(n->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (rc < 0)
		return -errno;
	notif_value(n, rc);
	return 0;
}
