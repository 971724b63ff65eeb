/* The message codec, fed bytes directly: no sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "wire.h"

TestSuite(wire);

static int encode(unsigned char *buf, const char *path)
{
	struct fdb_open_req r = { .flags = O_RDONLY | O_CLOEXEC, .mode = 0, .path = path };

	return wire_encode_open(buf, FDB_MSG_MAX, 7, &r);
}

Test(wire, open_round_trip)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req in = { .flags = O_WRONLY | O_CREAT, .mode = 0640, .has_dirfd = 1,
				   .path = "rel/file" };
	struct fdb_open_req out;
	struct fdb_hdr h;
	int len = wire_encode_open(buf, sizeof(buf), 42, &in);

	cr_assert_eq(len, FDB_HDR_LEN + 12 + 9);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_OPEN);
	cr_assert_eq(h.seq, 42);
	cr_assert_eq(h.len, (uint32_t)len);
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.flags, (uint32_t)(O_WRONLY | O_CREAT));
	cr_assert_eq(out.mode, 0640);
	cr_assert_eq(out.has_dirfd, 1);
	cr_assert_str_eq(out.path, "rel/file");
}

Test(wire, reply_round_trip)
{
	unsigned char buf[64];
	struct fdb_reply in = { .status = EACCES, .rflags = FDB_REPLY_DENIED }, out;
	struct fdb_hdr h;
	int len = wire_encode_reply(buf, sizeof(buf), 9, &in);

	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_REPLY);
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.status, EACCES);
	cr_assert_eq(out.rflags, FDB_REPLY_DENIED);
}

/* A stat's answer: its statx rides in the reply, and only with its flag and a success. */
Test(wire, reply_with_a_statx)
{
	unsigned char buf[FDB_REPLY_MAX];
	struct fdb_reply in = { .status = 0, .rflags = FDB_REPLY_STATX }, out;
	int len;

	in.stx.stx_ino = 4242;
	in.stx.stx_mode = 0100644;
	in.stx.stx_mask = 0x7ff;
	len = wire_encode_reply(buf, sizeof(buf), 3, &in);
	cr_assert_eq(len, (int)(FDB_REPLY_LEN + sizeof(struct statx)));
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.rflags, FDB_REPLY_STATX);
	cr_assert_eq(memcmp(&out.stx, &in.stx, sizeof(in.stx)), 0);
	/* too small a buffer; a statx with a failure */
	cr_assert_eq(wire_encode_reply(buf, FDB_REPLY_LEN, 3, &in), -EMSGSIZE);
	in.status = EIO;
	cr_assert_eq(wire_encode_reply(buf, sizeof(buf), 3, &in), -EINVAL);
	/* the flag without the statx, the statx without the flag, a failure with one */
	len = wire_encode_reply(buf, sizeof(buf), 3, &(struct fdb_reply){ .status = 0 });
	buf[FDB_HDR_LEN + 4] |= FDB_REPLY_STATX;
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), -EBADMSG);
	in.status = 0;
	len = wire_encode_reply(buf, sizeof(buf), 3, &in);
	buf[FDB_HDR_LEN + 4] &= (unsigned char)~FDB_REPLY_STATX;
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), -EBADMSG);
	buf[FDB_HDR_LEN + 4] |= FDB_REPLY_STATX;
	buf[FDB_HDR_LEN] = EIO;
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), -EBADMSG);
}

Test(wire, set_seq_restamps)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;
	int len = encode(buf, "/x");

	wire_set_seq(buf, 1234);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.seq, 1234);
}

Test(wire, truncated_header)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;

	encode(buf, "/etc/shadow");
	for (size_t n = 0; n < FDB_HDR_LEN; n++)
		cr_assert_eq(wire_decode_hdr(buf, n, &h), -EBADMSG, "length %zu", n);
}

Test(wire, truncated_body)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;
	struct fdb_open_req o;
	int len = encode(buf, "/etc/shadow");

	for (int n = FDB_HDR_LEN; n < len; n++) {
		cr_assert_eq(wire_decode_hdr(buf, (size_t)n, &h), -EBADMSG, "length %d", n);
		cr_assert_eq(wire_decode_open(buf, (size_t)n, &o), -EBADMSG, "length %d", n);
	}
}

Test(wire, wrong_magic)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;
	int len = encode(buf, "/x");

	buf[0] ^= 0xff;
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), -EPROTO);
}

Test(wire, wrong_version_still_reports_header)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;
	uint16_t v = FDB_VERSION + 1;
	int len = encode(buf, "/x");

	memcpy(buf + 4, &v, 2);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), -EPROTONOSUPPORT);
	cr_assert_eq(h.version, FDB_VERSION + 1);
	cr_assert_eq(h.seq, 7, "the seq is there to answer in kind");
}

