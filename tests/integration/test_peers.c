/*
 * `bind ... from`: the kernel's own peer filter (grant/peer_filter.c).
 * tests/seccomp/peerprobe.c, as nobody, binds through the broker and then
 * is its own clients, one from a listed source and one from an unlisted
 * one, on the socket, a dup, in a fork and after an exec; then it tries
 * every way to take the filter off.  The same program runs under the shim
 * (its glibc build) and through the seccomp front end (static, musl).
 * The IPv6 and dual-stack cases run in a network namespace of the test's
 * own, with addresses of its own on its lo (h_own_netns).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

#define MAX_ARGS 24

TestSuite(peers, .fini = h_cleanup, .timeout = 60);

/* Every round passes and every way to unfilter is refused. */
#define ROUNDS_OK "round self ok\nround dup ok\nround fork ok\nround exec ok\n" \
		  "detach EPERM\nattach EPERM\n"

static const char *peerprobe(const char *kind)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/tests/%s/peerprobe", FDB_BUILD_DIR, kind);
	return buf[i];
}

/*
 * A socket filter root loaded (BPF_PROG_TYPE_SOCKET_FILTER, keeping every
 * packet), its descriptor inherited by the program: nobody could not load
 * one (kernel.unprivileged_bpf_disabled), but may be handed one.
 */
static int keep_all_bpf(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = { 0 };
	int fd;

	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insn_cnt = 2;
	attr.insns = (uintptr_t)insns;
	attr.license = (uintptr_t)"GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	cr_assert_geq(fd, 0, "BPF_PROG_LOAD: %s", strerror(errno));
	return fd; /* not close-on-exec: the program gets it */
}

/* fdbroker run -u nobody --via VIA -a RULE... -- PEERPROBE ARGS...; its stdout must be want. */
static void expect_rules(const char *via, char *const rules[], char *const argv[],
			 const char *want)
{
	char *opts[12] = { "--via", (char *)via };
	char *full[MAX_ARGS + 3] = { "env", "-u", "LD_PRELOAD" };
	int n = 2;
	bool keep_env = !strcmp(via, "preload"); /* a sanitizer runtime comes first there */
	struct result r;

	for (int i = 0; rules[i] && n < 10; i++) {
		opts[n++] = "-a";
		opts[n++] = rules[i];
	}
	opts[n] = NULL;
	h_run_argv(full + (keep_env ? 0 : 3), MAX_ARGS, "nobody", opts, argv);
	r = h_run(full, NULL, false);
	cr_assert_str_eq(r.out, want, "%s under '%s' via %s: stdout '%s', stderr '%s'", argv[0],
			 rules[0], via, r.out, r.err);
	h_free(&r);
}

static void expect(const char *via, const char *rule, char *const argv[], const char *want)
{
	expect_rules(via, (char *[]){ (char *)rule, NULL }, argv, want);
}

/* Acceptance 1 and 3: tcp and udp on 127.0.0.1 from 127.0.0.2, both ways in. */
static void loopback_v4(const char *via, const char *kind, const char *port)
{
	char rule[64], fdarg[16], want[512];
	int bpf = keep_all_bpf();

	snprintf(fdarg, sizeof(fdarg), "%d", bpf);
	snprintf(rule, sizeof(rule), "bind tcp 127.0.0.1:%s from 127.0.0.2", port);
	snprintf(want, sizeof(want), "bound tcp %s\n" ROUNDS_OK "attach-bpf EPERM\n"
		 "accepted-detach EPERM\n", port);
	expect(via, rule, (char *[]){ (char *)peerprobe(kind), "tcp", "127.0.0.1", (char *)port,
				      "127.0.0.2", "127.0.0.1", fdarg, NULL }, want);
	snprintf(rule, sizeof(rule), "bind udp 127.0.0.1:%s from 127.0.0.2", port);
	snprintf(want, sizeof(want), "bound udp %s\n" ROUNDS_OK "attach-bpf EPERM\n", port);
	expect(via, rule, (char *[]){ (char *)peerprobe(kind), "udp", "127.0.0.1", (char *)port,
				      "127.0.0.2", "127.0.0.1", fdarg, NULL }, want);
	close(bpf);
	snprintf(want, sizeof(want), "op=bind object=127.0.0.1:%s proto=tcp filter=locked "
		 "verdict=allow rule=-a:1 errno=0", port);
	h_audit_has(want);
	snprintf(want, sizeof(want), "op=bind object=127.0.0.1:%s proto=udp filter=locked "
		 "verdict=allow rule=-a:1 errno=0", port);
	h_audit_has(want);
}

Test(peers, listed_source_only_under_the_shim)
{
	loopback_v4("preload", "glibc", "846");
}

