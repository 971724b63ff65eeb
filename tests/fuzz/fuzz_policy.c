/*
 * libFuzzer target for the policy parser (helper/policy/).
 *
 * The bytes are a policy file's text (and, when they are one line, a `run
 * -a` rule).  Whatever parses is then asked a fixed set of questions, so the
 * decision code walks rules the parser built from hostile text.  User and
 * group names go through getpwnam/getgrnam as they do in the broker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * Each input allocates a line buffer and a rule array of some 15 KB; with
 * ASan's default 256 MB quarantine every run touches fresh pages and the
 * target crawls at a third of its speed.  16 MB still holds the frees of
 * hundreds of runs, so a use after free within one run is still caught.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static void sink(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

static struct request open_req(const char *path, unsigned rights)
{
	struct request r = { .op = OP_OPEN };

	r.u.open.path = path;
	r.u.open.rights = rights;
	return r;
}

static struct request socket_req(int family, int type, int protocol)
{
	struct request r = { .op = OP_SOCKET };

	r.u.socket.family = family;
	r.u.socket.type = type;
	r.u.socket.protocol = protocol;
	return r;
}

static struct request net_req(enum op op, enum proto proto, int family, const char *ip,
			      uint16_t port, const char *path)
{
	struct request r = { .op = op };

	r.u.net.proto = proto;
	r.u.net.ep.family = family;
	if (family == AF_INET)
		memcpy(r.u.net.ep.ip, ip, 4);
	else if (family == AF_INET6)
		memcpy(r.u.net.ep.ip, ip, 16);
	r.u.net.ep.port = port;
	if (path)
		strcpy(r.u.net.ep.path, path);
	return r;
}

static void ask(const struct policy *p)
{
	static const gid_t groups[] = { 4, 27, 101 };
	const struct subject subjects[] = {
		{ .uid = 0, .gid = 0 },
		{ .uid = 33, .gid = 33, .groups = groups, .ngroups = 3 },
		{ .uid = 65534, .gid = 65534 },
	};
	const struct request reqs[] = {
		open_req("/etc/shadow", RIGHT_READ),
		open_req("/etc/ssl/private", RIGHT_READ),
		open_req("/etc/ssl/private/key.pem", RIGHT_READ | RIGHT_WRITE),
		open_req("/var/lib/db/dump.sql", RIGHT_CREATE | RIGHT_WRITE),
		open_req("/", RIGHT_WRITE),
		open_req("/srv/a b\n#", RIGHT_READ),
		socket_req(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1),
		socket_req(AF_PACKET, SOCK_RAW, 0x0300),
		net_req(OP_BIND, PROTO_TCP, AF_INET, "\0\0\0\0", 80, NULL),
		net_req(OP_BIND, PROTO_TCP, AF_INET6,
			"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 443, NULL),
		net_req(OP_BIND, PROTO_UDP, AF_INET, "\177\0\0\1", 53, NULL),
		net_req(OP_ACCEPT, PROTO_TCP, AF_INET, "\12\1\2\3", 8443, NULL),
		net_req(OP_BIND, PROTO_UNIX, AF_UNIX, NULL, 0, "/run/app/app.sock"),
	};
	size_t i, j;
	char buf[64];

	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		for (j = 0; j < sizeof(reqs) / sizeof(reqs[0]); j++) {
			struct decision d = policy_decide(p, &subjects[i], &reqs[j]);

			if (d.rule) {
				if (d.rule->verdict != d.verdict || !d.rule->text || !d.rule->file)
					abort();
				(void)op_name(d.rule->op);
				if (d.rule->op == OP_OPEN)
					rights_format(d.rule->u.open.rights, buf, sizeof(buf));
				else if (d.rule->op != OP_SOCKET)
					policy_addr_format(&d.rule->u.net.addr, buf, sizeof(buf));
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct policy p;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	policy_init(&p);
	(void)policy_parse_text(&p, "fuzz", text, sink, NULL);
	ask(&p);
	policy_free(&p);

	if (!memchr(text, '\n', strlen(text))) {
		policy_init(&p);
		(void)policy_parse_inline(&p, 1000, "-a", 1, text, sink, NULL);
		ask(&p);
		policy_free(&p);
	}
	free(text);
	return 0;
}
