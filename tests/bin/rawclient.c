/*
 * rawclient: a broker client that speaks the wire protocol itself, for the
 * hostile-input, credential and load tests.  No shim: it sends records the
 * codec made, or malformed ones written over them, and reports what the
 * broker did with them, one line:
 *
 *   rawclient [-u UID -g GID] [-U] [-k] [-n NAME] SOCK COMMAND ARGS...
 *     -u/-g  become UID/GID (groups cleared) before connecting
 *     -U     then enter a user namespace of its own (nothing mapped: the
 *            broker still sees UID), as a process of a rootless container
 *     -n     set the program name (comm, PR_SET_NAME) to NAME, any bytes
 *     -k     keep CAP_SETUID, CAP_SETGID and CAP_SYS_ADMIN across -u, so the kernel lets
 *            SCM_CREDENTIALS claim other ids (the spoofing tests)
 *
 *   hostile CASE N [PATH]   N connections, each sends CASE and waits for the
 *                           outcome; prints "replies=R drops=D fds=F
 *                           timeouts=T status=ENAME" (status of the last reply)
 *   open PATH N             N opens of PATH (absolute) on one connection, each
 *                           fd checked by device and inode: "ok N" or
 *                           "err ENAME" (first refusal) or "bad WHAT"
 *   dirfd DIR REL N         N opens of REL relative to a dirfd on DIR, sent
 *                           along: "ok N" / "err ENAME" / "bad WHAT"
 *   create PATH             one open of PATH asking O_WRONLY|O_CREAT (0644),
 *                           with no try of its own first: "ok" / "err ENAME"
 *                           / "bad WHAT"
 *   truncate PATH           the same asking O_WRONLY|O_TRUNC
 *   ubind PATH              one bind of a unix stream socket at PATH:
 *                           "ok" / "err ENAME" / "bad WHAT"
 *   reopen FIFO GO          open FIFO O_RDWR (no wait) as descriptor N and
 *                           print "opened"; once the FIFO GO is opened for
 *                           writing, one reopen of /proc/self/fd/N O_RDONLY
 *                           with it: "ok" / "err ENAME" / "bad WHAT"
 *   stat PATH               one stat of PATH: "ok ino=I size=S mode=M" (the
 *                           reply's statx) / "err ENAME" / "bad WHAT" (a
 *                           descriptor came along, or no statx)
 *   spoof MODE PATH         one open of PATH with SCM_CREDENTIALS claiming
 *                           MODE (uid0, pid1, pid=N); prints "sendmsg ENAME"
 *                           if the kernel refuses the claim, then the outcome
 *                           as for hostile
 *   die PATH SEED N         N open requests, then SIGKILL itself at a point
 *                           chosen by SEED (see die())
 *   stall silent|half       connect (and send half a header), print
 *                           "stalled", wait for SIGKILL
 *   noread PATH N           send N open requests, never read a reply; print
 *                           "sent K" (K sent before the broker gave up on it),
 *                           wait for SIGKILL
 *   hold PATH N             N connections one after another, each asking for
 *                           PATH once, all kept open: print "served S refused R"
 *                           (R dropped by the broker without a reply), wait
 *                           for SIGKILL
 *   linger HOW PATH         send the broker a TCP connection whose last close
 *                           waits (a loopback peer kept here, never read, its
 *                           window full; SO_LINGER 60 s), and drop our copy:
 *                           HOW fds2 (with one descriptor too many), fds3
 *                           (two too many, the lingering one last), queued
 *                           (as the dirfd of an open queued behind a record
 *                           that gets the connection dropped), empty (as
 *                           queued, with an empty record in between), nested
 *                           (in flight inside a unix socket sent as with fds2);
 *                           print "sent", wait for SIGKILL
 *   pin N M PATH            N opens of PATH, 10 to a connection, each sending
 *                           a TCP connection as linger's (its last close
 *                           waits, for 60 s) as its directory, our copy
 *                           dropped, the replies that came read between
 *                           them (so the broker keeps the connections until
 *                           it stops reading them); then M more
 *                           connections, each with one such open, closed
 *                           at once: print "sent K" (K opens queued in all),
 *                           wait for SIGKILL
 *   listeners IP PORT N     N TCP binds on one connection, of IP:PORT,
 *                           IP:PORT+1...; the channels of held listeners are
 *                           kept: print "held H refused R status=ENAME" (of
 *                           the last refusal), wait for SIGKILL
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"
/* The broker's own codec (linked in), so these are exactly its records. */
#include "fdpass.h"
#include "wire.h"

#define REPLY_WAIT_MS 10000
#define MAX_SEND_FDS 253 /* SCM_MAX_FD */

static const char *sock_path;

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "0";

	return n ? n : "?";
}

static int connect_broker(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect %s\n", ename(errno));
		exit(2);
	}
	return fd;
}

/*
 * The hostile record's control data, by hand: more descriptors than
 * fdpass_send will carry (FDB_FDS_MAX), or SCM_CREDENTIALS, which it never
 * sends.  -1 with errno.
 */
