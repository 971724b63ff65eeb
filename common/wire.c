/* The broker protocol codec; see wire.h for the layout. */
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_hdr(unsigned char *p, uint16_t op, uint32_t len, uint32_t seq)
{
	uint32_t magic = FDB_MAGIC;
	uint16_t version = FDB_VERSION;

	memcpy(p, &magic, 4);
	memcpy(p + 4, &version, 2);
	memcpy(p + 6, &op, 2);
	put_u32(p + 8, len);
	put_u32(p + 12, seq);
}

/* OPEN and STAT: n u32 (the last one has_dirfd) and a path filling the record. */
static int encode_path_req(void *buf, size_t cap, uint16_t op, uint32_t seq, const uint32_t *v,
			   size_t n, const char *path)
{
	unsigned char *p = buf;
	size_t plen, len;

	if (!path)
		return -EINVAL;
	plen = strnlen(path, FDB_PATH_MAX);
	if (plen == 0)
		return -EINVAL;
	if (plen >= FDB_PATH_MAX)
		return -EMSGSIZE;
	len = FDB_HDR_LEN + 4 * n + plen + 1;
	if (len > cap || len > FDB_MSG_MAX)
		return -EMSGSIZE;
	put_hdr(p, op, (uint32_t)len, seq);
	for (size_t i = 0; i < n; i++)
		put_u32(p + FDB_HDR_LEN + 4 * i, v[i]);
	memcpy(p + FDB_HDR_LEN + 4 * n, path, plen + 1);
	return (int)len;
}

int wire_encode_open(void *buf, size_t cap, uint32_t seq, const struct fdb_open_req *r)
{
	const uint32_t v[3] = { r->flags, r->mode, r->has_dirfd ? 1 : 0 };

	return encode_path_req(buf, cap, FDB_OP_OPEN, seq, v, 3, r->path);
}

int wire_encode_stat(void *buf, size_t cap, uint32_t seq, const struct fdb_stat_req *r)
{
	const uint32_t v[4] = { r->at_flags, r->amode, r->mask, r->has_dirfd ? 1 : 0 };

	return encode_path_req(buf, cap, FDB_OP_STAT, seq, v, 4, r->path);
}

int wire_encode_reply(void *buf, size_t cap, uint32_t seq, const struct fdb_reply *r)
{
	unsigned char *p = buf;
	bool stx = r->rflags & FDB_REPLY_STATX;
	size_t len = stx ? FDB_REPLY_MAX : FDB_REPLY_LEN;

	if (len > cap)
		return -EMSGSIZE;
	if (stx && r->status != 0)
		return -EINVAL;
	put_hdr(p, FDB_OP_REPLY, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, (uint32_t)r->status);
	put_u32(p + FDB_HDR_LEN + 4, r->rflags);
	if (stx)
		memcpy(p + FDB_REPLY_LEN, &r->stx, sizeof(r->stx));
	return (int)len;
}

void wire_set_seq(void *buf, uint32_t seq)
{
	put_u32((unsigned char *)buf + 12, seq);
}

int wire_decode_hdr(const void *buf, size_t len, struct fdb_hdr *out)
{
	const unsigned char *p = buf;

	if (len < FDB_HDR_LEN)
		return -EBADMSG;
	memcpy(&out->magic, p, 4);
	memcpy(&out->version, p + 4, 2);
	memcpy(&out->op, p + 6, 2);
	out->len = get_u32(p + 8);
	out->seq = get_u32(p + 12);
	if (out->magic != FDB_MAGIC)
		return -EPROTO;
	if (out->version != FDB_VERSION)
		return -EPROTONOSUPPORT;
	if (len > FDB_MSG_MAX || out->len > FDB_MSG_MAX)
		return -EMSGSIZE;
	if (out->len != len)
		return -EBADMSG;
	return 0;
}

