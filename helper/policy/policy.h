/*
 * The policy: parsed rules and the decision over them (fdbroker-policy(5)).
 *
 * Policy code does no I/O: no descriptors, no file or socket calls (reading
 * a policy file is conf/'s), and it takes no decisions about messages; it
 * turns text into rules and a request into a verdict.  Name lookups of
 * users and groups happen while parsing, through getpwnam/getgrnam.  The
 * parts: lex.c (tokens, quoted paths), grammar.c (rules), names.c (the
 * policy's words), match.c (decisions), near_miss.c (explain), lint.c
 * (check), addr.c (addresses, addr.h).
 *
 * Conventions: parsers return the number of errors they reported (0 = good)
 * and hand every error to the caller's sink as "FILE:LINE:COL: message";
 * policy_lint returns the number of warnings likewise.  Decision and
 * matching functions cannot fail: they answer with a verdict or a boolean.
 * Formatters write into the caller's buffer, cut to fit; a name lookup
 * without a word returns NULL (op_name: "?").  Nothing here reports
 * through errno.
 */
#ifndef FDB_POLICY_H
#define FDB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/addr.h"

enum verdict { VERDICT_DENY = 0, VERDICT_ALLOW = 1 };

enum subject_kind { SUBJECT_ANY, SUBJECT_USER, SUBJECT_GROUP };

enum op {
	OP_OPEN = 1,
	OP_SOCKET,
	OP_BIND,
	OP_ACCEPT,
};

/*
 * open rights; "create" implies write.  There is no append right: the
 * kernel cannot keep a descriptor append-only (fcntl(F_SETFL) clears
 * O_APPEND, ftruncate works on it), so an O_APPEND open needs write.
 */
enum {
	RIGHT_READ = 1 << 0,
	RIGHT_WRITE = 1 << 1,
	RIGHT_CREATE = 1 << 2,
};

enum proto { PROTO_TCP = 1, PROTO_UDP, PROTO_UNIX };

#define PROTOCOL_ALL (-1)
#define POLICY_MAX_FROM 16

struct rule {
	enum verdict verdict;
	enum subject_kind subject;
	unsigned id; /* uid or gid */
	enum op op;
	union {
		struct {
			char *path;  /* absolute; tree when it ends in '/' */
			bool tree;
			unsigned rights; /* 0 = every right (deny rules only) */
			bool owner_root;
		} open;
		struct {
			int family;   /* AF_INET, AF_INET6, AF_PACKET, AF_NETLINK, AF_UNIX */
			int type;     /* SOCK_STREAM ... ; */
			int protocol; /* number, or PROTOCOL_ALL */
		} socket;
		struct {
			enum proto proto;
			struct policy_addr addr;
			/*
			 * Allow rules of tcp and udp only; 0 = from anywhere.
			 * Never part of the match: on a bind rule it is the
			 * locked kernel filter the broker attaches to the
			 * program's socket, on an accept rule the check of
			 * the listener the broker holds.
			 */
			struct cidr from[POLICY_MAX_FROM];
			unsigned nfrom;
		} net;           /* bind and accept */
	} u;
	char *file; /* where the rule came from, for explain and the audit log */
	unsigned line;
	unsigned object_col; /* column of the path or address, for check's warnings */
	char *text; /* the rule as written, whitespace folded */
};

struct policy {
	struct rule *rules;
	size_t n, cap;
	/*
	 * --learn=permissive (run only): a request no rule matches is allowed,
	 * by policy_learn_rule, when a rule could be written for it
	 * (policy_learnable).  A matching deny rule still decides.
	 */
	bool permissive;
};

/* Who asks: kernel-supplied credentials of the requesting process. */
struct subject {
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups */
	size_t ngroups;
};

/* What is asked.  Paths are absolute and already canonical. */
struct request {
	enum op op;
	union {
		struct {
			const char *path;
			unsigned rights; /* RIGHT_* the request needs */
		} open;
		struct {
			int family, type, protocol;
		} socket;
		struct {
			enum proto proto;
			struct endpoint ep;
		} net;
	} u;
};

struct decision {
	enum verdict verdict;
	const struct rule *rule; /* NULL: default deny */
};

typedef void (*policy_error_fn)(void *ctx, const char *msg);

void policy_init(struct policy *p);
void policy_free(struct policy *p);

/* Parse a policy text; file names the source in messages. */
int policy_parse_text(struct policy *p, const char *file, const char *text,
		      policy_error_fn err, void *ctx);
/* The same for len bytes that need not end in a NUL. */
int policy_parse_buffer(struct policy *p, const char *file, const char *buf, size_t len,
			policy_error_fn err, void *ctx);
/* Reading a policy file is conf/'s: conf/policy_file.h, policy_parse_file. */
/*
 * An inline rule (`run -a`): written like a policy line without verdict and
 * subject; it becomes "allow user UID RULE".  file/line name it in messages
 * (the broker passes "-a" and the option's position).
 */
