/*
 * Listeners the broker holds for accept rules, and the channels that carry
 * their connections to programs (see listener.c).
 *
 * Error convention of core/: set-up functions return 0 or -1 with errno; a
 * request-path function that may drop a client returns -1 meaning "drop this
 * client (already logged)".  listener_attach, which the bind grant calls,
 * never drops a client: like a grant it returns 0 or a negative errno
 * (EDQUOT: past a limit of the binding uid, see listener.c); nor does
 * listener_sockopt, which fills an outcome as a grant does.
 */
#ifndef FDB_LISTENER_H
#define FDB_LISTENER_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/broker.h"
#include "request/request.h"

struct channel;

/*
 * Give the program a channel for the listener on sa (created, or reused if
 * the broker holds one for that address already), set up like progsock.
 * *chfd is the program's end.
 */
int listener_attach(struct broker *b, const struct client *c, const struct rule *rule,
		    int progsock, const struct sockaddr *sa, socklen_t salen,
		    const struct endpoint *ep, int *chfd);

/*
 * REQ_SOCKOPT: set the option on the listener whose channel r carries,
 * into o like a grant (o->err 0 or the errno; o->denied for a socket that
 * is no channel of this broker, a channel of another uid, or an option off
 * the list, ENOPROTOOPT).  Never drops a client.
 */
void listener_sockopt(struct broker *b, const struct req *r, struct outcome *o);

#endif
