/*
 * The exec family: execve execv execvp execvpe execl execlp execle
 * fexecve.  (glibc's others reach the kernel through its internal
 * __execve, never through the execve symbol, so each is wrapped on its
 * own.)
 *
 * The shim lives in the program it was loaded into.  What that program
 * executes gets the shim again only if the new image is a glibc program
 * (LD_PRELOAD travels in the environment); a statically linked, Go or
 * musl-loaded program (elf_shim_enters) would run unbrokered, as if
 * fdbroker were not there: `sh -c ./goprog` under fdbroker run.  So before
 * such an exec the wrapper hands the process to the broker's seccomp
 * supervision (common/handover.h): the broker admits it, the filter goes
 * on the calling thread, its listener to the broker, and the new image and
 * everything it forks are served as under run --via seccomp.
 *
 * The file judged is the one the exec will run: the path as given
 * (execve, execv, execl, execle), the descriptor (fexecve), or for
 * execvp, execvpe and execlp the first executable regular file of the
 * PATH search glibc makes (PATH of the process's own environment,
 * /bin:/usr/bin when unset).  A #! script is judged by its interpreter,
 * one level down, as run --via auto judges.  A file the shim may enter, a
 * file its user may execute but not read, anything neither ELF nor #!
 * (glibc's execvp gives that to /bin/sh, which the shim enters) and a
 * setuid, setgid or file-capability program (it runs with its privilege,
 * as it does under the shim, where the loader drops LD_PRELOAD) are
 * exec'd as before.  The real function then runs with the caller's own
 * arguments: the search here only chooses the file to judge, and glibc
 * keeps its own semantics (its PATH search, the ENOEXEC fallback to
 * /bin/sh, errno).
 *
 * The hand-over's outcomes:
 * - DONE: the exec goes on.  Should it still fail, the calling thread
 *   stays under the filter and its calls are the broker's to serve.
 *   When the file judged (a script's interpreter) is loaded by another
 *   loader than glibc's (musl's), that loader would fail on the glibc
 *   shim in LD_PRELOAD and the program would die (exit 127) before the
 *   filter served it: the exec gets the caller's environment less the
 *   shim's entry of LD_PRELOAD (unshimmed_env).  The filter covers the
 *   whole tree, so nothing below needs the shim.  A static or Go program
 *   keeps the environment as it is: the shim does it no harm, and its
 *   glibc children get the shim again, harmlessly.
 * - SKIPPED (no broker that supervises programs, its limit reached,
 *   another seccomp supervisor in place already: EBUSY): the exec goes on
 *   as before; FDBROKER_DEBUG=1 says why in one line.
 * - BROKEN: the filter is on the thread and nobody reads its listener.
 *   Every trapped call (every open, stat, bind) of the new image would
 *   fail with ENOSYS, so there is no exec: the call returns -1 with errno
 *   EPERM, and one line "fdbroker: PROG: WHY" goes to stderr, debug or not.
 * FDBROKER_SOCKET unset or empty: no hand-over, the exec goes on.
 *
 * The filter needs CAP_SYS_ADMIN or no_new_privs; an unprivileged caller
 * gets no_new_privs (on SKIPPED too, when the filter itself was refused),
 * and from then on no setuid, setgid or file-capability bit of anything
 * the tree executes takes effect.
 *
 * Safe where exec is: after fork in a multithreaded program, in a vfork
 * child (the filter is the child's task's, never its parent's), in a
 * signal handler.  Nothing here allocates, takes a lock or uses a stdio
 * stream (elfinfo.c and handover.c neither): raw system calls, buffers on
 * the stack.  execl's argv is on the stack as in glibc's own execl, and so
 * is the environment without the shim (exec_unshimmed: bounded, ENV_MAX
 * and PRELOAD_MAX).  A failing
 * exec leaves the real call's errno; only BROKEN says EPERM of its own.
 *
 * Not wrapped: posix_spawn and posix_spawnp (glibc executes from inside,
 * with __execve), execveat, and system and popen, which start /bin/sh
 * with posix_spawn.  The shell is a glibc program the shim enters, so its
 * own exec of a static or Go program is handed over all the same; what a
 * program posix_spawns directly is not.
 */
