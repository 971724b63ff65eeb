/*
 * The environment a brokered program gets: LD_PRELOAD with the shim and
 * FDBROKER_SOCKET.  Shared by run and exec.
 * Functions return 0 or -1 (with a message on stderr).
 */
#ifndef FDB_SHIMENV_H
#define FDB_SHIMENV_H

#include <stddef.h>

/* Where the shim is: $FDBROKER_SHIM, beside this binary, or where make install put it. */
int find_shim(char *out, size_t cap);

/* Set LD_PRELOAD (shim first, a sanitizer runtime before it) and FDBROKER_SOCKET. */
int shim_environment(const char *shim, const char *socket_path);

#endif
