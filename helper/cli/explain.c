/*
 * fdbroker explain: which rule decides a request, without a broker (check,
 * its sibling, is check.c).
 *
 * explain reads its request with the policy parser itself (as an inline
 * rule), so a request is spelled exactly like a rule and no second set of
 * name tables exists.  A word that is a path is quoted first, so a name
 * with blanks or control characters is asked about as one path.  A path
 * is resolved as the broker resolves it (open_judged_path), so explain
 * judges the object run would judge; --as-written judges the name itself.
 */
#include "cli/cli.h"
#include "grant/open.h"
#include "sys/users.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_POLICY_DIR = 256, OPT_AS_WRITTEN, OPT_FROM_LOG };

static const struct option explain_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "policy-dir", required_argument, NULL, OPT_POLICY_DIR },
	{ "user", required_argument, NULL, 'u' },
	{ "as-written", no_argument, NULL, OPT_AS_WRITTEN },
	{ "from-log", no_argument, NULL, OPT_FROM_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

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

	if (rule->u.net.nfrom) {
		fprintf(stderr, "fdbroker explain: a request has no 'from': the peers the deciding "
			"rule lets in are printed with it\n");
		return -1;
	}
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

/*
 * The path the broker would judge, into canon; r then points at it.  A
 * refusal whatever the policy says is printed here: returns 1 then (the
 * verdict is deny), else 0.
 */
static int resolve_path(struct request *r, char *canon, size_t cap, char *note, size_t notecap)
{
	char q[PATH_MAX * 4 + 3], c[PATH_MAX * 4 + 3];
	int rc = open_judged_path(r->u.open.path, (r->u.open.rights & RIGHT_CREATE) != 0, canon,
				  cap);

	note[0] = '\0';
	policy_quote_path(r->u.open.path, q, sizeof(q));
	if (rc < 0) {
		if (rc == -ELOOP)
			printf("deny (refused): %s leads through a /proc magic link (as /dev/stderr "
			       "and /dev/fd/N do), which the broker never follows; no rule can allow "
			       "it\n", q);
		else if (rc == -EXDEV)
			printf("deny (refused): %s leads off the broker's mounts; no rule can allow "
			       "it\n", q);
		else
			printf("deny (refused): resolving %s fails after a symlink or '..' (%s), and "
			       "the broker never tells such a failure: the program keeps EACCES\n",
			       q, strerror(-rc));
		return 1;
	}
	if (rc == 1)
		snprintf(note, notecap, "  (%s does not exist: the name as written is judged)\n", q);
	else if (strcmp(canon, r->u.open.path) != 0) {
		policy_quote_path(canon, c, sizeof(c));
		snprintf(note, notecap, "  (judged as %s, where %s leads; --as-written judges the "
			 "name)\n", c, q);
	}
	r->u.open.path = canon;
	return 0;
}

/* As the broker decides: a tcp bind no bind rule speaks for may be held by an accept rule. */
static struct decision decide(const struct policy *p, const struct subject *s, struct request *r)
{
	struct decision d = policy_decide(p, s, r);

	if (r->op == OP_BIND && !d.rule && r->u.net.proto == PROTO_TCP) {
		struct request acc = *r;
		struct decision a;

		acc.op = OP_ACCEPT;
		a = policy_decide(p, s, &acc);
		if (a.verdict == VERDICT_ALLOW)
			return a;
	}
	return d;
}

/*
 * What an allow rule's "from" does to the socket it grants.  A bind rule's
 * list is a locked kernel filter on the program's own socket; an accept
 * rule's is the check of the listener the broker holds for the shim, and
 * the same locked filter under seccomp, which is served no listener.
 */
static void print_from(const struct rule *rule)
{
	char nets[POLICY_MAX_FROM * 52] = "", one[52];
	size_t at = 0;

	if ((rule->op != OP_BIND && rule->op != OP_ACCEPT) || rule->verdict != VERDICT_ALLOW ||
	    rule->u.net.nfrom == 0)
		return;
	for (unsigned i = 0; i < rule->u.net.nfrom && i < POLICY_MAX_FROM; i++) {
		cidr_format(&rule->u.net.from[i], one, sizeof(one));
		at += (size_t)snprintf(nets + at, sizeof(nets) - at, "%s%s", i ? " " : "", one);
	}
	if (rule->op == OP_BIND)
		printf("  the socket is bound with a locked kernel filter: only packets from %s "
		       "reach it\n", nets);
	else
		printf("  peers: %s (through the shim the broker holds the listener and drops the "
		       "others; under seccomp the socket is bound with these as a locked kernel "
		       "filter)\n", nets);
}

/* Print the verdict and the rule that gives it, or the near miss; the exit status. */
static int judge(const struct policy *p, const struct subject *s, const char *who,
		 struct request *r, bool as_written, const struct rule **decided)
{
	char canon[PATH_MAX], note[PATH_MAX * 9], why[2048];
	struct decision d;

	const char *written = r->op == OP_OPEN ? r->u.open.path : NULL;

	note[0] = '\0';
	if (r->op == OP_OPEN && !as_written &&
	    resolve_path(r, canon, sizeof(canon), note, sizeof(note)))
		return 1;
	d = decide(p, s, r);
	if (written && written != r->u.open.path && strcmp(written, r->u.open.path) &&
	    d.verdict != VERDICT_ALLOW) {
		/* the rule the writer likely meant: for the name, not the object */
		struct request asked = *r;
		struct decision byname;

		asked.u.open.path = written;
		byname = policy_decide(p, s, &asked);
		if (byname.verdict == VERDICT_ALLOW) {
			size_t at = strlen(note);

			snprintf(note + at, sizeof(note) - at, "  (%s:%u allows the name, but the "
				 "broker judges the file it leads to: name that in the rule)\n",
				 byname.rule->file, byname.rule->line);
		}
	}
	*decided = d.rule;
	if (d.rule) {
		printf("%s (%s:%u)\n  %s\n", d.verdict == VERDICT_ALLOW ? "allow" : "deny",
		       d.rule->file, d.rule->line, d.rule->text);
		print_from(d.rule);
	} else {
		struct near_miss m = policy_near_miss(p, s, r);

		printf("deny (default): %s\n", near_miss_format(&m, r, who, why, sizeof(why)));
		if (m.rule)
			printf("  %s:%u: %s\n", m.rule->file, m.rule->line, m.rule->text);
	}
	fputs(note, stdout);
	return d.verdict == VERDICT_ALLOW ? 0 : 1;
}

/* A field of an audit line ("key=value"), unescaped ("\xHH"), into out; false if absent. */
static bool log_field(const char *line, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), at = 0;
	const char *v = NULL;

	for (const char *s = line; (s = strstr(s, key)); s++) {
		if ((s == line || s[-1] == ' ') && s[klen] == '=') {
			v = s + klen + 1;
			break;
		}
	}
	if (!v || cap == 0)
		return false;
	for (; *v && *v != ' ' && *v != '\n' && at + 1 < cap; v++) {
		unsigned hi, lo;

		if (v[0] == '\\' && v[1] == 'x' && sscanf(v + 2, "%1x%1x", &hi, &lo) == 2) {
			out[at++] = (char)(hi * 16 + lo);
			v += 3;
		} else {
			out[at++] = *v;
		}
	}
	out[at] = '\0';
	return true;
}

