/*
 * The seccomp filter and its installation; see filter.h.  The program:
 *
 *	load arch; not ours: ALLOW        (i386 and foreign calls untouched)
 *	load nr; at or above abi_bit: ALLOW (x32, on x86_64)
 *	nr one of the trapped calls: USER_NOTIF
 *	nr socket: family AF_PACKET or type SOCK_RAW: USER_NOTIF; else ALLOW
 *	ALLOW
 *
 * Every jump goes forward to one of the two returns at the end, so the
 * offsets are known once the length is.  The arguments are 64-bit in
 * seccomp_data and int in the kernel: only their low words are compared,
 * as the kernel itself reads them.
 */
#include "filter.h"

#include <endian.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The low 32 bits of argument i, in the byte order the filter runs in. */
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]) + (BYTE_ORDER == BIG_ENDIAN ? 4 : 0))
/* socket(2)'s type without SOCK_NONBLOCK and SOCK_CLOEXEC (the kernel's SOCK_TYPE_MASK) */
#define SOCK_TYPE_MASK 0xf

struct emit {
	struct sock_filter *prog;
	size_t n, cap;
	size_t allow, notif; /* where the two returns will be */
};

static void put(struct emit *e, struct sock_filter ins)
{
	if (e->n < e->cap)
		e->prog[e->n] = ins;
	e->n++;
}

static void load(struct emit *e, size_t off)
{
	put(e, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)off));
}

/* A jump from the next instruction to target (one of the returns, or past one instruction). */
static unsigned char to(const struct emit *e, size_t target)
{
	return (unsigned char)(target - e->n - 1);
}

static void jeq_notif(struct emit *e, uint32_t k)
{
	put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, to(e, e->notif), 0));
}

/* socket: only what the kernel refuses an unprivileged caller stops */
static void socket_check(struct emit *e, uint32_t nr)
{
	put(e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, to(e, e->allow)));
	load(e, ARG_LO(0));
	jeq_notif(e, AF_PACKET);
	load(e, ARG_LO(1));
	put(e, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SOCK_TYPE_MASK));
	jeq_notif(e, SOCK_RAW);
}

/* The instructions filter_build writes for a. */
static size_t length(const struct sc_arch *a)
{
	size_t n = 4 + (a->abi_bit ? 2 : 0) + 2;

	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		if (a->nr[c] >= 0)
			n += c == SC_SOCKET ? 6 : 1;
	return n;
}

int filter_build(const struct sc_arch *a, struct sock_filter *prog, size_t cap)
{
	size_t len = length(a);
	struct emit e = { .prog = prog, .cap = cap, .allow = len - 2, .notif = len - 1 };

	if (len > cap)
		return -E2BIG;
	load(&e, offsetof(struct seccomp_data, arch));
	put(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a->audit_arch, 1, 0));
	put(&e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	load(&e, offsetof(struct seccomp_data, nr));
	if (a->abi_bit) {
		put(&e, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, a->abi_bit, 0, 1));
		put(&e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		if (a->nr[c] >= 0 && c != SC_SOCKET)
			jeq_notif(&e, (uint32_t)a->nr[c]);
	/* last: it loads the arguments over nr */
	if (a->nr[SC_SOCKET] >= 0)
		socket_check(&e, (uint32_t)a->nr[SC_SOCKET]);
	put(&e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	put(&e, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
	return (int)e.n;
}

int filter_install(void)
{
	struct sock_filter prog[FILTER_MAX];
	const struct sc_arch *a = sc_native();
	struct sock_fprog fp = { .filter = prog };
	long fd;
	int n;

	if (!a)
		return -ENOSYS;
	n = filter_build(a, prog, FILTER_MAX);
	if (n < 0)
		return n;
	fp.len = (unsigned short)n;
	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &fp);
	/* before 5.19 the kernel refuses the flag it does not know */
	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			     &fp);
	return fd < 0 ? -errno : (int)fd;
}
