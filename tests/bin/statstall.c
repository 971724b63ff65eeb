/*
 * statstall: stat calls whose results are to be written into a page that
 * stalls whoever writes it, as a hostile program can; until killed.
 *
 *   statstall PATH N   (as root) makes a page of a userfaultfd no one
 *                      answers (uffd_page.h), becomes nobody, then starts
 *                      N threads that each stat PATH into that page, with
 *                      raw newfstatat (no wrapper reads or writes the
 *                      buffer first); on SIGUSR1 the page comes at last
 *                      (UFFDIO_COPY), and whatever waited for it goes on
 *
 * Under a seccomp supervisor that answers the call itself, its write of
 * the result stops on the page: that fault is printed "fault other", one
 * line each.  A fault of one of the N threads (the kernel's own stat,
 * answered CONTINUE, copying its result) is "fault own"; a stat that
 * returns is "done ok|ERRNO"; "page" once the page has come.  "err WHAT:
 * WHY" if something failed.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "errname.h"
#include "uffd_page.h"

#define THREADS_MAX 64

static const char *path;
static char *page;
static pid_t tids[THREADS_MAX];

static void *stat_one(void *arg)
{
	long i = (long)arg;
	long rc;

	__atomic_store_n(&tids[i], gettid(), __ATOMIC_RELEASE);
	rc = syscall(SYS_newfstatat, AT_FDCWD, path, page + i * (long)sizeof(struct stat), 0);
	printf("done %s\n", rc == 0 ? "ok" : errname(errno));
	return NULL;
}

static bool own(pid_t tid, long n)
{
	for (long i = 0; i < n; i++)
		if (__atomic_load_n(&tids[i], __ATOMIC_ACQUIRE) == tid)
			return true;
	return false;
}

/* The page, filled with zeros: every fault waiting on it is woken. */
static int page_comes(int uffd)
{
	static char zeros[65536];
	struct uffdio_copy c = { .dst = (uintptr_t)page, .src = (uintptr_t)zeros,
				 .len = (uint64_t)sysconf(_SC_PAGESIZE) };

	if (c.len > sizeof(zeros) || ioctl(uffd, UFFDIO_COPY, &c) < 0)
		return -1;
	printf("page\n");
	return 0;
}

static int fail(const char *what)
{
	printf("err %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	const char *what;
	sigset_t usr1;
	void *p;
	int uffd, sigfd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n < 1 || n > THREADS_MAX || n * (long)sizeof(struct stat) > sysconf(_SC_PAGESIZE)) {
		fprintf(stderr, "usage: statstall PATH N (N from 1 to %d, in one page)\n",
			THREADS_MAX);
		return 2;
	}
	path = argv[1];
	/* SIGUSR1 is read from sigfd, by the main thread (blocked before any other starts) */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigfd = sigprocmask(SIG_BLOCK, &usr1, NULL) < 0 ? -1 : signalfd(-1, &usr1, SFD_CLOEXEC);
	if (sigfd < 0)
		return fail("signalfd");
	uffd = uffd_page(&p, UFFD_FEATURE_THREAD_ID, &what);
	/* poll answers POLLERR for a userfaultfd without O_NONBLOCK */
	if (uffd < 0 || fcntl(uffd, F_SETFL, O_NONBLOCK) < 0)
		return fail(uffd < 0 ? what : "O_NONBLOCK");
	page = p;
	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return fail("becoming nobody");
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, stat_one, (void *)i))
			return fail("pthread_create");
	}
	for (;;) {
		struct pollfd w[2] = { { .fd = uffd, .events = POLLIN },
				       { .fd = sigfd, .events = POLLIN } };
		struct signalfd_siginfo si;
		struct uffd_msg m;

		if (poll(w, 2, -1) < 0)
			return fail("poll");
		if ((w[1].revents & POLLIN) && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
		    page_comes(uffd) < 0)
			return fail("UFFDIO_COPY");
		if (!(w[0].revents & POLLIN))
			continue;
		if (read(uffd, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
			if (errno == EAGAIN) /* woken before it was read */
				continue;
			return fail("read uffd");
		}
		if (m.event == UFFD_EVENT_PAGEFAULT)
			printf("fault %s\n", own((pid_t)m.arg.pagefault.feat.ptid, n) ? "own" : "other");
	}
}