int policy_parse_inline(struct policy *p, uid_t uid, const char *file, unsigned line,
			const char *rule, policy_error_fn err, void *ctx);

/*
 * First matching rule wins; no match is deny, or under p->permissive an
 * allow by &policy_learn_rule for a learnable request.  For a tcp bind an
 * accept rule that matches the address speaks too: no learned grant then,
 * so the caller's accept decision is taken as without permissive.  A
 * rule's from list never decides: it says how the granted socket is
 * filtered.
 */
struct decision policy_decide(const struct policy *p, const struct subject *s,
			      const struct request *r);

/*
 * The rule of a permissive grant: allow, every field zero (a file it lets
 * a program create is the program's, an address any peer may reach).  It
 * is no rule of the policy; the audit log names it "default" with
 * verdict=allow-learn.
 */
extern const struct rule policy_learn_rule;
bool rule_is_learned(const struct rule *r);
/* The audit line's name of a rule: FILE:LINE, or "default" (none, or a permissive grant). */
void rule_name(const struct rule *r, char *buf, size_t len);

/*
 * Can a policy line grant exactly this request, and would the broker then
 * serve it?  Not an open of "/", of a name that is not absolute and
 * canonical or does not fit on a line, or of anything under /proc or
 * /dev/fd (the names there are the broker's own or change from run to
 * run); not a socket the policy has no words for; never an accept (what
 * is learned for a tcp bind is a bind rule).  false with *why (may be
 * NULL) a static reason for --learn's comment.
 */
bool policy_learnable(const struct request *r, const char **why);
/* The longest path token a learned line holds: a policy line is 4096 bytes at most. */
#define POLICY_TOKEN_MAX 3900

/* Does the rule match this request?  (policy_decide's step, for explain.) */
bool rule_matches(const struct rule *rule, const struct subject *s, const struct request *r);

/* The steps of rule_matches, for explain's near misses (match.c). */
bool rule_subject_matches(const struct rule *rule, const struct subject *s);
/* A tree "/srv/x/" holds "/srv/x" itself and what is below it, never "/srv/xy". */
bool rule_path_matches(const char *rule_path, bool tree, const char *path);
/* create implies write. */
unsigned rights_expand(unsigned rights);

/*
 * Why no allow rule matches a request: the allow rule of the same
 * operation that comes nearest (fewest differences, the object weighing
 * most; the first of equals), and what differs (near_miss.c).
 */
enum {
	MISS_SUBJECT = 1 << 0,
	MISS_PATH = 1 << 1,   /* another path */
	MISS_BELOW = 1 << 2,  /* the path is below a rule path without the trailing '/' */
	MISS_RIGHTS = 1 << 3,
	MISS_PROTO = 1 << 4,  /* tcp, udp, unix */
	MISS_ADDR = 1 << 5,   /* the address (or unix path) */
	MISS_PORT = 1 << 6,
	MISS_FAMILY = 1 << 7, /* socket rules */
	MISS_TYPE = 1 << 8,
	MISS_PROTOCOL = 1 << 9,
};

struct near_miss {
	const struct rule *rule; /* NULL: no allow rule for this operation at all */
	unsigned miss;           /* MISS_* */
};

struct near_miss policy_near_miss(const struct policy *p, const struct subject *s,
				  const struct request *r);

/*
 * The near miss in words, e.g. "line 1 names the path but grants
 * write,create, not read" or "line 3 is for user www-data, not nobody";
 * who names the requester.  Returns buf.
 */
const char *near_miss_format(const struct near_miss *m, const struct request *r, const char *who,
			     char *buf, size_t len);

/*
 * check's warnings: rules that parse but likely do not say what was meant
 * (lint.c).  Each goes to warn as "FILE:LINE:COL: warning: ...";
 * isdir answers whether a path names a directory, and
 * unprivileged_port_start is net.ipv4.ip_unprivileged_port_start (the
 * first port a user binds without privilege), both the caller's I/O.
 * Returns the number of warnings.
 */
typedef bool (*policy_isdir_fn)(void *ctx, const char *path);
unsigned policy_lint(const struct policy *p, unsigned unprivileged_port_start,
		     policy_isdir_fn isdir, void *isdir_ctx, policy_error_fn warn, void *ctx);

/*
 * A path as a policy token that reads back as exactly path: as it is when
 * every byte is printable ASCII other than '"', else quoted with escapes
 * (fdbroker-policy(5), "Quoted paths").  Returns the length the token needs
 * (without the NUL), as snprintf; buf holds it when that is below len.
 */
size_t policy_quote_path(const char *path, char *buf, size_t len);

/* "read,write" etc. for messages and the audit log. */
void rights_format(unsigned rights, char *buf, size_t len);

const char *op_name(enum op op);

/* The policy's words for a socket family and type ("inet", "raw"); NULL if none. */
const char *socket_family_name(int family);
const char *socket_type_name(int type);

#endif
