/* Will the way in work?  See preflight.h. */
#include "cli/preflight.h"
#include "elfinfo.h"
#include "sys/pathsearch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* #! scripts may name scripts, up to the kernel's limit of nested interpreters. */
#define MAX_SCRIPT_DEPTH 4
#define MAX_LINKS 40 /* as the kernel's path walk */

__attribute__((format(printf, 3, 4)))
static void say(struct preflight *pf, bool ok, const char *fmt, ...)
{
	char line[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!ok)
		pf->problems++;
	if (pf->doctor)
		printf("%s: %s\n", ok ? "ok" : "problem", line);
	else if (!ok)
		fprintf(stderr, "fdbroker: %s\n", line);
}

static bool in_groups(const struct identity *id, gid_t gid)
{
	if (gid == id->gid)
		return true;
	for (int i = 0; i < id->ngroups; i++)
		if (id->groups[i] == gid)
			return true;
	return false;
}

/* The mode bits' answer for id (R_OK, W_OK, X_OK or'ed; 0: nothing asked). */
static bool mode_allows(const struct identity *id, const struct stat *st, int want)
{
	unsigned bits;

	if (id->uid == 0)
		return true;
	if (st->st_uid == id->uid)
		bits = (st->st_mode >> 6) & 7;
	else if (in_groups(id, st->st_gid))
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & (unsigned)want) == (unsigned)want;
}

enum walk { WALK_OK, WALK_DENIED, WALK_MISSING };

static const char *want_word(int want, const struct stat *st)
{
	if (want & W_OK)
		return "write";
	if (want & R_OK)
		return "read";
	return S_ISDIR(st->st_mode) ? "search" : "execute";
}

/* why = "USER cannot search DIR (mode 0700, owner 0:0)" */
static enum walk denied(char *why, size_t cap, const struct identity *id, const char *what,
			const char *path, const struct stat *st)
{
	snprintf(why, cap, "%s cannot %s %s (mode %04o, owner %u:%u)", id->name, what, path,
		 (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid, (unsigned)st->st_gid);
	return WALK_DENIED;
}

static enum walk missing(char *why, size_t cap, const char *path, int err)
{
	snprintf(why, cap, "%s: %s", path, strerror(err));
	return err == EACCES ? WALK_DENIED : WALK_MISSING;
}

/*
 * Walk path as the kernel would for id, from the mode bits: search on
 * every directory on the way (symbolic links followed), then want on what
 * it names.  why gets the object in the way.
 */
static enum walk walk(const struct identity *id, const char *path, int want, char *why, size_t cap)
{
	char cur[PATH_MAX] = "/", next[PATH_MAX], rest[2 * PATH_MAX], tmp[2 * PATH_MAX];
	char target[PATH_MAX];
	const char *p = rest;
	struct stat st;
	int links = 0;

	if (path[0] == '/') {
		snprintf(rest, sizeof(rest), "%s", path);
	} else {
		if (!getcwd(next, sizeof(next)))
			return missing(why, cap, ".", errno);
		snprintf(rest, sizeof(rest), "%s/%s", next, path);
	}
	for (;;) {
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (stat(cur, &st) < 0)
			return missing(why, cap, cur, errno);
		if (!mode_allows(id, &st, X_OK))
			return denied(why, cap, id, "search", cur, &st);
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (slash == cur)
				slash[1] = '\0';
			else
				*slash = '\0';
			p += n;
			continue;
		}
		if (snprintf(next, sizeof(next), "%s%s%.*s", cur, strcmp(cur, "/") ? "/" : "", (int)n,
			     p) >= (int)sizeof(next))
			return missing(why, cap, cur, ENAMETOOLONG);
		if (lstat(next, &st) < 0)
			return missing(why, cap, next, errno);
		p += n;
		if (S_ISLNK(st.st_mode)) {
			ssize_t len = readlink(next, target, sizeof(target) - 1);

			if (len < 0 || ++links > MAX_LINKS)
				return missing(why, cap, next, len < 0 ? errno : ELOOP);
			target[len] = '\0';
			if (target[0] == '/')
				snprintf(cur, sizeof(cur), "/");
			if (snprintf(tmp, sizeof(tmp), "%s/%s", target, p) >= (int)sizeof(tmp))
				return missing(why, cap, next, ENAMETOOLONG);
			memcpy(rest, tmp, sizeof(rest));
			p = rest;
			continue;
		}
		memcpy(cur, next, sizeof(cur));
	}
	if (stat(cur, &st) < 0)
		return missing(why, cap, cur, errno);
	if (want && !mode_allows(id, &st, want))
		return denied(why, cap, id, want_word(want, &st), cur, &st);
	return WALK_OK;
}

