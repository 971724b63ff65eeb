/* --learn; see learn.h. */
#include "learn/learn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/addr.h"
#include "audit/audit.h"

/* A bound, so requests a client makes up cannot grow a serve broker for ever. */
#define LEARN_MAX 4096
/* Program names kept per object; more are "and others". */
#define LEARN_PROGS 3

struct entry {
	uid_t uid;
	struct request r; /* open: path is the entry's own copy */
	char *path;
	unsigned long count;
	bool granted; /* by policy_learn_rule */
	char progs[LEARN_PROGS][17];
	unsigned nprogs;
	bool more_progs;
	bool seccomp; /* asked through the seccomp front end (at least once) */
	/* left out: why (static), reason (the audit word, static or NULL), err */
	const char *why, *reason;
	int err;
};

struct list {
	struct entry *e;
	size_t n, cap;
};

struct learn {
	struct list rules, skips;
	size_t dropped; /* past LEARN_MAX */
	size_t granted;
};

struct learn *learn_new(void)
{
	return calloc(1, sizeof(struct learn));
}

static void list_free(struct list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->e[i].path);
	free(list->e);
}

void learn_free(struct learn *l)
{
	if (!l)
		return;
	list_free(&l->rules);
	list_free(&l->skips);
	free(l);
}

size_t learn_granted(const struct learn *l)
{
	return l->granted;
}

static bool same_object(const struct entry *e, uid_t uid, const struct request *r)
{
	if (e->uid != uid || e->r.op != r->op)
		return false;
	switch (r->op) {
	case OP_OPEN:
		return strcmp(e->path, r->u.open.path) == 0;
	case OP_SOCKET:
		return !memcmp(&e->r.u.socket, &r->u.socket, sizeof(r->u.socket));
	case OP_BIND:
	case OP_ACCEPT:
		return e->r.u.net.proto == r->u.net.proto &&
		       e->r.u.net.ep.family == r->u.net.ep.family &&
		       e->r.u.net.ep.port == r->u.net.ep.port &&
		       !memcmp(e->r.u.net.ep.ip, r->u.net.ep.ip, 16) &&
		       !strcmp(e->r.u.net.ep.path, r->u.net.ep.path);
	}
	return false;
}

static void add_prog(struct entry *e, const char *prog)
{
	if (!prog || !*prog)
		return;
	for (unsigned i = 0; i < e->nprogs; i++)
		if (!strcmp(e->progs[i], prog))
			return;
	if (e->nprogs == LEARN_PROGS) {
		e->more_progs = true;
		return;
	}
	snprintf(e->progs[e->nprogs++], sizeof(e->progs[0]), "%s", prog);
}

/* The entry of list for this object and reason (new if none), or NULL. */
static struct entry *entry_for(struct learn *l, struct list *list, uid_t uid,
			       const struct request *r, const char *why, const char *reason,
			       int err)
{
	struct entry *e;

	for (size_t i = 0; i < list->n; i++) {
		e = &list->e[i];
		if (same_object(e, uid, r) && e->why == why && e->reason == reason &&
		    e->err == err)
			return e;
	}
	if (l->rules.n + l->skips.n >= LEARN_MAX) {
		l->dropped++;
		return NULL;
	}
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct entry *grown = realloc(list->e, cap * sizeof(*grown));

		if (!grown)
			return NULL; /* learning is best effort; serving goes on */
		list->e = grown;
		list->cap = cap;
	}
	e = &list->e[list->n];
	memset(e, 0, sizeof(*e));
	e->uid = uid;
	e->r = *r;
	e->why = why;
	e->reason = reason;
	e->err = err;
	if (r->op == OP_OPEN) {
		if (!r->u.open.path)
			return NULL;
		e->path = strdup(r->u.open.path);
		if (!e->path)
			return NULL;
		e->r.u.open.path = e->path;
		e->r.u.open.rights = 0; /* the caller adds this request's */
	}
	list->n++;
	return e;
}

static void note(struct entry *e, const struct request *r, const char *prog, const char *via)
{
	e->count++;
	e->seccomp = e->seccomp || (via && !strcmp(via, "seccomp"));
	if (r->op == OP_OPEN)
		e->r.u.open.rights |= r->u.open.rights;
	add_prog(e, prog);
}