#include "shim.h"
#include "elfinfo.h"
#include "handover.h"
#include "syscalls.h"

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

/* glibc's default search path (confstr _CS_PATH), for an unset PATH. */
#define EXEC_DEFAULT_PATH "/bin:/usr/bin"
/* Room for the judgement ("#! INTERP: statically linked", ...), cut to fit. */
#define WHY_MAX 512
/*
 * The environment without the shim is a copy on the stack (no malloc):
 * this many entries at most, the NULL included, and this many bytes for
 * the rewritten LD_PRELOAD entries, "LD_PRELOAD=" and NULs included.
 * Past either bound the exec gets the environment as it is, and a musl
 * program dies of the shim as it did before this rewrite existed.
 */
#define ENV_MAX 512
#define PRELOAD_MAX 1024
#define PRELOAD_VAR "LD_PRELOAD="

extern char **environ;

/*
 * What an exec does once its file is judged: not at all (the hand-over
 * broke: errno EPERM), with the caller's environment, or with it less the
 * shim's entry of LD_PRELOAD.
 */
enum plan {
	PLAN_REFUSE = -1,
	PLAN_AS_IS = 0,
	PLAN_UNSHIMMED = 1,
};

/* s at *at in buf (cap bytes in all, NUL kept), cut to fit. */
static void append(char *buf, size_t cap, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at >= cap)
		return;
	if (n > cap - 1 - *at)
		n = cap - 1 - *at;
	memcpy(buf + *at, s, n);
	*at += n;
	buf[*at] = '\0';
}

static int raw_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC);
}

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
static void proc_fd_name(int fd, char *buf)
{
	char digits[12];
	size_t n = 0, at = 0;
	unsigned u = (unsigned)fd;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < sizeof(digits));
	append(buf, 32, &at, "/proc/self/fd/");
	while (n)
		buf[at++] = digits[--n];
	buf[at] = '\0';
}

/*
 * Would executing the file raise privilege (a setuid or setgid bit for
 * another owner, file capabilities, not on a nosuid mount)?
 */
static bool raises_privilege(int fd, const struct stat *st)
{
	struct statfs fs;

	if (fstatfs(fd, &fs) == 0 && (fs.f_flags & ST_NOSUID))
		return false;
	if ((st->st_mode & S_ISUID) && st->st_uid != geteuid())
		return true;
	if ((st->st_mode & S_ISGID) && (st->st_mode & S_IXGRP) && st->st_gid != getegid())
		return true;
	return fgetxattr(fd, "security.capability", NULL, 0) > 0;
}

/*
 * path opened for reading if it is a regular file: looked at through
 * O_PATH first, so that judging a name never opens a device or waits on
 * a FIFO.  -1 if it cannot be (errno: whatever).
 */
static int open_regular(const char *path, struct stat *st)
{
	struct stat again;
	int pfd = raw_open(path, O_PATH), fd = -1;

	if (pfd < 0)
		return -1;
	if (fstat(pfd, st) == 0 && S_ISREG(st->st_mode)) {
		fd = raw_open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0 && (fstat(fd, &again) < 0 || again.st_dev != st->st_dev ||
				again.st_ino != st->st_ino)) {
			close(fd);
			fd = -1;
		}
	}
	close(pfd);
	return fd;
}

/*
 * Why the shim cannot enter what fd (a regular file, st) runs, into why;
 * false when it can, or when we cannot tell.  *other_loader: what runs is
 * loaded by another loader than glibc's.
 */
