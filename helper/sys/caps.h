/*
 * Least privilege: the capabilities a policy needs, and giving up the rest.
 * Capability sets are bitmasks of 1 << CAP_*.
 * caps_limit and caps_limit_all return 0, or -1 after a message on stderr;
 * caps_thread 0, or -1 with errno; the rest cannot fail (caps_follow's
 * failure has a message and is not retried).
 */
#ifndef FDB_CAPS_H
#define FDB_CAPS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

/* What p's rules need (all that any rule may, under p->permissive). */
uint64_t caps_needed(const struct policy *p);

/*
 * Keep only keep in the effective and permitted sets (CAP_NET_ADMIN in the
 * permitted one only: see caps_around), drop every other capability from
 * the bounding set, and set no_new_privs.
 */
int caps_limit(uint64_t keep);
/*
 * Each thread has its own sets, so what a policy reload gives up must be
 * given up by every thread: caps_limit_all is caps_limit for the calling
 * thread and records keep for the rest; a long-lived thread calls
 * caps_follow before each piece of work, which limits its own sets to the
 * latest keep once (seen: the thread's own count, 0 at its start).  A
 * thread made by one not yet limited is limited at its first work.
 */
int caps_limit_all(uint64_t keep);
void caps_follow(unsigned *seen);
/*
 * fn(ctx) with cap in effect on the calling thread alone, when it is
 * permitted and not in effect (CAP_NET_ADMIN after caps_limit), and as
 * before after it; fn's return value and errno.
 */
int caps_around(int cap, int (*fn)(void *ctx), void *ctx);

/*
 * What accept rules add when they are served by binding (the seccomp front
 * end has no channel to hand a held listener down): CAP_NET_ADMIN for the
 * filter every tcp one then gets, else 0.
 */
uint64_t caps_filtered_accepts(const struct policy *p);

/*
 * What supervising seccomp trees needs on top of the rules': CAP_SYS_PTRACE
 * (a target's memory, pidfd_getfd of its descriptors), CAP_SETUID and
 * CAP_SETGID (a call tried as the caller first), and caps_filtered_accepts.
 */
uint64_t caps_supervise(const struct policy *p);

/*
 * The calling thread's own three sets, read (set false) or made so (true)
 * by capget/capset for this thread alone: glibc and libcap may apply a
 * change to every thread of the process.
 */
int caps_thread(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3], bool set);

/* "cap_net_bind_service,cap_chown" for messages. */
void caps_format(uint64_t caps, char *buf, size_t len);

#endif
