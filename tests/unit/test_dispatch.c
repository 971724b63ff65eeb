/*
 * The broker's dispatch, in-process: a client over a socketpair (the
 * test's own credentials, from SO_PEERCRED), records encoded with wire.h,
 * one bounded pass of the loop per record, the reply and the audit line
 * read back.  No shim, no root: each test owns a temporary directory, and
 * its rules name the test's own uid.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/audit.h"
#include "front/preload.h"
#include "core/broker.h"
#include "core/clients.h"
#include "fdpass.h"
#include "policy/policy.h"
#include "wire.h"

static struct {
	char dir[64];
	char log[128];
	struct policy pol;
	struct audit audit;
	struct broker b;
	int lfd;
	int me; /* the client's end */
	bool up;
} t;

static void fail_on_error(void *ctx, const char *msg)
{
	(void)ctx;
	cr_assert_fail("policy: %s", msg);
}

/* policy with DIR and UID replaced by the test's directory and uid. */
static void expand(const char *policy, char *out, size_t cap)
{
	char uid[16];
	size_t n = 0;

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	while (*policy) {
		const char *with = NULL;

		if (!strncmp(policy, "DIR", 3))
			with = t.dir;
		else if (!strncmp(policy, "UID", 3))
			with = uid;
		if (with) {
			cr_assert_lt(n + strlen(with), cap);
			memcpy(out + n, with, strlen(with));
			n += strlen(with);
			policy += 3;
			continue;
		}
		cr_assert_lt(n + 1, cap);
		out[n++] = *policy++;
	}
	out[n] = '\0';
}

/* The test's own directory, broker and client, under policy (see expand). */
static void start(const char *policy)
{
	char text[2048], sock[128];
	int sv[2];

	strcpy(t.dir, "/tmp/fdb-dispatch.XXXXXX");
	cr_assert_not_null(mkdtemp(t.dir));
	expand(policy, text, sizeof(text));
	policy_init(&t.pol);
	cr_assert_eq(policy_parse_text(&t.pol, "dispatch", text, fail_on_error, NULL), 0);
	snprintf(t.log, sizeof(t.log), "%s/audit.log", t.dir);
	cr_assert_eq(audit_open(&t.audit, t.log), 0);
	snprintf(sock, sizeof(sock), "%s/broker.sock", t.dir);
	t.lfd = broker_listen(sock);
	cr_assert_geq(t.lfd, 0);
	memset(&t.b, 0, sizeof(t.b));
	t.b.policy = &t.pol;
	t.b.audit = &t.audit;
	t.b.client_ready = preload_client_ready; /* the shim's wire, as run and serve speak it */
	cr_assert_eq(broker_init(&t.b, t.lfd, NULL), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(broker_adopt(&t.b, sv[1]), 0);
	t.me = sv[0];
	t.up = true;
}

static void rm_tree(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static void stop(void)
{
	if (!t.up)
		return;
	t.up = false;
	broker_close(&t.b);
	close(t.lfd);
	close(t.me);
	audit_close(&t.audit);
	policy_free(&t.pol);
	rm_tree(t.dir);
}

TestSuite(dispatch, .fini = stop);

/* A path in the test's directory. */
static const char *in_dir(const char *name)
{
	static char path[2][256];
	static int i;

	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/%s", t.dir, name);
	return path[i];
}

static void make_file(const char *name, const char *text)
{
	int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

struct answer {
	bool eof;  /* the broker dropped the client */
	uint32_t seq;
	struct fdb_reply r;
	int fd;    /* passed with the reply; -1: none */
};

/* The client's next record, or EOF; nothing at all fails the test. */
static struct answer receive(void)
{
	struct answer a = { .fd = -1 };
	unsigned char buf[FDB_REPLY_MAX];
	struct fdb_hdr h;
	int fds[FDB_FDS_MAX];
	size_t nfds = 0;
	ssize_t n = fdpass_recv(t.me, buf, sizeof(buf), fds, FDB_FDS_MAX, &nfds,
				MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	cr_assert_neq(n, -EAGAIN, "the broker said nothing");
	cr_assert_geq(n, 0, "recv: %s", strerror((int)-n));
	if (n == 0) {
		a.eof = true;
		return a;
	}
	cr_assert_eq(wire_decode_hdr(buf, (size_t)n, &h), 0);
	cr_assert_eq(h.op, FDB_OP_REPLY);
	cr_assert_eq(wire_decode_reply(buf, (size_t)n, &a.r), 0);
	a.seq = h.seq;
	if (nfds)
		a.fd = fds[0];
	return a;
}

/* Send a record (with fd, if >= 0), let the broker serve it, read what it says. */
static struct answer ask(const void *rec, int len, int fd)
{
	cr_assert_gt(len, 0);
	cr_assert_eq(fdpass_send(t.me, rec, (size_t)len, &fd, fd >= 0 ? 1 : 0, 0), len);
	/* the record is queued on the broker's end already: no waiting */
	cr_assert_eq(broker_step(&t.b, 0), 1);
	return receive();
}

static struct answer ask_open(const char *path, uint32_t flags, int dirfd)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_open_req r = { .flags = flags, .has_dirfd = dirfd >= 0, .path = path };

	return ask(rec, wire_encode_open(rec, sizeof(rec), 7, &r), dirfd);
}

static struct answer ask_stat(const char *path, uint32_t amode)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_stat_req r = { .amode = amode, .path = path,
				  .mask = amode == FDB_AMODE_STAT ? STATX_BASIC_STATS : 0 };

	return ask(rec, wire_encode_stat(rec, sizeof(rec), 8, &r), -1);
}

static struct answer ask_socket(int family, int type, int protocol)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_socket_req r = { .family = family, .type = type, .protocol = protocol };
	int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct answer a;

	cr_assert_geq(probe, 0);
	a = ask(rec, wire_encode_socket(rec, sizeof(rec), 9, &r), probe);
	close(probe);
	return a;
}

static struct answer ask_bind(int sock, const struct sockaddr *sa, socklen_t len)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_bind_req r = { .umask = 022, .a.len = len };

	memcpy(r.a.addr, sa, len);
	return ask(rec, wire_encode_bind(rec, sizeof(rec), 10, &r), sock);
}

