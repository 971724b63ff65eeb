/* --learn; see learn.h. */
#include "learn.h"

#include <arpa/inet.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* A bound, so requests a client makes up cannot grow a serve broker for ever. */
#define LEARN_MAX 4096

struct entry {
	uid_t uid;
	struct request r; /* open: path is the entry's own copy */
	char *path;
};

struct learn {
	struct entry *e;
	size_t n, cap;
	size_t dropped; /* past LEARN_MAX */
};

struct learn *learn_new(void)
{
	return calloc(1, sizeof(struct learn));
}

void learn_free(struct learn *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->e[i].path);
	if (l)
		free(l->e);
	free(l);
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

void learn_record(struct learn *l, const struct subject *s, const struct request *r)
{
	struct entry *e;

	for (size_t i = 0; i < l->n; i++)
		if (same_object(&l->e[i], s->uid, r)) {
			if (r->op == OP_OPEN)
				l->e[i].r.u.open.rights |= r->u.open.rights;
			return;
		}
	if (l->n == LEARN_MAX) {
		l->dropped++;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct entry *grown = realloc(l->e, cap * sizeof(*grown));

		if (!grown)
			return; /* learning is best effort; serving goes on */
		l->e = grown;
		l->cap = cap;
	}
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	e->uid = s->uid;
	e->r = *r;
	if (r->op == OP_OPEN) {
		e->path = strdup(r->u.open.path);
		if (!e->path)
			return;
		e->r.u.open.path = e->path;
	}
	l->n++;
}

/*
 * The path as a policy token that `check` reads back as exactly this path
 * (quoted and escaped when it holds blanks, '#', quotes, control or
 * non-ASCII bytes), or NULL with a comment line printed instead: a path
 * that is not absolute and canonical, "/" (a rule for it would be the tree
 * of every file), or one too long for a policy line.  The comment never
 * holds the path: it is what a client chose.
 */
static const char *path_token(const char *what, const char *path, char *buf, size_t len,
			      FILE *out)
{
	size_t n = strlen(path);

	if (addr_check_path(path, NULL, 0) < 0 || path[n - 1] == '/') {
		fprintf(out, "# fdbroker --learn: left out %s on a path of %zu bytes: not one "
			"absolute canonical file name\n", what, n);
		return NULL;
	}
	if (policy_quote_path(path, buf, len) >= len) {
		fprintf(out, "# fdbroker --learn: left out %s on a path of %zu bytes: as a rule it "
			"would not fit on a policy line\n", what, n);
		return NULL;
	}
	return buf;
}

/* A policy line is at most 4096 bytes; a path token must leave room for the rest. */
#define TOKEN_MAX 3900

static void print_net(const struct entry *e, const char *subject, FILE *out)
{
	const struct endpoint *ep = &e->r.u.net.ep;
	const char *proto = e->r.u.net.proto == PROTO_TCP ? "tcp" :
			    e->r.u.net.proto == PROTO_UDP ? "udp" : "unix";
	char addr[INET6_ADDRSTRLEN], tok[TOKEN_MAX];
	const char *path;

	if (ep->family == AF_UNIX) {
		path = path_token(op_name(e->r.op), ep->path, tok, sizeof(tok), out);
		if (path)
			fprintf(out, "%s %s unix %s\n", subject, op_name(e->r.op), path);
		return;
	}
	inet_ntop(ep->family, ep->ip, addr, sizeof(addr));
	if (ep->family == AF_INET6)
		fprintf(out, "%s %s %s [%s]:%u\n", subject, op_name(e->r.op), proto, addr, ep->port);
	else
		fprintf(out, "%s %s %s %s:%u\n", subject, op_name(e->r.op), proto, addr, ep->port);
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

void learn_print(const struct learn *l, FILE *out)
{
	if (l->dropped)
		fprintf(out, "# %zu more denied requests were not remembered (limit %d)\n",
			l->dropped, LEARN_MAX);
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		struct passwd *pw = getpwuid(e->uid);
		char subject[96], rights[64], tok[TOKEN_MAX];
		const char *fam, *type, *path;

		if (pw && plain_name(pw->pw_name))
			snprintf(subject, sizeof(subject), "allow user %s", pw->pw_name);
		else
			snprintf(subject, sizeof(subject), "allow user %u", (unsigned)e->uid);
		switch (e->r.op) {
		case OP_OPEN:
			rights_format(e->r.u.open.rights, rights, sizeof(rights));
			path = path_token("open", e->path, tok, sizeof(tok), out);
			if (path)
				fprintf(out, "%s open %s %s\n", subject, path, rights);
			break;
		case OP_SOCKET:
			fam = socket_family_name(e->r.u.socket.family);
			type = socket_type_name(e->r.u.socket.type);
			if (fam && type)
				fprintf(out, "%s socket %s %s %d\n", subject, fam, type,
					e->r.u.socket.protocol);
			break;
		case OP_BIND:
		case OP_ACCEPT:
			print_net(e, subject, out);
			break;
		}
	}
}
