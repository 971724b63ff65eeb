/* The environment a brokered program gets; see shimenv.h. */
#include "cli/shimenv.h"
#include "gen/paths.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the shim is: $FDBROKER_SHIM, beside this binary, or where make install put it. */
int find_shim(char *out, size_t cap)
{
	const char *env = getenv("FDBROKER_SHIM");
	char exe[PATH_MAX - 16];
	ssize_t n;

	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return access(out, R_OK);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, cap, "%s/libfdshim.so", exe);
			if (access(out, R_OK) == 0)
				return 0;
		}
	}
	snprintf(out, cap, "%s", FDB_SHIM_PATH);
	return access(out, R_OK);
}

static bool is_sanitizer_runtime(const char *entry)
{
	const char *base = strrchr(entry, '/');

	base = base ? base + 1 : entry;
	return strncmp(base, "libasan", 7) == 0 || strncmp(base, "libclang_rt.asan", 16) == 0;
}

/*
 * LD_PRELOAD for PROGRAM: the shim ahead of anything already preloaded,
 * except a sanitizer runtime, which the loader insists comes first.
 */
static char *preload_value(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	size_t cap = strlen(shim) + (old ? strlen(old) : 0) + 4;
	char *out = calloc(1, cap), *copy, *tok, *save;
	int pass;

	if (!out)
		return NULL;
	copy = strdup(old ? old : "");
	for (pass = 0; pass < 2 && copy; pass++) {
		char *work = strdup(copy);

		for (tok = strtok_r(work, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
			if (strcmp(tok, shim) == 0 || is_sanitizer_runtime(tok) != (pass == 0))
				continue;
			strcat(out, *out ? " " : "");
			strcat(out, tok);
		}
		free(work);
		if (pass == 0) {
			strcat(out, *out ? " " : "");
			strcat(out, shim);
		}
	}
	free(copy);
	return out;
}

int shim_environment(const char *shim, const char *socket_path)
{
	char *preload = preload_value(shim);
	int rc = 0;

	if (!preload || setenv("LD_PRELOAD", preload, 1) < 0 ||
	    setenv("FDBROKER_SOCKET", socket_path, 1) < 0) {
		fprintf(stderr, "fdbroker: out of memory\n");
		rc = -1;
	}
	free(preload);
	return rc;
}

/* Does Yama restrict ptrace (kernel.yama.ptrace_scope 1 or more)? */
static bool yama_restricts(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c != '0';
}

bool dumpable_opted_out(void)
{
	const char *d = getenv("FDBROKER_DUMPABLE");

	return d && strcmp(d, "1") == 0;
}

void dumpable_warning(void)
{
	if (!dumpable_opted_out() || yama_restricts())
		return;
	fprintf(stderr,
		"fdbroker: warning: FDBROKER_DUMPABLE=1 leaves the program's processes dumpable, "
		"and kernel.yama.ptrace_scope is 0 or absent: any other process of the same user "
		"can ptrace them or take their broker connection (pidfd_getfd) and be served as "
		"them. Unset FDBROKER_DUMPABLE, set kernel.yama.ptrace_scope=1, or run the "
		"program as a user of its own.\n");
}