static bool needs_filter(int fd, const struct stat *st, char *why, size_t cap,
			 bool *other_loader)
{
	struct exe_info x;
	size_t at = 0;

	if (elf_inspect(fd, &x) < 0)
		return false;
	if (x.kind == EXE_SCRIPT && x.interp[0]) {
		struct stat ist;
		int ifd, rc;

		append(why, cap, &at, "#! ");
		append(why, cap, &at, x.interp);
		append(why, cap, &at, ": ");
		ifd = open_regular(x.interp, &ist);
		if (ifd < 0)
			return false;
		/* the kernel gives a script no privilege: only its interpreter's bits count */
		rc = raises_privilege(ifd, &ist) ? -1 : elf_inspect(ifd, &x);
		close(ifd);
		/* an interpreter that is a script again: judged no further */
		if (rc < 0 || x.kind != EXE_ELF)
			return false;
	} else if (x.kind == EXE_ELF && raises_privilege(fd, st)) {
		return false;
	}
	if (x.kind != EXE_ELF || x.foreign)
		return false;
	*other_loader = x.has_interp && !elf_interp_is_glibc(x.interp);
	return !elf_shim_enters(&x, why + at, cap - at);
}

/*
 * About to exec the file fd (st), by the name prog: hand the process over
 * if the shim cannot enter it, and say how to exec (enum plan; REFUSE:
 * the filter is in place and nobody serves it, errno EPERM).  errno is
 * kept otherwise.
 */
static enum plan hand_over_for(int fd, const struct stat *st, const char *prog,
			       const char *sock)
{
	char why[WHY_MAX] = "", said[256] = "", line[1024];
	bool other_loader = false;
	size_t at = 0;

	if (!needs_filter(fd, st, why, sizeof(why), &other_loader))
		return PLAN_AS_IS;
	if (!sc_native()) {
		shim_debug("exec %s (%s): not handed over: no seccomp filter for this architecture",
			   prog, why);
		return PLAN_AS_IS;
	}
	switch (handover_run(sock, said, sizeof(said))) {
	case HANDOVER_DONE:
		shim_debug("exec %s (%s): under the broker's seccomp filter%s", prog, why,
			   other_loader ? ", without the shim in LD_PRELOAD" : "");
		return other_loader ? PLAN_UNSHIMMED : PLAN_AS_IS;
	case HANDOVER_SKIPPED:
		shim_debug("exec %s (%s): not handed over: %s", prog, why, said);
		return PLAN_AS_IS;
	case HANDOVER_BROKEN:
		break;
	}
	/* whatever FDBROKER_DEBUG says: the program would only see ENOSYS */
	append(line, sizeof(line) - 1, &at, "fdbroker: ");
	append(line, sizeof(line) - 1, &at, prog);
	append(line, sizeof(line) - 1, &at, ": ");
	append(line, sizeof(line) - 1, &at, said);
	line[at++] = '\n';
	(void)!write(STDERR_FILENO, line, at);
	errno = EPERM;
	return PLAN_REFUSE;
}

static const char *broker_socket(void)
{
	const char *sock = getenv("FDBROKER_SOCKET");

	return sock && sock[0] ? sock : NULL;
}

/* Before an exec of path: how to go on (PLAN_REFUSE: not, errno EPERM). */
static enum plan judge_path(const char *path)
{
	const char *sock = broker_socket();
	struct stat st;
	int saved = errno, fd;
	enum plan rc;

	if (!sock || !path)
		return PLAN_AS_IS;
	fd = open_regular(path, &st);
	if (fd < 0) {
		errno = saved;
		return PLAN_AS_IS;
	}
	rc = hand_over_for(fd, &st, path, sock);
	close(fd);
	if (rc != PLAN_REFUSE)
		errno = saved;
	return rc;
}

/* Before fexecve(fd): the same for the file behind fd. */
static enum plan judge_fd(int fd)
{
	const char *sock = broker_socket();
	char name[32];
	struct stat st;
	int saved = errno, rfd;
	enum plan rc = PLAN_AS_IS;
	unsigned char c;

	if (!sock || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errno = saved;
		return PLAN_AS_IS;
	}
	proc_fd_name(fd, name);
	if (pread(fd, &c, 1, 0) >= 0) {
		rc = hand_over_for(fd, &st, name, sock);
	} else if ((rfd = raw_open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY)) >= 0) {
		/* an O_PATH descriptor, or one open for writing only: read it anew */
		rc = hand_over_for(rfd, &st, name, sock);
		close(rfd);
	}
	if (rc != PLAN_REFUSE)
		errno = saved;
	return rc;
}

