/*
 * fdbroker check and fdbroker explain: the policy without a broker.
 *
 * explain reads its request with the policy parser itself (as an inline
 * rule), so a request is spelled exactly like a rule and no second set of
 * name tables exists.  A word that is a path is quoted first, so a name
 * with blanks or control characters is asked about as one path.
 */
#include "cli.h"
#include "users.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option check_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option explain_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_check(int argc, char **argv)
{
	struct strlist files = { 0 };
	struct policy p;
	int c, errors;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:h", check_opts, NULL)) != -1) {
		if (c == 'p') {
			strlist_add(&files, optarg);
		} else if (c == 'h') {
			usage_print("check", stdout);
			return 0;
		} else {
			usage_error("check", c, argv);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fdbroker check: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	policy_init(&p);
	errors = load_policy_files(&p, &files, 1, print_policy_error, NULL);
	if (errors == 0)
		printf("%zu rule%s, no errors\n", p.n, p.n == 1 ? "" : "s");
	policy_free(&p);
	free(files.v);
	return errors ? 1 : 0;
}

/* Turn the request words into a request, through a one-rule policy. */
static int read_request(char **words, int n, struct policy *tmp, struct request *r)
{
	char text[8192] = "";
	const struct rule *rule;
	size_t used = 0;

	for (int i = 0; i < n; i++) {
		char quoted[4096];
		const char *word = words[i];
		int w;

		/* the shell already split the words: a path with blanks stays one */
		if (word[0] == '/' && policy_quote_path(word, quoted, sizeof(quoted)) < sizeof(quoted))
			word = quoted;
		w = snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "", word);
		if (w < 0 || (size_t)w >= sizeof(text) - used)
			return -1;
		used += (size_t)w;
	}
	/* "open PATH" with no rights asks about reading */
	if (n == 2 && strcmp(words[0], "open") == 0 && used + 5 < sizeof(text))
		strcat(text, " read");
	if (policy_parse_inline(tmp, 0, "request", 1, text, print_policy_error, NULL) > 0)
		return -1;
	rule = &tmp->rules[0];
	memset(r, 0, sizeof(*r));
	r->op = rule->op;
	switch (rule->op) {
	case OP_OPEN:
		r->u.open.path = rule->u.open.path;
		r->u.open.rights = rule->u.open.rights;
		return 0;
	case OP_SOCKET:
		r->u.socket.family = rule->u.socket.family;
		r->u.socket.type = rule->u.socket.type;
		r->u.socket.protocol = rule->u.socket.protocol;
		return 0;
	case OP_BIND:
	case OP_ACCEPT:
		break;
	}
	/* an address to bind is one endpoint, not a pattern */
	const struct policy_addr *a = &rule->u.net.addr;

	r->u.net.proto = rule->u.net.proto;
	if (a->kind == ADDR_ANY || a->port_lo != a->port_hi || a->prefix) {
		fprintf(stderr, "fdbroker explain: give one address and port, not a pattern\n");
		return -1;
	}
	r->u.net.ep.family = a->kind == ADDR_UNIX ? AF_UNIX :
			     a->kind == ADDR_IPV4 ? AF_INET : AF_INET6;
	memcpy(r->u.net.ep.ip, a->ip, sizeof(a->ip));
	r->u.net.ep.scope_id = a->scope_id;
	r->u.net.ep.port = a->port_lo;
	memcpy(r->u.net.ep.path, a->path, sizeof(a->path));
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	struct strlist files = { 0 };
	const char *user = NULL;
	struct policy p, tmp;
	struct identity id;
	struct request r;
	struct decision d;
	int c, rc = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:u:h", explain_opts, NULL)) != -1) {
		if (c == 'p') {
			strlist_add(&files, optarg);
		} else if (c == 'u') {
			user = optarg;
		} else if (c == 'h') {
			usage_print("explain", stdout);
			return 0;
		} else {
			usage_error("explain", c, argv);
			return 2;
		}
	}
	if (!user || optind >= argc) {
		fprintf(stderr, "fdbroker explain: %s\nTry 'fdbroker help explain'.\n",
			user ? "no request given" : "-u USER is required");
		return 2;
	}
	if (identity_lookup(user, &id) < 0)
		return 2;
	policy_init(&p);
	policy_init(&tmp);
	if (load_policy_files(&p, &files, 1, print_policy_error, NULL) > 0) {
		fprintf(stderr, "fdbroker explain: policy refused\n");
		goto out;
	}
	if (read_request(argv + optind, argc - optind, &tmp, &r) < 0)
		goto out;
	struct subject s = {
		.uid = id.uid, .gid = id.gid,
		.groups = id.groups, .ngroups = (size_t)id.ngroups,
	};
	d = policy_decide(&p, &s, &r);
	if (d.rule)
		printf("%s (%s:%u)\n  %s\n", d.verdict == VERDICT_ALLOW ? "allow" : "deny",
		       d.rule->file, d.rule->line, d.rule->text);
	else
		printf("deny (default: no rule matches)\n");
	rc = d.verdict == VERDICT_ALLOW ? 0 : 1;
out:
	policy_free(&tmp);
	policy_free(&p);
	identity_free(&id);
	free(files.v);
	return rc;
}
