/*
 * common/filter: the program filter_build writes, run here by a small
 * classic-BPF interpreter for both tables (aarch64's is only ever run
 * this way on x86_64), and the native filter installed for real in a
 * child (no_new_privs first, so no root is needed) whose calls the test
 * receives on the listener and lets continue.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"

TestSuite(filter, .timeout = 10);

#define ALLOW SECCOMP_RET_ALLOW
#define NOTIF SECCOMP_RET_USER_NOTIF

/* The verdict of prog for d: the few instructions filter_build writes. */
static uint32_t run(const struct sock_filter *prog, int n, const struct seccomp_data *d)
{
	uint32_t acc = 0;

	for (int pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &prog[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert(i->k % 4 == 0 && i->k + 4 <= sizeof(*d), "load at %u", i->k);
			memcpy(&acc, (const char *)d + i->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			acc &= i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += acc == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += acc >= i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction %d: code %#x", pc, i->code);
		}
	}
	cr_assert_fail("the program ran past its end");
	return 0;
}

static uint32_t verdict(const struct sc_arch *a, uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct sock_filter prog[FILTER_MAX];
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1 } };
	int n = filter_build(a, prog, FILTER_MAX);

	cr_assert_gt(n, 0, "%s: %d", a->name, n);
	return run(prog, n, &d);
}

static void check_table(const struct sc_arch *a, uint32_t other_arch)
{
	int sock = a->nr[SC_SOCKET];

	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		if (a->nr[c] >= 0 && c != SC_SOCKET)
			cr_expect_eq(verdict(a, a->audit_arch, a->nr[c], 0, 0), NOTIF, "%s %s",
				     a->name, sc_name((enum sc_call)c));
	/* socket: the family and type the kernel refuses, nothing else */
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_INET, SOCK_STREAM), ALLOW);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC), ALLOW);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_UNIX, SOCK_SEQPACKET), ALLOW);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_INET, SOCK_RAW), NOTIF);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_INET6,
			     SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC), NOTIF);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_PACKET, SOCK_DGRAM), NOTIF);
	/* the kernel takes ints: high words are not looked at */
	cr_expect_eq(verdict(a, a->audit_arch, sock, UINT64_C(1) << 32 | AF_PACKET, SOCK_DGRAM),
		     NOTIF);
	cr_expect_eq(verdict(a, a->audit_arch, sock, AF_INET, UINT64_C(3) << 32 | SOCK_STREAM),
		     ALLOW);
	/* another architecture's calls, whatever their number, pass */
	for (int c = SC_NONE + 1; c < SC_NCALLS; c++)
		if (a->nr[c] >= 0)
			cr_expect_eq(verdict(a, other_arch, a->nr[c], AF_PACKET, SOCK_RAW), ALLOW,
				     "%s %s from %#x", a->name, sc_name((enum sc_call)c), other_arch);
	cr_expect_eq(verdict(a, a->audit_arch, 0, 0, 0), ALLOW, "%s nr 0", a->name);
	cr_expect_eq(verdict(a, a->audit_arch, 1000, 0, 0), ALLOW, "%s nr 1000", a->name);
}

Test(filter, x86_64_program)
{
	const struct sc_arch *a = &sc_x86_64;

	check_table(a, AUDIT_ARCH_I386);
	check_table(a, AUDIT_ARCH_AARCH64);
	/* x32: the same architecture number, the ABI bit set */
	cr_expect_eq(verdict(a, a->audit_arch, (int)(a->abi_bit | 257), 0, 0), ALLOW);
	cr_expect_eq(verdict(a, a->audit_arch, (int)(a->abi_bit | 41), AF_PACKET, SOCK_RAW), ALLOW);
}