/* Ask the kernel as id itself: access(2) in a child that became id. */
static bool kernel_allows(const struct identity *id, const char *path, int want)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		return id->uid == getuid() && access(path, want) == 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (identity_assume(id) < 0)
			_exit(2);
		_exit(access(path, want) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Can id reach path with want?  The mode bits first; a "no" the kernel confirms. */
static enum walk reaches(const struct identity *id, const char *path, int want, char *why,
			 size_t cap)
{
	enum walk w = walk(id, path, want, why, cap);

	if (w == WALK_DENIED && kernel_allows(id, path, want))
		return WALK_OK;
	return w;
}

int preflight_socket_base(struct preflight *pf, char *base, size_t cap)
{
	const char *tmp = getenv("TMPDIR"), *name = pf->id->name;
	char why[2 * PATH_MAX];

	if (!tmp || *tmp != '/')
		tmp = "/tmp";
	if (reaches(pf->id, tmp, X_OK, why, sizeof(why)) == WALK_OK) {
		snprintf(base, cap, "%s", tmp);
		say(pf, true, "socket: made in %s, which %s can search", tmp, name);
		return 0;
	}
	if (strcmp(tmp, "/tmp") != 0) {
		char why2[2 * PATH_MAX];

		if (reaches(pf->id, "/tmp", X_OK, why2, sizeof(why2)) == WALK_OK) {
			snprintf(base, cap, "/tmp");
			say(pf, false, "TMPDIR=%s: %s, so %s could not reach the broker's socket there; "
				       "the socket is made in /tmp instead (set TMPDIR to a "
				       "directory %s can search to choose another)", tmp, why, name, name);
			return 1;
		}
	}
	say(pf, false, "socket: %s: set TMPDIR to a directory %s can search", why, name);
	return -1;
}

int preflight_socket(struct preflight *pf, const char *socket_path)
{
	const char *name = pf->id->name;
	char why[2 * PATH_MAX];

	switch (reaches(pf->id, socket_path, W_OK, why, sizeof(why))) {
	case WALK_OK:
		say(pf, true, "socket %s: %s can connect to it", socket_path, name);
		return 0;
	case WALK_MISSING:
		say(pf, false, "no broker socket at %s (%s): nothing will be brokered; start the broker "
			       "(fdbroker serve, or systemctl start fdbroker.socket) or name its socket "
			       "with -s", socket_path, why);
		return 1;
	default:
		say(pf, false, "%s cannot connect to the broker's socket %s: %s; nothing will be "
			       "brokered", name, socket_path, why);
		return 1;
	}
}

int preflight_shim(struct preflight *pf, const char *shim)
{
	const char *name = pf->id->name;
	char why[2 * PATH_MAX];

	if (reaches(pf->id, shim, R_OK, why, sizeof(why)) == WALK_OK) {
		say(pf, true, "shim %s: %s can read it", shim, name);
		return 0;
	}
	say(pf, false, "%s cannot read the shim %s: %s; nothing would be brokered: install the "
		       "shim where %s can read it, or point FDBROKER_SHIM at a readable copy",
	    name, shim, why, name);
	return -1;
}

bool preflight_find(const struct identity *id, const char *program, char *out, size_t cap)
{
	const char *dirs = path_list();
	char why[2 * PATH_MAX];
	struct stat st;

	if (strchr(program, '/')) {
		snprintf(out, cap, "%s", program);
		return true;
	}
	while (path_next(&dirs, program, out, cap))
		if (reaches(id, out, X_OK, why, sizeof(why)) == WALK_OK && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode))
			return true;
	return false;
}

