/*
 * The audit trail: one line per decision, one per refused message or client.
 *
 *   TIME fdbroker[BROKERPID]: pid=P uid=U gid=G prog=NAME op=OP object=OBJ
 *        [DETAIL] verdict=allow|deny|error rule=FILE:LINE|default errno=NAME
 *
 * (one line; OBJ and NAME escaped so a line never contains spaces it did not
 * write).  Destinations: "stderr", "syslog", or a file path (appended).
 * Functions return 0 or -1 with errno.
 */
#ifndef FDB_AUDIT_H
#define FDB_AUDIT_H

#include <stdbool.h>
#include <sys/types.h>

struct audit {
	int fd;      /* -1 with use_syslog */
	bool use_syslog;
	bool own_fd; /* opened by us (a file) */
};

struct audit_rec {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	const char *prog;
	const char *op;
	const char *object; /* e.g. "/etc/shadow" (escaped when written) */
	const char *detail; /* e.g. "rights=read", or NULL */
	const char *verdict;
	const char *rule;   /* "FILE:LINE" or "default" */
	int err;            /* 0, or the errno the program will see */
};

int audit_open(struct audit *a, const char *dest);
void audit_close(struct audit *a);
/* SIGHUP: a file destination is reopened (logrotate moved it); others stay. */
int audit_reopen(struct audit *a, const char *dest);
void audit_decision(struct audit *a, const struct audit_rec *r);
/* Anything that is not a decision: refused clients, malformed messages. */
void audit_note(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