Test(filter, aarch64_program)
{
	const struct sc_arch *a = &sc_aarch64;

	check_table(a, AUDIT_ARCH_X86_64);
	check_table(a, AUDIT_ARCH_ARM);
	/* x86_64's open (2) and stat (4) are io_cancel and io_submit there */
	cr_expect_eq(verdict(a, a->audit_arch, 2, 0, 0), ALLOW);
	cr_expect_eq(verdict(a, a->audit_arch, 4, 0, 0), ALLOW);
}

Test(filter, too_small_a_buffer)
{
	struct sock_filter prog[FILTER_MAX];
	int n = filter_build(&sc_x86_64, prog, FILTER_MAX);

	cr_assert_gt(n, 0);
	cr_expect_eq(filter_build(&sc_x86_64, prog, (size_t)n - 1), -E2BIG);
	cr_expect_eq(filter_build(&sc_aarch64, prog, 3), -E2BIG);
}

/* The calls the child makes: trapped ones are expected on the listener, in order. */
struct call {
	enum sc_call c;
	bool trapped;
	int nargs;
	long a[5];
};

static const char missing[] = "/nonexistent/fdbroker-filter-test";
static struct open_how how = { .flags = O_RDONLY };
static struct stat st;
static struct statx stx;
static struct sockaddr_in loopback = { .sin_family = AF_INET,
				       .sin_addr.s_addr = 0x0100007f /* 127.0.0.1, big endian */ };

#define P(x) ((long)(x))
#define LAST_SOCKET -2 /* a[0] of bind: the socket made just before */

static const struct call calls[] = {
	{ SC_OPEN, true, 2, { P(missing), O_RDONLY } },
	{ SC_OPENAT, true, 3, { AT_FDCWD, P(missing), O_RDONLY | O_CLOEXEC } },
	{ SC_OPENAT2, true, 4, { AT_FDCWD, P(missing), P(&how), sizeof(how) } },
	{ SC_CREAT, true, 2, { P(missing), 0600 } },
	{ SC_STAT, true, 2, { P(missing), P(&st) } },
	{ SC_LSTAT, true, 2, { P(missing), P(&st) } },
	{ SC_NEWFSTATAT, true, 4, { AT_FDCWD, P(missing), P(&st), 0 } },
	{ SC_STATX, true, 5, { AT_FDCWD, P(missing), 0, STATX_BASIC_STATS, P(&stx) } },
	{ SC_ACCESS, true, 2, { P(missing), R_OK } },
	{ SC_FACCESSAT, true, 3, { AT_FDCWD, P(missing), R_OK } },
	{ SC_FACCESSAT2, true, 4, { AT_FDCWD, P(missing), R_OK, 0 } },
	{ SC_SOCKET, true, 3, { AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP } },
	{ SC_SOCKET, true, 3, { AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMPV6 } },
	{ SC_SOCKET, true, 3, { AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0 } },
	{ SC_SOCKET, false, 3, { AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0 } },
	{ SC_SOCKET, false, 3, { AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0 } },
	{ SC_BIND, true, 3, { LAST_SOCKET, P(&loopback), sizeof(loopback) } },
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* What the child reports: its install error, then each call's result and errno. */
struct report {
	int install;
	bool cloexec; /* the listener as filter_install gave it */
	long ret[NCALLS];
	int err[NCALLS];
};

/* In the child: install, pass the listener, make the calls, report. */
static void child(const struct sc_arch *a, int sock)
{
	struct report r = { 0 };
	long last = -1;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(2);
	fd = filter_install();
	r.install = fd < 0 ? -fd : 0;
	r.cloexec = fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC);
	if (fdpass_send(sock, &r, sizeof(r), &fd, fd < 0 ? 0 : 1, 0) < 0)
		_exit(3);
	if (fd < 0)
		_exit(0);
	close(fd);
	for (size_t k = 0; k < NCALLS; k++) {
		const struct call *c = &calls[k];

		if (a->nr[c->c] < 0)
			continue;
		errno = 0;
		r.ret[k] = syscall(a->nr[c->c], c->a[0] == LAST_SOCKET ? last : c->a[0], c->a[1],
				   c->a[2], c->a[3], c->a[4]);
		r.err[k] = errno;
		if (c->c == SC_SOCKET && r.ret[k] >= 0)
			last = r.ret[k];
	}
	_exit(fdpass_send(sock, &r, sizeof(r), NULL, 0, 0) == (ssize_t)sizeof(r) ? 0 : 4);
}