/* The audit log so far, NUL-terminated (static). */
static const char *log_text(void)
{
	static char buf[65536];
	int fd = open(t.log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_geq(n, 0);
	buf[n] = '\0';
	return buf;
}

/* The log has a line with every one of the given pieces (NULL-terminated list). */
static void logged(const char *first, ...)
{
	const char *text = log_text(), *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		bool all = true;
		va_list ap;

		va_start(ap, first);
		for (const char *s = first; s && all; s = va_arg(ap, const char *)) {
			const char *hit = memmem(line, len, s, strlen(s));

			all = hit != NULL;
		}
		va_end(ap);
		if (all)
			return;
		line += len + (end ? 1 : 0);
	}
	cr_assert_fail("no line with \"%s\"... in the log:\n%s", first, text);
}

static void assert_dropped(void)
{
	struct answer a = receive();

	cr_assert(a.eof, "the client was not dropped (status %d)", a.r.status);
}

/* A plain answer: status 0, no flags. */
static void assert_granted(struct answer a)
{
	cr_assert_not(a.eof, "the client was dropped");
	cr_assert_eq(a.r.status, 0, "status %d", a.r.status);
	cr_assert_eq(a.r.rflags, 0);
}

/* A refusal by the policy: err (0: any errno), FDB_REPLY_DENIED, no descriptor. */
static void assert_denied(struct answer a, int err)
{
	cr_assert_not(a.eof, "the client was dropped");
	if (err)
		cr_assert_eq(a.r.status, err, "status %d", a.r.status);
	else
		cr_assert_neq(a.r.status, 0);
	cr_assert_eq(a.r.rflags, FDB_REPLY_DENIED);
	cr_assert_eq(a.fd, -1);
}