/* Would running the file raise privilege, so that the loader drops LD_PRELOAD? */
static void judge_privilege(struct preflight *pf, int fd, const char *path, const struct stat *st)
{
	const struct identity *id = pf->id;
	struct statvfs vfs;
	bool nosuid = fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (nosuid)
		return; /* the kernel ignores the bits and file capabilities there */
	if ((st->st_mode & S_ISUID) && st->st_uid != id->uid)
		say(pf, false, "%s is setuid (mode %04o, owner uid %u): the loader ignores LD_PRELOAD "
			       "in it, so nothing it asks is brokered; run it without fdbroker, or a "
			       "copy without the setuid bit", path, mode, (unsigned)st->st_uid);
	if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != id->gid)
		say(pf, false, "%s is setgid (mode %04o, group %u): the loader ignores LD_PRELOAD "
			       "in it, so nothing it asks is brokered; run it without fdbroker, or a "
			       "copy without the setgid bit", path, mode, (unsigned)st->st_gid);
	if (fgetxattr(fd, "security.capability", NULL, 0) > 0)
		say(pf, false, "%s has file capabilities (getcap %s): the loader ignores LD_PRELOAD "
			       "in it, so nothing it asks is brokered; run it without fdbroker, or a "
			       "copy without them (setcap -r)", path, path);
}

/* An ELF file the shim may enter; ok is said only when nothing else was wrong with it. */
static void judge_elf(struct preflight *pf, const char *path, const struct exe_info *x, bool ok)
{
	if (x->foreign)
		say(pf, false, "%s is an ELF file of another byte order: the shim cannot enter it",
		    path);
	else if (x->go)
		say(pf, false, "%s is a Go program: Go makes its system calls itself, not through the "
			       "C library, so the shim never sees them and nothing is brokered; "
			       "fdbroker run --via seccomp (the default, auto) reaches it", path);
	else if (!x->has_interp)
		say(pf, false, "%s is statically linked: no loader runs, so LD_PRELOAD cannot bring "
			       "the shim in and nothing is brokered; fdbroker run --via seccomp (the "
			       "default, auto) reaches it", path);
	else if (!elf_interp_is_glibc(x->interp))
		say(pf, false, "%s is loaded by %s, not by glibc's loader: the shim, built for glibc, "
			       "cannot enter it; fdbroker run --via seccomp (the default, auto) reaches "
			       "it", path, x->interp);
	else if (ok)
		say(pf, true, "program %s: dynamically linked (%s), the shim can enter it", path,
		    x->interp);
}

static int judge(struct preflight *pf, const char *path, int depth);

#define EFTYPE_NOT_REG EISDIR /* errno of open_regular for anything but a regular file */

/*
 * path opened for reading only if it is a regular file: found through O_PATH
 * and reopened through /proc, so that a name another user may change (a
 * PATH directory it writes) never has root open a device or a FIFO.
 */
static int open_regular(const char *path, struct stat *st)
{
	char self[64];
	int pfd = open(path, O_PATH | O_CLOEXEC), fd = -1, saved;

	if (pfd < 0)
		return -1;
	if (fstat(pfd, st) == 0) {
		if (S_ISREG(st->st_mode)) {
			snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
			fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		} else {
			errno = EFTYPE_NOT_REG;
		}
	}
	saved = errno;
	close(pfd);
	errno = saved;
	return fd;
}

