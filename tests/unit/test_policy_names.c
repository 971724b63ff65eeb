/* helper/policy/names.c: the policy's words written back, for messages and the audit log. */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "policy_fixture.h"

TestSuite(policy_names, .init = policy_fixture_init, .fini = policy_fixture_fini,
	  .timeout = 10);

Test(policy_names, rights_format_and_op_name)
{
	char buf[64], small[8];

	rights_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "all");
	rights_format(RIGHT_CREATE | RIGHT_READ, buf, sizeof(buf));
	cr_assert_str_eq(buf, "read,create");
	rights_format(RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE, buf, sizeof(buf));
	cr_assert_str_eq(buf, "read,write,create");
	rights_format(RIGHT_WRITE, buf, sizeof(buf));
	cr_assert_str_eq(buf, "write");
	rights_format(RIGHT_READ | RIGHT_WRITE | RIGHT_CREATE, small, sizeof(small));
	cr_assert_str_eq(small, "read,wr");
	cr_assert_str_eq(op_name(OP_OPEN), "open");
	cr_assert_str_eq(op_name(OP_SOCKET), "socket");
	cr_assert_str_eq(op_name(OP_BIND), "bind");
	cr_assert_str_eq(op_name(OP_ACCEPT), "accept");
	cr_assert_str_eq(op_name((enum op)0), "?");
}

Test(policy_names, socket_family_and_type_names)
{
	cr_assert_str_eq(socket_family_name(AF_INET), "inet");
	cr_assert_str_eq(socket_family_name(AF_INET6), "inet6");
	cr_assert_str_eq(socket_family_name(AF_PACKET), "packet");
	cr_assert_str_eq(socket_family_name(AF_NETLINK), "netlink");
	cr_assert_str_eq(socket_family_name(AF_UNIX), "unix");
	cr_assert_null(socket_family_name(AF_BLUETOOTH), "no word for it in the policy");
	cr_assert_str_eq(socket_type_name(SOCK_STREAM), "stream");
	cr_assert_str_eq(socket_type_name(SOCK_DGRAM), "dgram");
	cr_assert_str_eq(socket_type_name(SOCK_RAW), "raw");
	cr_assert_str_eq(socket_type_name(SOCK_SEQPACKET), "seqpacket");
	cr_assert_null(socket_type_name(SOCK_RDM));
}