static void skip(struct learn *l, const struct subject *s, const char *prog, const char *via,
		 const struct request *r, const char *why, const char *reason, int err)
{
	struct entry *e = entry_for(l, &l->skips, s->uid, r, why, reason, err);

	if (e)
		note(e, r, prog, via);
}

static void record(struct learn *l, const struct subject *s, const char *prog, const char *via,
		   const struct request *r, bool granted)
{
	const char *why;
	struct entry *e;

	if (!policy_learnable(r, &why)) {
		skip(l, s, prog, via, r, why, NULL, 0);
		return;
	}
	e = entry_for(l, &l->rules, s->uid, r, NULL, NULL, 0);
	if (!e)
		return;
	note(e, r, prog, via);
	e->granted = e->granted || granted;
}

void learn_record(struct learn *l, const struct subject *s, const struct request *r)
{
	record(l, s, NULL, NULL, r, false);
}

void learn_decision(struct learn *l, const struct subject *s, const char *prog, const char *via,
		    const struct request *r, const struct rule *rule, int err, const char *why,
		    const char *reason)
{
	if (rule && !rule_is_learned(rule))
		return; /* the policy's own rule decided: nothing to learn */
	if (why) {
		skip(l, s, prog, via, r, why, reason, 0);
		return;
	}
	if (rule && err) {
		/* no rule would make it work: the broker failed to serve it */
		skip(l, s, prog, via, r, "granted while learning, but it failed", NULL, err);
		return;
	}
	if (rule)
		l->granted++;
	record(l, s, prog, via, r, rule != NULL);
}

const char *learn_why_unresolved(int err)
{
	if (err == ELOOP)
		return "its name leads through a magic link (/dev/stderr, /dev/fd/N, "
		       "/proc/PID/fd/N) or too many symbolic links, which the broker never "
		       "follows: no rule can grant it";
	if (err == ENOENT)
		return "it does not exist (or a symbolic link on its way leads nowhere)";
	if (err)
		return "its name did not resolve";
	return "the broker does not serve it (not a file it can name)";
}

/* The path as a policy token, or "(a path of N bytes)" when it would not fit a line. */
static void path_text(const char *path, char *buf, size_t len)
{
	if (policy_quote_path(path, buf, len) >= len)
		snprintf(buf, len, "(a path of %zu bytes)", strlen(path));
}

/* What follows "allow user NAME " in e's rule: "open PATH RIGHTS", "bind tcp ...". */
static void object_text(const struct entry *e, char *buf, size_t len)
{
	const struct endpoint *ep = &e->r.u.net.ep;
	char tok[POLICY_TOKEN_MAX], rights[64], addr[INET6_ADDRSTRLEN];
	const char *fam, *type, *proto;

	switch (e->r.op) {
	case OP_OPEN:
		path_text(e->path, tok, sizeof(tok));
		rights_format(e->r.u.open.rights, rights, sizeof(rights));
		snprintf(buf, len, "open %s %s", tok, rights);
		return;
	case OP_SOCKET:
		fam = socket_family_name(e->r.u.socket.family);
		type = socket_type_name(e->r.u.socket.type);
		if (fam && type)
			snprintf(buf, len, "socket %s %s %d", fam, type, e->r.u.socket.protocol);
		else
			snprintf(buf, len, "socket (family %d, type %d, protocol %d)",
				 e->r.u.socket.family, e->r.u.socket.type, e->r.u.socket.protocol);
		return;
	case OP_BIND:
	case OP_ACCEPT:
		break;
	}
	proto = e->r.u.net.proto == PROTO_TCP ? "tcp" : e->r.u.net.proto == PROTO_UDP ? "udp" :
									   "unix";
	if (ep->family == AF_UNIX) {
		path_text(ep->path, tok, sizeof(tok));
		snprintf(buf, len, "%s unix %s", op_name(e->r.op), ep->path[0] ? tok : "(no name)");
	} else if (inet_ntop(ep->family, ep->ip, addr, sizeof(addr)) == NULL) {
		snprintf(buf, len, "%s %s (family %d)", op_name(e->r.op), proto, ep->family);
	} else if (ep->family == AF_INET6) {
		snprintf(buf, len, "%s %s [%s]:%u", op_name(e->r.op), proto, addr, ep->port);
	} else {
		snprintf(buf, len, "%s %s %s:%u", op_name(e->r.op), proto, addr, ep->port);
	}
}