/*
 * Could the exec of cand run it?  1: it would (an executable regular
 * file); 0: glibc's search would go on to the next entry of PATH (EACCES,
 * ENOENT and the other errors it passes over); -1: the search would stop
 * there, failing.
 */
static int runnable(const char *cand)
{
	struct stat st;
	int fd;

	if (syscall(SYS_faccessat2, AT_FDCWD, cand, X_OK, AT_EACCESS) < 0 &&
	    (errno != ENOSYS || syscall(SYS_faccessat, AT_FDCWD, cand, X_OK) < 0)) {
		switch (errno) {
		case EACCES:
		case ENOENT:
		case ESTALE:
		case ENOTDIR:
		case ENODEV:
		case ETIMEDOUT:
			return 0;
		default:
			return -1;
		}
	}
	fd = raw_open(cand, O_PATH);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	close(fd);
	/* a directory one may search: execve says EACCES, the search goes on */
	return S_ISREG(st.st_mode) ? 1 : 0;
}

/*
 * The file execvpe(file) would run, as glibc 2.36 searches: file itself
 * if it holds a '/', else PATH's entries in turn (an empty one: the
 * current directory; one of PATH_MAX bytes or more: skipped).  NULL when
 * the search would fail, or go where we cannot follow.
 */
static const char *search(const char *file, char *buf, size_t cap)
{
	const char *path = getenv("PATH"), *p, *end;
	size_t flen;

	if (!file || !file[0])
		return NULL;
	if (strchr(file, '/'))
		return file;
	flen = strlen(file);
	if (flen > NAME_MAX)
		return NULL;
	if (!path)
		path = EXEC_DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		if (dlen < PATH_MAX && dlen + 1 + flen < cap) {
			memcpy(buf, p, dlen);
			if (dlen)
				buf[dlen++] = '/';
			memcpy(buf + dlen, file, flen + 1);
			switch (runnable(buf)) {
			case 1:
				return buf;
			case -1:
				return NULL;
			}
		}
		if (!*end)
			return NULL;
	}
}

/* Before an execvp of file: judge_path of what the search finds. */
static enum plan judge_search(const char *file)
{
	char buf[PATH_MAX + NAME_MAX + 2];
	int saved = errno;
	const char *path;

	if (!broker_socket())
		return PLAN_AS_IS;
	path = search(file, buf, sizeof(buf));
	errno = saved;
	return path ? judge_path(path) : PLAN_AS_IS;
}

/* --- the environment without the shim --- */

/* The file's identity (st_dev, st_ino), raw: the shim's stat wrappers stay out. */
static bool file_id(const char *path, struct stat *st)
{
	int fd = raw_open(path, O_PATH);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, st) == 0;
	close(fd);
	return ok;
}

/*
 * Is the LD_PRELOAD entry name the shim?  Its own name as the loader
 * gave it; a bare name (the loader searched for it) that is the base name
 * of that; or a path to the same file (self: its identity, if had).
 */
static bool is_shim(const char *name, const struct stat *self, bool have_self)
{
	const char *base = strrchr(shim_self_name, '/');
	struct stat st;

	if (strcmp(name, shim_self_name) == 0)
		return true;
	if (!strchr(name, '/'))
		return base && strcmp(name, base + 1) == 0;
	return have_self && file_id(name, &st) && st.st_dev == self->st_dev &&
	       st.st_ino == self->st_ino;
}

/*
 * The LD_PRELOAD value list less the shim's entries, into dst (cap bytes,
 * at least 1): the others joined by ':' (the loaders split on ' ' and ':'
 * alike).  Each entry is copied to where it would go and judged there,
 * so no buffer of its own is needed.  Its length, or -1 when it does not
 * fit; *removed: an entry was the shim.
 */
