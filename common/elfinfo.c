/* How an executable starts; see elfinfo.h. */
#include "elfinfo.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * A window on the file: the header tables, notes and section names are
 * read through one of these, a kilobyte at a time, instead of into
 * allocated copies.  The shim's exec path inspects a file after fork, in a
 * vfork child or a signal handler, where malloc may hang; a few preads
 * cover the tables of any real program.
 */
#define WIN_SIZE 1024

struct win {
	int fd;
	uint64_t off; /* file offset of buf[0] */
	size_t len;   /* bytes of buf read */
	unsigned char buf[WIN_SIZE];
};

static void win_init(struct win *w, int fd)
{
	w->fd = fd;
	w->off = 0;
	w->len = 0;
}

/* len (at most WIN_SIZE) bytes at off; NULL with errno (EIO: past the end). */
static const unsigned char *win_at(struct win *w, uint64_t off, size_t len)
{
	ssize_t n;

	if (off >= w->off && off - w->off <= w->len && len <= w->len - (off - w->off))
		return w->buf + (off - w->off);
	if (len > sizeof(w->buf) || off > (uint64_t)INT64_MAX - sizeof(w->buf)) {
		errno = EIO;
		return NULL;
	}
	w->len = 0;
	n = pread(w->fd, w->buf, sizeof(w->buf), (off_t)off);
	if (n < 0)
		return NULL;
	w->off = off;
	w->len = (size_t)n;
	if ((size_t)n < len) {
		errno = EIO;
		return NULL;
	}
	return w->buf;
}

/* Offset of entry i of a table at base; UINT64_MAX (unreadable) on overflow. */
static uint64_t entry_off(uint64_t base, unsigned i, unsigned entsize)
{
	uint64_t at = (uint64_t)i * entsize;

	return base > UINT64_MAX - at ? UINT64_MAX : base + at;
}

/* Program header i, whatever the class; -1 with errno. */
static int phdr_at(const struct elf *e, struct win *w, unsigned i, struct seg *out)
{
	size_t len = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	const unsigned char *at = win_at(w, entry_off(e->phoff, i, e->phentsize), len);

	if (!at)
		return -1;
	if (e->is64) {
		Elf64_Phdr p;

		memcpy(&p, at, sizeof(p));
		*out = (struct seg){ .type = p.p_type, .offset = p.p_offset, .size = p.p_filesz };
	} else {
		Elf32_Phdr p;

		memcpy(&p, at, sizeof(p));
		*out = (struct seg){ .type = p.p_type, .offset = p.p_offset, .size = p.p_filesz };
	}
	return 0;
}

/* Section header i, whatever the class; -1 with errno. */
static int shdr_at(const struct elf *e, struct win *w, unsigned i, struct seg *out)
{
	size_t len = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	const unsigned char *at = win_at(w, entry_off(e->shoff, i, e->shentsize), len);

	if (!at)
		return -1;
	if (e->is64) {
		Elf64_Shdr h;

		memcpy(&h, at, sizeof(h));
		*out = (struct seg){ .type = h.sh_type, .name = h.sh_name, .offset = h.sh_offset,
				     .size = h.sh_size };
	} else {
		Elf32_Shdr h;

		memcpy(&h, at, sizeof(h));
		*out = (struct seg){ .type = h.sh_type, .name = h.sh_name, .offset = h.sh_offset,
				     .size = h.sh_size };
	}
	return 0;
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
	size_t len = s->size < MAX_NOTES ? (size_t)s->size : MAX_NOTES, at = 0;
	const unsigned char *p;
	struct win w;

	if (s->offset > (uint64_t)INT64_MAX - len)
		return false;
	win_init(&w, e->fd);
	/* Elf32_Nhdr and Elf64_Nhdr are the same three 32-bit words, 4-aligned */
	while (len - at >= sizeof(Elf32_Nhdr)) {
		Elf32_Nhdr n;
		size_t name, desc;

		if (!(p = win_at(&w, s->offset + at, sizeof(n))))
			return false;
		memcpy(&n, p, sizeof(n));
		at += sizeof(n);
		name = ((size_t)n.n_namesz + 3) & ~(size_t)3;
		desc = ((size_t)n.n_descsz + 3) & ~(size_t)3;
		if (name > len - at || desc > len - at - name)
			break;
		if (n.n_type == NT_GO_BUILD_ID && n.n_namesz == 3 &&
		    (p = win_at(&w, s->offset + at, 3)) && memcmp(p, "Go", 3) == 0)
			return true;
		at += name + desc;
	}
	return false;
}

/* Is the name at offset name of the string table names exactly want? */
static bool name_is(struct win *w, const struct seg *names, uint32_t name, const char *want,
		    size_t wantlen)
{
	const unsigned char *p;
	size_t avail;

	if (name >= names->size)
		return false;
	avail = (size_t)(names->size - name);
	/* a name running to the table's end is ended by it */
	if (avail == wantlen)
		return (p = win_at(w, names->offset + name, wantlen)) && memcmp(p, want, wantlen) == 0;
	return avail > wantlen && (p = win_at(w, names->offset + name, wantlen + 1)) &&
	       memcmp(p, want, wantlen + 1) == 0;
}

/* Is there a section named .go.buildinfo (what `go version FILE` reads)? */
static bool go_section(const struct elf *e, struct win *tab)
{
	static const char want[] = ".go.buildinfo";
	struct seg names, s;
	struct win w;

	if (!e->shnum || shdr_at(e, tab, e->shstrndx, &names) < 0 || names.size > MAX_SHSTRTAB ||
	    names.offset > (uint64_t)INT64_MAX - names.size)
		return false;
	win_init(&w, e->fd);
	for (unsigned i = 0; i < e->shnum; i++) {
		if (shdr_at(e, tab, i, &s) < 0)
			return false;
		if (name_is(&w, &names, s.name, want, sizeof(want) - 1))
			return true;
	}
	return false;
}

static int inspect_elf(int fd, const unsigned char *ident, struct exe_info *out)
{
	struct win tab;
	struct elf e;
	struct seg s;

	out->kind = EXE_ELF;
	if ((ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    ident[EI_DATA] != (BYTE_ORDER == LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB)) {
		out->foreign = true;
		return 0;
	}
	if (read_ehdr(fd, ident, &e) < 0)
		return -1;
	win_init(&tab, fd);
	for (unsigned i = 0; i < e.phnum; i++) {
		if (phdr_at(&e, &tab, i, &s) < 0)
			return -1;
		if (s.type == PT_INTERP && !out->has_interp) {
			size_t len = s.size < sizeof(out->interp) ? (size_t)s.size : sizeof(out->interp) - 1;

			if (read_at(fd, out->interp, len, s.offset) < 0)
				return -1;
			out->interp[len] = '\0';
			out->has_interp = true;
		} else if (s.type == PT_NOTE && !out->go) {
			out->go = go_note(&e, &s);
		}
	}
	if (!out->go)
		out->go = go_section(&e, &tab);
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