/* "#!/usr/bin/env [-S] NAME ...": the program env runs, found through PATH. */
static void judge_env_program(struct preflight *pf, const char *arg, int depth)
{
	char name[256], found[PATH_MAX];
	size_t n;

	if (strncmp(arg, "-S", 2) == 0)
		arg += 2 + strspn(arg + 2, " \t");
	n = strcspn(arg, " \t");
	if (!n || arg[0] == '-' || n >= sizeof(name))
		return;
	memcpy(name, arg, n);
	name[n] = '\0';
	if (preflight_find(pf->id, name, found, sizeof(found)))
		judge(pf, found, depth + 1);
	else
		say(pf, false, "env runs %s, which is not found in PATH as %s searches it", name,
		    pf->id->name);
}

int preflight_inspect(const char *path, struct exe_info *x)
{
	struct stat st;
	int fd = open_regular(path, &st), rc, saved;

	if (fd < 0)
		return -1;
	rc = elf_inspect(fd, x);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int judge(struct preflight *pf, const char *path, int depth)
{
	unsigned before = pf->problems;
	struct exe_info x;
	struct stat st;
	int fd = open_regular(path, &st);
	const char *err = NULL;

	if (fd < 0)
		err = errno == EFTYPE_NOT_REG ? "not a regular file" : strerror(errno);
	else if (elf_inspect(fd, &x) < 0)
		err = strerror(errno);
	if (err) {
		say(pf, false, "cannot inspect %s: %s", path, err);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* the kernel gives a script no privilege: only an ELF file's bits count */
	if (x.kind != EXE_SCRIPT)
		judge_privilege(pf, fd, path, &st);
	close(fd);
	if (x.kind == EXE_ELF) {
		judge_elf(pf, path, &x, pf->problems == before);
	} else if (x.kind == EXE_UNKNOWN) {
		say(pf, false, "%s is neither an ELF file nor a #! script: the shim may not enter it",
		    path);
	} else if (!x.interp[0] || depth >= MAX_SCRIPT_DEPTH) {
		say(pf, false, "%s: %s", path, x.interp[0] ? "#! scripts nested too deep" :
							      "#! line names no interpreter");
	} else {
		const char *base = strrchr(x.interp, '/');

		say(pf, true, "script %s: judged by its interpreter %s", path, x.interp);
		judge(pf, x.interp, depth + 1);
		if (strcmp(base ? base + 1 : x.interp, "env") == 0 && x.arg[0])
			judge_env_program(pf, x.arg, depth);
	}
	return pf->problems > before;
}

int preflight_program(struct preflight *pf, const char *program)
{
	char path[PATH_MAX];

	if (!preflight_find(pf->id, program, path, sizeof(path))) {
		if (pf->doctor)
			say(pf, false, "%s: not found in PATH as %s searches it", program, pf->id->name);
		return pf->doctor;
	}
	return judge(pf, path, 0);
}

void preflight_denials(const char *program, int status, unsigned long denied, bool learning)
{
	if (status == 0 || denied == 0)
		return;
	fprintf(stderr, "fdbroker: %s failed (status %d) after the broker denied %lu request%s "
			"(verdict=deny in the audit log): %s\n",
		program, status, denied, denied == 1 ? "" : "s",
		learning ? "the --learn output has rules that would allow them; fdbroker explain "
			   "says which rule decides a request" :
			   "rerun with --learn for rules that would allow them, or ask fdbroker "
			   "explain which rule decides one");
}

int preflight_exec(const char *socket_path, const char *shim, const char *program)
{
	struct identity self;
	struct preflight pf = { .id = &self };
	int rc = 0;

	if (identity_self(&self) < 0) {
		identity_free(&self);
		return 0; /* out of memory (said): nothing to judge by; exec goes on */
	}
	preflight_socket(&pf, socket_path);
	if (preflight_shim(&pf, shim) < 0)
		rc = -1;
	else
		preflight_program(&pf, program);
	identity_free(&self);
	return rc;
}
