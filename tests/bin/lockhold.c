/*
 * lockhold: hold an inode's lock inside the kernel, as a hostile program
 * can, until killed.
 *   lockhold dir PATH     getdents64 of directory PATH (its lock, shared)
 *   lockhold write PATH   a write to file PATH (its lock)
 * The call's buffer is a page of a userfaultfd that never answers, so the
 * kernel stops on its first copy, the lock taken; "held" is printed once
 * that fault has arrived.  An attacker gets the same from a page of a FUSE
 * file system of its own (in a user namespace) that never answers a read;
 * userfaultfd needs root here (vm.unprivileged_userfaultfd), which the
 * tests are.  Killing it lets the call go: the page faults in as zeros.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int target;
static void *page;
static long pagesize;
static bool is_dir;

static void *call(void *arg)
{
	(void)arg;
	if (is_dir)
		syscall(SYS_getdents64, target, page, (size_t)pagesize);
	else
		(void)!write(target, page, (size_t)pagesize);
	return NULL;
}

static int fail(const char *what)
{
	printf("err %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffd_msg msg;
	pthread_t t;
	int uffd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || (strcmp(argv[1], "dir") && strcmp(argv[1], "write"))) {
		fprintf(stderr, "usage: lockhold dir|write PATH\n");
		return 2;
	}
	is_dir = !strcmp(argv[1], "dir");
	target = open(argv[2], (is_dir ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
	if (target < 0)
		return fail(argv[2]);
	pagesize = sysconf(_SC_PAGESIZE);
	page = mmap(NULL, (size_t)pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (page == MAP_FAILED)
		return fail("mmap");
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
		return fail("userfaultfd");
	reg.range.start = (unsigned long)page;
	reg.range.len = (unsigned long)pagesize;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		return fail("UFFDIO_REGISTER");
	if (pthread_create(&t, NULL, call, NULL))
		return fail("pthread_create");
	/* the fault comes from inside the call, after it took the lock */
	if (read(uffd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return fail("read uffd");
	printf("held\n");
	for (;;)
		pause();
}
