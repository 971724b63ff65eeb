/*
 * The shim's way in: one SOCK_SEQPACKET record per request (common/wire.h),
 * the program's descriptors with it over SCM_RIGHTS, one reply record per
 * request with the outcome's descriptor.
 */
#ifndef FDB_FRONT_PRELOAD_H
#define FDB_FRONT_PRELOAD_H

#include "core/broker.h"

/*
 * Read and serve what one record of c asks (nothing if none is waiting).
 * Returns 0, or -1 when c must be dropped (already logged): it closed,
 * sent what is no request, or cannot be answered.  The broker's
 * client_ready.
 */
int preload_client_ready(struct broker *b, struct client *c);

#endif
