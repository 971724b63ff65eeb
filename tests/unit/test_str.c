/*
 * The bounded copies a decision's texts are built with (policy/str.c):
 * cut to fit and always ended, as snprintf("%s") cut them before.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/str.h"

Test(str, copy_cuts_to_fit_and_tells_the_whole_length)
{
	char buf[8];

	cr_assert_eq(str_copy(buf, sizeof(buf), "short"), 5);
	cr_assert_str_eq(buf, "short");
	cr_assert_eq(str_copy(buf, sizeof(buf), "much longer"), 11);
	cr_assert_str_eq(buf, "much lo");
	cr_assert_eq(str_copy(buf, 1, "x"), 1);
	cr_assert_str_eq(buf, "");
	buf[0] = 'z';
	cr_assert_eq(str_copy(buf, 0, "xy"), 2);
	cr_assert_eq(buf[0], 'z'); /* no room: nothing written, as snprintf */
}

Test(str, append_stops_at_the_end_and_keeps_it_ended)
{
	char buf[10];
	size_t at = 0;

	str_append(buf, sizeof(buf), &at, "rights=");
	str_append_uint(buf, sizeof(buf), &at, 0);
	cr_assert_str_eq(buf, "rights=0");
	cr_assert_eq(at, 8);
	str_append(buf, sizeof(buf), &at, ",write");
	cr_assert_str_eq(buf, "rights=0,");
	cr_assert_eq(at, 9);
	str_append_uint(buf, sizeof(buf), &at, 4294967295UL);
	cr_assert_str_eq(buf, "rights=0,");
	at = 0;
	str_append_uint(buf, sizeof(buf), &at, 4294967295UL);
	cr_assert_str_eq(buf, "429496729");
	at = sizeof(buf);
	str_append(buf, sizeof(buf), &at, "more");
	cr_assert_eq(at, sizeof(buf));
	cr_assert_str_eq(buf, "429496729");
}

Test(str, rights_and_rule_names_as_before)
{
	struct rule r = { .file = "/etc/fdbroker/policy", .line = 12 };
	char buf[64];

	rights_format(RIGHT_READ | RIGHT_WRITE, buf, sizeof(buf));
	cr_assert_str_eq(buf, "read,write");
	rights_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "all");
	rights_format(RIGHT_READ | RIGHT_WRITE, buf, 7);
	cr_assert_str_eq(buf, "read,w");
	rule_name(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, "/etc/fdbroker/policy:12");
	rule_name(NULL, buf, sizeof(buf));
	cr_assert_str_eq(buf, "default");
	rule_name(&r, buf, 10);
	cr_assert_str_eq(buf, "/etc/fdbr");
}
