/* The STAT record (stat and access questions), fed bytes directly, and the rights it needs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "grant/stat.h"
#include "wire.h"

TestSuite(wire_stat);

static int encode_mask(unsigned char *buf, uint32_t at_flags, uint32_t amode, uint32_t mask,
		       const char *path)
{
	struct fdb_stat_req r = { .at_flags = at_flags, .amode = amode, .mask = mask,
				  .has_dirfd = 1, .path = path };

	return wire_encode_stat(buf, FDB_MSG_MAX, 9, &r);
}

static int encode(unsigned char *buf, uint32_t at_flags, uint32_t amode, const char *path)
{
	return encode_mask(buf, at_flags, amode, 0, path);
}

Test(wire_stat, round_trip)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_stat_req out;
	struct fdb_hdr h;
	int len = encode(buf, AT_SYMLINK_NOFOLLOW, W_OK, "rel/key");

	cr_assert_eq(len, FDB_HDR_LEN + 16 + 8);
	cr_assert_eq(wire_decode_hdr(buf, (size_t)len, &h), 0);
	cr_assert_eq(h.op, FDB_OP_STAT);
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.at_flags, (uint32_t)AT_SYMLINK_NOFOLLOW);
	cr_assert_eq(out.amode, (uint32_t)W_OK);
	cr_assert_eq(out.has_dirfd, 1);
	cr_assert_str_eq(out.path, "rel/key");
	len = encode(buf, 0, FDB_AMODE_STAT, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.amode, FDB_AMODE_STAT);
	/* a stat carries statx's mask and sync type */
	len = encode_mask(buf, AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, FDB_AMODE_STAT,
			  STATX_BASIC_STATS | STATX_BTIME, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), 0);
	cr_assert_eq(out.at_flags, (uint32_t)(AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC));
	cr_assert_eq(out.mask, STATX_BASIC_STATS | STATX_BTIME);
}

/* Flags the broker does not know and modes access(2) does not have are malformed. */
Test(wire_stat, refuses_unknown_flags_and_modes)
{
	unsigned char buf[FDB_MSG_MAX];
	struct fdb_stat_req out;
	int len;

	len = encode(buf, AT_EMPTY_PATH, FDB_AMODE_STAT, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode(buf, AT_EACCESS, R_OK, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode(buf, 0, 8, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	/* sync flags and a mask are a stat's only; both sync flags, or the reserved bit, never */
	len = encode(buf, AT_STATX_FORCE_SYNC, R_OK, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode_mask(buf, 0, F_OK, STATX_BASIC_STATS, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode(buf, AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, FDB_AMODE_STAT, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode_mask(buf, 0, FDB_AMODE_STAT, STATX__RESERVED, "/k");
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	len = encode(buf, 0, R_OK, "/k");
	buf[len - 1] = 'x'; /* no NUL */
	cr_assert_eq(wire_decode_stat(buf, (size_t)len, &out), -EBADMSG);
	cr_assert_eq(wire_decode_stat(buf, FDB_HDR_LEN + 16, &out), -EBADMSG);
	cr_assert_eq(encode(buf, 0, R_OK, ""), -EINVAL);
}

Test(wire_stat, rights_each_question_needs)
{
	bool any;

	cr_assert_eq(stat_rights(FDB_AMODE_STAT, &any), RIGHT_READ | RIGHT_WRITE);
	cr_assert(any);
	cr_assert_eq(stat_rights(F_OK, &any), RIGHT_READ | RIGHT_WRITE);
	cr_assert(any);
	cr_assert_eq(stat_rights(R_OK, &any), RIGHT_READ);
	cr_assert_not(any);
	cr_assert_eq(stat_rights(X_OK, &any), RIGHT_READ);
	cr_assert_eq(stat_rights(W_OK, &any), RIGHT_WRITE);
	cr_assert_eq(stat_rights(R_OK | W_OK | X_OK, &any), RIGHT_READ | RIGHT_WRITE);
	cr_assert_not(any);
}