static ssize_t without_shim(const char *list, char *dst, size_t cap, const struct stat *self,
			    bool have_self, bool *removed)
{
	size_t at = 0;

	*removed = false;
	dst[0] = '\0';
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " :");

		if (len) {
			size_t sep = at ? 1 : 0;

			if (len + sep >= cap - at)
				return -1;
			if (sep)
				dst[at] = ':';
			memcpy(dst + at + sep, p, len);
			dst[at + sep + len] = '\0';
			if (is_shim(dst + at + sep, self, have_self))
				*removed = true;
			else
				at += sep + len;
			dst[at] = '\0';
		}
		p += len;
		if (*p)
			p++;
	}
	return (ssize_t)at;
}

/*
 * envp less the shim's entry of every LD_PRELOAD, a variable left with no
 * entry dropped, into out (ENV_MAX pointers, NULL-terminated), pointing
 * into envp and, for the rewritten values, into buf (PRELOAD_MAX bytes).
 * 1: out is that; 0: nothing in envp names the shim; -1: the shim's name
 * is not known, or the copy would pass ENV_MAX or PRELOAD_MAX (the exec
 * then goes on with envp unchanged).
 */
static int unshimmed_env(char *const envp[], char **out, char *buf)
{
	const size_t var = sizeof(PRELOAD_VAR) - 1;
	struct stat self;
	bool have_self, changed = false;
	size_t n = 0, used = 0;

	if (!envp)
		return 0;
	if (!shim_self_name)
		return -1;
	have_self = file_id(shim_self_name, &self);
	for (size_t i = 0; envp[i]; i++) {
		ssize_t len;
		bool removed;

		if (n == ENV_MAX - 1)
			return -1;
		if (strncmp(envp[i], PRELOAD_VAR, var) != 0) {
			out[n++] = envp[i];
			continue;
		}
		if (var >= PRELOAD_MAX - used)
			return -1;
		memcpy(buf + used, PRELOAD_VAR, var);
		len = without_shim(envp[i] + var, buf + used + var, PRELOAD_MAX - used - var, &self,
				   have_self, &removed);
		if (len < 0)
			return -1;
		if (!removed) {
			out[n++] = envp[i];
			continue;
		}
		changed = true;
		if (len > 0) {
			out[n++] = buf + used;
			used += var + (size_t)len + 1;
		}
	}
	out[n] = NULL;
	return changed ? 1 : 0;
}

/* --- the real calls; NULL only while dlsym itself runs, which execs nothing --- */

static int real_execve(const char *path, char *const argv[], char *const envp[])
{
	if (!shim_real.execve)
		return (int)syscall(SYS_execve, path, argv, envp);
	return shim_real.execve(path, argv, envp);
}

static int real_execv(const char *path, char *const argv[])
{
	if (!shim_real.execv)
		return real_execve(path, argv, environ);
	return shim_real.execv(path, argv);
}

static int real_execvp(const char *file, char *const argv[])
{
	if (!shim_real.execvp) {
		errno = ENOSYS;
		return -1;
	}
	return shim_real.execvp(file, argv);
}

static int real_execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!shim_real.execvpe) {
		errno = ENOSYS;
		return -1;
	}
	return shim_real.execvpe(file, argv, envp);
}

static int real_fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!shim_real.fexecve) {
		errno = ENOSYS;
		return -1;
	}
	return shim_real.fexecve(fd, argv, envp);
}

/* The real call an exec without the shim ends in: the env-taking one of its family. */
enum real_call { CALL_EXECVE, CALL_EXECVPE, CALL_FEXECVE };

/*
 * The exec by call of file (or fd) with envp less the shim's LD_PRELOAD
 * entry.  Apart, and not inlined, so that the copy's frame is there only
 * on this path, and only once the judgement's frames are gone.
 */
