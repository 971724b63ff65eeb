/*
 * How an executable file starts, read from its first bytes: an ELF file's
 * program interpreter (the loader that would load the shim) and whether it
 * is a Go program, or a #! script's interpreter line.  Used by the
 * preflight checks (preflight.c) to say when the shim cannot enter a
 * program; run --via auto and the shim's exec path choose the way in by it.
 *
 * Reads through the descriptor given (pread: the offset is left alone),
 * never follows a path, never executes anything.  Allocates nothing and
 * uses no stdio stream: the shim's exec path (shim/exec.c) calls it after
 * fork, in a vfork child or a signal handler.
 * elf_inspect returns 0, or -1 with errno (EIO: a short or failed read).
 */
#ifndef FDB_ELFINFO_H
#define FDB_ELFINFO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum exe_kind {
	EXE_UNKNOWN, /* neither ELF nor #!: the kernel may still run it (binfmt_misc) */
	EXE_ELF,
	EXE_SCRIPT,
};

struct exe_info {
	enum exe_kind kind;
	/* EXE_ELF */
	bool foreign;    /* another byte order than ours: nothing more was read */
	bool has_interp; /* PT_INTERP: dynamically linked, interp names the loader */
	bool go;         /* a .go.buildinfo section or a Go build-id note */
	/* EXE_ELF: the loader; EXE_SCRIPT: the interpreter of the #! line */
	char interp[PATH_MAX];
	/* EXE_SCRIPT: the optional argument after it, as the kernel passes it ("" if none) */
	char arg[256];
};

int elf_inspect(int fd, struct exe_info *out);

/* Is interp glibc's dynamic loader (ld-linux*.so.*, ld64.so.*, ld.so.1)? */
bool elf_interp_is_glibc(const char *interp);

/*
 * Can the shim enter the ELF file x describes (EXE_ELF of our byte order)?
 * Not a Go program, not statically linked, not loaded by a loader other
 * than glibc's: the filter's then.  why (may be NULL) gets the reason in a
 * few words ("statically linked", "a Go program", "loaded by glibc's ...").
 */
bool elf_shim_enters(const struct exe_info *x, char *why, size_t cap);

#endif