static ssize_t send_cmsg(int s, const void *buf, size_t len, const int *fds, size_t nfds,
			 const struct ucred *cred)
{
	static union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * MAX_SEND_FDS) + CMSG_SPACE(sizeof(struct ucred))];
	} cb;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	size_t clen = 0;

	memset(&cb, 0, sizeof(cb));
	if (nfds)
		clen += CMSG_SPACE(sizeof(int) * nfds);
	if (cred)
		clen += CMSG_SPACE(sizeof(*cred));
	if (clen) {
		msg.msg_control = cb.buf;
		msg.msg_controllen = clen;
		c = CMSG_FIRSTHDR(&msg);
		if (nfds) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
			c = CMSG_NXTHDR(&msg, c);
		}
		if (cred) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			c->cmsg_len = CMSG_LEN(sizeof(*cred));
			memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		}
	}
	return sendmsg(s, &msg, MSG_NOSIGNAL);
}

/*
 * One record with any number of descriptors and optional SCM_CREDENTIALS:
 * through fdpass_send, as the shim sends, whenever it can carry them.
 * Returns the bytes sent, or -1 with errno.
 */
static ssize_t send_raw(int s, const void *buf, size_t len, const int *fds, size_t nfds,
			const struct ucred *cred)
{
	ssize_t n;

	if (cred || nfds > FDB_FDS_MAX)
		return send_cmsg(s, buf, len, fds, nfds, cred);
	n = fdpass_send(s, buf, len, fds, nfds, 0);
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	return n;
}

/*
 * The malformed bytes of a hostile case are written by hand over a record
 * the codec made, at the offsets wire.h gives (struct fdb_hdr is the wire's
 * header field for field); every other byte is the broker's own encoding.
 */
_Static_assert(sizeof(struct fdb_hdr) == FDB_HDR_LEN, "struct fdb_hdr is the wire header");
#define AT(field) offsetof(struct fdb_hdr, field)
#define BODY FDB_HDR_LEN
#define OPEN_PATH (BODY + 12) /* OPEN: u32 flags, mode, has_dirfd, then the path */

static void put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Make the header say len (a cut or a lie); returns len, the bytes to send. */
static size_t set_len(unsigned char *p, size_t len)
{
	put32(p + AT(len), (uint32_t)len);
	return len;
}

static size_t encoded(int n)
{
	if (n < 0) {
		printf("encode %s\n", ename(-n));
		exit(2);
	}
	return (size_t)n;
}

/* A well-formed OPEN of path (O_RDONLY) into buf; its length. */
static size_t good_open(unsigned char *buf, const char *path, uint32_t has_dirfd)
{
	struct fdb_open_req r = { .flags = O_RDONLY, .has_dirfd = has_dirfd, .path = path };

	return encoded(wire_encode_open(buf, FDB_MSG_MAX, 7, &r));
}

/* A well-formed SOCKET (TCP over IPv4) into buf; its length. */
static size_t good_socket(unsigned char *buf)
{
	struct fdb_socket_req r = { AF_INET, SOCK_STREAM, 0 };

	return encoded(wire_encode_socket(buf, FDB_MSG_MAX, 7, &r));
}

/* A well-formed BIND of sin (umask 022) into buf; its length. */
static size_t good_bind(unsigned char *buf, const struct sockaddr_in *sin)
{
	struct fdb_bind_req a = { .umask = 022, .a.len = sizeof(*sin) };

	memcpy(a.a.addr, sin, sizeof(*sin));
	return encoded(wire_encode_bind(buf, FDB_MSG_MAX, 7, &a));
}

/* "/./././...x", n characters (static buffer). */
static const char *long_path(size_t n)
{
	static char p[FDB_PATH_MAX + 1];

	for (size_t i = 0; i < n; i++)
		p[i] = (i % 2) ? '.' : '/';
	p[n - 1] = 'x';
	p[n] = '\0';
	return p;
}

enum outcome { O_REPLY, O_DROP, O_TIMEOUT };

/* Wait for the broker's answer: a reply (status, fd count) or end of stream. */
/* The reply on s, whole: a stat's statx too. */
static enum outcome await_reply(int s, struct fdb_reply *r, int *fd)
{
	unsigned char buf[FDB_MSG_MAX];
	struct pollfd pf = { .fd = s, .events = POLLIN };
	struct fdb_hdr h;
	size_t nfds;
	ssize_t n;

	*fd = -1;
	if (poll(&pf, 1, REPLY_WAIT_MS) <= 0)
		return O_TIMEOUT;
	n = fdpass_recv(s, buf, sizeof(buf), fd, 1, &nfds, MSG_CMSG_CLOEXEC);
	if (n == 0 || n == -ECONNRESET)
		return O_DROP;
	if (n < 0 || wire_decode_hdr(buf, (size_t)n, &h) < 0 || h.op != FDB_OP_REPLY ||
	    wire_decode_reply(buf, (size_t)n, r) < 0) {
		printf("bad reply record (%zd)\n", n);
		exit(3);
	}
	if (nfds == 0)
		*fd = -1;
	return O_REPLY;
}

