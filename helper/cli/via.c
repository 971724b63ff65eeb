/* The way in, for run and exec; see via.h. */
#include "cli/via.h"
#include "cli/preflight.h"
#include "syscalls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const via_names[] = { [VIA_AUTO] = "auto", [VIA_PRELOAD] = "preload",
				  [VIA_SECCOMP] = "seccomp" };

int parse_via(const char *cmd, const char *arg, enum via *out)
{
	for (int v = VIA_AUTO; v <= VIA_SECCOMP; v++)
		if (strcmp(arg, via_names[v]) == 0) {
			*out = (enum via)v;
			return 0;
		}
	fprintf(stderr, "fdbroker %s: --via wants preload, seccomp or auto, not %s\n", cmd, arg);
	return -1;
}

static enum via judge_elf(const struct exe_info *x, char *why, size_t cap)
{
	return elf_shim_enters(x, why, cap) ? VIA_PRELOAD : VIA_SECCOMP;
}

/*
 * The shim cannot enter a program when no loader runs, when Go makes its
 * own system calls, or when a loader other than glibc's would not take it:
 * elf_shim_enters decides, as the shim's own exec path does.
 */
enum via judge_file(const char *path, bool script, char *why, size_t cap)
{
	struct exe_info x;

	if (preflight_inspect(path, &x) < 0) {
		snprintf(why, cap, "cannot inspect %s: %s", path, strerror(errno));
		return VIA_PRELOAD;
	}
	if (x.kind == EXE_SCRIPT && script && x.interp[0]) {
		int n = snprintf(why, cap, "#! %s: ", x.interp);

		if (n < 0 || (size_t)n >= cap)
			n = 0;
		return judge_file(x.interp, false, why + n, cap - (size_t)n);
	}
	if (x.kind == EXE_ELF && !x.foreign)
		return judge_elf(&x, why, cap);
	snprintf(why, cap, "%s", x.kind == EXE_SCRIPT ? "a #! script judged no further" :
				 x.kind == EXE_ELF    ? "an ELF file of another byte order" :
							"neither an ELF file nor a #! script");
	return VIA_PRELOAD;
}

/* preflight_find as id, or as the calling user when id is NULL. */
static bool find(const struct identity *id, const char *program, char *path, size_t cap)
{
	struct identity self;
	bool found;

	if (id)
		return preflight_find(id, program, path, cap);
	if (identity_self(&self) < 0) {
		/* out of memory (said): exec's own search finds it, unfiltered */
		identity_free(&self);
		return false;
	}
	found = preflight_find(&self, program, path, cap);
	identity_free(&self);
	return found;
}

enum via choose_via(enum via want, const char *program, const struct identity *id, char *path,
		    size_t cap)
{
	const char *debug = getenv("FDBROKER_DEBUG");
	char why[3 * PATH_MAX];
	enum via v = want;

	if (v == VIA_PRELOAD || !find(id, program, path, cap))
		path[0] = '\0';
	if (v != VIA_AUTO) {
		snprintf(why, sizeof(why), "--via %s", via_names[v]);
	} else if (!sc_native()) {
		snprintf(why, sizeof(why), "no seccomp filter for this architecture");
		v = VIA_PRELOAD;
	} else if (!path[0]) {
		snprintf(why, sizeof(why), "not found in PATH");
		v = VIA_PRELOAD;
	} else {
		v = judge_file(path, true, why, sizeof(why));
	}
	if (debug && strcmp(debug, "1") == 0)
		fprintf(stderr, "fdbroker: %s: via %s (%s)\n", path[0] ? path : program,
			via_names[v], why);
	return v;
}
