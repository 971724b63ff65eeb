/*
 * The writes into targets shared out among owners (helper/front/write_queue.c):
 * WQ_OWNER_POSTED per owner and WQ_POSTED in all go to the pool; the rest
 * wait, oldest first, each for a place its own owner may take; an owner
 * with WQ_OWNER_WAITING waiting is refused; the broker's close drains them.
 */
#include <criterion/criterion.h>

#include "front/notif.h"
#include "front/write_queue.h"

TestSuite(write_queue);

#define N 100

static struct notif ns[N];
static struct write_queue q;

static void reset(void)
{
	q = (struct write_queue){ 0 };
	for (int i = 0; i < N; i++) {
		ns[i].wq_place = -1;
		ns[i].next = NULL;
	}
}

Test(write_queue, an_owner_has_its_share_and_then_waits)
{
	reset();
	for (int i = 0; i < WQ_OWNER_POSTED; i++)
		cr_assert_eq(wq_add(&q, &ns[i], 1000), WQ_POST, "write %d", i);
	cr_assert_eq(wq_add(&q, &ns[4], 1000), WQ_WAIT);
	cr_assert_eq(wq_add(&q, &ns[5], 1000), WQ_WAIT);
	cr_assert_null(wq_next(&q), "no place of its owner's is free");
	/* another owner is not held by the first's */
	cr_assert_eq(wq_add(&q, &ns[6], 2000), WQ_POST);
	/* one of 1000's ends: its oldest waiting write takes the place */
	wq_done(&q, &ns[1]);
	cr_assert_eq(ns[1].wq_place, -1);
	cr_assert_eq(wq_next(&q), &ns[4]);
	cr_assert_geq(ns[4].wq_place, 0);
	cr_assert_null(wq_next(&q));
	wq_done(&q, &ns[4]);
	cr_assert_eq(wq_next(&q), &ns[5]);
	cr_assert_null(wq_drain(&q), "none waits");
}

Test(write_queue, all_owners_together_have_half_the_pool)
{
	int i;

	reset();
	/* WQ_POSTED owners with one write each fill the places */
	for (i = 0; i < WQ_POSTED; i++)
		cr_assert_eq(wq_add(&q, &ns[i], (uid_t)i), WQ_POST);
	cr_assert_eq(wq_add(&q, &ns[i], 500), WQ_WAIT, "a new owner waits too");
	cr_assert_eq(wq_add(&q, &ns[i + 1], 0), WQ_WAIT);
	/* owner 3's place: the oldest that may take it, 500's */
	wq_done(&q, &ns[3]);
	cr_assert_eq(wq_next(&q), &ns[i]);
	cr_assert_eq(q.posted[ns[i].wq_place].owner, 500);
	cr_assert_null(wq_next(&q));
}

Test(write_queue, the_oldest_that_may_go_goes_past_those_that_may_not)
{
	reset();
	for (int i = 0; i < WQ_OWNER_POSTED; i++)
		cr_assert_eq(wq_add(&q, &ns[i], 7), WQ_POST);
	for (int i = 0; i < WQ_POSTED - WQ_OWNER_POSTED; i++)
		cr_assert_eq(wq_add(&q, &ns[10 + i], 8 + (uid_t)i), WQ_POST);
	cr_assert_eq(wq_add(&q, &ns[20], 7), WQ_WAIT);
	cr_assert_eq(wq_add(&q, &ns[21], 99), WQ_WAIT);
	/* a place of an owner other than 7: 7 has its share still, 99 goes first */
	wq_done(&q, &ns[10]);
	cr_assert_eq(wq_next(&q), &ns[21]);
	cr_assert_null(wq_next(&q));
	wq_done(&q, &ns[0]);
	cr_assert_eq(wq_next(&q), &ns[20]);
	cr_assert_null(q.head);
	cr_assert_null(q.tail);
}

Test(write_queue, an_owner_with_too_many_waiting_is_refused_and_close_drains_them)
{
	int i, drained = 0;

	reset();
	for (i = 0; i < WQ_OWNER_POSTED; i++)
		cr_assert_eq(wq_add(&q, &ns[i], 1), WQ_POST);
	for (; i < WQ_OWNER_POSTED + WQ_OWNER_WAITING; i++)
		cr_assert_eq(wq_add(&q, &ns[i], 1), WQ_WAIT, "write %d", i);
	cr_assert_eq(wq_add(&q, &ns[i], 1), WQ_REFUSE);
	cr_assert_eq(wq_add(&q, &ns[i], 2), WQ_POST, "another owner still has its share");
	for (struct notif *n; (n = wq_drain(&q)); drained++)
		cr_assert_eq(n, &ns[WQ_OWNER_POSTED + drained], "oldest first");
	cr_assert_eq(drained, WQ_OWNER_WAITING);
	cr_assert_null(q.tail);
}
