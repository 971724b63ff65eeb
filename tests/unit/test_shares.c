/* Fair shares: the per-uid records and the once-a-second rate of refusal lines. */
#include <criterion/criterion.h>
#include <getopt.h>

#include "core/shares.h"

TestSuite(shares);

static unsigned told, told_count;

static void tell(void *ctx, const struct share *s)
{
	(void)ctx;
	told++;
	told_count += s->suppressed;
}

Test(shares, refusals_are_told_at_most_once_a_second)
{
	struct shares t = { 0 };
	struct share *s = share_get(&t, 65534);
	unsigned untold = 99;

	cr_assert_not_null(s);
	told = told_count = 0;
	cr_assert(share_refused(s, 10000, &untold));
	cr_assert_eq(untold, 0);
	cr_assert_not(share_refused(s, 10001, &untold));
	/* 1000 whole ms of the clock may be a hair under a second: still quiet */
	cr_assert_not(share_refused(s, 11000, &untold));
	/* within the second: nothing to say yet */
	cr_assert(shares_tick(&t, 10500, tell, NULL));
	cr_assert(shares_tick(&t, 11000, tell, NULL));
	cr_assert_eq(told, 0);
	/* a second surely on: the two not logged are told, once */
	cr_assert(shares_tick(&t, 10000 + SHARES_QUIET_MS, tell, NULL));
	cr_assert_eq(told, 1);
	cr_assert_eq(told_count, 2);
	/* that line counts as the uid's line of this second */
	cr_assert_not(share_refused(s, 11500, &untold));
	cr_assert(share_refused(s, 11001 + SHARES_QUIET_MS, &untold));
	cr_assert_eq(untold, 1);
	/* quiet: the record goes once it holds nothing and a second has passed */
	cr_assert(shares_tick(&t, 12500, tell, NULL));
	cr_assert_not(shares_tick(&t, 12002 + SHARES_QUIET_MS, tell, NULL));
	cr_assert_eq(told, 1);
	shares_free(&t);
}

Test(shares, records_per_uid_live_while_they_hold_something)
{
	struct shares t = { 0 };
	struct share *a = share_get(&t, 1), *b = share_get(&t, 1 + SHARES_BUCKETS);

	cr_assert(a && b && a != b);
	cr_assert_eq(share_get(&t, 1), a);
	a->conns = 1;
	share_release(&t, a, 0);
	cr_assert_eq(share_get(&t, 1), a, "a record holding a connection was freed");
	share_release(&t, b, 0);
	cr_assert_eq(share_get(&t, 1), a);
	a->conns = 0;
	share_release(&t, a, 0);
	shares_free(&t);
}

Test(shares, options_and_defaults)
{
	struct limits l = { 0 };

	cr_assert_eq(limits_option(&l, LIMITS_OPT_BASE + 1, "1000"), 1);
	cr_assert_eq(limits_option(&l, LIMITS_OPT_BASE + 4, "5"), 1);
	cr_assert_eq(limits_option(&l, LIMITS_OPT_BASE, "0"), -1);
	cr_assert_eq(limits_option(&l, LIMITS_OPT_BASE, "-3"), -1);
	cr_assert_eq(limits_option(&l, LIMITS_OPT_BASE, "12x"), -1);
	cr_assert_eq(limits_option(&l, 'p', "1"), 0);
	limits_default(&l);
	cr_assert_eq(l.clients_per_user, 1000);
	cr_assert_eq(l.grace_s, 5);
	cr_assert_eq(l.clients, 8192);
	cr_assert_eq(l.listeners, 4096);
	cr_assert_eq(l.listeners_per_user, 256);
}