/* OPEN and STAT: n u32 (the last one has_dirfd, 0 or 1) and the path. */
static int decode_path_req(const void *buf, size_t len, uint32_t *v, size_t n, const char **out)
{
	const unsigned char *p = buf;
	const char *path;
	size_t plen;

	/* header, n u32, at least one path byte and its NUL */
	if (len < FDB_HDR_LEN + 4 * n + 2 || len > FDB_MSG_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		v[i] = get_u32(p + FDB_HDR_LEN + 4 * i);
	if (v[n - 1] > 1)
		return -EBADMSG;
	path = (const char *)p + FDB_HDR_LEN + 4 * n;
	plen = len - (FDB_HDR_LEN + 4 * n);
	/* exactly one NUL, and it is the last byte; FDB_PATH_MAX with it at most */
	if (plen > FDB_PATH_MAX || path[plen - 1] != '\0' || strnlen(path, plen) != plen - 1)
		return -EBADMSG;
	*out = path;
	return 0;
}

int wire_decode_open(const void *buf, size_t len, struct fdb_open_req *out)
{
	uint32_t v[3];
	int rc = decode_path_req(buf, len, v, 3, &out->path);

	if (rc < 0)
		return rc;
	out->flags = v[0];
	out->mode = v[1];
	out->has_dirfd = v[2];
	return 0;
}

int wire_decode_stat(const void *buf, size_t len, struct fdb_stat_req *out)
{
	uint32_t v[4];
	int rc = decode_path_req(buf, len, v, 4, &out->path);
	bool is_stat;

	if (rc < 0)
		return rc;
	is_stat = v[1] == FDB_AMODE_STAT;
	if (!is_stat && v[1] > 7)
		return -EBADMSG;
	/*
	 * access: no sync flags, no mask; stat: statx(2)'s sync type (one of
	 * its two flags at most) and a mask without its reserved bit
	 */
	if (v[0] & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | (is_stat ? AT_STATX_SYNC_TYPE : 0)) ||
	    (v[0] & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (!is_stat && v[2]) ||
	    (v[2] & STATX__RESERVED))
		return -EBADMSG;
	out->at_flags = v[0];
	out->amode = v[1];
	out->mask = v[2];
	out->has_dirfd = v[3];
	return 0;
}

int wire_decode_reply(const void *buf, size_t len, struct fdb_reply *out)
{
	const unsigned char *p = buf;

	if (len != FDB_REPLY_LEN && len != FDB_REPLY_MAX)
		return -EBADMSG;
	out->status = (int32_t)get_u32(p + FDB_HDR_LEN);
	out->rflags = get_u32(p + FDB_HDR_LEN + 4);
	if (out->status < 0 || out->status > 4095)
		return -EBADMSG;
	/* a statx comes with its flag, and only with a success */
	if ((len == FDB_REPLY_MAX) != !!(out->rflags & FDB_REPLY_STATX) ||
	    (len == FDB_REPLY_MAX && out->status != 0))
		return -EBADMSG;
	if (len == FDB_REPLY_MAX)
		memcpy(&out->stx, p + FDB_REPLY_LEN, sizeof(out->stx));
	return 0;
}

int wire_encode_socket(void *buf, size_t cap, uint32_t seq, const struct fdb_socket_req *r)
{
	unsigned char *p = buf;
	size_t len = FDB_HDR_LEN + 12;

	if (len > cap)
		return -EMSGSIZE;
	put_hdr(p, FDB_OP_SOCKET, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, (uint32_t)r->family);
	put_u32(p + FDB_HDR_LEN + 4, (uint32_t)r->type);
	put_u32(p + FDB_HDR_LEN + 8, (uint32_t)r->protocol);
	return (int)len;
}

int wire_decode_socket(const void *buf, size_t len, struct fdb_socket_req *out)
{
	const unsigned char *p = buf;

	if (len != FDB_HDR_LEN + 12)
		return -EBADMSG;
	out->family = (int32_t)get_u32(p + FDB_HDR_LEN);
	out->type = (int32_t)get_u32(p + FDB_HDR_LEN + 4);
	out->protocol = (int32_t)get_u32(p + FDB_HDR_LEN + 8);
	return 0;
}

int wire_encode_addr(void *buf, size_t cap, uint16_t op, uint32_t seq, const struct fdb_addr *a)
{
	unsigned char *p = buf;
	size_t len;

	if (op != FDB_OP_CONN || a->len == 0 || a->len > FDB_SOCKADDR_MAX)
		return -EINVAL;
	len = FDB_HDR_LEN + 4 + a->len;
	if (len > cap)
		return -EMSGSIZE;
	put_hdr(p, op, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, a->len);
	memcpy(p + FDB_HDR_LEN + 4, a->addr, a->len);
	return (int)len;
}

int wire_decode_addr(const void *buf, size_t len, struct fdb_addr *out)
{
	const unsigned char *p = buf;

	if (len < FDB_HDR_LEN + 4 + 2 || len > FDB_HDR_LEN + 4 + FDB_SOCKADDR_MAX)
		return -EBADMSG;
	out->len = get_u32(p + FDB_HDR_LEN);
	if (out->len != len - FDB_HDR_LEN - 4)
		return -EBADMSG;
	memset(out->addr, 0, sizeof(out->addr));
	memcpy(out->addr, p + FDB_HDR_LEN + 4, out->len);
	return 0;
}

int wire_encode_bind(void *buf, size_t cap, uint32_t seq, const struct fdb_bind_req *r)
{
	unsigned char *p = buf;
	size_t len;

	if (r->a.len == 0 || r->a.len > FDB_SOCKADDR_MAX || r->umask > 0777)
		return -EINVAL;
	len = FDB_HDR_LEN + 8 + r->a.len;
	if (len > cap)
		return -EMSGSIZE;
	put_hdr(p, FDB_OP_BIND, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, r->a.len);
	put_u32(p + FDB_HDR_LEN + 4, r->umask);
	memcpy(p + FDB_HDR_LEN + 8, r->a.addr, r->a.len);
	return (int)len;
}

int wire_decode_bind(const void *buf, size_t len, struct fdb_bind_req *out)
{
	const unsigned char *p = buf;

	if (len < FDB_HDR_LEN + 8 + 2 || len > FDB_HDR_LEN + 8 + FDB_SOCKADDR_MAX)
		return -EBADMSG;
	out->a.len = get_u32(p + FDB_HDR_LEN);
	out->umask = get_u32(p + FDB_HDR_LEN + 4);
	if (out->a.len != len - FDB_HDR_LEN - 8 || out->umask > 0777)
		return -EBADMSG;
	memset(out->a.addr, 0, sizeof(out->a.addr));
	memcpy(out->a.addr, p + FDB_HDR_LEN + 8, out->a.len);
	return 0;
}

int wire_encode_reopen(void *buf, size_t cap, uint32_t seq, const struct fdb_reopen_req *r)
{
	unsigned char *p = buf;
	size_t nlen, len;

	if (!r->name || r->fd > INT32_MAX)
		return -EINVAL;
	nlen = strnlen(r->name, FDB_PATH_MAX);
	if (nlen == 0)
		return -EINVAL;
	if (nlen >= FDB_PATH_MAX)
		return -EMSGSIZE;
	len = FDB_HDR_LEN + 8 + nlen + 1;
	if (len > cap || len > FDB_MSG_MAX)
		return -EMSGSIZE;
	put_hdr(p, FDB_OP_REOPEN, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, r->flags);
	put_u32(p + FDB_HDR_LEN + 4, r->fd);
	memcpy(p + FDB_HDR_LEN + 8, r->name, nlen + 1);
	return (int)len;
}

int wire_decode_reopen(const void *buf, size_t len, struct fdb_reopen_req *out)
{
	const unsigned char *p = buf;
	const char *name;
	size_t nlen;

	/* header, two u32, at least one name byte and its NUL */
	if (len < FDB_HDR_LEN + 8 + 2 || len > FDB_MSG_MAX)
		return -EBADMSG;
	out->flags = get_u32(p + FDB_HDR_LEN);
	out->fd = get_u32(p + FDB_HDR_LEN + 4);
	if (out->fd > INT32_MAX)
		return -EBADMSG;
	name = (const char *)p + FDB_HDR_LEN + 8;
	nlen = len - (FDB_HDR_LEN + 8);
	if (name[nlen - 1] != '\0' || strnlen(name, nlen) != nlen - 1)
		return -EBADMSG;
	out->name = name;
	return 0;
}

int wire_encode_sockopt(void *buf, size_t cap, uint32_t seq, const struct fdb_sockopt_req *r)
{
	unsigned char *p = buf;
	size_t len;

	if (r->vlen == 0 || r->vlen > FDB_SOCKOPT_MAX)
		return -EINVAL;
	len = FDB_HDR_LEN + 12 + r->vlen;
	if (len > cap)
		return -EMSGSIZE;
	put_hdr(p, FDB_OP_SOCKOPT, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, (uint32_t)r->level);
	put_u32(p + FDB_HDR_LEN + 4, (uint32_t)r->optname);
	put_u32(p + FDB_HDR_LEN + 8, r->vlen);
	memcpy(p + FDB_HDR_LEN + 12, r->value, r->vlen);
	return (int)len;
}

int wire_decode_sockopt(const void *buf, size_t len, struct fdb_sockopt_req *out)
{
	const unsigned char *p = buf;

	if (len < FDB_HDR_LEN + 12 + 1 || len > FDB_HDR_LEN + 12 + FDB_SOCKOPT_MAX)
		return -EBADMSG;
	out->level = (int32_t)get_u32(p + FDB_HDR_LEN);
	out->optname = (int32_t)get_u32(p + FDB_HDR_LEN + 4);
	out->vlen = get_u32(p + FDB_HDR_LEN + 8);
	if (out->vlen != len - FDB_HDR_LEN - 12)
		return -EBADMSG;
	memset(out->value, 0, sizeof(out->value));
	memcpy(out->value, p + FDB_HDR_LEN + 12, out->vlen);
	return 0;
}

int wire_encode_supervise(void *buf, size_t cap, uint16_t op, uint32_t seq,
			  const struct fdb_supervise_req *r)
{
	unsigned char *p = buf;
	size_t len = FDB_HDR_LEN + 4;

	if ((op != FDB_OP_ADMIT && op != FDB_OP_HANDOVER) || r->flags != 0)
		return -EINVAL;
	if (len > cap)
		return -EMSGSIZE;
	put_hdr(p, op, (uint32_t)len, seq);
	put_u32(p + FDB_HDR_LEN, r->flags);
	return (int)len;
}

int wire_decode_supervise(const void *buf, size_t len, struct fdb_supervise_req *out)
{
	const unsigned char *p = buf;

	if (len != FDB_HDR_LEN + 4)
		return -EBADMSG;
	out->flags = get_u32(p + FDB_HDR_LEN);
	return out->flags == 0 ? 0 : -EBADMSG;
}