Test(wire, oversized)
{
	static unsigned char buf[FDB_MSG_MAX * 2];
	struct fdb_hdr h;
	uint32_t big = FDB_MSG_MAX + 1;

	encode(buf, "/x");
	memcpy(buf + 8, &big, 4);
	cr_assert_eq(wire_decode_hdr(buf, FDB_MSG_MAX + 1, &h), -EMSGSIZE);
}

Test(wire, length_disagrees_with_record)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_hdr h;
	int len = encode(buf, "/etc/shadow");
	uint32_t lie = (uint32_t)len - 3;

	memcpy(buf + 8, &lie, 4);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), -EBADMSG);
}

Test(wire, unterminated_path)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req o;
	int len = encode(buf, "/etc/shadow");

	buf[len - 1] = 'X';
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &o), -EBADMSG);
}

Test(wire, embedded_nul)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req o;
	int len = encode(buf, "/etc/shadow");

	buf[FDB_HDR_LEN + 12 + 4] = '\0';
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &o), -EBADMSG);
}

Test(wire, bad_dirfd_flag)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req o;
	uint32_t two = 2;
	int len = encode(buf, "/x");

	memcpy(buf + FDB_HDR_LEN + 8, &two, 4);
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &o), -EBADMSG);
}

Test(wire, path_too_long_refused_on_send)
{
	static char path[FDB_PATH_MAX + 10];
	unsigned char buf[FDB_MSG_MAX];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	cr_assert_eq(encode(buf, path), -EMSGSIZE);
	cr_assert_eq(encode(buf, ""), -EINVAL);
}

/* A record that fits FDB_MSG_MAX but whose path is longer than FDB_PATH_MAX allows. */
Test(wire, path_too_long_refused_on_receive)
{
	static char path[FDB_PATH_MAX];
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_open_req o;
	int len;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	len = encode(buf, path); /* FDB_PATH_MAX - 1 characters: the longest */
	cr_assert_gt(len, 0);
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &o), 0);
	buf[len - 1] = 'a';
	buf[len] = '\0';
	len++;
	memcpy(buf + 8, &(uint32_t){ (uint32_t)len }, 4);
	cr_assert_leq(len, FDB_MSG_MAX);
	cr_assert_eq(wire_decode_open(buf, (size_t)len, &o), -EBADMSG);
}

Test(wire, encode_respects_capacity)
{
	unsigned char buf[FDB_HDR_LEN + 12];
	struct fdb_open_req r = { .path = "/etc/shadow" };

	cr_assert_eq(wire_encode_open(buf, sizeof(buf), 1, &r), -EMSGSIZE);
}

Test(wire, reply_with_bad_length_or_status)
{
	unsigned char buf[64];
	struct fdb_reply in = { .status = 0 }, out;
	int len = wire_encode_reply(buf, sizeof(buf), 1, &in);
	int32_t neg = -5;

	cr_assert_eq(wire_decode_reply(buf, (size_t)len - 1, &out), -EBADMSG);
	memcpy(buf + FDB_HDR_LEN, &neg, 4);
	cr_assert_eq(wire_decode_reply(buf, (size_t)len, &out), -EBADMSG);
}

Test(wire, socket_round_trip)
{
	unsigned char buf[64];
	struct fdb_socket_req in = { .family = 2, .type = 3 | 02000000, .protocol = 1 }, out;
	struct fdb_hdr h;
	int len = wire_encode_socket(buf, sizeof(buf), 5, &in);

	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_SOCKET);
	cr_assert_eq(wire_decode_socket(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.family, 2);
	cr_assert_eq(out.type, 3 | 02000000);
	cr_assert_eq(out.protocol, 1);
	cr_assert_eq(wire_decode_socket(buf, (size_t)len - 1, &out), -EBADMSG);
	cr_assert_eq(wire_decode_socket(buf, (size_t)len + 1, &out), -EBADMSG);
}

Test(wire, addr_round_trip_and_bounds)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_addr in = { .len = 16 }, out;
	uint32_t lie = 17;
	int len;

	memset(in.addr, 0xab, 16);
	cr_assert_eq(wire_encode_addr(buf, sizeof(buf), FDB_OP_BIND, 1, &in), -EINVAL,
		     "BIND has a body of its own");
	len = wire_encode_addr(buf, sizeof(buf), FDB_OP_CONN, 1, &in);
	cr_assert_eq(len, FDB_HDR_LEN + 4 + 16);
	cr_assert_eq(wire_decode_addr(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.len, 16);
	cr_assert_eq(memcmp(out.addr, in.addr, 16), 0);
	memcpy(buf + FDB_HDR_LEN, &lie, 4);
	cr_assert_eq(wire_decode_addr(buf, (size_t)len, &out), -EBADMSG, "length disagrees");
	in.len = FDB_SOCKADDR_MAX + 1;
	cr_assert_eq(wire_encode_addr(buf, sizeof(buf), FDB_OP_CONN, 1, &in), -EINVAL);
	in.len = 0;
	cr_assert_eq(wire_encode_addr(buf, sizeof(buf), FDB_OP_CONN, 1, &in), -EINVAL);
	cr_assert_eq(wire_decode_addr(buf, FDB_HDR_LEN + 4 + FDB_SOCKADDR_MAX + 1, &out), -EBADMSG);
}

