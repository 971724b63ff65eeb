/* How an executable starts; see elfinfo.h. */
#include "elfinfo.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bounds on what a header may ask us to read: real files stay far below. */
#define MAX_PHNUM 1024
#define MAX_SHNUM 8192
#define MAX_NOTES (64 * 1024)
#define MAX_SHSTRTAB (1024 * 1024)
/* The kernel reads this much of a #! line (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256

#ifndef NT_GO_BUILD_ID
#define NT_GO_BUILD_ID 4 /* the Go linker's build-id note, named "Go" */
#endif

/* One program or section header, whatever the class. */
struct seg {
	uint32_t type;
	uint32_t name; /* sections: offset in the section name table */
	uint64_t offset, size;
};

struct elf {
	int fd;
	bool is64;
	uint64_t phoff, shoff;
	unsigned phnum, phentsize, shnum, shentsize, shstrndx;
};

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (off > (uint64_t)INT64_MAX - len) {
		errno = EIO;
		return -1;
	}
	n = pread(fd, buf, len, (off_t)off);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* A header table (program or section headers) in one read; NULL with errno. */
static unsigned char *read_table(const struct elf *e, uint64_t off, unsigned n, unsigned entsize)
{
	size_t len = (size_t)n * entsize;
	unsigned char *t = malloc(len ? len : 1);

	if (t && read_at(e->fd, t, len, off) < 0) {
		free(t);
		t = NULL;
	}
	return t;
}

/* Entry i of a program header table read by read_table. */
static struct seg phdr_at(const struct elf *e, const unsigned char *t, unsigned i)
{
	const unsigned char *at = t + (size_t)i * e->phentsize;

	if (e->is64) {
		Elf64_Phdr p;

		memcpy(&p, at, sizeof(p));
		return (struct seg){ .type = p.p_type, .offset = p.p_offset, .size = p.p_filesz };
	} else {
		Elf32_Phdr p;

		memcpy(&p, at, sizeof(p));
		return (struct seg){ .type = p.p_type, .offset = p.p_offset, .size = p.p_filesz };
	}
}

/* Entry i of a section header table read by read_table. */
static struct seg shdr_at(const struct elf *e, const unsigned char *t, unsigned i)
{
	const unsigned char *at = t + (size_t)i * e->shentsize;

	if (e->is64) {
		Elf64_Shdr h;

		memcpy(&h, at, sizeof(h));
		return (struct seg){ .type = h.sh_type, .name = h.sh_name, .offset = h.sh_offset,
				     .size = h.sh_size };
	} else {
		Elf32_Shdr h;

		memcpy(&h, at, sizeof(h));
		return (struct seg){ .type = h.sh_type, .name = h.sh_name, .offset = h.sh_offset,
				     .size = h.sh_size };
	}
}

