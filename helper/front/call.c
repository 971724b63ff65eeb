/*
 * What the seccomp front end's calls share (front/notif_call.h): the
 * target's descriptors taken through a pidfd, who asks, the answers that
 * hand over a descriptor, FDBROKER_DEBUG.
 */
#include "front/notif_call.h"
#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int openat2_fd(int dirfd, const char *path, unsigned flags, unsigned mode, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static bool debug_on(void)
{
	static int on = -1;

	if (on < 0) {
		const char *d = getenv("FDBROKER_DEBUG");

		on = d && *d && strcmp(d, "0") != 0;
	}
	return on;
}

/* FDBROKER_DEBUG: one line per call served, on stderr. */
void debug(const struct notif *n, const char *what)
{
	char esc[4 * 64 + 1], prog[AUDIT_PROG_ESC];
	char shown[65];

	if (!debug_on())
		return;
	/* enough of the name to tell it */
	memcpy(shown, n->path, sizeof(shown) - 1);
	shown[sizeof(shown) - 1] = '\0';
	/* a call the prefilter passed was not read further: its tid then */
	fprintf(stderr, "fdbroker: via=seccomp pid=%d prog=%s %s %s: %s\n",
		n->cred.tgid ? (int)n->cred.tgid : (int)n->n.pid,
		audit_escape(n->cred.comm, prog, sizeof(prog)), sc_name(n->call),
		audit_escape(shown, esc, sizeof(esc)), what);
}

/* The call goes on to the kernel. */
bool kernel(struct notif *n, const char *why)
{
	notif_continue(n);
	debug(n, why);
	return false;
}

struct req_who who_of(const struct notif *n)
{
	struct req_who w = {
		.pid = n->cred.tgid,
		.id = { .uid = n->cred.euid, .gid = n->cred.egid, .groups = n->cred.groups,
			.ngroups = n->cred.ngroups },
		.prog = n->cred.comm,
		.via = "seccomp",
	};

	return w;
}

/* The caller's identity for a try (notif_call.h). */
struct as_caller_id caller_id(const struct notif *n, unsigned how)
{
	bool real = how & CALLER_REAL;
	struct as_caller_id id = {
		.uid = real ? n->cred.ruid : n->cred.fsuid,
		.gid = real ? n->cred.rgid : n->cred.fsgid,
		.groups = n->cred.groups,
		.ngroups = n->cred.ngroups,
		/* a try that creates creates as the program would */
		.umask = how & CALLER_CREATES ? n->cred.umask : AS_CALLER_UMASK_KEEP,
	};

	return id;
}

int caller_id_keep(struct as_caller_id *id, gid_t **own)
{
	*own = NULL;
	if (id->ngroups && !(*own = malloc(id->ngroups * sizeof(gid_t))))
		return -ENOMEM;
	if (*own)
		memcpy(*own, id->groups, id->ngroups * sizeof(gid_t));
	id->groups = *own;
	return 0;
}

bool unix_path_name(const struct notif *n)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&n->sa;

	return n->sa.ss_family == AF_UNIX && n->salen > offsetof(struct sockaddr_un, sun_path) &&
	       un->sun_path[0] == '/';
}

/* An object of /proc: the broker's /proc/self would stand for the program's. */
bool on_proc(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) < 0 || sf.f_type == PROC_SUPER_MAGIC;
}

/*
 * Remove the file created at path (from start) for an answer that did not
 * reach the program, if the name still holds that very file.
 */
static void undo_create(int start, const char *path, int fd)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	struct stat made, now;
	int pfd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	pfd = openat2_fd(path[0] == '/' ? AT_FDCWD : start, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
			 RESOLVE_NO_SYMLINKS);
	if (pfd < 0)
		return;
	if (fstat(fd, &made) == 0 && fstatat(pfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    made.st_dev == now.st_dev && made.st_ino == now.st_ino)
		unlinkat(pfd, name, 0);
	close(pfd);
}

/* Hand fd to the program; a file made for it is removed if that fails. */
void give_fd(struct notif *n, int fd, bool cloexec, int start, const char *created,
		    const char *what)
{
	int rc = notif_fd(n, fd, cloexec);

	if (rc < 0 && created)
		undo_create(start, created, fd);
	close(fd);
	if (rc == -ENOENT) {
		n->answered = true; /* gone: the kernel has no call of ours left */
		debug(n, "the call went away");
	} else if (rc < 0) {
		/* the program's own shortage (EMFILE at its limit): the call still waits for it */
		notif_error(n, -rc);
		debug(n, "not installed: an error of the program's");
	} else {
		debug(n, what);
	}
}

/* The core's outcome of a descriptor call (open, reopen, socket) to the program. */
void give_outcome_fd(struct broker *b, struct notif *n, struct outcome *o, bool cloexec)
{
	audit_flush(b->audit); /* the line before the descriptor */
	if (o->denied || o->malformed) {
		if (o->fd >= 0)
			close(o->fd);
		kernel(n, "refused: the kernel answers");
	} else if (o->fd >= 0) {
		give_fd(n, o->fd, cloexec, AT_FDCWD, o->created ? o->object : NULL, "granted");
	} else {
		notif_error(n, o->err);
		debug(n, "granted: an error of the object's");
	}
}

