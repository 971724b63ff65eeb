/*
 * Least privilege.  The broker keeps only what its rules can use:
 *   open (read only)            CAP_DAC_READ_SEARCH
 *   open with write             CAP_DAC_OVERRIDE
 *   open with create            CAP_DAC_OVERRIDE, CAP_CHOWN (the file is the user's)
 *   socket raw or packet        CAP_NET_RAW
 *   bind/accept on a port <1024 CAP_NET_BIND_SERVICE
 *   bind tcp ... from           CAP_NET_ADMIN: the kernel wants it for a tcp
 *                               socket's filter (6.18 here), so also every
 *                               accept tcp rule served by binding (seccomp),
 *                               which is always filtered, and bind tcp
 *                               [::]:PORT, whose socket is made IPv6-only
 *                               with a filter where 0.0.0.0 is refused
 *   bind unix                   CAP_DAC_OVERRIDE, CAP_CHOWN
 *   --learn=permissive          all of the above: what any learned rule may need
 * Everything else leaves the bounding set, and no_new_privs is set, so not
 * even an exec could bring a capability back.  CAP_NET_ADMIN, the widest,
 * is kept permitted but not in effect: caps_around raises it on the one
 * thread, for the one call that needs it.
 */
#include "sys/caps.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIT(c) (UINT64_C(1) << (c))
#define LATENT BIT(CAP_NET_ADMIN) /* permitted, in effect only through caps_around */

/* [::]: a socket bound there is made IPv6-only, behind a filter, where 0.0.0.0 is refused */
static bool ipv6_wildcard(const struct policy_addr *a)
{
	static const uint8_t zero[16];

	return a->kind == ADDR_IPV6 && !memcmp(a->ip, zero, sizeof(zero));
}

static uint64_t rule_caps(const struct rule *r)
{
	if (r->verdict != VERDICT_ALLOW)
		return 0;
	switch (r->op) {
	case OP_OPEN:
		if (r->u.open.rights & RIGHT_CREATE)
			return BIT(CAP_DAC_OVERRIDE) | (r->u.open.owner_root ? 0 : BIT(CAP_CHOWN));
		if (r->u.open.rights & RIGHT_WRITE)
			return BIT(CAP_DAC_OVERRIDE);
		return BIT(CAP_DAC_READ_SEARCH);
	case OP_SOCKET:
		if (r->u.socket.type == SOCK_RAW || r->u.socket.family == AF_PACKET)
			return BIT(CAP_NET_RAW);
		return 0;
	case OP_BIND:
	case OP_ACCEPT:
		if (r->u.net.proto == PROTO_UNIX)
			return BIT(CAP_DAC_OVERRIDE) | BIT(CAP_CHOWN);
		return (r->u.net.addr.port_lo < 1024 ? BIT(CAP_NET_BIND_SERVICE) : 0) |
		       (r->op == OP_BIND && r->u.net.proto == PROTO_TCP &&
				(r->u.net.nfrom || ipv6_wildcard(&r->u.net.addr)) ?
				BIT(CAP_NET_ADMIN) : 0);
	}
	return 0;
}

uint64_t caps_needed(const struct policy *p)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < p->n; i++)
		caps |= rule_caps(&p->rules[i]);
	/* a permissive grant may be any rule --learn writes (never an accept) */
	if (p->permissive)
		caps |= BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_CHOWN) |
			BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_NET_RAW);
	return caps;
}

uint64_t caps_filtered_accepts(const struct policy *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct rule *r = &p->rules[i];

		if (r->verdict == VERDICT_ALLOW && r->op == OP_ACCEPT && r->u.net.proto == PROTO_TCP)
			return BIT(CAP_NET_ADMIN);
	}
	return 0;
}

uint64_t caps_supervise(const struct policy *p)
{
	return BIT(CAP_SYS_PTRACE) | BIT(CAP_SETUID) | BIT(CAP_SETGID) | caps_filtered_accepts(p);
}

/* The names libcap and capabilities(7) give, by number. */
static const char *const cap_names[] = {
	"cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner",
	"cap_fsetid", "cap_kill", "cap_setgid", "cap_setuid", "cap_setpcap",
	"cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
	"cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner",
	"cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
	"cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice",
	"cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod",
	"cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
	"cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm",
	"cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf",
	"cap_checkpoint_restore",
};
#define NNAMES (sizeof(cap_names) / sizeof(cap_names[0]))