/* The next notification, checked against c, let through to the kernel. */
static void expect(int listener, const struct sc_arch *a, pid_t pid, const struct call *c)
{
	struct seccomp_notif n;
	struct seccomp_notif_resp resp = { .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	struct pollfd p = { .fd = listener, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, -1), 1);
	cr_assert(p.revents & POLLIN, "%s: no notification, the child is gone (revents %#x)",
		  sc_name(c->c), p.revents);
	memset(&n, 0, sizeof(n));
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n), 0, "NOTIF_RECV: %m");
	cr_assert_eq(n.pid, (uint32_t)pid);
	cr_assert_eq(n.data.arch, a->audit_arch);
	cr_assert_eq(n.data.nr, a->nr[c->c], "expected %s (%d), got %s (%d)", sc_name(c->c),
		     a->nr[c->c], sc_name(sc_call_of(a, n.data.nr)), n.data.nr);
	for (int i = 0; i < c->nargs; i++)
		if (c->a[i] != LAST_SOCKET)
			cr_assert_eq((long)n.data.args[i], c->a[i], "%s argument %d",
				     sc_name(c->c), i);
	resp.id = n.id;
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "NOTIF_SEND: %m");
}

Test(filter, installed_traps_what_it_should)
{
	const struct sc_arch *a = sc_native();
	struct report r;
	int sv[2], listener = -1, none, status;
	size_t nfds;
	pid_t pid;

	if (!a)
		cr_skip_test("no syscall table for this architecture");
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		child(a, sv[1]);
	close(sv[1]);
	cr_assert_eq(fdpass_recv(sv[0], &r, sizeof(r), &listener, 1, &nfds, MSG_CMSG_CLOEXEC),
		     (ssize_t)sizeof(r));
	if (r.install == EBUSY) {
		waitpid(pid, &status, 0);
		cr_skip_test("a seccomp listener is in place already (a supervisor above the tests)");
	}
	cr_assert_eq(r.install, 0, "filter_install: %s", strerror(r.install));
	cr_assert_eq(nfds, 1);
	cr_assert(r.cloexec, "the listener is not close-on-exec");
	for (size_t k = 0; k < NCALLS; k++)
		if (calls[k].trapped && a->nr[calls[k].c] >= 0)
			expect(listener, a, pid, &calls[k]);
	/* the report, with no descriptor */
	cr_assert_eq(fdpass_recv(sv[0], &r, sizeof(r), &none, 0, &nfds, 0), (ssize_t)sizeof(r));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	/* each trapped call ran in the kernel as asked: the file is missing */
	for (size_t k = 0; k < NCALLS; k++)
		if (calls[k].c != SC_SOCKET && calls[k].c != SC_BIND && a->nr[calls[k].c] >= 0)
			cr_expect(r.ret[k] == -1 && r.err[k] == ENOENT, "%s: %ld, %s",
				  sc_name(calls[k].c), r.ret[k], strerror(r.err[k]));
	/* the sockets that never stopped were made; the bind went through */
	cr_expect_geq(r.ret[NCALLS - 3], 0, "UDP socket: %s", strerror(r.err[NCALLS - 3]));
	cr_expect_geq(r.ret[NCALLS - 2], 0, "TCP socket: %s", strerror(r.err[NCALLS - 2]));
	cr_expect_eq(r.ret[NCALLS - 1], 0, "bind: %s", strerror(r.err[NCALLS - 1]));
	close(listener);
	close(sv[0]);
}