static int read_ehdr(int fd, const unsigned char *ident, struct elf *e)
{
	e->fd = fd;
	e->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (e->is64) {
		Elf64_Ehdr h;

		if (read_at(fd, &h, sizeof(h), 0) < 0)
			return -1;
		e->phoff = h.e_phoff, e->phnum = h.e_phnum, e->phentsize = h.e_phentsize;
		e->shoff = h.e_shoff, e->shnum = h.e_shnum, e->shentsize = h.e_shentsize;
		e->shstrndx = h.e_shstrndx;
	} else {
		Elf32_Ehdr h;

		if (read_at(fd, &h, sizeof(h), 0) < 0)
			return -1;
		e->phoff = h.e_phoff, e->phnum = h.e_phnum, e->phentsize = h.e_phentsize;
		e->shoff = h.e_shoff, e->shnum = h.e_shnum, e->shentsize = h.e_shentsize;
		e->shstrndx = h.e_shstrndx;
	}
	if (e->phentsize < (e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || e->phnum > MAX_PHNUM)
		e->phnum = 0;
	if (e->shentsize < (e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) || e->shnum > MAX_SHNUM ||
	    e->shstrndx >= e->shnum)
		e->shnum = 0;
	return 0;
}

/* Does a PT_NOTE segment hold the Go build-id note? */
static bool go_note(const struct elf *e, const struct seg *s)
{
	unsigned char *buf;
	size_t len = s->size < MAX_NOTES ? (size_t)s->size : MAX_NOTES, at = 0;
	bool found = false;

	buf = malloc(len ? len : 1);
	if (!buf || read_at(e->fd, buf, len, s->offset) < 0) {
		free(buf);
		return false;
	}
	/* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words, 4-aligned */
	while (!found && len - at >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr n;
		size_t name, desc;

		memcpy(&n, buf + at, sizeof(n));
		at += sizeof(n);
		name = ((size_t)n.n_namesz + 3) & ~(size_t)3;
		desc = ((size_t)n.n_descsz + 3) & ~(size_t)3;
		if (name > len - at || desc > len - at - name)
			break;
		found = n.n_type == NT_GO_BUILD_ID && n.n_namesz == 3 && memcmp(buf + at, "Go", 3) == 0;
		at += name + desc;
	}
	free(buf);
	return found;
}

/* Is there a section named .go.buildinfo (what `go version FILE` reads)? */
static bool go_section(const struct elf *e)
{
	static const char want[] = ".go.buildinfo";
	unsigned char *sh;
	struct seg names;
	char *tab = NULL;
	size_t len;
	bool found = false;

	if (!e->shnum || !(sh = read_table(e, e->shoff, e->shnum, e->shentsize)))
		return false;
	names = shdr_at(e, sh, e->shstrndx);
	len = (size_t)names.size;
	if (names.size <= MAX_SHSTRTAB && (tab = malloc(len + 1)) &&
	    read_at(e->fd, tab, len, names.offset) == 0) {
		tab[len] = '\0';
		for (unsigned i = 0; !found && i < e->shnum; i++) {
			struct seg s = shdr_at(e, sh, i);

			found = s.name < len && strcmp(tab + s.name, want) == 0;
		}
	}
	free(tab);
	free(sh);
	return found;
}

static int inspect_elf(int fd, const unsigned char *ident, struct exe_info *out)
{
	unsigned char *ph;
	struct elf e;
	struct seg s;

	out->kind = EXE_ELF;
	if ((ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    ident[EI_DATA] != (BYTE_ORDER == LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB)) {
		out->foreign = true;
		return 0;
	}
	if (read_ehdr(fd, ident, &e) < 0 || !(ph = read_table(&e, e.phoff, e.phnum, e.phentsize)))
		return -1;
	for (unsigned i = 0; i < e.phnum; i++) {
		s = phdr_at(&e, ph, i);
		if (s.type == PT_INTERP && !out->has_interp) {
			size_t len = s.size < sizeof(out->interp) ? (size_t)s.size : sizeof(out->interp) - 1;

			if (read_at(fd, out->interp, len, s.offset) < 0) {
				free(ph);
				return -1;
			}
			out->interp[len] = '\0';
			out->has_interp = true;
		} else if (s.type == PT_NOTE && !out->go) {
			out->go = go_note(&e, &s);
		}
	}
	free(ph);
	if (!out->go)
		out->go = go_section(&e);
	return 0;
}

/* "#!INTERP ARG\n": blanks around both, ARG the whole rest, as the kernel reads it. */
static void inspect_script(const char *buf, size_t len, struct exe_info *out)
{
	const char *p = buf + 2, *end = memchr(buf, '\n', len);
	size_t n;

	out->kind = EXE_SCRIPT;
	if (!end)
		end = buf + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (n = 0; p + n < end && p[n] != ' ' && p[n] != '\t'; n++)
		;
	if (n >= sizeof(out->interp))
		n = sizeof(out->interp) - 1;
	memcpy(out->interp, p, n);
	out->interp[n] = '\0';
	p += n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	n = (size_t)(end - p) < sizeof(out->arg) ? (size_t)(end - p) : sizeof(out->arg) - 1;
	memcpy(out->arg, p, n);
	out->arg[n] = '\0';
}

int elf_inspect(int fd, struct exe_info *out)
{
	char buf[SHEBANG_MAX];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	if ((size_t)n >= EI_NIDENT && memcmp(buf, ELFMAG, SELFMAG) == 0)
		return inspect_elf(fd, (const unsigned char *)buf, out);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!')
		inspect_script(buf, (size_t)n, out);
	return 0;
}

bool elf_interp_is_glibc(const char *interp)
{
	const char *base = strrchr(interp, '/');

	base = base ? base + 1 : interp;
	return strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "ld64.so.", 8) == 0 ||
	       strcmp(base, "ld.so.1") == 0;
}

bool elf_shim_enters(const struct exe_info *x, char *why, size_t cap)
{
	char none[1];

	if (!why) {
		why = none;
		cap = sizeof(none);
	}
	if (x->go) {
		snprintf(why, cap, "a Go program");
		return false;
	}
	if (!x->has_interp) {
		snprintf(why, cap, "statically linked");
		return false;
	}
	if (!elf_interp_is_glibc(x->interp)) {
		snprintf(why, cap, "loaded by %s, not glibc's loader", x->interp);
		return false;
	}
	snprintf(why, cap, "loaded by glibc's %s", x->interp);
	return true;
}
