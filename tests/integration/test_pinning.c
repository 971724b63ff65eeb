/*
 * Descriptors whose close never ends, sent by one user (sys/closer.h): a
 * real `fdbroker serve` is sent, by a rawclient running as nobody, opens
 * that each carry a TCP connection whose last close waits for its peer
 * (SO_LINGER 60 s, a peer that never reads).  Each such close holds a
 * closer thread.  The broker must take no more of them than
 * CLOSER_BACKLOG: the user's connections rest, their records waiting in
 * their own sockets, rather than the broker's descriptor table filling with a
 * queue of closes that wait behind the stuck ones.  Meanwhile another
 * user is served, and once the peers are gone everything is let go.  Then
 * the same user connects again and again, each time sending one such open
 * and hanging up: connections past its limit are refused, and each one
 * let go while its closes are stuck is parked in flight (sys/closer.h), so
 * that costs the broker no descriptor either.
 *
 * Before, the broker read every record, and each descriptor waited in the
 * one queue behind eight stuck threads: one user could fill the broker's
 * RLIMIT_NOFILE so, and everyone's closes waited too.
 *
 * Every wait is a round trip of a well-behaved client (a full pass of the
 * broker's loop, which reads one record of each ready connection), never
 * a sleep.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "served.h"
#include "spawn.h"
#include "sys/closer.h"

#define WAIT_MS 20000
/* More than the backlog, on 7 connections (rawclient puts 10 on each). */
#define PINS (CLOSER_BACKLOG + 6)
/* Connections after them, each with one (fewer than CLOSER_PARKED), and nobody's limit. */
#define CYCLES 200
#define PER_USER "8"

TestSuite(pinning, .fini = p_suite_fini, .timeout = 60);

static struct served srv;
static const char *secret;

/* A brokered open as daemon (uid 1): another user than the one whose closes are stuck. */
static void other_user(void)
{
	const char *out = served_raw(&srv, "1", "1", false,
				     (char *[]){ "open", (char *)secret, "3", NULL });

	cr_assert_str_eq(out, "ok 3", "another user, while nobody's closes are stuck: %s", out);
}

Test(pinning, one_users_stuck_closes_pin_at_most_the_backlog)
{
	char text[512], pins[16], cycles[16];
	struct proc pin;
	const char *line;
	int base, fds = 0, passes = 0, sent = 0;

	secret = h_file("secret", "root only\n", 0600);
	snprintf(text, sizeof(text), "allow user nobody open %s read\nallow user daemon open %s "
		 "read\n", secret, secret);
	served_start_args(&srv, h_file("policy", text, 0644),
			  (char *[]){ "--max-clients-per-user", PER_USER, NULL }, WAIT_MS);
	base = srv.base_fds;
	snprintf(pins, sizeof(pins), "%d", PINS);
	snprintf(cycles, sizeof(cycles), "%d", CYCLES);
	p_start(&pin,
		(char *[]){ (char *)h_rawclient(), "-u", "65534", "-g", "65534", (char *)srv.sock,
			    "pin", pins, cycles, (char *)secret, NULL },
		NULL, h_path("pin.err"));
	line = p_line(&pin, WAIT_MS);
	/* all of the first connections', and those of the others that went before their refusal */
	cr_assert(line && sscanf(line, "sent %d", &sent) == 1 && sent >= PINS, "rawclient: %s",
		  line ? line : "(nothing)");
	/* a record of nobody's a pass: the backlog is reached, never passed */
	while ((fds = served_fds(&srv)) < base + CLOSER_BACKLOG && passes++ < 4 * PINS)
		other_user();
	cr_assert_geq(fds, base + CLOSER_BACKLOG, "the broker took %d of nobody's, of %d",
		      fds - base, PINS);
	/* every connection seen: the refusals of those past the limit are logged */
	cr_assert_eq(wait_for_text(srv.log, "(--max-clients-per-user)", WAIT_MS), 0);
	for (int i = 0; i < 30; i++)
		other_user();
	fds = served_fds(&srv);
	/* the backlog, nobody's connections, and a carrier or two of the parked ones */
	cr_assert_leq(fds, base + CLOSER_BACKLOG + atoi(PER_USER) + 3, "the broker holds %d "
		      "descriptors more than at rest, for closes of nobody's that wait (backlog %d, "
		      "%s connections)", fds - base, CLOSER_BACKLOG, PER_USER);
	/* the peers go: the stuck closes end, and the rest of nobody's records are read */
	p_stop(&pin);
	served_settle_fds(&srv, base, other_user);
	cr_assert_eq(served_stop(&srv), 0, "broker did not exit cleanly");
}
