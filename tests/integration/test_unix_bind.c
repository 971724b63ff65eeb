/*
 * Unix socket paths bound by the broker under a bind rule, as nobody: the
 * name the program asked for, the program's umask, stale sockets replaced
 * and nothing else removed, and a directory swapped with a symlink in a
 * tight loop never leading the broker outside the directory it judged.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "spawn.h"

TestSuite(unix_bind, .fini = p_suite_fini, .timeout = 60);

static char policy[1024];

static const char *bind_rule(const char *dir)
{
	snprintf(policy, sizeof(policy), "allow user nobody bind unix %s/\n", dir);
	return policy;
}

/* netprobe unix PATH UMASK exit under the broker: its result line. */
static char *probe_unix(const char *dir, const char *path, const char *mask)
{
	struct result r = h_broker_run("nobody", bind_rule(dir),
				       (char *[]){ (char *)h_netprobe(), "unix", (char *)path,
						   (char *)mask, "exit", NULL });
	char *out = strdup(r.out);

	cr_assert_eq(r.status, 0, "netprobe: %s %s", r.out, r.err);
	h_free(&r);
	return out;
}

/* A root-owned 0755 directory under root-owned ones, like /run/app. */
Test(unix_bind, asked_path_and_umask)
{
	const char *dir = h_dir("run", 0755), *a = h_path("run/a.sock"), *b = h_path("run/b.sock");
	char want[512], line[600];
	struct stat st;
	char *out;

	out = probe_unix(dir, a, "077");
	snprintf(want, sizeof(want), "ok name=%s mode=700 uid=%d sock=1", a, NOBODY_UID);
	cr_assert(!strncmp(out, want, strlen(want)), "got '%s', want '%s'", out, want);
	free(out);
	snprintf(line, sizeof(line), "op=bind object=%s proto=unix verdict=allow", a);
	h_audit_has(line);
	out = probe_unix(dir, b, "022");
	snprintf(want, sizeof(want), "ok name=%s mode=755 uid=%d sock=1", b, NOBODY_UID);
	cr_assert(!strncmp(out, want, strlen(want)), "got '%s', want '%s'", out, want);
	free(out);
	cr_assert_eq(lstat(b, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_gid, NOBODY_GID);
}

/*
 * A directory the program's user owns (here one it cannot write by its
 * mode): it could rename it away, so the broker binds the last component
 * relative to the directory it judged, and getsockname shows only that.
 */
Test(unix_bind, client_directory_binds_relative)
{
	const char *dir = h_dir("own", 0500), *c = h_path("own/c.sock");
	char want[512], line[600];
	struct stat st;
	char *out;

	cr_assert_eq(chown(dir, NOBODY_UID, NOBODY_GID), 0);
	out = probe_unix(dir, c, "027");
	snprintf(want, sizeof(want), "ok name=c.sock mode=750 uid=%d sock=1", NOBODY_UID);
	cr_assert(!strncmp(out, want, strlen(want)), "got '%s', want '%s'", out, want);
	free(out);
	cr_assert_eq(lstat(c, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	snprintf(line, sizeof(line), "op=bind object=%s proto=unix name=relative verdict=allow", c);
	h_audit_has(line);
}

/* A socket file bound by root at path, given to uid; listening if live. */
static int root_socket(const char *path, int type, bool live, uid_t uid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0, "%s", strerror(errno));
	if (type == SOCK_STREAM && live)
		cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(lchown(path, uid, NOBODY_GID), 0);
	if (!live) {
		close(fd);
		return -1;
	}
	return fd;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	return st.st_ino;
}

Test(unix_bind, stale_replaced_nothing_else_removed)
{
	const char *dir = h_dir("run", 0755);
	const char *stale = h_path("run/stale.sock"), *live = h_path("run/live.sock"),
		   *dgram = h_path("run/dgram.sock"), *rootst = h_path("run/root.sock"),
		   *file = h_path("run/file.sock");
	int lfd = root_socket(live, SOCK_STREAM, true, NOBODY_UID);
	int dfd = root_socket(dgram, SOCK_DGRAM, true, NOBODY_UID);
	ino_t live_ino = ino_of(live), dgram_ino = ino_of(dgram), before, root_ino, file_ino;
	char line[600], *out, *content;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int c;

	root_socket(stale, SOCK_STREAM, false, NOBODY_UID);
	before = ino_of(stale);
	root_socket(rootst, SOCK_STREAM, false, 0);
	root_ino = ino_of(rootst);
	h_file("run/file.sock", "not a socket\n", 0644);
	cr_assert_eq(chown(file, NOBODY_UID, NOBODY_GID), 0);
	file_ino = ino_of(file);

	/* the program's own stale socket: replaced, and the audit line says so */
	out = probe_unix(dir, stale, "077");
	cr_assert(!strncmp(out, "ok name=", 8), "stale: %s", out);
	cr_assert(strstr(out, " mode=700 "), "a new socket file, the program's umask: %s", out);
	free(out);
	(void)before; /* the new file may well reuse the inode number */
	snprintf(line, sizeof(line), "object=%s proto=unix stale=replaced verdict=allow", stale);
	h_audit_has(line);

	/* live (stream, datagram), root's, not a socket: EADDRINUSE, left alone */
	for (int i = 0; i < 4; i++) {
		const char *p = i == 0 ? live : i == 1 ? dgram : i == 2 ? rootst : file;

		out = probe_unix(dir, p, "022");
		cr_assert_str_eq(out, "err EADDRINUSE bind\n", "%s", p);
		free(out);
		snprintf(line, sizeof(line), "object=%s proto=unix verdict=error", p);
		h_audit_has(line);
		snprintf(line, sizeof(line), "object=%s proto=unix stale=replaced", p);
		h_audit_lacks(line);
	}
	cr_assert_eq(ino_of(live), live_ino);
	cr_assert_eq(ino_of(dgram), dgram_ino);
	cr_assert_eq(ino_of(rootst), root_ino);
	cr_assert_eq(ino_of(file), file_ino);
	content = h_slurp_must(file);
	cr_assert_str_eq(content, "not a socket\n");
	free(content);
	/*
	 * In a directory the program may write, it could remove its stale
	 * socket itself: the shim does not ask, the broker removes nothing.
	 */
	{
		const char *mine = h_dir("mine", 0755), *own = h_path("mine/stale.sock");

		cr_assert_eq(chown(mine, NOBODY_UID, NOBODY_GID), 0);
		root_socket(own, SOCK_STREAM, false, NOBODY_UID);
		out = probe_unix(mine, own, "022");
		cr_assert_str_eq(out, "err EADDRINUSE bind\n");
		free(out);
		snprintf(line, sizeof(line), "object=%s ", own);
		h_audit_lacks(line);
	}
	/* the live listener still takes connections */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", live);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(connect(c, (struct sockaddr *)&sun, sizeof(sun)), 0, "%s", strerror(errno));
	close(c);
	close(lfd);
	close(dfd);
}

/* Names in dir, for the listing assertions. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * Issue 12 item 2: c/d (nobody's directory, with a directory "empty" of
 * its own) and c/l (nobody's symlink to the root-only r, holding a canary
 * and an empty root-only directory) are swapped 200,000 times while the
 * program binds c/d/canary, c/d/x and c/d/empty/x under `bind unix c/d/`
 * (netprobe unixrace).  Nothing in r may be deleted, replaced or created,
 * and every bind that succeeds must have made its socket file in d itself.
 * The broker that bound, checked and unlinked by name lost the canary
 * within the first thousand binds of this very test.
 */
Test(unix_bind, rename_exchange_race, .timeout = 60)
{
	const char *c = h_dir("c", 0755), *d = h_dir("c/d", 0500), *de = h_dir("c/d/empty", 0500);
	const char *r = h_dir("r", 0700);
	const char *canary = h_file("r/canary", "root only\n", 0600), *empty = h_dir("r/empty", 0700);
	const char *l = h_path("c/l");
	char want_deny[600], *content, *log;
	ino_t canary_ino = ino_of(canary);
	struct pollfd pfd;
	struct result res;
	long binds, inside, outside, refused;
	int in, n;

	cr_assert_eq(symlink(r, l), 0);
	cr_assert_eq(lchown(l, NOBODY_UID, NOBODY_GID), 0);
	cr_assert_eq(chown(c, NOBODY_UID, NOBODY_GID), 0);
	cr_assert_eq(chown(d, NOBODY_UID, NOBODY_GID), 0);
	cr_assert_eq(chown(de, NOBODY_UID, NOBODY_GID), 0);
	/* anything made, removed, moved or written in the root-only directories */
	in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	cr_assert_geq(in, 0);
	for (int i = 0; i < 2; i++)
		cr_assert_geq(inotify_add_watch(in, i ? empty : r,
						IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
							IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF),
			      0);

	res = h_broker_run("nobody", bind_rule(d),
			   (char *[]){ (char *)h_netprobe(), "unixrace", (char *)c, "200000", NULL });
	cr_assert_eq(res.status, 0, "%s %s", res.out, res.err);
	n = sscanf(res.out, "ok binds=%ld inside=%ld outside=%ld refused=%ld", &binds, &inside,
		   &outside, &refused);
	cr_assert_eq(n, 4, "netprobe: %s", res.out);
	cr_assert(strstr(res.out, "swapper=0"), "the swaps did not all run: %s", res.out);
	cr_assert_eq(outside, 0, "a socket file outside the judged directory: %s", res.out);
	cr_assert_eq(inside, binds);
	cr_assert_gt(binds, 0, "no bind was served, the test shows nothing: %s", res.out);
	cr_assert_gt(refused, 0, "no bind was refused, the race never hit: %s", res.out);
	h_free(&res);

	pfd = (struct pollfd){ .fd = in, .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "something changed in the root-only directories");
	close(in);
	cr_assert_eq(ino_of(canary), canary_ino, "canary replaced");
	content = h_slurp_must(canary);
	cr_assert_str_eq(content, "root only\n");
	free(content);
	cr_assert_eq(count_entries(r), 2, "r holds only canary and empty");
	cr_assert_eq(count_entries(empty), 0, "empty stays empty");
	/* the refusals name the directory the broker actually reached */
	snprintf(want_deny, sizeof(want_deny), "op=bind object=%s/canary proto=unix verdict=deny",
		 r);
	log = h_slurp_must(h_path("audit.log")); /* megabytes: h_audit reads 64 KiB */
	cr_assert(strstr(log, want_deny), "no refusal names %s/canary", r);
	cr_assert_eq(h_count_lines(log, "op=bind", "verdict=allow"), binds, "%ld allowed, %ld bound",
		     h_count_lines(log, "op=bind", "verdict=allow"), binds);
	cr_assert_eq(h_count_lines(log, "verdict=error", NULL), 0, "a bind failed in the broker");
	free(log);
}
