/*
 * What the policy's unit tests share (test_policy_*.c): one policy and the
 * errors its parse reported, reset around each test, and the requests the
 * tests put to it.  The policy is global so a test reads pol.rules[i]
 * directly.
 */
#ifndef FDB_TEST_POLICY_FIXTURE_H
#define FDB_TEST_POLICY_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

#define MAX_ERRS 32

struct errs {
	int n;
	char msg[MAX_ERRS][1024]; /* the first MAX_ERRS; n counts them all */
};

extern struct policy pol;
extern struct errs errs;

/* A TestSuite's .init and .fini: an empty policy, no errors. */
void policy_fixture_init(void);
void policy_fixture_fini(void);

/* The error sink: records the message, which must hold no control byte. */
void collect(void *ctx, const char *msg);
/* Parse text as "t.policy" into pol; the number of errors, checked against errs.n. */
int parse(const char *text);
/* ... which must be none. */
void parse_ok(const char *text);

/* Requests to pol, from uid 1000 or 1001 (no supplementary groups). */
extern const struct subject U1000, U1001;

struct decision ask_open(const struct subject *s, const char *path, unsigned rights);
bool may_open(const struct subject *s, const char *path, unsigned rights);
bool may_socket(const struct subject *s, int family, int type, int protocol);
struct decision ask_net(const struct subject *s, enum op op, enum proto proto,
			struct endpoint ep);
bool may_bind(const struct subject *s, enum proto proto, struct endpoint ep);

/* Endpoints: an IPv4 one, an IPv6 one from text (normalised), a unix path. */
struct endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
struct endpoint ep6(const char *text, uint16_t port);
struct endpoint epu(const char *path);

#endif
