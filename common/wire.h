/*
 * The broker protocol: one request or reply per SOCK_SEQPACKET record.
 *
 *   header (16 bytes, fixed forever so versions can refuse each other)
 *     u32 magic  FDB_MAGIC
 *     u16 version
 *     u16 op     FDB_OP_*
 *     u32 len    length of the whole record, header included
 *     u32 seq    chosen by the client, echoed in the reply
 *   body, by op (all integers native byte order: both ends are one host)
 *     OPEN   u32 flags, u32 mode, u32 has_dirfd, then the path, NUL-terminated,
 *            filling the record exactly; with has_dirfd one descriptor rides
 *            along (the directory a relative path starts from)
 *     STAT   u32 at_flags (AT_SYMLINK_NOFOLLOW, and for a stat statx(2)'s
 *            AT_STATX_FORCE_SYNC or AT_STATX_DONT_SYNC), u32 amode, u32 mask,
 *            u32 has_dirfd, then the path as for OPEN, and its descriptor
 *            likewise; amode is FDB_AMODE_STAT for stat (the reply carries
 *            the broker's statx(2) of the object judged, with that mask and
 *            those sync flags: never a descriptor of it), else access(2)'s
 *            mode (F_OK, or R_OK|W_OK|X_OK; mask 0; the reply is only a
 *            status)
 *     SOCKET i32 family, i32 type (SOCK_CLOEXEC/SOCK_NONBLOCK included),
 *            i32 protocol; a socket the program made rides along (its
 *            network namespace is the program's)
 *     BIND   u32 addrlen, u32 umask (the program's, for a unix socket
 *            file), then the sockaddr (addrlen bytes, at most 128); the
 *            program's socket rides along
 *     REOPEN u32 flags, u32 fd (the number the program named), then the name
 *            as the program wrote it (for the log), NUL-terminated, filling
 *            the record exactly; the program's descriptor rides along (the
 *            program's own /dev/stderr, /proc/self/fd/N, ..., reopened by the
 *            broker: helper/grant/reopen.c)
 *     SOCKOPT i32 level, i32 optname, u32 vlen, then the value (vlen bytes,
 *            1 to FDB_SOCKOPT_MAX: an int, or a struct linger), filling the
 *            record exactly; the program's end of a listener channel rides
 *            along (setsockopt on the listener the broker holds)
 *     ADMIT  u32 flags (0): will the broker supervise the sender under the
 *            seccomp filter?  Asked before the filter is installed (a filter
 *            nobody reads fails every trapped call with ENOSYS).  Status 0
 *            reserves a tree for this connection; EAGAIN: the broker's
 *            limit on trees; EPERM: this broker supervises none
 *     HANDOVER u32 flags (0); the sender's seccomp listener rides along.
 *            Only after an ADMIT answered 0 on the same connection.  Status
 *            0: the tree waits for its proof, the marker call (below),
 *            which the sender makes next
 *     REPLY  i32 status (0 or an errno), u32 rflags, then, when rflags has
 *            FDB_REPLY_STATX (status 0 to a stat), a struct statx (the
 *            kernel's layout, sizeof(struct statx) bytes); a descriptor
 *            rides along when status is 0 and the request makes one
 *            (SOCKET, OPEN, REOPEN), or when rflags has FDB_REPLY_LISTENER
 *            (BIND under an accept rule)
 *     CONN   u32 addrlen, then the peer's sockaddr; the accepted connection
 *            rides along.  Sent by the broker, unasked, on a listener
 *            channel (see shim/accept.c)
 *
 * Every record is at most FDB_MSG_MAX bytes and carries at most FDB_FDS_MAX
 * descriptors, checked on both ends.  The codec is pure (bytes in, structs
 * out): it returns a length or 0 on success and a negative errno on failure.
 */
#ifndef FDB_WIRE_H
#define FDB_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define FDB_MAGIC 0x52424446u /* "FDBR" on little-endian hosts */
/*
 * 2: BIND carries the program's umask; 3: SOCKOPT; 4: ADMIT and HANDOVER;
 * 5: a stat is answered with its statx, not a descriptor
 */
#define FDB_VERSION 5
#define FDB_HDR_LEN 16
#define FDB_PATH_MAX 4096 /* PATH_MAX, NUL included */
#define FDB_MSG_MAX (FDB_HDR_LEN + 16 + FDB_PATH_MAX)
/* A reply record: the header, status and rflags, and a stat's statx. */
#define FDB_REPLY_LEN (FDB_HDR_LEN + 8)
#define FDB_REPLY_MAX (FDB_REPLY_LEN + sizeof(struct statx))
#define FDB_FDS_MAX 1
#define FDB_SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */
#define FDB_SOCKOPT_MAX 16   /* an option value: an int, a struct linger */

enum fdb_op {
	FDB_OP_OPEN = 1,
	FDB_OP_SOCKET = 2,
	FDB_OP_BIND = 3,
	FDB_OP_REOPEN = 4,
	FDB_OP_STAT = 5,
	FDB_OP_SOCKOPT = 6,
	FDB_OP_ADMIT = 7,
	FDB_OP_HANDOVER = 8,
	FDB_OP_REPLY = 0x100,
	FDB_OP_CONN = 0x101,
};

/* Reply flags. */
#define FDB_REPLY_DENIED 0x1   /* no rule allowed it: the client keeps its own errno */
#define FDB_REPLY_LISTENER 0x2 /* the descriptor is a listener channel for the socket */
#define FDB_REPLY_STATX 0x4    /* a stat's answer: the record carries its struct statx */

/*
 * A listener channel's broker end is bound to an abstract name that starts
 * with this prefix, followed by the listener's sockaddr in hex, so the shim
 * can recognise the channel and report the listener's address statelessly
 * (getpeername on the program's end).
 */