/* "rule=FILE:LINE" up to " errno=": a file name may hold blanks. */
static void log_rule(const char *line, char *out, size_t cap)
{
	const char *v = strstr(line, " rule="), *end;

	out[0] = '\0';
	if (!v)
		return;
	v += 6;
	end = strstr(v, " errno=");
	if (!end)
		end = v + strcspn(v, " \n");
	snprintf(out, cap, "%.*s", (int)(end - v), v);
}

static unsigned long log_number(const char *line, const char *key, bool *ok)
{
	char v[32], *end;
	unsigned long n;

	if (!log_field(line, key, v, sizeof(v)) || !v[0]) {
		*ok = false;
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end)
		*ok = false;
	return n;
}

static struct subject subject_of(const struct identity *id)
{
	return (struct subject){
		.uid = id->uid, .gid = id->gid,
		.groups = id->groups, .ngroups = (size_t)id->ngroups,
	};
}

/* Who the verdict speaks of: a uid without a passwd entry is named by its number. */
static void subject_name(const struct identity *id, char *who, size_t cap)
{
	if (getpwuid(id->uid))
		snprintf(who, cap, "%s", id->name);
	else
		snprintf(who, cap, "uid %u", (unsigned)id->uid);
}

/*
 * explain --from-log: the first line on stdin that holds "op=", as the
 * audit log writes it (fdbroker(8), THE AUDIT LOG), asked about again.
 * The log has the uid and gid; name and supplementary groups come from
 * the passwd and group databases (identity_of), as they do for -u.
 */
