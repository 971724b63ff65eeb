/*
 * The descriptor reserve (see reserve.h).
 */
#include "core/reserve.h"
#include "core/broker.h"
#include "core/loop.h"
#include "core/rest.h"
#include "sys/closer.h"
#include "sys/subids.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long the listener rests when a pending client can be neither taken nor refused. */
#define ACCEPT_REST_MS 100

/* The spare descriptor: one slot held back for reserve_refuse_pending(). */
static int spare_take(struct reserve *r)
{
	if (!r->spare_held) {
		r->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		r->spare_held = r->spare >= 0;
	}
	return r->spare_held ? 0 : -1;
}

static void spare_give_up(struct reserve *r)
{
	if (r->spare_held)
		close(r->spare);
	r->spare_held = false;
}

int reserve_init(struct broker *b)
{
	memset(&b->reserve, 0, sizeof(b->reserve));
	/* held from the start: out of descriptors is too late to get one */
	return spare_take(&b->reserve);
}

void reserve_close(struct broker *b)
{
	spare_give_up(&b->reserve);
}

/* One note when an episode begins and one when it ends, not one per client. */
static void starved_begin(struct broker *b, int err)
{
	if (!b->reserve.starved)
		audit_note(b->audit, "out of descriptors (%s): refusing new clients",
			   strerror(err));
	b->reserve.starved = true;
}

void reserve_accepted(struct broker *b)
{
	struct reserve *r = &b->reserve;

	if (!r->starved)
		return;
	audit_note(b->audit, "descriptors available again; %u %s refused", r->nrefused,
		   r->nrefused == 1 ? "client was" : "clients were");
	r->starved = false;
	r->nrefused = 0;
}

/*
 * Close a connection taken only to be refused, with no descriptor to
 * spare.  A unix client's (of the broker's socket) may hold descriptors
 * in flight, whose release may wait: rest_let_go_plain takes only its
 * records without any (a request by name, as a shim's first is) and
 * closes it here if that empties it, so the spare slot is free again at
 * once; else its close goes to a closer thread, for its uid (no
 * descriptor is needed for that).  A TCP client's (of a held listener)
 * loses the linger it took from the listener.
 */
static void refuse(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int domain = -1;
	socklen_t dlen = sizeof(domain);

	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen);
	if (domain != AF_UNIX) {
		closer_close_socket(fd);
		return;
	}
	/* a subordinate uid's are its owner's (sys/subids.h), as for its connections */
	rest_let_go_plain(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0
				  ? (uid_t)-1 : subids_account(cred.uid), fd);
}

/*
 * A connection accept() could not take would stay pending: the listener
 * would wake the loop again at once, and the client would wait for a reply
 * that never comes.  So (as libev and nginx do) give up the spare
 * descriptor, take the connection in its slot and close it: the client sees
 * its connection end, and the shim gives the program its own errno.  Then
 * take the spare back: the slot just freed is ours again unless, under
 * ENFILE, another process got there first.  A full table fails accept()
 * before it looks, hence 0 for none pending; a held listener's TCP client
 * sees a reset.
 */
int reserve_refuse_pending(struct broker *b, int lfd, int err)
{
	struct reserve *r = &b->reserve;
	int fd, again;

	if (!r->spare_held)
		return -1;
	spare_give_up(r);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	again = errno;
	if (fd >= 0) {
		refuse(fd);
		starved_begin(b, err);
		r->nrefused++;
	}
	spare_take(r);
	if (fd >= 0 || again == EINTR || again == ECONNABORTED)
		return 1;
	return again == EAGAIN ? 0 : -1;
}

/*
 * A pending client that can be neither taken nor refused keeps the
 * listener ready: polling it would spin.  It rests ACCEPT_REST_MS instead
 * (nginx pauses accepting the same way), and reserve_wake wakes it.
 */
void reserve_rest(struct broker *b, int err)
{
	/* short of descriptors, one note for the episode; short of memory, one a rest */
	if (err == EMFILE || err == ENFILE)
		starved_begin(b, err);
	else
		audit_note(b->audit, "accept: %s: new clients wait", strerror(err));
	loop_modify(b, b->listen_fd, &b->listen_src, 0);
	b->reserve.resting = true;
	b->reserve.rest_until = broker_now_ms() + ACCEPT_REST_MS;
}

void reserve_wake(struct broker *b)
{
	struct reserve *r = &b->reserve;

	if (!r->resting || broker_now_ms() < r->rest_until)
		return;
	spare_take(r);
	loop_modify(b, b->listen_fd, &b->listen_src, EPOLLIN);
	r->resting = false;
}

long reserve_rest_until(const struct broker *b)
{
	return b->reserve.resting ? b->reserve.rest_until : 0;
}