void caps_format(uint64_t caps, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < 64; c++) {
		size_t room;

		if (!(caps & BIT(c)))
			continue;
		room = used < len ? len - used : 0;
		if (c < NNAMES)
			used += (size_t)snprintf(buf + used, room, "%s%s", used ? "," : "", cap_names[c]);
		else
			used += (size_t)snprintf(buf + used, room, "%s%u", used ? "," : "", c);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* caps.h; what libcap's cap_set_proc did without libpsx, which the broker never linked */
int caps_thread(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3], bool set)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };

	return (int)syscall(set ? SYS_capset : SYS_capget, &h, d);
}

static bool in_set(const struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3], int c,
		   bool permitted)
{
	uint32_t set = permitted ? d[c / 32].permitted : d[c / 32].effective;

	return set & (1U << (c % 32));
}

/*
 * Every capability but keep leaves the bounding set, up to the first this
 * kernel does not know (EINVAL: they are numbered without gaps).
 */
static int drop_bounding(uint64_t keep)
{
	for (int c = 0; c < 64; c++) {
		if (keep & BIT(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL)
			return 0;
		fprintf(stderr, "fdbroker: cannot drop capability %d from the bounding set: %s\n",
			c, strerror(errno));
		return -1;
	}
	return 0;
}

int caps_limit(uint64_t keep)
{
	struct __user_cap_data_struct cur[_LINUX_CAPABILITY_U32S_3];
	struct __user_cap_data_struct want[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (caps_thread(cur, false) < 0) {
		fprintf(stderr, "fdbroker: cannot read capabilities: %s\n", strerror(errno));
		return -1;
	}
	/* nobody can keep what it does not have (a broker run without root) */
	for (int c = 0; c < 32 * _LINUX_CAPABILITY_U32S_3; c++) {
		if (!(keep & BIT(c)) || !in_set(cur, c, true))
			continue;
		want[c / 32].permitted |= 1U << (c % 32);
		if (!(LATENT & BIT(c)))
			want[c / 32].effective |= 1U << (c % 32);
	}
	/*
	 * Only a broker holding CAP_SETPCAP (root) can shrink the bounding
	 * set; one started with file capabilities narrows what it has.
	 */
	if (in_set(cur, CAP_SETPCAP, false) && drop_bounding(keep) < 0)
		return -1;
	if (caps_thread(want, true) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "fdbroker: cannot give up capabilities: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* caps_limit_all's latest keep, and how many there were (0: none yet) */
static uint64_t all_keep;
static unsigned all_count;

int caps_limit_all(uint64_t keep)
{
	if (caps_limit(keep) < 0)
		return -1;
	__atomic_store_n(&all_keep, keep, __ATOMIC_RELAXED);
	__atomic_add_fetch(&all_count, 1, __ATOMIC_RELEASE);
	return 0;
}

void caps_follow(unsigned *seen)
{
	unsigned now = __atomic_load_n(&all_count, __ATOMIC_ACQUIRE);

	if (__builtin_expect(now == *seen, 1))
		return;
	/* a failure has its message; not tried again, or every call would repeat it */
	caps_limit(__atomic_load_n(&all_keep, __ATOMIC_RELAXED));
	*seen = now;
}

int caps_around(int cap, int (*fn)(void *ctx), void *ctx)
{
	struct __user_cap_data_struct saved[_LINUX_CAPABILITY_U32S_3], raised[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1U << (cap % 32);
	int rc, e;

	if (caps_thread(saved, false) < 0)
		return fn(ctx);
	memcpy(raised, saved, sizeof(raised));
	/* only what is permitted: otherwise fn runs as it would have */
	if (!(saved[cap / 32].permitted & bit) || (saved[cap / 32].effective & bit))
		return fn(ctx);
	raised[cap / 32].effective |= bit;
	if (caps_thread(raised, true) < 0)
		return fn(ctx);
	rc = fn(ctx);
	e = errno;
	caps_thread(saved, true);
	errno = e;
	return rc;
}
