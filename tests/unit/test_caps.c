/*
 * Least privilege (helper/sys/caps.c) by the system calls alone: what a
 * broker keeps in effect, permitted and in its bounding set after
 * caps_limit, and the names its messages give.  caps_limit runs in a
 * child of its own, which needs root to have something to give up.
 */
#include <criterion/criterion.h>
#include <linux/capability.h>
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

static int limited_child(uint64_t keep, uint64_t in_effect)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint64_t eff, perm, bounding = 0;
	int got = 0;

	if (caps_limit(keep) < 0)
		return 0;
	got |= LIMITED;
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

Test(caps, limit_keeps_only_what_it_is_told_and_net_admin_latent)
{
	uint64_t keep = B(CAP_DAC_READ_SEARCH) | B(CAP_NET_BIND_SERVICE) | B(CAP_NET_ADMIN);
	int status;
	pid_t pid;

	if (geteuid() != 0)
		cr_skip_test("caps_limit needs root to have capabilities to give up");
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(limited_child(keep, keep & ~B(CAP_NET_ADMIN)));
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert(WEXITSTATUS(status) & LIMITED, "caps_limit failed");
	cr_assert(WEXITSTATUS(status) & EFFECTIVE_OK, "effective set is not keep without net_admin");
	cr_assert(WEXITSTATUS(status) & PERMITTED_OK, "permitted set is not keep");
	cr_assert(WEXITSTATUS(status) & BOUNDING_OK, "bounding set is not keep");
	cr_assert(WEXITSTATUS(status) & NNP_OK, "no_new_privs is not set");
}