static enum outcome await(int s, int *status, int *fd)
{
	struct fdb_reply r;
	enum outcome o = await_reply(s, &r, fd);

	*status = o == O_REPLY ? r.status : 0;
	return o;
}

static int devnull(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		exit(2);
	return fd;
}

/* Send one hostile CASE on s; 0, or -1 if the case name is unknown. */
static int send_case(int s, const char *name, const char *path)
{
	static unsigned char b[70000];
	static int many[MAX_SEND_FDS];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fds[2] = { -1, -1 }, nfds = 0, p[2];
	size_t len = 0;
	ssize_t n;

	/* what lies past an encoded record (a lying length sends it too) */
	memset(b, 'a', sizeof(b));
	if (!strcmp(name, "hdr_short")) {
		good_open(b, path, 0);
		len = set_len(b, 8); /* half a header */
	} else if (!strcmp(name, "hdr_only")) {
		good_open(b, path, 0);
		len = set_len(b, FDB_HDR_LEN);
	} else if (!strcmp(name, "body_short_open")) {
		good_open(b, path, 0);
		len = set_len(b, FDB_HDR_LEN + 6);
	} else if (!strcmp(name, "body_short_socket")) {
		good_socket(b);
		len = set_len(b, FDB_HDR_LEN + 8);
	} else if (!strcmp(name, "body_long_socket")) {
		good_socket(b);
		len = set_len(b, FDB_HDR_LEN + 16); /* four bytes of 'a' more */
	} else if (!strcmp(name, "body_short_bind")) {
		good_bind(b, &sin);
		put32(b + BODY, 1); /* addrlen 1, and only one byte of the rest */
		len = set_len(b, FDB_HDR_LEN + 5);
		fds[nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else if (!strcmp(name, "bind_addrlen_lie")) {
		len = good_bind(b, &sin);
		put32(b + BODY, FDB_SOCKADDR_MAX); /* addrlen more than the record holds */
		fds[nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else if (!strcmp(name, "bind_too_long")) {
		/* addrlen, and the record, 8 bytes past the largest sockaddr */
		good_bind(b, &sin);
		put32(b + BODY, FDB_SOCKADDR_MAX + 8);
		len = set_len(b, FDB_HDR_LEN + 8 + FDB_SOCKADDR_MAX + 8);
		fds[nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	} else if (!strcmp(name, "oversized")) {
		good_open(b, path, 0);
		len = set_len(b, FDB_MSG_MAX + 1);
		b[len - 1] = '\0';
	} else if (!strcmp(name, "huge")) {
		good_open(b, path, 0);
		len = set_len(b, 65000);
	} else if (!strcmp(name, "magic")) {
		len = good_open(b, path, 0);
		put32(b + AT(magic), 0x46444252u); /* FDB_MAGIC byte-swapped */
	} else if (!strcmp(name, "version2") || !strcmp(name, "version0")) {
		len = good_open(b, path, 0);
		put16(b + AT(version), name[7] == '2' ? FDB_VERSION + 1 : 0);
	} else if (!strcmp(name, "op_unknown") || !strcmp(name, "op_reply") ||
		   !strcmp(name, "op_conn") || !strcmp(name, "op_zero")) {
		uint16_t op = name[3] == 'u' ? 99 : name[3] == 'r' ? FDB_OP_REPLY :
			      name[3] == 'c' ? FDB_OP_CONN : 0;

		len = good_open(b, path, 0);
		put16(b + AT(op), op);
	} else if (!strcmp(name, "len_plus") || !strcmp(name, "len_minus") ||
		   !strcmp(name, "len_zero") || !strcmp(name, "len_huge")) {
		len = good_open(b, path, 0);
		put32(b + AT(len), name[4] == 'p' ? (uint32_t)len + 1 :
				   name[4] == 'm' ? (uint32_t)len - 1 :
				   name[4] == 'z' ? 0 : 0xffffffffu);
	} else if (!strcmp(name, "path_nonul")) {
		len = good_open(b, path, 0);
		b[len - 1] = 'x';
	} else if (!strcmp(name, "path_embedded_nul")) {
		len = good_open(b, path, 0);
		b[OPEN_PATH + 1] = '\0';
	} else if (!strcmp(name, "path_empty")) {
		good_open(b, "x", 0);
		b[OPEN_PATH] = '\0'; /* the codec refuses an empty path */
		len = set_len(b, OPEN_PATH + 1);
	} else if (!strcmp(name, "path_max")) {
		len = good_open(b, long_path(FDB_PATH_MAX - 1), 0); /* the limit */
	} else if (!strcmp(name, "path_too_long")) {
		/* the longest path the codec encodes, then one character more */
		len = good_open(b, long_path(FDB_PATH_MAX - 1), 0);
		b[len - 1] = 'x';
		b[len] = '\0';
		len = set_len(b, len + 1);
	} else if (!strcmp(name, "dirfd_flag_2")) {
		len = good_open(b, path, 0);
		put32(b + BODY + 8, 2); /* has_dirfd neither 0 nor 1 */
		fds[nfds++] = devnull();
	} else if (!strcmp(name, "fd_unexpected_open")) {
		len = good_open(b, path, 0);
		fds[nfds++] = devnull();
	} else if (!strcmp(name, "fd_missing_open")) {
		len = good_open(b, "x", 1);
	} else if (!strcmp(name, "fds_2")) {
		len = good_open(b, "x", 1);
		fds[nfds++] = devnull();
		fds[nfds++] = devnull();
	} else if (!strcmp(name, "fds_253")) {
		len = good_open(b, "x", 1);
		for (int i = 0; i < MAX_SEND_FDS; i++)
			many[i] = devnull();
		n = send_raw(s, b, len, many, MAX_SEND_FDS, NULL);
		for (int i = 0; i < MAX_SEND_FDS; i++)
			close(many[i]);
		return n == (ssize_t)len ? 0 : (printf("send %s\n", ename(errno)), exit(2), 0);
	} else if (!strcmp(name, "fd_socket_req") || !strcmp(name, "socket_nofd")) {
		len = good_socket(b);
		if (!strcmp(name, "fd_socket_req"))
			fds[nfds++] = devnull(); /* not a socket */
	} else if (!strcmp(name, "bind_nofd") || !strcmp(name, "bind_2fd") ||
		   !strcmp(name, "bind_dir") || !strcmp(name, "bind_opath") ||
		   !strcmp(name, "bind_pipe")) {
		len = good_bind(b, &sin);
		if (!strcmp(name, "bind_2fd")) {
			fds[nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			fds[nfds++] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		} else if (!strcmp(name, "bind_dir")) {
			fds[nfds++] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		} else if (!strcmp(name, "bind_opath")) {
			fds[nfds++] = open(sock_path, O_PATH | O_CLOEXEC); /* even a socket file */
		} else if (!strcmp(name, "bind_pipe")) {
			if (pipe2(p, O_CLOEXEC) < 0)
				exit(2);
			fds[nfds++] = p[0];
			close(p[1]);
		}
	} else if (!strcmp(name, "dirfd_pipe") || !strcmp(name, "dirfd_socket") ||
		   !strcmp(name, "dirfd_opath_file") || !strcmp(name, "dirfd_file")) {
		len = good_open(b, "x", 1);
		if (!strcmp(name, "dirfd_pipe")) {
			if (pipe2(p, O_CLOEXEC) < 0)
				exit(2);
			fds[nfds++] = p[0];
			close(p[1]);
		} else if (!strcmp(name, "dirfd_socket")) {
			fds[nfds++] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		} else {
			fds[nfds++] = open(path, (name[6] == 'o' ? O_PATH : O_RDONLY) | O_CLOEXEC);
		}
	} else if (!strcmp(name, "shutwr_good")) {
		len = good_open(b, path, 0);
	} else if (!strcmp(name, "shutwr_only")) {
		shutdown(s, SHUT_WR);
		return 0;
	} else {
		return -1;
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] < 0) {
			printf("set-up %s: %s\n", name, ename(errno));
			exit(2);
		}
	n = send_raw(s, b, len, fds, (size_t)nfds, NULL);
	if (n != (ssize_t)len) {
		printf("send %s: %s\n", name, ename(errno));
		exit(2);
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	if (!strncmp(name, "shutwr", 6))
		shutdown(s, SHUT_WR);
	return 0;
}

struct tally {
	int replies, drops, fds, timeouts, status;
};

static void tally_one(int s, struct tally *t)
{
	int status = 0, fd;

	switch (await(s, &status, &fd)) {
	case O_REPLY:
		t->replies++;
		t->status = status;
		if (fd >= 0) {
			t->fds++;
			close(fd);
		}
		break;
	case O_DROP:
		t->drops++;
		break;
	case O_TIMEOUT:
		t->timeouts++;
		break;
	}
}

static void tally_print(const struct tally *t)
{
	printf("replies=%d drops=%d fds=%d timeouts=%d status=%s\n", t->replies, t->drops, t->fds,
	       t->timeouts, ename(t->status));
}

/* hostile CASE N [PATH] */
static int cmd_hostile(char **av)
{
	const char *name = av[0], *path = av[2] ? av[2] : "/";
	int n = atoi(av[1]);
	struct tally t = { 0 };

	for (int i = 0; i < n; i++) {
		int s = connect_broker();

		if (send_case(s, name, path) < 0) {
			printf("unknown case %s\n", name);
			return 2;
		}
		tally_one(s, &t);
		close(s);
	}
	tally_print(&t);
	return 0;
}

/* One request/reply; 1 if the fd is want, 0 refused (*err), -1 on anything odd (printed). */
static int ask(int s, const unsigned char *req, size_t len, int dirfd, const struct stat *want,
	       int *err)
{
	struct stat st;
	int status, fd;

	if (send_raw(s, req, len, &dirfd, dirfd >= 0 ? 1 : 0, NULL) != (ssize_t)len) {
		printf("bad send %s\n", ename(errno));
		return -1;
	}
	switch (await(s, &status, &fd)) {
	case O_DROP:
		printf("bad dropped\n");
		return -1;
	case O_TIMEOUT:
		printf("bad timeout\n");
		return -1;
	case O_REPLY:
		break;
	}
	if (status) {
		if (fd >= 0) {
			printf("bad descriptor with a refusal\n");
			return -1;
		}
		*err = status;
		return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != want->st_dev ||
	    st.st_ino != want->st_ino) {
		printf("bad descriptor is not the file asked for\n");
		return -1;
	}
	close(fd);
	return 1;
}

static int open_loop(const char *dir, const char *path, int n)
{
	unsigned char req[FDB_MSG_MAX];
	char full[4096];
	struct stat want;
	size_t len = good_open(req, path, dir ? 1 : 0);
	int s = connect_broker(), dirfd = -1, err = 0;

	snprintf(full, sizeof(full), "%s%s%s", dir ? dir : "", dir ? "/" : "", path);
	if (stat(full, &want) < 0) {
		printf("bad stat %s: %s\n", full, ename(errno));
		return 1;
	}
	if (dir && (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		printf("bad open %s: %s\n", dir, ename(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int rc = ask(s, req, len, dirfd, &want, &err);

		if (rc < 0)
			return 1;
		if (rc == 0) {
			printf("err %s\n", ename(err));
			return 0;
		}
	}
	printf("ok %d\n", n);
	return 0;
}

/* open PATH N */
static int cmd_open(char **av)
{
	return open_loop(NULL, av[0], atoi(av[1]));
}

/* Send one request (with fd, if >= 0) and print its answer: "ok" or "err ENAME". */
static int ask_once(const unsigned char *req, size_t len, int fd_sent, bool want_fd)
{
	int s = connect_broker(), status, fd;

	if (send_raw(s, req, len, &fd_sent, fd_sent >= 0 ? 1 : 0, NULL) != (ssize_t)len) {
		printf("bad send %s\n", ename(errno));
		return 1;
	}
	switch (await(s, &status, &fd)) {
	case O_DROP:
		printf("bad dropped\n");
		return 1;
	case O_TIMEOUT:
		printf("bad timeout\n");
		return 1;
	case O_REPLY:
		break;
	}
	if (status) {
		printf("err %s\n", ename(status));
		return 0;
	}
	if (want_fd && fd < 0) {
		printf("bad no descriptor\n");
		return 1;
	}
	if (fd >= 0)
		close(fd);
	printf("ok\n");
	return 0;
}

/* One open of path with flags (mode 0644). */
static int open_once(const char *path, uint32_t flags)
{
	unsigned char req[FDB_MSG_MAX];
	struct fdb_open_req r = { .flags = flags, .mode = 0644, .path = path };

	return ask_once(req, encoded(wire_encode_open(req, FDB_MSG_MAX, 7, &r)), -1, true);
}

/* reopen FIFO GO */
static int cmd_reopen(char **av)
{
	unsigned char req[FDB_MSG_MAX];
	char name[64];
	int fd = open(av[0], O_RDWR | O_NONBLOCK | O_CLOEXEC), go;
	struct fdb_reopen_req r = { .flags = O_RDONLY, .name = name };

	if (fd < 0) {
		printf("bad open %s\n", ename(errno));
		return 1;
	}
	printf("opened\n");
	fflush(stdout);
	/* the test has the FIFO's lock taken by now */
	go = open(av[1], O_RDONLY | O_CLOEXEC);
	if (go < 0) {
		printf("bad go %s\n", ename(errno));
		return 1;
	}
	close(go);
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	r.fd = (uint32_t)fd;
	return ask_once(req, encoded(wire_encode_reopen(req, FDB_MSG_MAX, 7, &r)), fd, true);
}

/* ubind PATH: one bind of a unix stream socket of ours at PATH (umask 022) */
static int cmd_ubind(char **av)
{
	unsigned char req[FDB_MSG_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct fdb_bind_req a = { .umask = 022, .a.len = sizeof(sun) };
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", av[0]);
	memcpy(a.a.addr, &sun, sizeof(sun));
	return ask_once(req, encoded(wire_encode_bind(req, FDB_MSG_MAX, 7, &a)), sock, false);
}

/*
 * stat PATH: one stat of PATH (absolute); prints "ok ino=I size=S
 * mode=M" from the reply's statx, "err ENAME", or "bad WHAT" (a
 * descriptor came with it, or no statx)
 */
static int cmd_stat(char **av)
{
	unsigned char req[FDB_MSG_MAX];
	struct fdb_stat_req r = { .amode = FDB_AMODE_STAT, .mask = STATX_BASIC_STATS,
				  .path = av[0] };
	size_t len = encoded(wire_encode_stat(req, FDB_MSG_MAX, 7, &r));
	struct fdb_reply rep;
	int s = connect_broker(), fd;

	if (send_raw(s, req, len, NULL, 0, NULL) != (ssize_t)len) {
		printf("bad send %s\n", ename(errno));
		return 1;
	}
	if (await_reply(s, &rep, &fd) != O_REPLY) {
		printf("bad no reply\n");
		return 1;
	}
	if (fd >= 0) {
		printf("bad a descriptor came\n");
		return 1;
	}
	if (rep.status) {
		printf("err %s\n", ename(rep.status));
		return 0;
	}
	if (!(rep.rflags & FDB_REPLY_STATX)) {
		printf("bad no statx\n");
		return 1;
	}
	printf("ok ino=%llu size=%llu mode=%o\n", (unsigned long long)rep.stx.stx_ino,
	       (unsigned long long)rep.stx.stx_size, (unsigned)rep.stx.stx_mode);
	return 0;
}

/* create PATH */
static int cmd_create(char **av)
{
	return open_once(av[0], O_WRONLY | O_CREAT);
}

/* truncate PATH */
static int cmd_truncate(char **av)
{
	return open_once(av[0], O_WRONLY | O_TRUNC);
}

/* dirfd DIR REL N */
static int cmd_dirfd(char **av)
{
	return open_loop(av[0], av[1], atoi(av[2]));
}

/* spoof MODE PATH */
static int cmd_spoof(char **av)
{
	const char *mode = av[0], *path = av[1];
	unsigned char req[FDB_MSG_MAX];
	struct ucred cred = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
	struct tally t = { 0 };
	size_t len = good_open(req, path, 0);
	int s = connect_broker();

	if (!strcmp(mode, "uid0")) {
		cred.uid = 0;
		cred.gid = 0;
	} else if (!strcmp(mode, "pid1")) {
		cred.pid = 1;
	} else if (!strncmp(mode, "pid=", 4)) {
		cred.pid = atoi(mode + 4);
	} else if (strcmp(mode, "self")) {
		printf("unknown mode %s\n", mode);
		return 2;
	}
	if (send_raw(s, req, len, NULL, 0, &cred) != (ssize_t)len) {
		printf("sendmsg %s\n", ename(errno));
		return 0;
	}
	printf("pid=%d sent ", (int)getpid());
	tally_one(s, &t);
	tally_print(&t);
	return 0;
}

/*
 * Requests, then SIGKILL at a point SEED picks: right after connecting,
 * after sending a request (reply in flight), after sending one with a
 * descriptor attached, or holding a received descriptor.
 */
static int cmd_die(char **av)
{
	const char *path = av[0];
	unsigned seed = (unsigned)atoi(av[1]);
	int n = atoi(av[2]);
	unsigned char req[FDB_MSG_MAX];
	struct stat want;
	size_t len = good_open(req, path, 0);
	int s = connect_broker(), err, fd, status, dn = devnull();

	srand(seed);
	if (stat(path, &want) < 0)
		return 1;
	n = n > 0 ? rand() % n : 0;
	for (int i = 0; i < n; i++)
		if (ask(s, req, len, -1, &want, &err) <= 0)
			return 1;
	switch (rand() % 4) {
	case 0:
		break;
	case 1:
		send_raw(s, req, len, NULL, 0, NULL);
		break;
	case 2: {
		unsigned char rel[FDB_MSG_MAX];
		size_t rlen = good_open(rel, "x", 1);

		send_raw(s, rel, rlen, &dn, 1, NULL);
		break;
	}
	case 3:
		send_raw(s, req, len, NULL, 0, NULL);
		await(s, &status, &fd);
		break;
	}
	kill(getpid(), SIGKILL);
	return 1;
}

/* stall silent|half */
static int cmd_stall(char **av)
{
	const char *how = av[0];
	unsigned char b[FDB_MSG_MAX];
	int s = connect_broker();

	if (!strcmp(how, "half")) {
		good_open(b, "x", 0);
		if (send(s, b, FDB_HDR_LEN / 2, MSG_NOSIGNAL) < 0)
			return 1;
	}
	printf("stalled\n");
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * A TCP connection over loopback whose last close waits: its peer (*peer,
 * kept open and never read) has a full window, so the FIN queued behind
 * the unsent data is never acknowledged, and SO_LINGER has the close wait
 * for that acknowledgement.
 */
static int lingering_socket(int *peer)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int small = 4096, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct linger lg = { .l_onoff = 1, .l_linger = 60 };
	char junk[4096] = { 0 };

	if (l < 0 || c < 0 || setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (*peer = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		printf("setup %s\n", ename(errno));
		exit(2);
	}
	close(l);
	fcntl(c, F_SETFL, O_NONBLOCK);
	while (send(c, junk, sizeof(junk), MSG_NOSIGNAL) > 0)
		;
	if (errno != EAGAIN || setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
		printf("fill %s\n", ename(errno));
		exit(2);
	}
	return c;
}

/* linger fds2|fds3|queued|empty|nested PATH */
static int cmd_linger(char **av)
{
	const char *how = av[0];
	unsigned char req[FDB_MSG_MAX];
	int peer, slow = lingering_socket(&peer), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int s = connect_broker();
	ssize_t n;

	if (!strcmp(how, "nested")) {
		/* in flight inside a unix socket: its close frees what its queue holds */
		int sp[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0 ||
		    send_raw(sp[0], "x", 1, &slow, 1, NULL) < 0)
			return 2;
		close(sp[0]);
		close(slow);
		slow = sp[1];
		how = "fds2";
	}
	if (!strcmp(how, "fds2") || !strcmp(how, "fds3")) {
		int fds[3] = { null, null, slow };
		size_t nfds = how[3] - '0';

		fds[nfds - 1] = slow;
		n = send_raw(s, req, good_open(req, av[1], 1), fds, nfds, NULL);
	} else if (!strcmp(how, "queued") || !strcmp(how, "empty")) {
		/* all in the queue before the broker reads the first, which ends the connection */
		n = send(s, "bad", 3, MSG_NOSIGNAL);
		/* an empty record reads as the end of the stream does */
		if (n > 0 && !strcmp(how, "empty"))
			n = send(s, "", 0, MSG_NOSIGNAL) == 0 ? 1 : -1;
		if (n > 0)
			n = send_raw(s, req, good_open(req, av[1], 1), &slow, 1, NULL);
	} else {
		return 2;
	}
	if (n < 0) {
		printf("send %s\n", ename(errno));
		return 1;
	}
	/* the broker's copy is the last (the test stops the broker until now) */
	close(slow);
	printf("sent\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* Print "sent K", then wait for SIGKILL. */
static _Noreturn void sent_and_wait(int k)
{
	printf("sent %d\n", k);
	fflush(stdout);
	for (;;)
		pause();
}

static void *close_one(void *fd)
{
	close((int)(intptr_t)fd);
	return NULL;
}

/* One open on s, a lingering TCP connection its directory (see pin): sent? */
static bool pin_one(int s, const unsigned char *req, size_t len)
{
	int peer, slow = lingering_socket(&peer);
	ssize_t sent = send_raw(s, req, len, &slow, 1, NULL);
	struct linger off = { 0 };
	pthread_attr_t attr;
	pthread_t t;

	/* not sent (refused at once), ours is the last close: it must not wait here */
	if (sent != (ssize_t)len)
		setsockopt(slow, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
	/*
	 * The broker's copy should be the last, so that its close waits for
	 * the peer (kept, never read); if the broker closes first, ours waits
	 * instead: on a thread of its own, not holding up the next.
	 */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, close_one, (void *)(intptr_t)slow) != 0)
		close(slow);
	pthread_attr_destroy(&attr);
	return sent == (ssize_t)len;
}

/* pin N M PATH: the N on connections of PIN_PER_CONN each */
#define PIN_PER_CONN 10
static int cmd_pin(char **av)
{
	int n = atoi(av[0]), m = atoi(av[1]), k = 0, nconn = (n + PIN_PER_CONN - 1) / PIN_PER_CONN;
	unsigned char req[FDB_MSG_MAX];
	size_t len = good_open(req, av[2], 1);
	struct rlimit rl;
	int socks[64];

	/*
	 * The kernel refuses to send descriptors (ETOOMANYREFS) once our uid
	 * has more in flight than our RLIMIT_NOFILE: other tests of the same
	 * uid may have some in flight too.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (nconn > (int)(sizeof(socks) / sizeof(socks[0])))
		return 2;
	for (int c = 0; c < nconn; c++) {
		socks[c] = connect_broker();
		fcntl(socks[c], F_SETFL, O_NONBLOCK);
	}
	/* in turn: the broker drops a connection that leaves a dozen replies unread */
	for (int i = 0; i < n; i++) {
		k += pin_one(socks[i % nconn], req, len);
		for (int c = 0; c < nconn; c++) {
			unsigned char reply[FDB_MSG_MAX];
			int fds[FDB_FDS_MAX];
			size_t nfds;

			while (fdpass_recv(socks[c], reply, sizeof(reply), fds, FDB_FDS_MAX, &nfds,
					   MSG_DONTWAIT) > 0)
				fdpass_close_all(fds, nfds);
		}
	}
	for (int i = 0; i < m; i++) {
		int more = connect_broker();

		k += pin_one(more, req, len);
		close(more);
	}
	sent_and_wait(k);
}

/* noread PATH N */
static int cmd_noread(char **av)
{
	const char *path = av[0];
	int n = atoi(av[1]);
	unsigned char req[FDB_MSG_MAX];
	size_t len = good_open(req, path, 0);
	int s = connect_broker(), k = 0;

	/* non-blocking: a broker that stopped reading must not stall us either */
	fcntl(s, F_SETFL, O_NONBLOCK);
	for (; k < n; k++) {
		struct pollfd pf = { .fd = s, .events = POLLOUT };

		if (poll(&pf, 1, REPLY_WAIT_MS) <= 0 || send(s, req, len, MSG_NOSIGNAL) < 0)
			break;
	}
	sent_and_wait(k);
}

/* hold PATH N */
static int cmd_hold(char **av)
{
	const char *path = av[0];
	int n = atoi(av[1]);
	unsigned char req[FDB_MSG_MAX];
	size_t len = good_open(req, path, 0);
	int served = 0, refused = 0;

	for (int i = 0; i < n; i++) {
		int s = connect_broker(), status, fd;

		/* a refused connection may be closed before the request goes */
		if (send_raw(s, req, len, NULL, 0, NULL) != (ssize_t)len) {
			refused++;
			close(s);
			continue;
		}
		switch (await(s, &status, &fd)) {
		case O_REPLY:
			if (status || fd < 0) {
				printf("bad reply status %s\n", ename(status));
				return 1;
			}
			close(fd);
			served++;
			break; /* kept: the connection counts against our uid */
		case O_DROP:
			refused++;
			close(s);
			break;
		case O_TIMEOUT:
			printf("bad timeout\n");
			return 1;
		}
	}
	printf("served %d refused %d\n", served, refused);
	fflush(stdout);
	for (;;)
		pause();
}

/* listeners IP PORT N */
static int cmd_listeners(char **av)
{
	const char *ip = av[0];
	int port = atoi(av[1]), n = atoi(av[2]);
	static unsigned char b[FDB_MSG_MAX];
	int s = connect_broker(), held = 0, refused = 0, last = 0;

	for (int i = 0; i < n; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)) };
		int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status, fd;
		size_t len;

		if (sock < 0 || inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
			printf("bad set-up %s\n", ename(errno));
			return 1;
		}
		len = good_bind(b, &sin);
		if (send_raw(s, b, len, &sock, 1, NULL) != (ssize_t)len ||
		    await(s, &status, &fd) != O_REPLY) {
			printf("bad no reply\n");
			return 1;
		}
		close(sock);
		if (status == 0 && fd >= 0) {
			held++; /* fd, the channel, stays open: the listener is held */
		} else {
			refused++;
			last = status;
		}
	}
	printf("held %d refused %d status=%s\n", held, refused, ename(last));
	fflush(stdout);
	for (;;)
		pause();
}

/* Keep CAP_SETUID, CAP_SETGID and CAP_SYS_ADMIN, effective, across the change of uid. */
static void keep_caps(bool before)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	uint32_t want = (1u << CAP_SETUID) | (1u << CAP_SETGID) | (1u << CAP_SYS_ADMIN);

	if (before) {
		if (prctl(PR_SET_KEEPCAPS, 1) < 0)
			exit(125);
		return;
	}
	d[0].permitted = want;
	d[0].effective = want;
	if (syscall(SYS_capset, &h, d) < 0) {
		printf("capset %s\n", ename(errno));
		exit(125);
	}
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "hostile", 2, cmd_hostile }, { "open", 2, cmd_open },
		{ "dirfd", 3, cmd_dirfd },     { "spoof", 2, cmd_spoof },
		{ "die", 3, cmd_die },         { "stall", 1, cmd_stall },
		{ "listeners", 3, cmd_listeners }, { "hold", 2, cmd_hold },
		{ "noread", 2, cmd_noread },   { "linger", 2, cmd_linger },
		{ "reopen", 2, cmd_reopen },   { "pin", 3, cmd_pin },
		{ "create", 1, cmd_create },   { "truncate", 1, cmd_truncate },
		{ "ubind", 1, cmd_ubind },     { "stat", 1, cmd_stat },
	};
	long uid = -1, gid = -1;
	bool keep = false, userns = false;
	const char *name = NULL;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "+u:g:kn:U")) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'U')
			userns = true;
		else if (c == 'u')
			uid = strtol(optarg, NULL, 10);
		else if (c == 'g')
			gid = strtol(optarg, NULL, 10);
		else if (c == 'k')
			keep = true;
		else
			return 2;
	}
	if (gid >= 0) {
		gid_t g = (gid_t)gid;

		if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0)
			return 125;
	}
	if (uid >= 0) {
		if (keep)
			keep_caps(true);
		if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
			return 125;
		if (keep)
			keep_caps(false);
	}
	if (userns && unshare(CLONE_NEWUSER) < 0)
		return 125;
	if (name && prctl(PR_SET_NAME, name) < 0)
		return 125;
	if (argc - optind < 2)
		return 2;
	sock_path = argv[optind];
	/* SOCK COMMAND ARGS...: the socket stands where a program's name would */
	return cmd_run("rawclient [-u UID -g GID] [-U] [-k] [-n NAME] SOCK", cmds, CMD_COUNT(cmds),
		       argc - optind, argv + optind);
}