/* The log has "op=OP object=DIR/NAME" on a line with rest and more (or NULL). */
static void logged_on(const char *op, const char *name, const char *rest, const char *more)
{
	char object[160];

	snprintf(object, sizeof(object), "op=%s object=%s", op, in_dir(name));
	logged(object, rest, more, NULL);
}

/* The rule that allows DIR/f for reading, line 1. */
#define OPEN_RULE "allow user UID open DIR/f read\n"

Test(dispatch, open_allowed)
{
	struct answer a;
	char buf[8] = "";

	start(OPEN_RULE);
	make_file("f", "hi");
	a = ask_open(in_dir("f"), O_RDONLY, -1);
	assert_granted(a);
	cr_assert_eq(a.seq, 7);
	cr_assert_geq(a.fd, 0);
	cr_assert_eq(read(a.fd, buf, sizeof(buf) - 1), 2);
	cr_assert_str_eq(buf, "hi");
	close(a.fd);
	logged_on("open", "f", "rights=read verdict=allow rule=dispatch:1", NULL);
}

Test(dispatch, open_denied)
{

	start(OPEN_RULE);
	make_file("g", "secret");
	assert_denied(ask_open(in_dir("g"), O_RDONLY, -1), EACCES);
	logged_on("open", "g", "rights=read verdict=deny rule=default errno=EACCES", NULL);
}

Test(dispatch, open_under_a_dirfd)
{
	struct answer a;
	int dfd;

	start(OPEN_RULE);
	make_file("f", "hi");
	dfd = open(t.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dfd, 0);
	a = ask_open("f", O_RDONLY, dfd);
	close(dfd);
	assert_granted(a);
	cr_assert_geq(a.fd, 0);
	close(a.fd);
	logged("op=open", "verdict=allow rule=dispatch:1", NULL);
}

Test(dispatch, stat_allowed_and_denied)
{
	struct answer a;
	struct stat st;

	start(OPEN_RULE);
	make_file("f", "hi");
	make_file("g", "secret");
	cr_assert_eq(stat(in_dir("f"), &st), 0);
	a = ask_stat(in_dir("f"), FDB_AMODE_STAT);
	/* the metadata travels as the broker's statx, and no descriptor with it */
	cr_assert_not(a.eof, "the client was dropped");
	cr_assert_eq(a.r.status, 0, "status %d", a.r.status);
	cr_assert_eq(a.r.rflags, FDB_REPLY_STATX);
	cr_assert_eq(a.fd, -1);
	cr_assert_eq(a.r.stx.stx_size, 2);
	cr_assert_eq(a.r.stx.stx_ino, st.st_ino);
	cr_assert_eq(a.r.stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	logged_on("stat", "f", "verdict=allow rule=dispatch:1", NULL);
	assert_denied(ask_stat(in_dir("g"), FDB_AMODE_STAT), 0);
	logged_on("stat", "g", "verdict=deny rule=default", NULL);
}

Test(dispatch, access_allowed_and_denied)
{
	struct answer a;

	start(OPEN_RULE);
	make_file("f", "hi");
	make_file("g", "secret");
	a = ask_stat(in_dir("f"), R_OK);
	assert_granted(a);
	cr_assert_eq(a.fd, -1);
	logged_on("access", "f", "mode=R_OK", "verdict=allow rule=dispatch:1");
	assert_denied(ask_stat(in_dir("g"), R_OK), 0);
	logged_on("access", "g", "mode=R_OK", "verdict=deny rule=default");
}

Test(dispatch, socket_allowed)
{
	struct answer a;
	int domain;
	socklen_t len = sizeof(domain);

	start("allow user UID socket inet dgram udp\n");
	a = ask_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_granted(a);
	cr_assert_geq(a.fd, 0);
	cr_assert_eq(getsockopt(a.fd, SOL_SOCKET, SO_DOMAIN, &domain, &len), 0);
	cr_assert_eq(domain, AF_INET);
	close(a.fd);
	logged("op=socket object=inet/dgram/17", "verdict=allow rule=dispatch:1", NULL);
}

Test(dispatch, socket_denied)
{

	start("allow user UID socket inet dgram udp\n");
	assert_denied(ask_socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP), EPERM);
	logged("op=socket object=inet6/dgram/17", "verdict=deny rule=default errno=EPERM", NULL);
}

