/*
 * The audit trail: one line per decision, one per refused message or client.
 *
 *   TIME fdbroker[BROKERPID]: pid=P uid=U gid=G prog=NAME op=OP object=OBJ
 *        [DETAIL] verdict=allow|allow-learn|deny|error rule=FILE:LINE|default errno=NAME
 *
 * (one line; OBJ and NAME escaped so a line never contains spaces it did not
 * write; no line, notes included, contains a control byte: see audit_note).
 * Destinations: "stderr", "syslog", "journal", or a file path (appended).
 *
 * "journal" sends each line as a journal entry (journal.h): MESSAGE= is the
 * line without its time and pid prefix, and a decision carries its parts as
 * fields, escaped as in the line: FDBROKER_OP, FDBROKER_OBJECT,
 * FDBROKER_DETAIL (when the line has one), FDBROKER_VERDICT, FDBROKER_RULE,
 * FDBROKER_ERRNO, FDBROKER_UID, FDBROKER_GID, FDBROKER_PROG and OBJECT_PID
 * (the client).  PRIORITY: 6 (info) for allow and audit_info, 5 (notice) for
 * deny, 4 (warning) for notes and any other verdict, 3 (err) for error.
 *
 * A log that cannot be written never stops the broker: the first failed
 * line of an outage is reported on stderr, the rest are counted, and the
 * first line that goes through again says how many were lost.  A log file
 * that was removed is re-created at its path (checked once a second).
 *
 * Conventions: audit_open and audit_reopen return 0, or -1 with errno; the
 * rest cannot fail (a line that cannot be written is counted, as above).
 */
#ifndef FDB_AUDIT_H
#define FDB_AUDIT_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "audit/journal.h"

struct audit {
	int fd;            /* -1 with use_syslog */
	bool use_syslog;
	bool use_journal;  /* fd is -1 too; entries go to journal */
	struct journal journal;
	bool own_fd;       /* opened by us (a file) */
	bool regular;      /* a regular file: may be removed, and re-created */
	bool is_stderr;    /* fd is our stderr: failures cannot be told there */
	bool broken;       /* a partial line is in the log: start the next afresh */
	bool gone_told;    /* said on stderr that a removed file cannot be re-created */
	const char *path;  /* dest as given ("stderr" for stderr); must outlive this */
	pid_t pid;         /* ours, cached: the broker never logs from a child */
	unsigned long lost; /* lines not written since the first failure; 0: none */
	time_t sec;        /* the second stamp is for, and of the last removal check */
	char stamp[24];    /* "YYYY-MM-DDTHH:MM:SS" of sec */
	bool hold;         /* audit_hold: lines wait in buf for audit_flush */
	unsigned long held; /* lines in buf */
	size_t buflen;
	char buf[32768];
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
	const char *via;    /* "seccomp": written as via=seccomp; NULL: the shim (nothing written) */
};

/* dest (NULL means stderr) is kept, not copied: it must live as long as a. */
int audit_open(struct audit *a, const char *dest);
void audit_close(struct audit *a);
/* SIGHUP: a file destination is reopened (logrotate moved it); others stay. */
int audit_reopen(struct audit *a, const char *dest);
void audit_decision(struct audit *a, const struct audit_rec *r);
/*
 * Anything that is not a decision: refused clients, malformed messages.
 * Control and non-ASCII bytes anywhere in the text are written "\xHH"; a
 * field the client chose (its program name, a path) goes in through
 * audit_escape, so it is escaped exactly as in a decision line.
 */
void audit_note(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note that reports, not warns (serving, reloaded): the journal gets it as info. */
void audit_info(struct audit *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * s escaped as a decision line escapes client bytes ("\xHH" for spaces,
 * backslashes, control and non-ASCII bytes), into buf, cut to fit; returns
 * buf.  4 * strlen(s) + 1 bytes hold all of it (AUDIT_PROG_ESC a comm).
 */
const char *audit_escape(const char *s, char *buf, size_t cap);
#define AUDIT_PROG_ESC (16 * 4 + 1)
/*
 * Batching, for the broker's event loop: while held, lines wait in memory
 * and audit_flush writes them with one write(2) (or counts them lost);
 * audit_hold(a, false) flushes and writes each line at once again.  The
 * broker hands out nothing a line records before that line is flushed.
 */
void audit_hold(struct audit *a, bool on);
void audit_flush(struct audit *a);

#endif
