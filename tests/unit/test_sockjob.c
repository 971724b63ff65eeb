/*
 * sys/sockjob and the bind grant on a socket whose lock a thread of the
 * program holds.  The lock is held as a program would hold it: a
 * setsockopt whose value lies on a page that faults and is never served
 * (here a userfaultfd, which root may use for the kernel's own accesses;
 * a program as nobody would use a FUSE file system of its own).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "grant/grant.h"
#include "policy/policy.h"
#include "sys/sockjob.h"
#include "sys/subids.h"

TestSuite(sockjob, .timeout = 30);

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (polling every 5 ms, 5 s at most) until no job is stuck. */
static void until_none_stuck(void)
{
	long end = now_ms() + 5000;

	while (sockjob_stuck() && now_ms() < end)
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	cr_assert_eq(sockjob_stuck(), 0, "a job never came back");
}

struct pipe_job {
	struct sockjob job;
	int rfd;     /* fn reads a byte from it: blocks until the test writes */
	int ran;
	int *released;
};

static void pipe_fn(struct sockjob *j)
{
	struct pipe_job *p = (struct pipe_job *)j;
	char c;

	if (p->rfd >= 0 && read(p->rfd, &c, 1) != 1)
		p->ran = -1;
	p->ran++;
}

static void pipe_release(struct sockjob *j)
{
	struct pipe_job *p = (struct pipe_job *)j;

	__atomic_add_fetch(p->released, 1, __ATOMIC_SEQ_CST);
	free(p);
}

static struct pipe_job *pipe_job(int rfd, uid_t uid, int *released)
{
	struct pipe_job *p = calloc(1, sizeof(*p));

	cr_assert(p);
	*p = (struct pipe_job){ .job = { .fn = pipe_fn, .release = pipe_release, .uid = uid },
				.rfd = rfd, .released = released };
	return p;
}

Test(sockjob, a_quick_job_comes_back)
{
	int released = 0;
	struct pipe_job *p = pipe_job(-1, 1000, &released);

	for (int i = 0; i < 100; i++) {
		cr_assert_eq(sockjob_run(&p->job), 0);
		cr_assert_eq(p->ran, i + 1);
	}
	/* retired threads end; the next job gets a new one */
	sockjob_retire();
	cr_assert_eq(sockjob_run(&p->job), 0);
	cr_assert_eq(p->ran, 101);
	p->job.once = true;
	cr_assert_eq(sockjob_run(&p->job), 0);
	cr_assert_eq(sockjob_run(&p->job), 0, "no thread after a job that ends its own");
	free(p);
	cr_expect_eq(released, 0);
}

/*
 * A blocked job is left after the deadline, and released by its thread
 * when it returns; past SOCKJOB_STUCK_PER_UID stuck jobs a uid gets
 * -EAGAIN at once, and another uid is still served.
 */
Test(sockjob, blocked_jobs_are_left_and_counted)
{
	int released = 0, fds[2];
	struct pipe_job *p;
	long t0;

	cr_assert_eq(pipe(fds), 0);
	for (int i = 0; i < SOCKJOB_STUCK_PER_UID; i++) {
		p = pipe_job(fds[0], 1000, &released);
		t0 = now_ms();
		cr_assert_eq(sockjob_run(&p->job), -ETIMEDOUT);
		cr_expect_geq(now_ms() - t0, SOCKJOB_MS - 5);
	}
	cr_assert_eq(sockjob_stuck(), SOCKJOB_STUCK_PER_UID);
	p = pipe_job(fds[0], 1000, &released);
	t0 = now_ms();
	cr_assert_eq(sockjob_run(&p->job), -EAGAIN);
	cr_expect_lt(now_ms() - t0, SOCKJOB_MS, "a uid past its stuck jobs still waited");
	free(p);
	p = pipe_job(-1, 1001, &released);
	cr_assert_eq(sockjob_run(&p->job), 0, "another uid is not served");
	free(p);
	/* unblock them: each thread releases its job */
	cr_assert_eq(write(fds[1], "xxxx", SOCKJOB_STUCK_PER_UID), SOCKJOB_STUCK_PER_UID);
	until_none_stuck();
	cr_expect_eq(__atomic_load_n(&released, __ATOMIC_SEQ_CST), SOCKJOB_STUCK_PER_UID);
	close(fds[0]);
	close(fds[1]);
}

/*
 * With subordinate uid ranges in use (serve's), a range's uids and its
 * owner share one stuck count: a user with 65,536 of them cannot take all
 * SOCKJOB_STUCK threads.  Another uid is still served.
 */
Test(sockjob, subordinate_uids_share_their_owners_stuck_count)
{
	struct subid_range range = { .start = 100000, .owner = 65534, .count = 10 };
	struct subids ranges = { .v = &range, .n = 1 };
	int released = 0, fds[2];
	struct pipe_job *p;

	cr_assert_eq(pipe(fds), 0);
	subids_use(&ranges);
	for (int i = 0; i < SOCKJOB_STUCK_PER_UID; i++) {
		p = pipe_job(fds[0], 100001 + (uid_t)i, &released);
		cr_assert_eq(sockjob_run(&p->job), -ETIMEDOUT);
	}
	p = pipe_job(fds[0], 100009, &released);
	cr_assert_eq(sockjob_run(&p->job), -EAGAIN, "another uid of the range");
	p->job.uid = 65534;
	cr_assert_eq(sockjob_run(&p->job), -EAGAIN, "the owner");
	free(p);
	p = pipe_job(-1, 100010, &released);
	cr_assert_eq(sockjob_run(&p->job), 0, "a uid past the range is its own");
	free(p);
	subids_use(NULL);
	cr_assert_eq(write(fds[1], "xxxx", SOCKJOB_STUCK_PER_UID), SOCKJOB_STUCK_PER_UID);
	until_none_stuck();
	cr_expect_eq(__atomic_load_n(&released, __ATOMIC_SEQ_CST), SOCKJOB_STUCK_PER_UID);
	close(fds[0]);
	close(fds[1]);
}

