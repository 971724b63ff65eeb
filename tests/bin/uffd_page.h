/*
 * A page of a userfaultfd that no one answers, for the test programs that
 * stall the kernel (or the broker) on their memory.  No
 * UFFD_USER_MODE_ONLY: the kernel's own accesses stop on it too, which
 * needs root here (vm.unprivileged_userfaultfd); an attacker gets the same
 * from a page of a FUSE file system of its own that never answers.  A
 * static inline header: the Makefile makes a program of every
 * tests/bin/NAME.c.
 */
#ifndef FDB_TEST_UFFD_PAGE_H
#define FDB_TEST_UFFD_PAGE_H

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * *page, one page long, registered (missing pages) with a userfaultfd
 * with features: the userfaultfd, or -1 with errno; *what names the step
 * that failed.
 */
static inline int uffd_page(void **page, uint64_t features, const char **what)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	long len = sysconf(_SC_PAGESIZE);
	int uffd;

	*what = "mmap";
	*page = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*page == MAP_FAILED)
		return -1;
	*what = "userfaultfd";
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
		return -1;
	*what = "UFFDIO_REGISTER";
	reg.range.start = (uintptr_t)*page;
	reg.range.len = (uint64_t)len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		return -1;
	return uffd;
}

#endif
