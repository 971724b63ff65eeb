/*
 * The environment a brokered program gets: LD_PRELOAD with the shim and
 * FDBROKER_SOCKET, and the warning when the program's processes stay
 * dumpable.  Shared by run and exec.
 * Functions return 0 or -1 (with a message on stderr) unless they say otherwise.
 */
#ifndef FDB_SHIMENV_H
#define FDB_SHIMENV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Where the shim is: $FDBROKER_SHIM, beside this binary, or where make
 * install put it.  0, or -1 with errno and nothing said: out then holds
 * the last place tried, for the caller's message.
 */
int find_shim(char *out, size_t cap);

/* Set LD_PRELOAD (shim first, a sanitizer runtime before it) and FDBROKER_SOCKET. */
int shim_environment(const char *shim, const char *socket_path);

/*
 * FDBROKER_DUMPABLE=1 in the environment turns off the shim's protection of
 * the program's processes (libfdshim(7)): say so on stderr when nothing
 * else stops other processes of the same user from ptracing them
 * (kernel.yama.ptrace_scope absent or 0).  Never fails.
 */
void dumpable_warning(void);
/* FDBROKER_DUMPABLE=1 in our environment: the program's processes stay dumpable. */
bool dumpable_opted_out(void);

#endif
