/*
 * What the broker reads from a seccomp target (helper/front/target.c):
 * strings at page edges, a child's memory, its credentials from
 * /proc/TID/status, its descriptors, directory and namespaces, a pending
 * notification.  The tests on changed ids and on chroot need root and are
 * skipped without it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front/target.h"

/* The temporary file and directory of a test, if it made one: gone even when it failed. */
static char file[PATH_MAX], dir[PATH_MAX];

static void temps_gone(void)
{
	if (file[0])
		unlink(file);
	if (dir[0])
		rmdir(dir);
}

TestSuite(target, .fini = temps_gone, .timeout = 10);

/* ---- strings at page edges, in this process ---- */

static size_t page;
static char *pages; /* n pages read-write, then one PROT_NONE */

static void map_pages(size_t n)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	pages = mmap(NULL, (n + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(pages, MAP_FAILED);
	cr_assert_eq(mprotect(pages + n * page, page, PROT_NONE), 0);
	memset(pages, 'x', n * page);
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

Test(target, str_ending_right_before_an_unreadable_page)
{
	char buf[4096];
	char *s;

	map_pages(1);
	s = pages + page - 6;
	memcpy(s, "hello", 6); /* its NUL is the page's last byte */
	cr_assert_eq(target_read_str(getpid(), addr_of(s), buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "hello");
}

Test(target, str_running_into_an_unreadable_page_is_efault)
{
	char buf[4096];

	map_pages(1);
	memset(buf, 'x', sizeof(buf));
	memset(pages + page - 6, 'a', 6);
	cr_assert_eq(target_read_str(getpid(), addr_of(pages + page - 6), buf, sizeof(buf)), -EFAULT);
	/* the six bytes read before the fault, and what buf held, are not left in it */
	cr_assert_str_eq(buf, "");
	cr_assert_eq(target_read_str(getpid(), addr_of(pages + page), buf, sizeof(buf)), -EFAULT);
	cr_assert_eq(target_read_str(getpid(), 0, buf, sizeof(buf)), -EFAULT);
}

Test(target, str_across_a_page_boundary)
{
	char buf[4096];
	char *s;

	map_pages(2);
	s = pages + page - 3;
	memcpy(s, "/etc/shadow", 12);
	cr_assert_eq(target_read_str(getpid(), addr_of(s), buf, sizeof(buf)), 11);
	cr_assert_str_eq(buf, "/etc/shadow");
}

/* cap bytes hold the NUL too: a string of cap - 1 fits, one of cap does not */
Test(target, str_longer_than_cap)
{
	char buf[8];

	map_pages(2);
	memcpy(pages + page - 4, "1234567", 8);
	cr_assert_eq(target_read_str(getpid(), addr_of(pages + page - 4), buf, 8), 7);
	cr_assert_str_eq(buf, "1234567");
	cr_assert_eq(target_read_str(getpid(), addr_of(pages + page - 4), buf, 7), -ENAMETOOLONG);
	cr_assert_eq(target_read_str(getpid(), addr_of(pages + page - 4), buf, 0), -ENAMETOOLONG);
	/* a page's worth of 'x' with no NUL within cap */
	cr_assert_eq(target_read_str(getpid(), addr_of(pages), buf, 8), -ENAMETOOLONG);
}

Test(target, read_across_into_an_unreadable_page_is_efault)
{
	char buf[16];

	map_pages(1);
	cr_assert_eq(target_read(getpid(), addr_of(pages + page - 16), buf, 16), 0);
	cr_assert_eq(target_read(getpid(), addr_of(pages + page - 8), buf, 16), -EFAULT);
	cr_assert_eq(target_write(getpid(), addr_of(pages + page - 8), buf, 16), -EFAULT);
}

/* ---- a child ---- */

struct child {
	pid_t pid;
	int ready, release;
};

/*
 * A child that runs setup (0 or an errno, sent back) and then waits to be
 * released; its exit status is check()'s (0 when there is none).  Returns
 * setup's answer.
 */
static int child_start(struct child *c, int (*setup)(void), int (*check)(void))
{
	int ready[2], release[2], err = -1;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(release, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		char x;

		/* released, or its parent gone: read sees the end of the pipe */
		close(ready[0]);
		close(release[1]);
		err = setup ? setup() : 0;
		if (write(ready[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(100);
		if (read(release[0], &x, 1) < 0)
			_exit(101);
		_exit(check ? check() : 0);
	}
	close(ready[1]);
	close(release[0]);
	c->ready = ready[0];
	c->release = release[1];
	cr_assert_eq(read(c->ready, &err, sizeof(err)), (ssize_t)sizeof(err), "the child died in its set-up");
	return err;
}

/* Release the child: its exit status. */
static int child_stop(struct child *c)
{
	int status;

	close(c->release);
	close(c->ready);
	cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
	cr_assert(WIFEXITED(status), "the child did not exit: status %#x", status);
	return WEXITSTATUS(status);
}

static char child_buf[64] = "the parent's";

static int child_buf_set(void)
{
	strcpy(child_buf, "the child's");
	return 0;
}

static int child_buf_check(void)
{
	return strcmp(child_buf, "written by the parent") != 0;
}

Test(target, read_and_write_a_childs_memory)
{
	struct child c;
	char buf[sizeof(child_buf)];
	static const char news[] = "written by the parent";

	cr_assert_eq(child_start(&c, child_buf_set, child_buf_check), 0);
	cr_assert_eq(target_read(c.pid, addr_of(child_buf), buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "the child's");
	cr_assert_eq(target_read_str(c.pid, addr_of(child_buf), buf, sizeof(buf)), 11);
	cr_assert_eq(target_write(c.pid, addr_of(child_buf), news, sizeof(news)), 0);
	cr_assert_str_eq(child_buf, "the parent's", "the parent's own copy stays");
	cr_assert_eq(child_stop(&c), 0, "the child did not see what was written");
}

/* A thread that is gone: every call says so, none prints. */
Test(target, gone_is_esrch)
{
	struct target_cred cr;
	char buf[8];
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_eq(target_read(pid, addr_of(child_buf), buf, sizeof(buf)), -ESRCH);
	cr_assert_eq(target_read_str(pid, addr_of(child_buf), buf, sizeof(buf)), -ESRCH);
	cr_assert_eq(target_cred_read(pid, NULL, &cr), -ESRCH);
	cr_assert_null(cr.groups);
	cr_assert_eq(target_pidfd(pid, pid), -ESRCH);
	cr_assert_eq(target_cwd(pid), -ESRCH);
	cr_assert_eq(target_fs_is_ours(pid), -ESRCH);
	cr_assert_eq(target_netns(pid), -ESRCH);
}

/* ---- credentials ---- */

/* This thread's effective capabilities, as capget(2) gives them. */
static uint64_t caps_in_effect(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	cr_assert_eq(syscall(SYS_capget, &h, d), 0);
	return d[0].effective | (uint64_t)d[1].effective << 32;
}

Test(target, cred_of_self)
{
	static gid_t groups[NGROUPS_MAX];
	struct target_cred cr;
	int n = getgroups(NGROUPS_MAX, groups);
	mode_t m = umask(027);
	char name[17] = "";

	cr_assert_geq(n, 0);
	prctl(PR_GET_NAME, name);
	cr_assert_eq(target_cred_read((pid_t)syscall(SYS_gettid), NULL, &cr), 0);
	umask(m);
	cr_assert_eq(cr.tgid, getpid());
	cr_assert_eq(cr.ruid, getuid());
	cr_assert_eq(cr.euid, geteuid());
	cr_assert_eq(cr.fsuid, geteuid());
	cr_assert_eq(cr.rgid, getgid());
	cr_assert_eq(cr.egid, getegid());
	cr_assert_eq(cr.fsgid, getegid());
	cr_assert_eq(cr.umask, 027);
	cr_assert_str_eq(cr.comm, name);
	cr_assert_eq(cr.capeff, caps_in_effect());
	cr_assert_eq(cr.ngroups, (size_t)n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(cr.groups[i], groups[i]);
	target_cred_free(&cr);
	cr_assert_null(cr.groups);
}

static int named_ready[2], named_release[2];

static void *named_thread(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char x;

	prctl(PR_SET_NAME, arg);
	if (write(named_ready[1], &tid, sizeof(tid)) != sizeof(tid) || read(named_release[0], &x, 1) < 0)
		return NULL;
	return arg;
}

/* The thread named, Name: as it reads */
static void expect_name(const char *set, const char *seen)
{
	struct target_cred cr;
	pthread_t t;
	pid_t tid;

	cr_assert_eq(pipe2(named_ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(named_release, O_CLOEXEC), 0);
	cr_assert_eq(pthread_create(&t, NULL, named_thread, (void *)set), 0);
	cr_assert_eq(read(named_ready[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	cr_assert_eq(target_cred_read(tid, NULL, &cr), 0);
	cr_assert_str_eq(cr.comm, seen);
	cr_assert_eq(cr.tgid, getpid(), "a thread's Tgid is its process");
	target_cred_free(&cr);
	close(named_release[1]);
	pthread_join(t, NULL);
	close(named_release[0]);
	close(named_ready[0]);
	close(named_ready[1]);
}

/* A thread names itself what it likes: the kernel's escapes are kept, cut to 16 bytes. */
Test(target, cred_name_as_the_kernel_escapes_it)
{
	expect_name("plain", "plain");
	expect_name("a\\b", "a\\\\b");
	expect_name("x\nUid:\t0 0 0 0", "x\\nUid:\t0 0 0 0");
	expect_name("\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\", "\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\");
}

static int become_someone_else(void)
{
	static const gid_t groups[] = { 1234, 5678 };

	umask(0077);
	prctl(PR_SET_NAME, "credchild");
	/* fsuid and fsgid: the saved ids, which need no capability any more */
	if (setgroups(2, groups) < 0 || setresgid(1111, 2222, 3333) < 0 ||
	    setresuid(4444, 5555, 6666) < 0)
		return errno;
	setfsgid(3333);
	setfsuid(6666);
	return 0;
}

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root: the child changes its uids, gids and groups");
}

Test(target, cred_of_a_child_that_changed_its_ids)
{
	struct target_cred cr;
	struct child c;

	skip_unless_root();
	cr_assert_eq(child_start(&c, become_someone_else, NULL), 0);
	cr_assert_eq(target_cred_read(c.pid, NULL, &cr), 0);
	cr_assert_eq(cr.tgid, c.pid);
	cr_assert_eq(cr.ruid, 4444);
	cr_assert_eq(cr.euid, 5555);
	cr_assert_eq(cr.fsuid, 6666);
	cr_assert_eq(cr.rgid, 1111);
	cr_assert_eq(cr.egid, 2222);
	cr_assert_eq(cr.fsgid, 3333);
	cr_assert_eq(cr.capeff, 0, "its uids left 0: the kernel cleared its effective set");
	cr_assert_eq(cr.ngroups, 2);
	cr_assert_eq(cr.groups[0], 1234);
	cr_assert_eq(cr.groups[1], 5678);
	cr_assert_eq(cr.umask, 0077);
	cr_assert_str_eq(cr.comm, "credchild");
	target_cred_free(&cr);
	cr_assert_eq(child_stop(&c), 0);
}

#define MANY 3000

static int many_groups(void)
{
	static gid_t groups[MANY];

	for (int i = 0; i < MANY; i++)
		groups[i] = 100000 + (gid_t)i;
	return setgroups(MANY, groups) < 0 ? errno : 0;
}

/* Some 20 kB of Groups:, past the first buffer. */
Test(target, cred_with_many_groups)
{
	struct target_status keep = TARGET_STATUS_NONE;
	struct target_cred cr;
	struct child c;

	skip_unless_root();
	cr_assert_eq(child_start(&c, many_groups, NULL), 0);
	cr_assert_eq(target_cred_read(c.pid, NULL, &cr), 0);
	cr_assert_eq(cr.ngroups, MANY);
	for (int i = 0; i < MANY; i++)
		cr_assert_eq(cr.groups[i], 100000 + (gid_t)i);
	cr_assert_eq(cr.tgid, c.pid, "the lines after Groups: are read too");
	target_cred_free(&cr);
	/* twice through a kept descriptor: the first read fills the room, the next is whole */
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(target_cred_read(c.pid, &keep, &cr), 0);
		cr_assert_eq(cr.ngroups, MANY);
		cr_assert_eq(cr.groups[MANY - 1], 100000 + (gid_t)MANY - 1);
		cr_assert_eq(cr.tgid, c.pid);
		target_cred_free(&cr);
	}
	cr_assert_eq(keep.tid, c.pid);
	target_status_drop(&keep);
	cr_assert_eq(keep.fd, -1);
	cr_assert_eq(child_stop(&c), 0);
}

/*
 * A kept status descriptor reads what the thread is now, not what it was
 * when it was opened: the child changes its ids between two reads.
 */
Test(target, kept_status_reads_the_ids_of_now)
{
	struct target_status keep = TARGET_STATUS_NONE;
	struct target_cred cr;
	int go[2], done[2], fd, err = -1;
	pid_t pid;

	skip_unless_root();
	cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(done, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char x;

		close(go[1]);
		close(done[0]);
		if (read(go[0], &x, 1) != 1)
			_exit(100);
		err = become_someone_else();
		if (write(done[1], &err, sizeof(err)) != sizeof(err))
			_exit(101);
		/* until the parent is done: the end of its pipe */
		_exit(read(go[0], &x, 1) < 0);
	}
	close(go[0]);
	close(done[1]);
	cr_assert_eq(target_cred_read(pid, &keep, &cr), 0);
	cr_assert_eq(cr.ruid, 0);
	cr_assert_eq(cr.ngroups, (size_t)getgroups(0, NULL));
	target_cred_free(&cr);
	fd = keep.fd;
	cr_assert_geq(fd, 0);
	cr_assert_eq(keep.tid, pid);
	cr_assert_eq(write(go[1], "x", 1), 1);
	cr_assert_eq(read(done[0], &err, sizeof(err)), (ssize_t)sizeof(err));
	cr_assert_eq(err, 0);
	cr_assert_eq(target_cred_read(pid, &keep, &cr), 0);
	cr_assert_eq(keep.fd, fd, "the same descriptor, read again");
	cr_assert_eq(cr.ruid, 4444);
	cr_assert_eq(cr.euid, 5555);
	cr_assert_eq(cr.fsuid, 6666);
	cr_assert_eq(cr.egid, 2222);
	cr_assert_eq(cr.ngroups, 2);
	cr_assert_eq(cr.groups[1], 5678);
	cr_assert_eq(cr.umask, 0077);
	cr_assert_str_eq(cr.comm, "credchild");
	target_cred_free(&cr);
	target_status_drop(&keep);
	close(go[1]);
	close(done[0]);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
}

/*
 * A kept descriptor whose thread is gone is let go, and the number opened
 * afresh: here the kept one is a dead child's, said to be this thread's,
 * as it would be once the kernel gave the number to another thread.
 */
Test(target, kept_status_of_a_gone_thread_opens_the_number_afresh)
{
	struct target_status keep;
	struct target_cred cr;
	char path[64], text[4096];
	pid_t self = (pid_t)syscall(SYS_gettid), pid = fork();
	ssize_t n;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	keep = (struct target_status){ .tid = self, .fd = open(path, O_RDONLY | O_CLOEXEC) };
	cr_assert_geq(keep.fd, 0);
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_lt(pread(keep.fd, text, sizeof(text), 0), 0, "a gone thread's status reads nothing");
	cr_assert_eq(target_cred_read(self, &keep, &cr), 0);
	cr_assert_eq(cr.tgid, getpid());
	target_cred_free(&cr);
	cr_assert_eq(keep.tid, self);
	n = pread(keep.fd, text, sizeof(text) - 1, 0);
	cr_assert_gt(n, 0, "the kept descriptor is this thread's now");
	text[n] = '\0';
	snprintf(path, sizeof(path), "\nPid:\t%d\n", (int)self);
	cr_assert_not_null(strstr(text, path), "%s", text);
	target_status_drop(&keep);
}

/* ---- descriptors, directory, namespaces ---- */

/* A fresh name under $TMPDIR (or /tmp) for mkstemp or mkdtemp. */
static void tmp_name(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, len, "%s/fdb-target-XXXXXX", t ? t : "/tmp");
}

static int open_at_100(void)
{
	int fd = open(file, O_WRONLY | O_APPEND);

	if (fd < 0 || dup2(fd, 100) < 0)
		return errno;
	close(fd);
	return 0;
}

Test(target, getfd_of_a_child)
{
	struct child c;
	struct stat want, got;
	int tmp, pidfd, fd;

	tmp_name(file, sizeof(file));
	tmp = mkstemp(file);
	cr_assert_geq(tmp, 0);
	cr_assert_eq(fstat(tmp, &want), 0);
	close(tmp);
	cr_assert_eq(child_start(&c, open_at_100, NULL), 0);
	pidfd = target_pidfd(c.pid, c.pid);
	cr_assert_geq(pidfd, 0, "%s", strerror(-pidfd));
	cr_assert(fcntl(pidfd, F_GETFD) & FD_CLOEXEC);
	fd = target_getfd(pidfd, 100);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &got), 0);
	cr_assert_eq(got.st_ino, want.st_ino);
	cr_assert(fcntl(fd, F_GETFL) & O_APPEND, "the child's open file, its flags with it");
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(target_getfd(pidfd, 101), -EBADF);
	close(fd);
	close(pidfd);
	cr_assert_eq(child_stop(&c), 0);
}

static int own_table_ready[2], own_table_release[2];

/* A byte, not a close: the thread's own table holds a copy of the pipe's ends. */
static void own_table_stop(pthread_t t)
{
	cr_assert_eq(write(own_table_release[1], "", 1), 1);
	pthread_join(t, NULL);
}

/* A thread with a descriptor table of its own, /dev/null at 100 in it. */
static void *own_table_thread(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char x;

	(void)arg;
	if (unshare(CLONE_FILES) < 0 || dup2(open("/dev/null", O_RDONLY | O_CLOEXEC), 100) < 0)
		tid = -errno;
	if (write(own_table_ready[1], &tid, sizeof(tid)) != sizeof(tid) ||
	    read(own_table_release[0], &x, 1) < 0)
		return NULL;
	return arg;
}

/*
 * The descriptor a thread names is in its own table, which need not be
 * its group's: only a thread pidfd (PIDFD_THREAD, 6.9) reaches it.
 */
Test(target, getfd_through_a_thread_pidfd_reads_the_threads_table)
{
	struct stat devnull, got;
	pthread_t t;
	pid_t tid;
	int mine, pidfd, fd;

	cr_assert_eq(pipe2(own_table_ready, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(own_table_release, O_CLOEXEC), 0);
	mine = open("/", O_PATH | O_CLOEXEC);
	cr_assert_eq(dup2(mine, 100), 100);
	cr_assert_eq(stat("/dev/null", &devnull), 0);
	cr_assert_eq(pthread_create(&t, NULL, own_table_thread, NULL), 0);
	cr_assert_eq(read(own_table_ready[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	cr_assert_gt(tid, 0, "unshare(CLONE_FILES): %s", strerror(-tid));
	fd = (int)syscall(SYS_pidfd_open, tid, O_EXCL);
	if (fd < 0 && errno == EINVAL) {
		own_table_stop(t);
		cr_skip_test("no PIDFD_THREAD before Linux 6.9: the group's table is all there is");
	}
	close(fd);
	pidfd = target_pidfd(tid, getpid());
	cr_assert_geq(pidfd, 0, "%s", strerror(-pidfd));
	fd = target_getfd(pidfd, 100);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &got), 0);
	cr_assert(got.st_ino == devnull.st_ino && got.st_rdev == devnull.st_rdev,
		  "the thread's fd 100, not the group's");
	close(fd);
	close(pidfd);
	own_table_stop(t);
	close(100);
	close(mine);
	close(own_table_release[0]);
	close(own_table_release[1]);
	close(own_table_ready[0]);
	close(own_table_ready[1]);
}

static int go_to_dir(void)
{
	return chdir(dir) < 0 ? errno : 0;
}

Test(target, cwd_of_a_child)
{
	struct child c;
	struct stat want, got;
	int fd;

	tmp_name(dir, sizeof(dir));
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(stat(dir, &want), 0);
	cr_assert_eq(child_start(&c, go_to_dir, NULL), 0);
	fd = target_cwd(c.pid);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &got), 0);
	cr_assert(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
	cr_assert(fcntl(fd, F_GETFL) & O_PATH);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	cr_assert_eq(child_stop(&c), 0);
}

Test(target, netns_of_self)
{
	struct stat want, got;
	int fd = target_netns((pid_t)syscall(SYS_gettid));

	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_assert_eq(fstat(fd, &got), 0);
	cr_assert_eq(stat("/proc/self/ns/net", &want), 0);
	cr_assert_eq(got.st_ino, want.st_ino);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

Test(target, own_fs_is_ours)
{
	struct child c;

	cr_assert_eq(target_fs_is_ours((pid_t)syscall(SYS_gettid)), 1);
	cr_assert_eq(child_start(&c, NULL, NULL), 0);
	cr_assert_eq(target_fs_is_ours(c.pid), 1);
	cr_assert_eq(child_stop(&c), 0);
}

static int go_to_chroot(void)
{
	return chroot(dir) < 0 || chdir("/") < 0 ? errno : 0;
}

static int go_to_mount_ns(void)
{
	return unshare(CLONE_NEWNS) < 0 ? errno : 0;
}

/* Another root or another mount namespace: not ours, though one is a copy of ours. */
Test(target, chroot_or_another_mount_ns_is_not_ours)
{
	struct child c;

	if (geteuid() != 0)
		cr_skip_test("needs root: chroot and unshare(CLONE_NEWNS)");
	tmp_name(dir, sizeof(dir));
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(child_start(&c, go_to_chroot, NULL), 0);
	cr_assert_eq(target_fs_is_ours(c.pid), 0);
	cr_assert_eq(child_stop(&c), 0);
	cr_assert_eq(child_start(&c, go_to_mount_ns, NULL), 0);
	cr_assert_eq(target_fs_is_ours(c.pid), 0);
	cr_assert_eq(child_stop(&c), 0);
}

/* ---- a pending notification ---- */

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static const char trapped[] = "/nonexistent/trapped";

/*
 * A child whose openat stops for its listener: sends the listener's
 * number, then opens `trapped` and exits 0 if the answer was EPERM.
 */
static pid_t trapped_child(int *listener)
{
	int ready[2], status, fd = -1;
	pid_t pid;

	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
			fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (write(ready[1], &fd, sizeof(fd)) != sizeof(fd) || fd < 0)
			_exit(100);
		status = (int)syscall(SYS_openat, AT_FDCWD, trapped, O_RDONLY);
		_exit(status < 0 && errno == EPERM ? 0 : 1);
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &fd, sizeof(fd)), (ssize_t)sizeof(fd));
	close(ready[0]);
	cr_assert_geq(fd, 0, "the child could not install its filter");
	*listener = fd;
	return pid;
}

/* The child's listener, and its pending openat in req. */
static int trapped_listener(pid_t pid, int fd, struct seccomp_notif *req)
{
	int pidfd = target_pidfd(pid, pid), listener;

	cr_assert_geq(pidfd, 0, "%s", strerror(-pidfd));
	listener = target_getfd(pidfd, fd);
	cr_assert_geq(listener, 0, "%s", strerror(-listener));
	close(pidfd);
	memset(req, 0, sizeof(*req));
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req), 0, "%s", strerror(errno));
	return listener;
}

Test(target, valid_while_pending_then_answered)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	char path[64];
	int fd, listener, status;
	pid_t pid = trapped_child(&fd);

	listener = trapped_listener(pid, fd, &req);
	cr_assert_eq(req.pid, (uint32_t)pid);
	cr_assert(target_valid(listener, req.id));
	cr_assert_eq(target_read_str((pid_t)req.pid, req.data.args[1], path, sizeof(path)),
		     (ssize_t)strlen(trapped));
	cr_assert_str_eq(path, trapped);
	cr_assert(target_valid(listener, req.id));
	cr_assert(!target_valid(listener, req.id + 1));
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -EPERM;
	cr_assert_eq(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0, "%s", strerror(errno));
	cr_assert(!target_valid(listener, req.id), "answered: no longer pending");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	close(listener);
}

Test(target, not_valid_once_the_target_is_killed)
{
	struct seccomp_notif req;
	int fd, listener;
	pid_t pid = trapped_child(&fd);

	listener = trapped_listener(pid, fd, &req);
	cr_assert(target_valid(listener, req.id));
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert(!target_valid(listener, req.id));
	close(listener);
}
