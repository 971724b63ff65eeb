/*
 * lockhold: hold an inode's lock inside the kernel, as a hostile program
 * can, until killed.
 *   lockhold dir PATH     getdents64 of directory PATH (its lock, shared)
 *   lockhold write PATH   a write to file PATH (its lock)
 * The call's buffer is a page of a userfaultfd that never answers
 * (uffd_page.h), so the kernel stops on its first copy, the lock taken;
 * "held" is printed once that fault has arrived.  Killing it lets the call
 * go: the page faults in as zeros.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "uffd_page.h"

static int target;
static void *page;
static bool is_dir;

static void *call(void *arg)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);

	(void)arg;
	if (is_dir)
		syscall(SYS_getdents64, target, page, len);
	else
		(void)!write(target, page, len);
	return NULL;
}

static int fail(const char *what)
{
	printf("err %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct uffd_msg msg;
	const char *what;
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
	uffd = uffd_page(&page, 0, &what);
	if (uffd < 0)
		return fail(what);
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
