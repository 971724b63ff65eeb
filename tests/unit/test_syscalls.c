/*
 * common/syscalls: the numbers written out in the tables against the
 * build's own SYS_* constants (x86_64 on an x86_64 build, aarch64 on an
 * aarch64 one), and the lookups by number and by call.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <string.h>
#include <sys/syscall.h>

#include "syscalls.h"

TestSuite(syscalls);

#if defined(__x86_64__) && !defined(__ILP32__)
Test(syscalls, x86_64_table_is_the_builds)
{
	static const struct { enum sc_call c; int nr; } want[] = {
		{ SC_OPEN, SYS_open },		 { SC_OPENAT, SYS_openat },
		{ SC_OPENAT2, SYS_openat2 },	 { SC_CREAT, SYS_creat },
		{ SC_STAT, SYS_stat },		 { SC_LSTAT, SYS_lstat },
		{ SC_NEWFSTATAT, SYS_newfstatat }, { SC_STATX, SYS_statx },
		{ SC_ACCESS, SYS_access },	 { SC_FACCESSAT, SYS_faccessat },
		{ SC_FACCESSAT2, SYS_faccessat2 }, { SC_SOCKET, SYS_socket },
		{ SC_BIND, SYS_bind },
	};

	cr_assert_eq(sizeof(want) / sizeof(want[0]), SC_NCALLS - 1, "a call missing here");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(sc_x86_64.nr[want[i].c], want[i].nr, "%s: %d, the build says %d",
			     sc_name(want[i].c), sc_x86_64.nr[want[i].c], want[i].nr);
	cr_assert_eq(sc_x86_64.audit_arch, AUDIT_ARCH_X86_64);
	cr_assert_eq(sc_x86_64.abi_bit, __X32_SYSCALL_BIT);
	cr_assert_eq(sc_native(), &sc_x86_64);
}
#endif

#if defined(__aarch64__)
Test(syscalls, aarch64_table_is_the_builds)
{
	static const struct { enum sc_call c; int nr; } want[] = {
		{ SC_OPENAT, SYS_openat },	   { SC_OPENAT2, SYS_openat2 },
		{ SC_NEWFSTATAT, SYS_newfstatat }, { SC_STATX, SYS_statx },
		{ SC_FACCESSAT, SYS_faccessat },   { SC_FACCESSAT2, SYS_faccessat2 },
		{ SC_SOCKET, SYS_socket },	   { SC_BIND, SYS_bind },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(sc_aarch64.nr[want[i].c], want[i].nr, "%s", sc_name(want[i].c));
	cr_assert_eq(sc_native(), &sc_aarch64);
}
#endif

/* Only the *at forms exist in the generic table aarch64 uses. */
Test(syscalls, aarch64_has_no_legacy_calls)
{
	static const enum sc_call none[] = { SC_OPEN, SC_CREAT, SC_STAT, SC_LSTAT, SC_ACCESS };

	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		cr_expect_eq(sc_aarch64.nr[none[i]], -1, "%s", sc_name(none[i]));
	cr_assert_eq(sc_aarch64.audit_arch, AUDIT_ARCH_AARCH64);
	cr_assert_eq(sc_aarch64.abi_bit, 0);
}

/* sc_call_of inverts each table; numbers of no trapped call are SC_NONE. */
Test(syscalls, call_of_and_name)
{
	const struct sc_arch *arches[] = { &sc_x86_64, &sc_aarch64 };

	for (size_t i = 0; i < 2; i++) {
		const struct sc_arch *a = arches[i];

		for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
			if (a->nr[c] >= 0)
				cr_expect_eq(sc_call_of(a, a->nr[c]), c, "%s %s", a->name,
					     sc_name((enum sc_call)c));
		cr_expect_eq(sc_call_of(a, -1), SC_NONE, "%s: -1 is no call", a->name);
		cr_expect_eq(sc_call_of(a, 0), SC_NONE, "%s: 0 (read, io_setup)", a->name);
	}
	cr_expect_eq(sc_call_of(&sc_x86_64, SYS_write), SC_NONE);
	cr_expect_eq(sc_call_of(&sc_x86_64, 0x40000000 | 257), SC_NONE, "x32 openat is not ours");
	cr_expect_eq(sc_call_of(&sc_aarch64, 2), SC_NONE, "2 is no open on aarch64");
	cr_expect_str_eq(sc_name(SC_OPENAT), "openat");
	cr_expect_str_eq(sc_name(SC_NEWFSTATAT), "newfstatat");
	cr_expect_str_eq(sc_name(SC_FACCESSAT2), "faccessat2");
	cr_expect_str_eq(sc_name(SC_BIND), "bind");
	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		cr_expect(sc_name((enum sc_call)c) && strcmp(sc_name((enum sc_call)c), "none"),
			  "call %d has no name", c);
}