/* A free udp port on 127.0.0.1, as the kernel picks one. */
static unsigned short free_udp_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	close(s);
	return ntohs(sin.sin_port);
}

static void start_bind(unsigned short port)
{
	char fmt[160];

	snprintf(fmt, sizeof(fmt), "allow user UID bind udp 127.0.0.1:%u\n"
		 "allow user UID bind unix DIR/app.sock\n", port);
	start(fmt);
}

/* Ask to bind the udp socket s to 127.0.0.1:port. */
static struct answer bind_udp(int s, unsigned short port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return ask_bind(s, (struct sockaddr *)&sin, sizeof(sin));
}

static void logged_udp(unsigned short port, const char *rest)
{
	char object[64];

	snprintf(object, sizeof(object), "op=bind object=127.0.0.1:%u proto=udp", port);
	logged(object, rest, NULL);
}

Test(dispatch, bind_udp_allowed)
{
	unsigned short port = free_udp_port();
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct answer a;
	int s;

	start_bind(port);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	a = bind_udp(s, port);
	assert_granted(a);
	cr_assert_eq(a.fd, -1);
	/* bound in place: the program's own socket has the address */
	cr_assert_eq(getsockname(s, (struct sockaddr *)&sin, &len), 0);
	cr_assert_eq(ntohs(sin.sin_port), port);
	close(s);
	logged_udp(port, "verdict=allow rule=dispatch:1");
}

Test(dispatch, bind_udp_denied)
{
	unsigned short port = free_udp_port();
	int s;

	start_bind(port);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	assert_denied(bind_udp(s, port ^ 1), EACCES);
	close(s);
	logged_udp(port ^ 1, "verdict=deny rule=default errno=EACCES");
}