static __attribute__((noinline)) int exec_unshimmed(enum real_call call, const char *file, int fd,
						    char *const argv[], char *const envp[])
{
	char *env[ENV_MAX], buf[PRELOAD_MAX];
	int rc = unshimmed_env(envp, env, buf);
	char *const *e = rc > 0 ? env : envp;

	if (rc < 0)
		shim_debug("exec %s: LD_PRELOAD left as it is: past %d variables or %d bytes of "
			   "it, or the shim's own name unknown", file ? file : "(fd)", ENV_MAX,
			   PRELOAD_MAX);
	switch (call) {
	case CALL_EXECVE:
		return real_execve(file, argv, e);
	case CALL_EXECVPE:
		return real_execvpe(file, argv, e);
	case CALL_FEXECVE:
		break;
	}
	return real_fexecve(fd, argv, e);
}

/* Which exported call: what to judge, and the real call of the same name. */
enum entry { E_EXECVE, E_EXECV, E_EXECVP, E_EXECVPE, E_FEXECVE };

/*
 * The exported calls, all of them: judge (the path, the PATH search, the
 * descriptor), then the real call of the same name, or for PLAN_UNSHIMMED
 * the env-taking one with the copy (of environ for execv and execvp, which
 * read it, as glibc's own do).
 */
static int exec_entry(enum entry w, const char *file, int fd, char *const argv[],
		      char *const envp[])
{
	bool search = w == E_EXECVP || w == E_EXECVPE;
	enum plan plan;

	shim_init();
	plan = w == E_FEXECVE ? judge_fd(fd) : search ? judge_search(file) : judge_path(file);
	if (plan == PLAN_REFUSE)
		return -1;
	if (plan == PLAN_UNSHIMMED)
		return exec_unshimmed(w == E_FEXECVE ? CALL_FEXECVE : search ? CALL_EXECVPE
									      : CALL_EXECVE,
				      file, fd, argv,
				      w == E_EXECV || w == E_EXECVP ? environ : envp);
	switch (w) {
	case E_EXECVE:
		return real_execve(file, argv, envp);
	case E_EXECV:
		return real_execv(file, argv);
	case E_EXECVP:
		return real_execvp(file, argv);
	case E_EXECVPE:
		return real_execvpe(file, argv, envp);
	case E_FEXECVE:
		break;
	}
	return real_fexecve(fd, argv, envp);
}

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_entry(E_EXECVE, path, -1, argv, envp);
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	return exec_entry(E_EXECV, path, -1, argv, NULL);
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_entry(E_EXECVP, file, -1, argv, NULL);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_entry(E_EXECVPE, file, -1, argv, envp);
}

SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return exec_entry(E_FEXECVE, NULL, fd, argv, envp);
}

/*
 * The l-variants: the arguments after arg are counted first (E2BIG past
 * INT_MAX of them, as glibc's own execl), argv built on the stack, as
 * glibc builds it, then served as the v-variant glibc's own execl* end in.
 */
static ptrdiff_t count_args(va_list ap)
{
	ptrdiff_t argc = 1;

	while (va_arg(ap, const char *)) {
		if (argc == INT_MAX)
			return -1;
		argc++;
	}
	return argc;
}

static void fill_args(char **argv, const char *arg, ptrdiff_t argc, va_list ap)
{
	argv[0] = (char *)arg;
	for (ptrdiff_t i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
}

/* execl's, execlp's and execle's body: ap is after arg (le: envp follows the NULL). */
static int exec_l(enum entry w, const char *file, const char *arg, va_list ap, bool le)
{
	char *const *envp = NULL;
	ptrdiff_t argc;
	va_list count;

	va_copy(count, ap);
	argc = count_args(count);
	va_end(count);
	if (argc < 0) {
		errno = E2BIG;
		return -1;
	}
	char *argv[argc + 1];

	fill_args(argv, arg, argc, ap);
	if (le)
		envp = va_arg(ap, char *const *);
	return exec_entry(w, file, -1, argv, envp);
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = exec_l(E_EXECV, path, arg, ap, false);
	va_end(ap);
	return rc;
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = exec_l(E_EXECVP, file, arg, ap, false);
	va_end(ap);
	return rc;
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int rc;

	va_start(ap, arg);
	rc = exec_l(E_EXECVE, path, arg, ap, true);
	va_end(ap);
	return rc;
}
