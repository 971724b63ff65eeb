/*
 * socket and bind under seccomp.  A raw or packet socket is made by the
 * broker (no try as the caller: what the kernel checks there is a
 * capability, which the broker's thread would lend); a bind is made on the
 * program's own socket, taken with pidfd_getfd, in place.
 */
#include "front/notif_call.h"
#include "audit/audit.h"
#include "core/dispatch.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

bool decide_socket(struct broker *b, struct notif *n)
{
	const __u64 *a = n->n.data.args;
	struct req r = { .op = REQ_SOCKET, .who = who_of(n) };
	struct outcome o;

	if (n->fds.netns < 0)
		return kernel(n, "its network namespace: the kernel answers");
	r.u.socket = (struct req_socket){ .family = (int)a[0], .type = (int)a[1],
					  .protocol = (int)a[2], .probe = n->fds.netns };
	/* no try as the caller: what the kernel asks is a capability, which the broker's thread would lend */
	if (!dispatch_would(b, &r))
		return kernel(n, "no rule: the kernel answers");
	outcome_init(&o, "socket");
	dispatch(b, NULL, &r, &o);
	give_outcome_fd(b, n, &o, (a[1] & SOCK_CLOEXEC) != 0);
	return false;
}

/*
 * Is this the bind whose answer went missing (n->memo), made again, with
 * the socket bound as it asked?  Then its answer is 0, as the first one's.
 */
static bool bound_before(const struct notif *n)
{
	const struct notif_memo *m = n->memo;
	struct sockaddr_storage now;
	socklen_t len = sizeof(now);

	if (m->salen == 0 || m->tgid != n->cred.tgid || m->fd != (int)n->n.data.args[0] ||
	    m->salen != n->salen || memcmp(&m->sa, &n->sa, n->salen) != 0)
		return false;
	return getsockname(n->fds.sock, (struct sockaddr *)&now, &len) == 0 && len == n->salen &&
	       memcmp(&now, &n->sa, len) == 0;
}

/* Answer a bind made 0; remember it if the answer finds the call gone. */
static void bound(struct notif *n, const char *what)
{
	if (notif_value(n, 0) == -ENOENT) {
		*n->memo = (struct notif_memo){ .tgid = n->cred.tgid, .fd = (int)n->n.data.args[0],
						.salen = n->salen };
		memcpy(&n->memo->sa, &n->sa, n->salen);
	}
	debug(n, what);
}

struct try_bind {
	int sock;
	const struct sockaddr *sa;
	socklen_t salen;
};

static int try_bind_fn(void *arg)
{
	struct try_bind *t = arg;

	return bind(t->sock, t->sa, t->salen) < 0 ? -errno : 0;
}

bool decide_bind(struct broker *b, struct notif *n)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&n->sa;
	struct req r = { .op = REQ_BIND, .who = who_of(n) };
	struct as_caller_id id = caller_id(n, false);
	struct try_bind t;
	struct outcome o;
	int rc;

	/* an abstract or relative unix name means what it means in the program's namespaces */
	if (n->sa.ss_family == AF_UNIX && (n->salen <= offsetof(struct sockaddr_un, sun_path) ||
					   un->sun_path[0] != '/'))
		return kernel(n, "a unix name of its own: the kernel answers");
	if (n->fds.sock < 0)
		return kernel(n, "no such socket: the kernel answers");
	if (bound_before(n)) {
		n->memo->salen = 0;
		bound(n, "bound before, its answer lost");
		return false;
	}
	r.u.bind = (struct req_bind){ .sock = n->fds.sock, .sa = (const struct sockaddr *)&n->sa,
				      .salen = n->salen, .umask = n->cred.umask,
				      .no_hold = true };
	if (!dispatch_would(b, &r))
		return kernel(n, "no rule: the kernel answers");
	t = (struct try_bind){ n->fds.sock, (const struct sockaddr *)&n->sa, n->salen };
	rc = as_caller(&id, try_bind_fn, &t);
	if (rc == 0) {
		bound(n, "the program's own right");
		return false;
	}
	if (rc != -EACCES && rc != -EPERM)
		return kernel(n, "the kernel answers");
	outcome_init(&o, "bind");
	dispatch(b, NULL, &r, &o);
	audit_flush(b->audit);
	if (o.fd >= 0)
		close(o.fd);
	if (o.denied || o.malformed)
		return kernel(n, "refused: the kernel answers");
	if (o.err) {
		notif_error(n, o.err);
		debug(n, "granted: an error of the address's");
	} else {
		bound(n, "granted");
	}
	return false;
}
