/*
 * The broker's reopen of a program's descriptor (helper/grant/reopen.c),
 * called directly on descriptors of this test (run as root): what a reopen
 * as root could give beyond the descriptor is refused.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grant/reopen.h"

TestSuite(reopen_handler, .timeout = 10);

static char dir[] = "/tmp/fdb-reopen-XXXXXX";

static void serve(int fd, int flags, struct reopen_result *out)
{
	struct req_reopen req = { .flags = (unsigned)flags, .fd = (unsigned)fd,
				  .name = "/proc/self/fd/N", .held = fd };

	reopen_serve(&req, getuid(), out);
}

static void refused(int fd, int flags, const char *reason)
{
	struct reopen_result r;

	serve(fd, flags, &r);
	cr_assert(r.o.denied, "fd %d flags %#x: not refused (fd %d err %d)", fd, flags, r.o.fd,
		  r.o.err);
	cr_assert_eq(r.o.fd, -1);
	cr_assert_str_eq(r.o.reason, reason);
}

static int file(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	return fd;
}

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	strcpy(dir, "/tmp/fdb-reopen-XXXXXX");
}

Test(reopen_handler, file_within_access, .init = setup, .fini = teardown)
{
	int wo = file("f", O_WRONLY | O_APPEND), rw = file("f", O_RDWR);
	struct reopen_result r;

	serve(wo, O_WRONLY, &r);
	cr_assert_geq(r.o.fd, 0, "%d", r.o.err);
	cr_assert_str_eq(r.kind, "file");
	/* its own status flags: no O_APPEND, no O_NONBLOCK (the broker's) */
	cr_assert_eq(fcntl(r.o.fd, F_GETFL) & (O_APPEND | O_NONBLOCK | O_ACCMODE), O_WRONLY);
	cr_assert_eq(fcntl(r.o.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(r.o.fd);
	serve(rw, O_RDONLY | O_NONBLOCK, &r);
	cr_assert_geq(r.o.fd, 0, "%d", r.o.err);
	cr_assert(fcntl(r.o.fd, F_GETFL) & O_NONBLOCK);
	close(r.o.fd);
	refused(wo, O_RDONLY, "access");
	refused(wo, O_RDWR, "access");
	refused(rw, O_WRONLY | O_TRUNC, "truncate");
	serve(wo, O_WRONLY | O_CREAT | O_EXCL, &r);
	cr_assert(!r.o.denied && r.o.fd == -1 && r.o.err == EEXIST);
	serve(wo, O_WRONLY | O_DIRECTORY, &r);
	cr_assert(!r.o.denied && r.o.fd == -1 && r.o.err == ENOTDIR);
	refused(wo, O_WRONLY | O_TMPFILE, "flags");
	refused(wo, O_PATH, "flags");
	close(wo);
	close(rw);
}

Test(reopen_handler, o_path_gives_nothing, .init = setup, .fini = teardown)
{
	int fd = file("f", O_RDWR), p;
	char path[128];

	close(fd);
	snprintf(path, sizeof(path), "%s/f", dir);
	p = open(path, O_PATH | O_CLOEXEC);
	cr_assert_geq(p, 0);
	refused(p, O_RDONLY, "o-path");
	close(p);
}

Test(reopen_handler, directory_read_only)
{
	int d = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct reopen_result r;

	serve(d, O_RDONLY | O_DIRECTORY, &r);
	cr_assert_geq(r.o.fd, 0, "%d", r.o.err);
	cr_assert_str_eq(r.kind, "dir");
	close(r.o.fd);
	refused(d, O_WRONLY, "access"); /* a directory is never opened for write */
	close(d);
}

Test(reopen_handler, pipe_ends)
{
	struct reopen_result r;
	int p[2];
	char c;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	serve(p[1], O_WRONLY, &r);
	cr_assert_geq(r.o.fd, 0, "%d", r.o.err);
	cr_assert_str_eq(r.kind, "pipe");
	cr_assert_eq(write(r.o.fd, "x", 1), 1);
	cr_assert_eq(read(p[0], &c, 1), 1);
	cr_assert_eq(c, 'x');
	close(r.o.fd);
	refused(p[1], O_RDONLY, "access");
	refused(p[1], O_RDWR, "access");
	refused(p[0], O_WRONLY, "access");
	close(p[0]);
	close(p[1]);
}

Test(reopen_handler, what_root_could_widen)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ev = eventfd(0, EFD_CLOEXEC);
	int mem = memfd_create("x", MFD_CLOEXEC);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int syms = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	int rsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert(s >= 0 && ev >= 0 && mem >= 0 && null >= 0 && ptmx >= 0 && syms >= 0);
	refused(s, O_RDWR, "socket");
	refused(ev, O_RDWR, "kind");
	refused(mem, O_RDWR, "foreign-mount");
	refused(null, O_WRONLY, "device");
	refused(ptmx, O_RDWR, "device");
	refused(syms, O_RDONLY, "kernel-fs");
	close(s);
	close(ev);
	close(mem);
	close(null);
	close(ptmx);
	close(syms);
	close(rsock);
}

Test(reopen_handler, terminal)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), t;
	struct reopen_result r;

	cr_assert_geq(m, 0);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	t = open(ptsname(m), O_WRONLY | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(t, 0);
	serve(t, O_WRONLY, &r);
	cr_assert_geq(r.o.fd, 0, "%d %s", r.o.err, r.o.reason ? r.o.reason : "");
	cr_assert_str_eq(r.kind, "tty");
	close(r.o.fd);
	refused(t, O_RDWR, "access");
	close(t);
	close(m);
}
