/*
 * libFuzzer target for the message codec (common/wire.c).
 *
 * The bytes are a record as the broker or the shim receives it: the header
 * first, then the body decoder its op names, the way helper/broker.c and
 * shim/channel.c dispatch.  Every body decoder also sees the raw bytes
 * unchecked, since each promises to check its own lengths.  What decodes
 * must encode back to the very same bytes: a record the decoder accepts but
 * the encoder could never have written is a gap between the two ends.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/addr.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char out[FDB_MSG_MAX];

/* encode(decode(x)) == x, or the fuzzer has found a disagreement. */
static void same(int len, const uint8_t *data, size_t size)
{
	if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
		abort();
}

static void body(uint16_t op, uint32_t seq, const uint8_t *data, size_t size, bool hdr_ok)
{
	struct fdb_open_req o;
	struct fdb_stat_req st;
	struct fdb_socket_req s;
	struct fdb_reply r;
	struct fdb_addr a;
	struct fdb_bind_req br;
	struct fdb_reopen_req ro;
	struct fdb_sockopt_req so;
	struct fdb_supervise_req sv;
	struct endpoint ep;
	char text[256];

	if (wire_decode_open(data, size, &o) == 0) {
		/* the path must end inside the record */
		if (strlen(o.path) >= size)
			abort();
		if (hdr_ok && op == FDB_OP_OPEN)
			same(wire_encode_open(out, sizeof(out), seq, &o), data, size);
	}
	if (wire_decode_reopen(data, size, &ro) == 0) {
		if (strlen(ro.name) >= size || ro.fd > INT32_MAX)
			abort();
		if (hdr_ok && op == FDB_OP_REOPEN)
			same(wire_encode_reopen(out, sizeof(out), seq, &ro), data, size);
	}
	if (wire_decode_stat(data, size, &st) == 0) {
		if (strlen(st.path) >= size || (st.amode != FDB_AMODE_STAT && st.amode > 7))
			abort();
		if (hdr_ok && op == FDB_OP_STAT)
			same(wire_encode_stat(out, sizeof(out), seq, &st), data, size);
	}
	if (wire_decode_socket(data, size, &s) == 0 && hdr_ok && op == FDB_OP_SOCKET)
		same(wire_encode_socket(out, sizeof(out), seq, &s), data, size);
	if (wire_decode_reply(data, size, &r) == 0 && hdr_ok && op == FDB_OP_REPLY)
		same(wire_encode_reply(out, sizeof(out), seq, &r), data, size);
	if (wire_decode_addr(data, size, &a) == 0) {
		if (a.len > FDB_SOCKADDR_MAX)
			abort();
		if (hdr_ok && op == FDB_OP_CONN)
			same(wire_encode_addr(out, sizeof(out), op, seq, &a), data, size);
	}
	if (wire_decode_sockopt(data, size, &so) == 0) {
		if (so.vlen < 1 || so.vlen > FDB_SOCKOPT_MAX)
			abort();
		if (hdr_ok && op == FDB_OP_SOCKOPT)
			same(wire_encode_sockopt(out, sizeof(out), seq, &so), data, size);
	}
	if (wire_decode_supervise(data, size, &sv) == 0) {
		if (sv.flags != 0)
			abort();
		if (hdr_ok && (op == FDB_OP_ADMIT || op == FDB_OP_HANDOVER))
			same(wire_encode_supervise(out, sizeof(out), op, seq, &sv), data, size);
	}
	if (wire_decode_bind(data, size, &br) == 0) {
		if (br.a.len > FDB_SOCKADDR_MAX || br.umask > 0777)
			abort();
		if (hdr_ok && op == FDB_OP_BIND)
			same(wire_encode_bind(out, sizeof(out), seq, &br), data, size);
		/* what helper/grant/net.c does next with a BIND body */
		if (endpoint_from_sockaddr((const struct sockaddr *)br.a.addr, br.a.len, &ep) == 0)
			endpoint_format(&ep, text, sizeof(text));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdb_hdr h;
	int rc = wire_decode_hdr(data, size, &h);

	body(rc == 0 ? h.op : 0, rc == 0 ? h.seq : 0, data, size, rc == 0);
	if (rc == 0 && size <= sizeof(out)) {
		/* restamping the sequence leaves a valid record valid */
		memcpy(out, data, size);
		wire_set_seq(out, h.seq + 1);
		if (wire_decode_hdr(out, size, &h) != 0)
			abort();
	}
	return 0;
}