static int from_log(const struct policy *p, struct policy *tmp)
{
	char line[16384], op[32], object[PATH_MAX], rights[64], proto[16], peer[128], reason[64];
	char logged[PATH_MAX + 32], now[PATH_MAX + 32], who[80], fam[16], type[16], num[16];
	char *words[4];
	const struct rule *decided = NULL;
	struct identity id;
	int rc, n = 0;
	struct request r;
	bool ok = true;
	uid_t uid;
	gid_t gid;

	for (;;) {
		if (!fgets(line, sizeof(line), stdin)) {
			fprintf(stderr, "fdbroker explain: no audit line (with op=) on stdin\n");
			return 2;
		}
		if (strstr(line, " op=") || strncmp(line, "op=", 3) == 0)
			break;
	}
	uid = (uid_t)log_number(line, "uid", &ok);
	gid = (gid_t)log_number(line, "gid", &ok);
	if (!ok || !log_field(line, "op", op, sizeof(op)) ||
	    !log_field(line, "object", object, sizeof(object))) {
		fprintf(stderr, "fdbroker explain: not an audit decision line (needs uid=, gid=, "
			"op= and object=)\n");
		return 2;
	}
	if (log_field(line, "reason", reason, sizeof(reason)) ||
	    (log_field(line, "netns", reason, sizeof(reason)) && strcmp(reason, "foreign") == 0)) {
		printf("deny (refused before the policy: %s)\n", reason);
		return 1;
	}
	words[n++] = op;
	if (strcmp(op, "open") == 0) {
		words[n++] = object;
		if (log_field(line, "rights", rights, sizeof(rights)) && strcmp(rights, "all"))
			words[n++] = rights;
	} else if (strcmp(op, "socket") == 0) {
		/* object=inet/raw/1 */
		if (sscanf(object, "%15[^/]/%15[^/]/%15s", fam, type, num) != 3) {
			fprintf(stderr, "fdbroker explain: bad socket object '%s'\n", object);
			return 2;
		}
		words[n++] = fam;
		words[n++] = type;
		words[n++] = num;
	} else if (strcmp(op, "bind") == 0 || strcmp(op, "accept") == 0) {
		if (!log_field(line, "proto", proto, sizeof(proto)))
			snprintf(proto, sizeof(proto), "tcp"); /* accept lines: a tcp listener */
		words[n++] = proto;
		words[n++] = object;
	} else {
		fprintf(stderr, "fdbroker explain: unknown op '%s' in the audit line\n", op);
		return 2;
	}
	if (read_request(words, n, tmp, &r) < 0)
		return 2;
	if (identity_of(uid, gid, &id) < 0) {
		identity_free(&id);
		return 2;
	}
	struct subject s = subject_of(&id);

	subject_name(&id, who, sizeof(who));
	/* the object in the log is what the broker judged: no second resolution */
	rc = judge(p, &s, who, &r, true, &decided);
	if (strcmp(op, "accept") == 0 && log_field(line, "peer", peer, sizeof(peer)))
		printf("  (the peer %s is judged by that rule's 'from' list)\n", peer);
	log_rule(line, logged, sizeof(logged));
	if (decided)
		snprintf(now, sizeof(now), "%s:%u", decided->file, decided->line);
	else
		snprintf(now, sizeof(now), "default");
	if (logged[0] && strcmp(logged, now) != 0)
		printf("  (the log says rule=%s: the policy has changed since, or is not the one "
		       "the broker read)\n", logged);
	identity_free(&id);
	return rc;
}

int cmd_explain(int argc, char **argv)
{
	struct strlist files = { 0 };
	const char *user = NULL, *dir = DEFAULT_POLICY_HOME;
	const struct rule *decided;
	bool as_written = false, log = false;
	struct identity id = { 0 };
	struct policy p, tmp;
	char who[80];
	struct request r;
	int c, rc = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:u:h", explain_opts, NULL)) != -1) {
		if (c == 'p') {
			strlist_add(&files, optarg);
		} else if (c == 'u') {
			user = optarg;
		} else if (c == OPT_POLICY_DIR) {
			dir = optarg;
		} else if (c == OPT_AS_WRITTEN) {
			as_written = true;
		} else if (c == OPT_FROM_LOG) {
			log = true;
		} else if (c == 'h') {
			usage_print("explain", stdout);
			return 0;
		} else {
			usage_error("explain", c, argv);
			return 2;
		}
	}
	if (log ? (user || optind < argc) : (!user || optind >= argc)) {
		fprintf(stderr, "fdbroker explain: %s\nTry 'fdbroker help explain'.\n",
			log ? "--from-log takes no -u and no request" :
			user ? "no request given" : "-u USER is required");
		return 2;
	}
	if (user && identity_lookup(user, &id) < 0) {
		identity_free(&id);
		free(files.v);
		return 2;
	}
	policy_init(&p);
	policy_init(&tmp);
	c = load_check_policy(&p, &files, dir, "explain");
	if (c != 0) {
		if (c > 0)
			fprintf(stderr, "fdbroker explain: policy refused\n");
		goto out;
	}
	if (log) {
		rc = from_log(&p, &tmp);
		goto out;
	}
	if (read_request(argv + optind, argc - optind, &tmp, &r) < 0)
		goto out;
	struct subject s = subject_of(&id);

	subject_name(&id, who, sizeof(who));
	rc = judge(&p, &s, who, &r, as_written, &decided);
out:
	policy_free(&tmp);
	policy_free(&p);
	identity_free(&id);
	free(files.v);
	return rc;
}