static struct answer bind_unix(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct answer a;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(s, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", in_dir(name));
	a = ask_bind(s, (struct sockaddr *)&sun, sizeof(sun));
	close(s);
	return a;
}

Test(dispatch, bind_unix_allowed_and_denied)
{
	struct stat st;

	start_bind(free_udp_port());
	assert_granted(bind_unix("app.sock"));
	cr_assert_eq(stat(in_dir("app.sock"), &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	logged_on("bind", "app.sock", "proto=unix verdict=allow rule=dispatch:2", NULL);
	assert_denied(bind_unix("other.sock"), EACCES);
	cr_assert_neq(stat(in_dir("other.sock"), &st), 0);
	logged_on("bind", "other.sock", "proto=unix verdict=deny rule=default errno=EACCES", NULL);
}

/* Send a record the broker must refuse, serve it, and see the client dropped. */
static void refused(const void *rec, int len, int fd)
{
	cr_assert_gt(len, 0);
	cr_assert_eq(fdpass_send(t.me, rec, (size_t)len, &fd, fd >= 0 ? 1 : 0, 0), len);
	cr_assert_eq(broker_step(&t.b, 0), 1);
	assert_dropped();
}

Test(dispatch, malformed_record_drops_the_client)
{
	static const char junk[] = "not a record at all";
	char want[64];

	start(OPEN_RULE);
	refused(junk, sizeof(junk), -1);
	snprintf(want, sizeof(want), "pid=%d: bad record header", (int)getpid());
	logged(want, "client dropped", NULL);
}

Test(dispatch, malformed_open_body_drops_the_client)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_open_req r = { .flags = O_RDONLY, .path = "/x" };
	int len = wire_encode_open(rec, sizeof(rec), 1, &r);
	char want[64];

	start(OPEN_RULE);
	/* the path's NUL is gone: the body does not end where the header says */
	rec[len - 1] = 'y';
	refused(rec, len, -1);
	snprintf(want, sizeof(want), "pid=%d: malformed open request: client dropped",
		 (int)getpid());
	logged(want, NULL);
}

Test(dispatch, a_descriptor_too_many_drops_the_client)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_open_req r = { .flags = O_RDONLY, .path = "/x" };
	int extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char want[64];

	start(OPEN_RULE);
	cr_assert_geq(extra, 0);
	/* no dirfd in the record, one descriptor with it */
	refused(rec, wire_encode_open(rec, sizeof(rec), 1, &r), extra);
	close(extra);
	snprintf(want, sizeof(want), "pid=%d: malformed open request: client dropped",
		 (int)getpid());
	logged(want, NULL);
}

Test(dispatch, a_missing_descriptor_drops_the_client)
{
	unsigned char rec[FDB_MSG_MAX];
	struct fdb_socket_req r = { .family = AF_INET, .type = SOCK_DGRAM };
	char want[64];

	start("allow user UID socket inet dgram udp\n");
	/* a socket request carries the program's probe socket; this one none */
	refused(rec, wire_encode_socket(rec, sizeof(rec), 1, &r), -1);
	snprintf(want, sizeof(want), "pid=%d: malformed socket request: client dropped",
		 (int)getpid());
	logged(want, NULL);
}

/* A valid record, its header's field at off (u16) patched to v. */
static int patched_open(unsigned char *rec, size_t cap, size_t off, uint16_t v)
{
	struct fdb_open_req r = { .flags = O_RDONLY, .path = "/x" };
	int len = wire_encode_open(rec, cap, 3, &r);

	cr_assert_gt(len, 0);
	memcpy(rec + off, &v, sizeof(v));
	return len;
}

Test(dispatch, unknown_operation_drops_the_client)
{
	unsigned char rec[FDB_MSG_MAX];
	char want[64];

	start(OPEN_RULE);
	refused(rec, patched_open(rec, sizeof(rec), 6, 99), -1);
	snprintf(want, sizeof(want), "pid=%d: unknown operation 99: client dropped",
		 (int)getpid());
	logged(want, NULL);
}

Test(dispatch, other_protocol_version_is_told_then_dropped)
{
	unsigned char rec[FDB_MSG_MAX];
	int len;
	struct answer a;
	char want[80], speaks[80];

	start(OPEN_RULE);
	len = patched_open(rec, sizeof(rec), 4, FDB_VERSION + 1);
	cr_assert_eq(fdpass_send(t.me, rec, (size_t)len, NULL, 0, 0), len);
	cr_assert_eq(broker_step(&t.b, 0), 1);
	/* the reply says why, then the connection ends */
	a = receive();
	cr_assert_not(a.eof);
	cr_assert_eq(a.seq, 3);
	cr_assert_eq(a.r.status, EPROTONOSUPPORT);
	cr_assert_eq(a.r.rflags, FDB_REPLY_DENIED);
	assert_dropped();
	snprintf(want, sizeof(want), "pid=%d prog=", (int)getpid());
	snprintf(speaks, sizeof(speaks), "protocol version %u, this broker speaks %u: client refused",
		 FDB_VERSION + 1, FDB_VERSION);
	logged(want, speaks, NULL);
}

Test(dispatch, requests_in_a_row_on_one_connection)
{
	struct answer a;

	start(OPEN_RULE);
	make_file("f", "hi");
	for (int i = 0; i < 3; i++) {
		a = ask_open(in_dir("f"), O_RDONLY, -1);
		cr_assert_eq(a.r.status, 0);
		cr_assert_geq(a.fd, 0);
		close(a.fd);
	}
	a = ask_open(in_dir("nothing"), O_RDONLY, -1);
	cr_assert_eq(a.r.rflags, FDB_REPLY_DENIED);
	cr_assert_eq(t.b.denied, 1);
}