/*
 * sockjob_call: 0 for a job that ran; -EBUSY for one left to its thread
 * and for one refused for the stuck counts, which is released at once.
 */
Test(sockjob, call_takes_both_refusals_as_busy)
{
	int released = 0, fds[2];
	struct pipe_job *p = pipe_job(-1, 1002, &released);

	cr_assert_eq(sockjob_call(&p->job), 0);
	cr_assert_eq(p->ran, 1);
	free(p);
	cr_assert_eq(pipe(fds), 0);
	for (int i = 0; i < SOCKJOB_STUCK_PER_UID; i++) {
		p = pipe_job(fds[0], 1002, &released);
		cr_assert_eq(sockjob_call(&p->job), -EBUSY);
	}
	cr_assert_eq(__atomic_load_n(&released, __ATOMIC_SEQ_CST), 0);
	p = pipe_job(fds[0], 1002, &released);
	cr_assert_eq(sockjob_call(&p->job), -EBUSY);
	cr_assert_eq(__atomic_load_n(&released, __ATOMIC_SEQ_CST), 1, "the refused job is not released");
	cr_assert_eq(write(fds[1], "xxxx", SOCKJOB_STUCK_PER_UID), SOCKJOB_STUCK_PER_UID);
	until_none_stuck();
	cr_expect_eq(__atomic_load_n(&released, __ATOMIC_SEQ_CST), SOCKJOB_STUCK_PER_UID + 1);
	close(fds[0]);
	close(fds[1]);
}

static void *page;

/* A program's thread: setsockopt with its program on the unserved page, the socket's lock held. */
static void *hold_lock(void *arg)
{
	struct sock_fprog prog = { .len = 1, .filter = page };

	setsockopt(*(int *)arg, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
	return NULL;
}

/* Is the thread waiting in the kernel on the page (its fault read by the userfaultfd)? */
static void wait_fault(int uffd)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, 5000), 1, "the thread never faulted");
}

/*
 * The bind grant does not wait on a socket whose lock a thread of the
 * program holds: refused at its deadline (reason=socket-busy), and the
 * socket is not bound behind the program's back once the lock is free.
 */
Test(sockjob, bind_grant_does_not_wait_on_a_held_socket_lock)
{
	size_t len = (size_t)sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(869),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, now;
	socklen_t nlen = sizeof(now);
	struct policy p;
	struct req r = { .op = REQ_BIND, .who = { .pid = getpid(), .id = { .uid = 1000, .gid = 1000 },
						   .prog = "test" } };
	struct outcome o;
	pthread_t th;
	int uffd, s;
	long t0;

	page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(page, MAP_FAILED);
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg.range.start = (uintptr_t)page;
	reg.range.len = len;
	cr_assert(uffd >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0 &&
		  ioctl(uffd, UFFDIO_REGISTER, &reg) == 0, "userfaultfd: %s", strerror(errno));
	policy_init(&p);
	cr_assert_eq(policy_parse_text(&p, "t.policy", "allow user 1000 bind udp 127.0.0.1:869\n",
				       NULL, NULL), 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(pthread_create(&th, NULL, hold_lock, &s), 0);
	wait_fault(uffd);

	r.u.bind = (struct req_bind){ .sock = s, .sa = (struct sockaddr *)&sa, .salen = sizeof(sa) };
	outcome_init(&o, "bind");
	t0 = now_ms();
	grant_bind(&p, &r, &o);
	cr_expect_lt(now_ms() - t0, SOCKJOB_MS + 2000, "the grant waited on the lock");
	cr_expect(o.denied && o.err == EACCES, "denied %d err %d", o.denied, o.err);
	cr_expect(strstr(o.detail, "reason=socket-busy"), "detail '%s'", o.detail);

	/* free the lock: the fault served, the program's setsockopt goes on (and fails) */
	cr_assert_eq(ioctl(uffd, UFFDIO_ZEROPAGE,
			   &(struct uffdio_zeropage){ .range = { (uintptr_t)page, len } }), 0, "%m");
	pthread_join(th, NULL);
	until_none_stuck();
	cr_assert_eq(getsockname(s, (struct sockaddr *)&now, &nlen), 0);
	cr_expect_eq(now.sin_port, 0, "the socket was bound after the program was answered");

	/* and with the lock free, the grant binds */
	outcome_init(&o, "bind");
	grant_bind(&p, &r, &o);
	cr_expect(!o.denied && o.err == 0, "denied %d err %d (%s)", o.denied, o.err, o.detail);
	close(s);
	close(uffd);
	policy_free(&p);
	munmap(page, len);
}
