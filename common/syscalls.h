/*
 * The system calls the seccomp front end traps, by architecture.  The
 * numbers are written out for each architecture (not taken from the
 * build's <asm/unistd.h>), so that the aarch64 table is compiled and
 * checked on x86_64 too; the filter (common/filter.c) and the decoder
 * (front/seccomp.c) both read them from here.
 *
 * Pure tables: nothing here makes a system call or fails.
 */
#ifndef FDB_FRONT_SYSCALLS_H
#define FDB_FRONT_SYSCALLS_H

#include <stdint.h>

enum sc_call {
	SC_NONE = 0,
	SC_OPEN,       /* open(path, flags, mode) */
	SC_OPENAT,     /* openat(dirfd, path, flags, mode) */
	SC_OPENAT2,    /* openat2(dirfd, path, how, size) */
	SC_CREAT,      /* creat(path, mode) */
	SC_STAT,       /* stat(path, buf) */
	SC_LSTAT,      /* lstat(path, buf) */
	SC_NEWFSTATAT, /* newfstatat(dirfd, path, buf, flags) (fstatat on aarch64) */
	SC_STATX,      /* statx(dirfd, path, flags, mask, buf) */
	SC_ACCESS,     /* access(path, mode) */
	SC_FACCESSAT,  /* faccessat(dirfd, path, mode) */
	SC_FACCESSAT2, /* faccessat2(dirfd, path, mode, flags) */
	SC_SOCKET,     /* socket(family, type, protocol): only raw and packet reach the broker */
	SC_BIND,       /* bind(fd, addr, len) */
	SC_NCALLS,
};

struct sc_arch {
	const char *name;    /* "x86_64", "aarch64" */
	uint32_t audit_arch; /* AUDIT_ARCH_*: seccomp_data.arch */
	/*
	 * seccomp_data.nr at or above this bit is another ABI sharing the
	 * architecture number (x32 on x86_64): passed through.  0: none.
	 */
	uint32_t abi_bit;
	int nr[SC_NCALLS];   /* -1: no such call on this architecture */
};

extern const struct sc_arch sc_x86_64, sc_aarch64;

/* The table of the architecture fdbroker is built for; NULL if none. */
const struct sc_arch *sc_native(void);

/* Which call nr is on a; SC_NONE if none of ours. */
enum sc_call sc_call_of(const struct sc_arch *a, int nr);

/* "openat", "statx", ... for the log and FDBROKER_DEBUG. */
const char *sc_name(enum sc_call c);

#endif
