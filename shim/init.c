/*
 * Start-up: the real libc symbols, the debug switch, making the process
 * non-dumpable, and the shim's own file name (for exec.c, which only the
 * exec wrappers run: shim/libfdshim.ld keeps it out of start-up).
 *
 * The lookup happens once under pthread_once (and eagerly from a
 * constructor), never on the hot path: a wrapper pays one already-done
 * pthread_once check and a call through a cached pointer.
 *
 * Non-dumpable: the broker tells its clients apart by process (the run tree
 * check) and trusts a kept connection for as long as it is open.  Another
 * process of the same user could take that connection with pidfd_getfd(2),
 * or ptrace the program and make the requests itself, unless Yama forbids
 * it.  Both need ptrace access, which the kernel refuses to a process
 * without CAP_SYS_PTRACE when the target is not dumpable.  exec makes a
 * process dumpable again; the constructor of the new image sets it back
 * (the window between the two is in libfdshim(7)), and channel.c sets it
 * again on every new connection, since a change of credentials resets it to
 * fs.suid_dumpable.  FDBROKER_DUMPABLE=1 at start leaves it alone.
 */
#include "shim.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

struct real_fns shim_real;
SHIM_TLS int shim_busy;
bool shim_ready;
const char *shim_self_name;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool debug_on;
static bool keep_dumpable;

#define LOOKUP(field, name) (*(void **)&shim_real.field = dlsym(RTLD_NEXT, name))

static void load_symbols(void)
{
	const char *d;

	/* dlsym may allocate; keep our own wrappers out of whatever it calls */
	shim_busy++;
	LOOKUP(open, "open");
	LOOKUP(open64, "open64");
	LOOKUP(openat, "openat");
	LOOKUP(openat64, "openat64");
	LOOKUP(open_2, "__open_2");
	LOOKUP(open64_2, "__open64_2");
	LOOKUP(openat_2, "__openat_2");
	LOOKUP(openat64_2, "__openat64_2");
	LOOKUP(creat, "creat");
	LOOKUP(creat64, "creat64");
	LOOKUP(fopen, "fopen");
	LOOKUP(fopen64, "fopen64");
	LOOKUP(freopen, "freopen");
	LOOKUP(freopen64, "freopen64");
	LOOKUP(opendir, "opendir");
	LOOKUP(socket, "socket");
	LOOKUP(bind, "bind");
	LOOKUP(listen, "listen");
	LOOKUP(accept, "accept");
	LOOKUP(accept4, "accept4");
	LOOKUP(getsockname, "getsockname");
	LOOKUP(getpeername, "getpeername");
	LOOKUP(getsockopt, "getsockopt");
	LOOKUP(setsockopt, "setsockopt");
	LOOKUP(stat, "stat");
	LOOKUP(stat64, "stat64");
	LOOKUP(lstat, "lstat");
	LOOKUP(lstat64, "lstat64");
	LOOKUP(fstatat, "fstatat");
	LOOKUP(fstatat64, "fstatat64");
	LOOKUP(statx, "statx");
	LOOKUP(xstat, "__xstat");
	LOOKUP(xstat64, "__xstat64");
	LOOKUP(lxstat, "__lxstat");
	LOOKUP(lxstat64, "__lxstat64");
	LOOKUP(fxstatat, "__fxstatat");
	LOOKUP(fxstatat64, "__fxstatat64");
	LOOKUP(access, "access");
	LOOKUP(faccessat, "faccessat");
	LOOKUP(euidaccess, "euidaccess");
	LOOKUP(eaccess, "eaccess");
	LOOKUP(execve, "execve");
	LOOKUP(execv, "execv");
	LOOKUP(execvp, "execvp");
	LOOKUP(execvpe, "execvpe");
	LOOKUP(fexecve, "fexecve");
	d = getenv("FDBROKER_DEBUG");
	debug_on = d && strcmp(d, "1") == 0;
	d = getenv("FDBROKER_DUMPABLE");
	keep_dumpable = d && strcmp(d, "1") == 0;
	shim_busy--;
	__atomic_store_n(&shim_ready, true, __ATOMIC_RELEASE);
}

void shim_protect(void)
{
	if (!keep_dumpable)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void shim_init_slow(void)
{
	/*
	 * Busy means this thread is inside the shim already: either in
	 * load_symbols itself (pthread_once would deadlock) or in a broker
	 * call, when the lookup is long done.
	 */
	if (!shim_busy)
		pthread_once(&init_once, load_symbols);
}

__attribute__((constructor)) static void shim_constructor(void)
{
	Dl_info info;

	shim_init();
	shim_protect();
	if (dladdr((void *)shim_constructor, &info) && info.dli_fname && info.dli_fname[0])
		shim_self_name = info.dli_fname;
}

void shim_debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, saved = errno;

	if (!debug_on)
		return;
	n = snprintf(line, sizeof(line), "libfdshim[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
	errno = saved;
}