Test(wire, bind_carries_umask)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_bind_req in = { .umask = 077, .a.len = 16 }, out;
	uint32_t v;
	struct fdb_hdr h;
	int len;

	memset(in.a.addr, 0xcd, 16);
	len = wire_encode_bind(buf, sizeof(buf), 3, &in);
	cr_assert_eq(len, FDB_HDR_LEN + 8 + 16);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_BIND);
	cr_assert_geq(h.version, 2, "the umask came with version 2");
	cr_assert_eq(wire_decode_bind(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.umask, 077);
	cr_assert_eq(out.a.len, 16);
	cr_assert_eq(memcmp(out.a.addr, in.a.addr, 16), 0);
	/* a version 1 body (no umask) never decodes as version 2's */
	cr_assert_eq(wire_decode_bind(buf, (size_t)len - 4, &out), -EBADMSG);
	v = 01000;
	memcpy(buf + FDB_HDR_LEN + 4, &v, 4);
	cr_assert_eq(wire_decode_bind(buf, (size_t)len, &out), -EBADMSG, "umask beyond 0777");
	v = 17;
	memcpy(buf + FDB_HDR_LEN + 4, &in.umask, 4);
	memcpy(buf + FDB_HDR_LEN, &v, 4);
	cr_assert_eq(wire_decode_bind(buf, (size_t)len, &out), -EBADMSG, "length disagrees");
	in.umask = 01022;
	cr_assert_eq(wire_encode_bind(buf, sizeof(buf), 3, &in), -EINVAL);
	in.umask = 0;
	in.a.len = FDB_SOCKADDR_MAX + 1;
	cr_assert_eq(wire_encode_bind(buf, sizeof(buf), 3, &in), -EINVAL);
	in.a.len = 0;
	cr_assert_eq(wire_encode_bind(buf, sizeof(buf), 3, &in), -EINVAL);
	cr_assert_eq(wire_decode_bind(buf, FDB_HDR_LEN + 8 + FDB_SOCKADDR_MAX + 1, &out), -EBADMSG);
}

Test(wire, reopen_round_trip)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_reopen_req in = { .flags = O_WRONLY | O_APPEND, .fd = 2, .name = "/dev/stderr" };
	struct fdb_reopen_req out;
	struct fdb_hdr h;
	int len = wire_encode_reopen(buf, sizeof(buf), 9, &in);

	cr_assert_eq(len, FDB_HDR_LEN + 8 + 12);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_REOPEN);
	cr_assert_eq(wire_decode_reopen(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.flags, (uint32_t)(O_WRONLY | O_APPEND));
	cr_assert_eq(out.fd, 2);
	cr_assert_str_eq(out.name, "/dev/stderr");
}

Test(wire, reopen_malformed)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_reopen_req in = { .fd = 1, .name = "/dev/stdout" }, out;
	int len = wire_encode_reopen(buf, sizeof(buf), 1, &in);
	uint32_t big = 0x80000000u;

	cr_assert_gt(len, 0);
	buf[len - 1] = 'x'; /* unterminated */
	cr_assert_eq(wire_decode_reopen(buf, (size_t)len, &out), -EBADMSG);
	buf[len - 1] = '\0';
	buf[len - 3] = '\0'; /* a NUL inside */
	cr_assert_eq(wire_decode_reopen(buf, (size_t)len, &out), -EBADMSG);
	len = wire_encode_reopen(buf, sizeof(buf), 1, &in);
	memcpy(buf + FDB_HDR_LEN + 4, &big, 4); /* not a descriptor number */
	cr_assert_eq(wire_decode_reopen(buf, (size_t)len, &out), -EBADMSG);
	cr_assert_eq(wire_decode_reopen(buf, FDB_HDR_LEN + 9, &out), -EBADMSG);
	in.name = "";
	cr_assert_eq(wire_encode_reopen(buf, sizeof(buf), 1, &in), -EINVAL);
	in.name = "/dev/stdout";
	in.fd = big;
	cr_assert_eq(wire_encode_reopen(buf, sizeof(buf), 1, &in), -EINVAL);
}

