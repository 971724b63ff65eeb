/*
 * Least privilege (helper/sys/caps.c) by the system calls alone: what a
 * broker keeps in effect, permitted and in its bounding set after
 * caps_limit, what another thread gives up after caps_limit_all, and the
 * names its messages give.  caps_limit runs in a child of its own, which
 * needs root to have something to give up.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/caps.h"

#define B(c) (UINT64_C(1) << (c))

Test(caps, names_as_capabilities_7_gives_them)
{
	char buf[256];

	caps_format(B(CAP_CHOWN) | B(CAP_NET_BIND_SERVICE) | B(CAP_CHECKPOINT_RESTORE), buf,
		    sizeof(buf));
	cr_assert_str_eq(buf, "cap_chown,cap_net_bind_service,cap_checkpoint_restore");
	caps_format(B(CAP_DAC_READ_SEARCH) | B(45), buf, sizeof(buf));
	cr_assert_str_eq(buf, "cap_dac_read_search,45");
	caps_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "none");
	caps_format(B(CAP_SYS_ADMIN) | B(CAP_NET_RAW), buf, 12);
	cr_assert_str_eq(buf, "cap_net_raw");
}

/* What is left after caps_limit(keep), as bits of the child's exit status. */
enum { EFFECTIVE_OK = 1, PERMITTED_OK = 2, BOUNDING_OK = 4, NNP_OK = 8, LIMITED = 16 };

/* The calling thread's sets as limited_child's bits (LIMITED not among them). */
static int thread_sets(uint64_t keep, uint64_t in_effect)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint64_t eff, perm, bounding = 0;
	int got = 0;

	if (syscall(SYS_capget, &h, d) < 0)
		return got;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			bounding |= B(c);
	got |= (eff == in_effect ? EFFECTIVE_OK : 0) | (perm == keep ? PERMITTED_OK : 0) |
	       (bounding == keep ? BOUNDING_OK : 0) |
	       (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? NNP_OK : 0);
	return got;
}

static int limited_child(uint64_t keep, uint64_t in_effect)
{
	if (caps_limit(keep) < 0)
		return 0;
	return LIMITED | thread_sets(keep, in_effect);
}

/* child(keep, in_effect) in a child process (root only): its exit status's bits. */
static int in_child(int (*child)(uint64_t, uint64_t), uint64_t keep, uint64_t in_effect)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("caps_limit needs root to have capabilities to give up");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(child(keep, in_effect));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(caps, limit_keeps_only_what_it_is_told_and_net_admin_latent)
{
	uint64_t keep = B(CAP_DAC_READ_SEARCH) | B(CAP_NET_BIND_SERVICE) | B(CAP_NET_ADMIN);
	int got = in_child(limited_child, keep, keep & ~B(CAP_NET_ADMIN));

	cr_assert(got & LIMITED, "caps_limit failed");
	cr_assert(got & EFFECTIVE_OK, "effective set is not keep without net_admin");
	cr_assert(got & PERMITTED_OK, "permitted set is not keep");
	cr_assert(got & BOUNDING_OK, "bounding set is not keep");
	cr_assert(got & NNP_OK, "no_new_privs is not set");
}

/* A thread of the child: started before caps_limit_all, told to go by a pipe. */
struct follower {
	int go;             /* read end */
	uint64_t keep, in_effect;
	bool had_sys_admin; /* still, after the other thread's caps_limit_all */
	int sets;           /* thread_sets after caps_follow */
	int again;          /* thread_sets after a second caps_follow */
};

static void *follow(void *arg)
{
	struct follower *f = arg;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	unsigned seen = 0;
	char c;

	if (read(f->go, &c, 1) != 1)
		return NULL;
	f->had_sys_admin = syscall(SYS_capget, &h, d) == 0 &&
			   (d[CAP_SYS_ADMIN / 32].permitted & (1U << (CAP_SYS_ADMIN % 32)));
	caps_follow(&seen);
	f->sets = thread_sets(f->keep, f->in_effect);
	caps_follow(&seen);
	f->again = thread_sets(f->keep, f->in_effect);
	return NULL;
}

enum { FOLLOW_HAD = 32, FOLLOW_AGAIN = 64 };

static int follower_child(uint64_t keep, uint64_t in_effect)
{
	struct follower f = { .keep = keep, .in_effect = in_effect };
	int p[2], got = 0;
	pthread_t t;

	if (pipe(p) < 0)
		return 0;
	f.go = p[0];
	if (pthread_create(&t, NULL, follow, &f) != 0)
		return 0;
	if (caps_limit_all(keep) == 0)
		got |= LIMITED;
	if (write(p[1], "g", 1) != 1 || pthread_join(t, NULL) != 0)
		return 0;
	return got | f.sets | (f.had_sys_admin ? FOLLOW_HAD : 0) |
	       (f.again == f.sets ? FOLLOW_AGAIN : 0);
}

Test(caps, a_thread_gives_up_what_caps_limit_all_gave_up_before_its_next_work)
{
	uint64_t keep = B(CAP_DAC_READ_SEARCH) | B(CAP_NET_BIND_SERVICE);
	int got = in_child(follower_child, keep, keep);

	cr_assert(got & LIMITED, "caps_limit_all failed");
	/* each thread has its own sets: the other one's limit alone changes nothing here */
	cr_assert(got & FOLLOW_HAD, "the thread lost cap_sys_admin before caps_follow");
	cr_assert(got & EFFECTIVE_OK, "the thread's effective set is not keep");
	cr_assert(got & PERMITTED_OK, "the thread's permitted set is not keep");
	cr_assert(got & BOUNDING_OK, "the thread's bounding set is not keep");
	cr_assert(got & NNP_OK, "the thread's no_new_privs is not set");
	cr_assert(got & FOLLOW_AGAIN, "a second caps_follow changed something");
}