#define FDB_LISTENER_PREFIX "fdbroker-listener:"

struct fdb_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;
	uint32_t len;
	uint32_t seq;
};

struct fdb_open_req {
	uint32_t flags; /* open(2) flags as the program passed them */
	uint32_t mode;  /* creation mode, the program's umask already applied */
	uint32_t has_dirfd;
	const char *path; /* points into the decoded buffer */
};

struct fdb_reopen_req {
	uint32_t flags;   /* open(2) flags as the program passed them */
	uint32_t fd;      /* N of the name, at most INT_MAX */
	const char *name; /* points into the decoded buffer */
};

/* STAT's amode for a stat (any other value is an access(2) mode). */
#define FDB_AMODE_STAT 0xffffffffu

struct fdb_stat_req {
	uint32_t at_flags; /* AT_SYMLINK_NOFOLLOW; a stat's AT_STATX_SYNC_TYPE bits */
	uint32_t amode;    /* FDB_AMODE_STAT, or F_OK / R_OK|W_OK|X_OK */
	uint32_t mask;     /* a stat's statx(2) mask (STATX_BASIC_STATS for stat(2)); access: 0 */
	uint32_t has_dirfd;
	const char *path; /* points into the decoded buffer */
};

struct fdb_socket_req {
	int32_t family, type, protocol;
};

/* A socket address: the CONN body, and part of BIND's. */
struct fdb_addr {
	uint32_t len;
	unsigned char addr[FDB_SOCKADDR_MAX];
};

struct fdb_bind_req {
	uint32_t umask; /* 0777 bits only */
	struct fdb_addr a;
};

struct fdb_sockopt_req {
	int32_t level, optname;
	uint32_t vlen; /* 1 to FDB_SOCKOPT_MAX */
	unsigned char value[FDB_SOCKOPT_MAX];
};

/*
 * The marker: after a HANDOVER answered 0, the sender makes this call,
 * which its filter traps,
 *
 *	faccessat2(FDB_MARKER_FD, NULL, FDB_MARKER_MODE, FDB_MARKER_FLAGS)
 *
 * and the broker, seeing it arrive on the listener from a thread of the
 * sender's thread group (SO_PEERPIDFD), answers FDB_MARKER_OK: the
 * listener is the sender's own.  The kernel itself never returns a
 * positive value there (without a broker: EBADF or EINVAL; with the
 * listener closed: ENOSYS).
 */
#define FDB_MARKER_FD (-0x4642)
#define FDB_MARKER_MODE 0x46444252u
#define FDB_MARKER_FLAGS 0x4d41524bu
#define FDB_MARKER_OK 0x4642

/* ADMIT and HANDOVER: only flags, 0 for now. */
struct fdb_supervise_req {
	uint32_t flags;
};

struct fdb_reply {
	int32_t status;
	uint32_t rflags;
	struct statx stx; /* with FDB_REPLY_STATX only */
};

/* Encoders: return the record length, or -EMSGSIZE / -EINVAL. */
int wire_encode_open(void *buf, size_t cap, uint32_t seq, const struct fdb_open_req *r);
int wire_encode_stat(void *buf, size_t cap, uint32_t seq, const struct fdb_stat_req *r);
int wire_encode_reply(void *buf, size_t cap, uint32_t seq, const struct fdb_reply *r);
int wire_encode_socket(void *buf, size_t cap, uint32_t seq, const struct fdb_socket_req *r);
/* op: FDB_OP_CONN (the one op whose body is only an address) */
int wire_encode_addr(void *buf, size_t cap, uint16_t op, uint32_t seq, const struct fdb_addr *a);
int wire_encode_bind(void *buf, size_t cap, uint32_t seq, const struct fdb_bind_req *r);
int wire_encode_reopen(void *buf, size_t cap, uint32_t seq, const struct fdb_reopen_req *r);
int wire_encode_sockopt(void *buf, size_t cap, uint32_t seq, const struct fdb_sockopt_req *r);
/* op: FDB_OP_ADMIT or FDB_OP_HANDOVER */
int wire_encode_supervise(void *buf, size_t cap, uint16_t op, uint32_t seq,
			  const struct fdb_supervise_req *r);

/* Stamp a new sequence number into an encoded record. */
void wire_set_seq(void *buf, uint32_t seq);

/*
 * Check a received record's header against its length.  Returns 0, or
 * -EBADMSG (short, or len disagrees), -EPROTO (bad magic),
 * -EPROTONOSUPPORT (other version), -EMSGSIZE (over FDB_MSG_MAX).
 * The header is filled in whenever the magic was right, so a broker can
 * answer a peer of another version in kind.
 */
int wire_decode_hdr(const void *buf, size_t len, struct fdb_hdr *out);

/* Bodies: -EBADMSG on any length, termination or field error. */
int wire_decode_open(const void *buf, size_t len, struct fdb_open_req *out);
int wire_decode_stat(const void *buf, size_t len, struct fdb_stat_req *out);
int wire_decode_reply(const void *buf, size_t len, struct fdb_reply *out);
int wire_decode_socket(const void *buf, size_t len, struct fdb_socket_req *out);
int wire_decode_addr(const void *buf, size_t len, struct fdb_addr *out);
int wire_decode_bind(const void *buf, size_t len, struct fdb_bind_req *out);
int wire_decode_reopen(const void *buf, size_t len, struct fdb_reopen_req *out);
int wire_decode_sockopt(const void *buf, size_t len, struct fdb_sockopt_req *out);
/* ADMIT and HANDOVER alike (the header says which); flags other than 0: -EBADMSG */
int wire_decode_supervise(const void *buf, size_t len, struct fdb_supervise_req *out);

#endif