/*
 * A user name the parser reads back as that user: not all digits (that
 * would be a uid) and only the characters useradd allows; else the uid.
 */
static bool plain_name(const char *name)
{
	bool digits = true;

	if (!*name || strlen(name) > 32)
		return false;
	for (const char *c = name; *c; c++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-$",
			    *c))
			return false;
		digits = digits && *c >= '0' && *c <= '9';
	}
	return !digits;
}

static void user_text(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && plain_name(pw->pw_name))
		snprintf(buf, len, "user %s", pw->pw_name);
	else
		snprintf(buf, len, "user %u", (unsigned)uid);
}

/* "1 request, by cat, sh and others" (program names escaped as in the audit log). */
static void count_text(const struct entry *e, FILE *out)
{
	char esc[AUDIT_PROG_ESC];

	fprintf(out, "%lu request%s", e->count, e->count == 1 ? "" : "s");
	if (e->granted)
		fprintf(out, " granted while learning");
	for (unsigned i = 0; i < e->nprogs; i++)
		fprintf(out, "%s%s", i ? ", " : ", by ",
			audit_escape(e->progs[i], esc, sizeof(esc)));
	if (e->more_progs)
		fprintf(out, " and others");
	if (e->seccomp)
		fprintf(out, ", via seccomp");
}

void learn_print(const struct learn *l, FILE *out)
{
	char subject[64], object[POLICY_TOKEN_MAX + 128];

	for (size_t i = 0; i < l->rules.n; i++) {
		const struct entry *e = &l->rules.e[i];

		user_text(e->uid, subject, sizeof(subject));
		object_text(e, object, sizeof(object));
		fprintf(out, "# %s: ", object);
		count_text(e, out);
		fprintf(out, "\nallow %s %s\n", subject, object);
	}
	for (size_t i = 0; i < l->skips.n; i++) {
		const struct entry *e = &l->skips.e[i];

		user_text(e->uid, subject, sizeof(subject));
		object_text(e, object, sizeof(object));
		fprintf(out, "# left out: %s (%s, ", object, subject);
		count_text(e, out);
		fprintf(out, "): %s", e->why);
		if (e->reason)
			fprintf(out, " (reason=%s)", e->reason);
		if (e->err)
			fprintf(out, ": %s", strerror(e->err));
		fputc('\n', out);
	}
	if (l->dropped)
		fprintf(out, "# %zu more requests were not remembered (limit %d)\n", l->dropped,
			LEARN_MAX);
}

int learn_open_out(const char *path)
{
	int flags = O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
	int fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	bool created = fd >= 0;
	const char *why = NULL;
	struct stat st;

	/* an existing name: never a symlink (O_NOFOLLOW: ELOOP), never a FIFO's reader */
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	if (fd < 0) {
		fprintf(stderr, "fdbroker: --learn-out %s: %s\n", path,
			errno == ELOOP ? "a symbolic link; refused" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file; refused";
	else if (st.st_uid != geteuid())
		why = "owned by another user; refused (remove it, or name another file)";
	else if (st.st_nlink != 1)
		why = "it has other hard links; refused";
	else if (created && fchmod(fd, 0644) < 0) /* the umask may have cut the mode */
		why = strerror(errno);
	if (why) {
		fprintf(stderr, "fdbroker: --learn-out %s: %s\n", path, why);
		close(fd);
		return -1;
	}
	return fd;
}

int learn_write(const struct learn *l, int fd, const char *header)
{
	char *text = NULL;
	size_t len = 0, done = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return -1;
	if (header)
		fputs(header, mem);
	learn_print(l, mem);
	if (fclose(mem) != 0) {
		free(text);
		return -1;
	}
	if (ftruncate(fd, 0) < 0) {
		free(text);
		return -1;
	}
	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(text);
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	free(text);
	return 0;
}
