/*
 * The policy's words: rights, socket families, types and protocols, the
 * bind and accept protocols, and the operations.  The grammar reads them
 * through name_lookup; messages, explain and the audit log write them back
 * through the functions at the end.
 */
#include "policy/parse.h"
#include "policy/str.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

bool name_lookup(const struct name *tab, const char *s, int *out)
{
	for (; tab->s; tab++) {
		if (strcmp(tab->s, s) == 0) {
			*out = tab->value;
			return true;
		}
	}
	return false;
}

static const char *name_of(const struct name *tab, int value)
{
	for (; tab->s; tab++)
		if (tab->value == value)
			return tab->s;
	return NULL;
}

const struct name right_names[] = {
	{ "read", RIGHT_READ }, { "write", RIGHT_WRITE }, { "create", RIGHT_CREATE },
	{ NULL, 0 },
};

const struct name family_names[] = {
	{ "inet", AF_INET }, { "inet6", AF_INET6 }, { "packet", AF_PACKET },
	{ "netlink", AF_NETLINK }, { "unix", AF_UNIX }, { NULL, 0 },
};

const struct name type_names[] = {
	{ "stream", SOCK_STREAM }, { "dgram", SOCK_DGRAM }, { "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET }, { NULL, 0 },
};

const struct name protocol_names[] = {
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 }, { "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP }, { "all", PROTOCOL_ALL }, { NULL, 0 },
};

const struct name proto_names[] = {
	{ "tcp", PROTO_TCP }, { "udp", PROTO_UDP }, { "unix", PROTO_UNIX }, { NULL, 0 },
};

const struct name op_names[] = {
	{ "open", OP_OPEN }, { "socket", OP_SOCKET }, { "bind", OP_BIND },
	{ "accept", OP_ACCEPT }, { NULL, 0 },
};

const char *socket_family_name(int family)
{
	return name_of(family_names, family);
}

const char *socket_type_name(int type)
{
	return name_of(type_names, type);
}

void rights_format(unsigned rights, char *buf, size_t len)
{
	const struct name *n;
	size_t at = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (rights == 0) {
		str_copy(buf, len, "all");
		return;
	}
	for (n = right_names; n->s; n++) {
		if (!(rights & (unsigned)n->value))
			continue;
		if (at)
			str_append(buf, len, &at, ",");
		str_append(buf, len, &at, n->s);
	}
}

const char *op_name(enum op op)
{
	const char *s = name_of(op_names, (int)op);

	return s ? s : "?";
}