Test(wire, sockopt_round_trip)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_sockopt_req in = { .level = 6, .optname = 1, .vlen = 4 }, out;
	struct fdb_hdr h;
	int one = 1, len;

	memcpy(in.value, &one, sizeof(one));
	len = wire_encode_sockopt(buf, sizeof(buf), 5, &in);
	cr_assert_eq(len, FDB_HDR_LEN + 12 + 4);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_SOCKOPT);
	cr_assert_eq(h.seq, 5);
	cr_assert_geq(h.version, 3, "SOCKOPT came with version 3");
	cr_assert_eq(wire_decode_sockopt(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.level, 6);
	cr_assert_eq(out.optname, 1);
	cr_assert_eq(out.vlen, 4);
	cr_assert_eq(memcmp(out.value, &one, 4), 0);
	/* the largest value, a negative level (both ends read it signed) */
	in.level = -1;
	in.vlen = FDB_SOCKOPT_MAX;
	memset(in.value, 0xab, sizeof(in.value));
	len = wire_encode_sockopt(buf, sizeof(buf), 5, &in);
	cr_assert_eq(len, FDB_HDR_LEN + 12 + FDB_SOCKOPT_MAX);
	cr_assert_eq(wire_decode_sockopt(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.level, -1);
	cr_assert_eq(memcmp(out.value, in.value, FDB_SOCKOPT_MAX), 0);
}

Test(wire, sockopt_malformed)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_sockopt_req in = { .level = 1, .optname = 9, .vlen = 4 }, out;
	uint32_t v;
	int len = wire_encode_sockopt(buf, sizeof(buf), 1, &in);

	cr_assert_eq(len, FDB_HDR_LEN + 16);
	cr_assert_eq(wire_decode_sockopt(buf, (size_t)len - 1, &out), -EBADMSG, "length disagrees");
	cr_assert_eq(wire_decode_sockopt(buf, FDB_HDR_LEN + 12, &out), -EBADMSG, "no value");
	cr_assert_eq(wire_decode_sockopt(buf, FDB_HDR_LEN + 11, &out), -EBADMSG, "truncated");
	cr_assert_eq(wire_decode_sockopt(buf, FDB_HDR_LEN + 12 + FDB_SOCKOPT_MAX + 1, &out),
		     -EBADMSG, "value too long");
	/* a record that fits but claims more value than it carries, or less */
	v = 5;
	memcpy(buf + FDB_HDR_LEN + 8, &v, 4);
	cr_assert_eq(wire_decode_sockopt(buf, (size_t)len, &out), -EBADMSG);
	v = 0xffffffffu;
	memcpy(buf + FDB_HDR_LEN + 8, &v, 4);
	cr_assert_eq(wire_decode_sockopt(buf, (size_t)len, &out), -EBADMSG);
	in.vlen = 0;
	cr_assert_eq(wire_encode_sockopt(buf, sizeof(buf), 1, &in), -EINVAL);
	in.vlen = FDB_SOCKOPT_MAX + 1;
	cr_assert_eq(wire_encode_sockopt(buf, sizeof(buf), 1, &in), -EINVAL);
	in.vlen = 4;
	cr_assert_eq(wire_encode_sockopt(buf, FDB_HDR_LEN + 15, 1, &in), -EMSGSIZE);
}

Test(wire, supervise_round_trip_and_malformed)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_supervise_req in = { 0 }, out = { 7 };
	struct fdb_hdr h;
	uint32_t one = 1;
	int len;

	for (uint16_t op = FDB_OP_ADMIT; op <= FDB_OP_HANDOVER; op++) {
		len = wire_encode_supervise(buf, sizeof(buf), op, 9, &in);
		cr_assert_eq(len, FDB_HDR_LEN + 4);
		cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
		cr_assert_eq(h.op, op);
		cr_assert_eq(h.seq, 9);
		cr_assert_geq(h.version, 4, "ADMIT and HANDOVER came with version 4");
		cr_assert_eq(wire_decode_supervise(buf, (size_t)len, &out), 0);
		cr_assert_eq(out.flags, 0);
		cr_assert_eq(wire_decode_supervise(buf, (size_t)len - 1, &out), -EBADMSG);
		cr_assert_eq(wire_decode_supervise(buf, (size_t)len + 1, &out), -EBADMSG);
		memcpy(buf + FDB_HDR_LEN, &one, 4); /* a flag no version defines */
		cr_assert_eq(wire_decode_supervise(buf, (size_t)len, &out), -EBADMSG);
	}
	cr_assert_eq(wire_encode_supervise(buf, sizeof(buf), FDB_OP_OPEN, 1, &in), -EINVAL);
	cr_assert_eq(wire_encode_supervise(buf, FDB_HDR_LEN + 3, FDB_OP_ADMIT, 1, &in), -EMSGSIZE);
	in.flags = 1;
	cr_assert_eq(wire_encode_supervise(buf, sizeof(buf), FDB_OP_ADMIT, 1, &in), -EINVAL);
}
