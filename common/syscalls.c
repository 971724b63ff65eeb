/*
 * The trapped system calls' numbers on each architecture; see syscalls.h.
 * x86_64: arch/x86/entry/syscalls/syscall_64.tbl (asm/unistd_64.h);
 * aarch64: the generic table (asm-generic/unistd.h), which has no open,
 * creat, stat, lstat or access, only their *at forms.
 */
#include "syscalls.h"

#include <linux/audit.h>
#include <stddef.h>

const struct sc_arch sc_x86_64 = {
	.name = "x86_64",
	.audit_arch = AUDIT_ARCH_X86_64,
	.abi_bit = 0x40000000, /* __X32_SYSCALL_BIT */
	.nr = {
		[SC_NONE] = -1,
		[SC_OPEN] = 2,
		[SC_OPENAT] = 257,
		[SC_OPENAT2] = 437,
		[SC_CREAT] = 85,
		[SC_STAT] = 4,
		[SC_LSTAT] = 6,
		[SC_NEWFSTATAT] = 262,
		[SC_STATX] = 332,
		[SC_ACCESS] = 21,
		[SC_FACCESSAT] = 269,
		[SC_FACCESSAT2] = 439,
		[SC_SOCKET] = 41,
		[SC_BIND] = 49,
	},
};

const struct sc_arch sc_aarch64 = {
	.name = "aarch64",
	.audit_arch = AUDIT_ARCH_AARCH64,
	.abi_bit = 0, /* the 32-bit ABI has an architecture number of its own */
	.nr = {
		[SC_NONE] = -1,
		[SC_OPEN] = -1,
		[SC_OPENAT] = 56,
		[SC_OPENAT2] = 437,
		[SC_CREAT] = -1,
		[SC_STAT] = -1,
		[SC_LSTAT] = -1,
		[SC_NEWFSTATAT] = 79, /* __NR3264_fstatat */
		[SC_STATX] = 291,
		[SC_ACCESS] = -1,
		[SC_FACCESSAT] = 48,
		[SC_FACCESSAT2] = 439,
		[SC_SOCKET] = 198,
		[SC_BIND] = 200,
	},
};

static const char *const names[SC_NCALLS] = {
	[SC_NONE] = "none",
	[SC_OPEN] = "open",
	[SC_OPENAT] = "openat",
	[SC_OPENAT2] = "openat2",
	[SC_CREAT] = "creat",
	[SC_STAT] = "stat",
	[SC_LSTAT] = "lstat",
	[SC_NEWFSTATAT] = "newfstatat",
	[SC_STATX] = "statx",
	[SC_ACCESS] = "access",
	[SC_FACCESSAT] = "faccessat",
	[SC_FACCESSAT2] = "faccessat2",
	[SC_SOCKET] = "socket",
	[SC_BIND] = "bind",
};

const struct sc_arch *sc_native(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	return &sc_x86_64;
#elif defined(__aarch64__) && !defined(__ILP32__)
	return &sc_aarch64;
#else
	return NULL; /* x32, i386, ...: no table, so no seccomp front end */
#endif
}

enum sc_call sc_call_of(const struct sc_arch *a, int nr)
{
	if (nr < 0)
		return SC_NONE;
	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		if (a->nr[c] == nr)
			return (enum sc_call)c;
	return SC_NONE;
}

const char *sc_name(enum sc_call c)
{
	return c > SC_NONE && c < SC_NCALLS ? names[c] : "none";
}
