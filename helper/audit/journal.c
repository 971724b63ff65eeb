/*
 * The journal's native protocol; see journal.h for why it is spoken here.
 *
 * An entry is one datagram: for each field "KEY=VALUE\n", or, for a value
 * holding a newline, "KEY\n", the value's length as 64-bit little endian,
 * the value, "\n".  journald takes the sender's pid, uid and cgroup (so
 * _SYSTEMD_UNIT) from the socket, and OBJECT_PID from a root sender.
 *
 * The datagram is sent by address every time, not on a connected socket: a
 * restarted journald binds a new socket at the same path, which a
 * connected socket would never reach again.
 */
#include "audit/journal.h"

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* Enough for the audit's fields, a binary length each, and their separators. */
#define MAX_FIELDS 16

static const struct sockaddr_un journal_addr = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };

int journal_open(struct journal *j)
{
	int probe, saved;
	/* Entries are a few kB; the default buffer (net.core.wmem_default) holds them. */
	int sndbuf = 1 << 20;

	j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->fd < 0)
		return -1;
	(void)setsockopt(j->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0 || connect(probe, (const struct sockaddr *)&journal_addr, sizeof(journal_addr)) < 0) {
		saved = errno;
		if (probe >= 0)
			close(probe);
		journal_close(j);
		errno = saved;
		return -1;
	}
	close(probe);
	return 0;
}

void journal_close(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

int journal_send(struct journal *j, const struct journal_field *f, size_t n)
{
	struct iovec iov[MAX_FIELDS * 5];
	uint64_t len[MAX_FIELDS];
	struct msghdr mh = {
		.msg_name = (void *)&journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_iov = iov,
	};
	size_t k = 0;

	if (n > MAX_FIELDS) {
		errno = E2BIG;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t vlen = strlen(f[i].value);

		iov[k++] = (struct iovec){ (void *)f[i].key, strlen(f[i].key) };
		if (memchr(f[i].value, '\n', vlen)) {
			len[i] = htole64(vlen);
			iov[k++] = (struct iovec){ "\n", 1 };
			iov[k++] = (struct iovec){ &len[i], sizeof(len[i]) };
		} else {
			iov[k++] = (struct iovec){ "=", 1 };
		}
		iov[k++] = (struct iovec){ (void *)f[i].value, vlen };
		iov[k++] = (struct iovec){ "\n", 1 };
	}
	mh.msg_iovlen = k;
	for (;;) {
		if (sendmsg(j->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}
