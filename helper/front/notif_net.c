/*
 * socket and bind under seccomp.  A raw or packet socket is made by the
 * broker (no try as the caller: what the kernel checks there is a
 * capability, which the broker's thread would lend); a bind is made on the
 * program's own socket, taken with pidfd_getfd, in place.
 */
#include "front/notif_call.h"
#include "audit/audit.h"
#include "core/dispatch.h"
#include "sys/sockjob.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
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

/*
 * The calls on the program's own inet socket that take its lock, which a
 * thread of the program may hold for good: on a sockjob thread
 * (sys/sockjob.h), with copies of all they need, so that a job left to its
 * thread touches nothing of the notification's.  Its name (for the memo),
 * or the bind as the caller.  A unix bind as the caller goes there too:
 * it makes its socket file, which waits for the directory's lock, and a
 * program can hold that (grant/open_job.h); its job's thread takes the
 * caller's umask (as_caller_own_fs).
 */
struct sock_job {
	struct sockjob job;
	int sock; /* the broker's own copy */
	bool try;
	struct sockaddr_storage sa; /* try: what to bind; else: the name it has */
	socklen_t salen;
	struct as_caller_id id;
	gid_t *groups; /* id's, the job's own */
	int rc;        /* 0 or -errno */
};

static void sock_job_fn(struct sockjob *j)
{
	struct sock_job *s = (struct sock_job *)j;
	struct try_bind t = { s->sock, (const struct sockaddr *)&s->sa, s->salen };

	if (!s->try) {
		s->salen = sizeof(s->sa);
		s->rc = getsockname(s->sock, (struct sockaddr *)&s->sa, &s->salen) < 0 ? -errno : 0;
		return;
	}
	/* answered CONTINUE without it: the kernel makes the program's bind itself */
	if (!sockjob_left(j))
		s->rc = as_caller_own_fs(&s->id, try_bind_fn, &t);
}

static void sock_job_release(struct sockjob *j)
{
	struct sock_job *s = (struct sock_job *)j;

	close(s->sock);
	free(s->groups);
	free(s);
}

/*
 * One such job: its rc, with the name in *name (and *len) when !try.  how:
 * the caller's identity as caller_id takes it (CALLER_CREATES for a unix
 * bind).  -EBUSY: a thread of the program holds the lock (or too many of
 * its uid's jobs are stuck); other -errno: no job could run.
 */
static int sock_job(const struct notif *n, bool try, unsigned how, struct sockaddr_storage *name,
		    socklen_t *len)
{
	struct sock_job *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	*s = (struct sock_job){ .job = { .fn = sock_job_fn, .release = sock_job_release,
					 .uid = n->cred.fsuid, .once = try },
				.try = try, .salen = n->salen, .id = caller_id(n, how) };
	memcpy(&s->sa, &n->sa, n->salen);
	if (caller_id_keep(&s->id, &s->groups) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->sock = fcntl(n->fds.sock, F_DUPFD_CLOEXEC, 3);
	if (s->sock < 0) {
		rc = -errno;
		free(s->groups);
		free(s);
		return rc;
	}
	rc = sockjob_call(&s->job);
	if (rc < 0)
		return rc;
	rc = s->rc;
	if (!try && rc == 0) {
		memcpy(name, &s->sa, s->salen);
		*len = s->salen;
	}
	sock_job_release(&s->job);
	return rc;
}

/*
 * Is the socket one whose calls may wait for its lock?  By what the socket
 * is (SO_DOMAIN takes no lock), never by the address the program passed:
 * a tcp socket may be given a unix address.  Anything but a unix socket
 * goes to a sockjob.
 */
static bool inet(const struct notif *n)
{
	int domain = -1;
	socklen_t len = sizeof(domain);

	if (getsockopt(n->fds.sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return true;
	return domain != AF_UNIX;
}

/*
 * Is this the bind whose answer went missing (n->memo), made again, with
 * the socket bound as it asked?  Then its answer is 0, as the first one's.
 * -EBUSY: the socket's lock is held.
 */
static int bound_before(const struct notif *n)
{
	const struct notif_memo *m = n->memo;
	struct sockaddr_storage now;
	socklen_t len = sizeof(now);
	int rc;

	if (m->salen == 0 || m->tgid != n->cred.tgid || m->fd != (int)n->n.data.args[0] ||
	    m->salen != n->salen || memcmp(&m->sa, &n->sa, n->salen) != 0)
		return 0;
	if (inet(n))
		rc = sock_job(n, false, CALLER_FS, &now, &len);
	else
		rc = getsockname(n->fds.sock, (struct sockaddr *)&now, &len) < 0 ? -errno : 0;
	if (rc == -EBUSY)
		return rc;
	return rc == 0 && len == n->salen && memcmp(&now, &n->sa, len) == 0;
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

bool decide_bind(struct broker *b, struct notif *n)
{
	struct req r = { .op = REQ_BIND, .who = who_of(n) };
	struct outcome o;
	bool unix_socket;
	int rc;

	/* an abstract or relative unix name means what it means in the program's namespaces */
	if (n->sa.ss_family == AF_UNIX && !unix_path_name(n))
		return kernel(n, "a unix name of its own: the kernel answers");
	if (n->fds.sock < 0)
		return kernel(n, "no such socket: the kernel answers");
	rc = bound_before(n);
	if (rc == -EBUSY)
		return kernel(n, "its socket's lock is held: the kernel answers");
	if (rc > 0) {
		n->memo->salen = 0;
		bound(n, "bound before, its answer lost");
		return false;
	}
	r.u.bind = (struct req_bind){ .sock = n->fds.sock, .sa = (const struct sockaddr *)&n->sa,
				      .salen = n->salen, .umask = n->cred.umask,
				      .no_hold = true };
	if (!dispatch_would(b, &r))
		return kernel(n, "no rule: the kernel answers");
	/* a unix bind makes a file, with the program's umask */
	unix_socket = !inet(n);
	rc = sock_job(n, true, unix_socket ? CALLER_CREATES : CALLER_FS, NULL, NULL);
	if (rc == -EBUSY)
		return kernel(n, unix_socket ? "its directory's lock is held: the kernel answers" :
					       "its socket's lock is held: the kernel answers");
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