/* Acceptance 5: the same for a static program through the seccomp front end. */
Test(peers, listed_source_only_for_static_program_via_seccomp)
{
	loopback_v4("seccomp", "static", "847");
	h_audit_has("op=bind object=127.0.0.1:847 proto=tcp filter=locked verdict=allow rule=-a:1 "
		    "errno=0 via=seccomp");
}

/*
 * Under seccomp an accept rule binds the program's own socket (there is no
 * channel to hand connections down) with its from list as the same filter.
 */
Test(peers, accept_rule_via_seccomp_is_the_same_filter)
{
	expect("seccomp", "accept tcp 127.0.0.1:848 from 127.0.0.2",
	       (char *[]){ (char *)peerprobe("musl"), "tcp", "127.0.0.1", "848", "127.0.0.2",
			   "127.0.0.1", NULL },
	       "bound tcp 848\n" ROUNDS_OK "accepted-detach EPERM\n");
	h_audit_has("op=bind object=127.0.0.1:848 proto=tcp listener=bound filter=locked "
		    "verdict=allow rule=-a:1 errno=0 via=seccomp");
}

/*
 * A bind rule grants the port, connecting from it included; an accept rule
 * served by binding grants accepting only: the socket's own opens never
 * complete (the filter drops their SYN+ACK).
 */
Test(peers, accept_rule_via_seccomp_cannot_connect_out)
{
	expect("seccomp", "accept tcp 127.0.0.1:849",
	       (char *[]){ (char *)peerprobe("static"), "out", "127.0.0.1", "849", NULL },
	       "out SYN_SENT\n");
	h_audit_has("op=bind object=127.0.0.1:849 proto=tcp listener=bound filter=locked "
		    "verdict=allow rule=-a:1 errno=0 via=seccomp");
	expect("seccomp", "bind tcp 127.0.0.1:849",
	       (char *[]){ (char *)peerprobe("static"), "out", "127.0.0.1", "849", NULL },
	       "out ESTABLISHED\n");
}

/*
 * A [::] socket takes IPv4 peers too: when a rule of its own decides
 * 0.0.0.0 with a from list, that list filters them, whatever the rule
 * that granted [::] says.
 */
Test(peers, dual_stack_socket_keeps_the_ipv4_rules_from)
{
	h_own_netns(NULL);
	for (int w = 0; w < 2; w++)
		expect_rules(w ? "seccomp" : "preload",
			     (char *[]){ "bind tcp 0.0.0.0:80 from 127.0.0.2", "bind tcp [::]:80", NULL },
			     (char *[]){ (char *)peerprobe(w ? "static" : "glibc"), "tcp", "::", "80",
					 "127.0.0.2", "127.0.0.1", NULL },
			     "bound tcp 80\n" ROUNDS_OK "accepted-detach EPERM\n");
	h_audit_has("op=bind object=[::]:80 proto=tcp filter=locked ipv4-side=other-rule "
		    "verdict=allow rule=-a:2 errno=0");
}

/*
 * Acceptance 2, in a namespace of the test's own: IPv6 sources on a [::]
 * socket, and IPv4 ones on the same dual-stack socket matched by an IPv4
 * network; tcp and udp, both ways in.
 */
Test(peers, ipv6_and_dual_stack_in_own_netns)
{
	static const char *const v6[] = { "2001:db8::2", "2001:db8::3", NULL };
	static const struct {
		const char *proto, *allowed, *denied;
	} cases[] = {
		{ "tcp", "2001:db8::2", "2001:db8::3" },
		{ "tcp", "127.0.0.2", "127.0.0.1" },
		{ "udp", "2001:db8::2", "2001:db8::3" },
		{ "udp", "127.0.0.2", "127.0.0.1" },
	};
	static const struct {
		const char *via, *kind;
	} ways[] = { { "preload", "glibc" }, { "seccomp", "static" } };

	h_own_netns(v6);
	for (size_t w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char rule[96], want[512];

			snprintf(rule, sizeof(rule), "bind %s *:80 from 2001:db8::2 127.0.0.2",
				 cases[i].proto);
			snprintf(want, sizeof(want), "bound %s 80\n" ROUNDS_OK "%s", cases[i].proto,
				 strcmp(cases[i].proto, "tcp") ? "" : "accepted-detach EPERM\n");
			expect(ways[w].via, rule,
			       (char *[]){ (char *)peerprobe(ways[w].kind), (char *)cases[i].proto,
					   "::", "80", (char *)cases[i].allowed,
					   (char *)cases[i].denied, NULL }, want);
		}
	}
	h_audit_has("op=bind object=[::]:80 proto=tcp filter=locked verdict=allow rule=-a:1 "
		    "errno=0 via=seccomp");
}
