/*
 * elfinfo: what an executable's first bytes say, on real files of this
 * system and on small ELF files made here (a musl loader, a Go note, a Go
 * section, hostile header counts), and #! lines as the kernel reads them.
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfinfo.h"

TestSuite(elfinfo);

static struct exe_info inspect_fd(int fd)
{
	struct exe_info x;

	cr_assert_eq(elf_inspect(fd, &x), 0, "elf_inspect: %m");
	close(fd);
	return x;
}

static struct exe_info inspect_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %m", path);
	return inspect_fd(fd);
}

static struct exe_info inspect_bytes(const void *buf, size_t len)
{
	int fd = memfd_create("elfinfo", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	return inspect_fd(fd);
}

/* An ELF64 of ours: header, two program headers, then the data they point at. */
struct fake {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	char data[64];
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->eh.e_ident, ELFMAG, SELFMAG);
	f->eh.e_ident[EI_CLASS] = ELFCLASS64;
	f->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh.e_phoff = offsetof(struct fake, ph);
	f->eh.e_phentsize = sizeof(Elf64_Phdr);
	f->eh.e_phnum = 2;
	f->ph[0].p_type = PT_NULL;
	f->ph[1].p_type = PT_NULL;
}

Test(elfinfo, dynamic_glibc_program)
{
	struct exe_info x = inspect_path("/bin/true");

	cr_assert_eq(x.kind, EXE_ELF);
	cr_assert(x.has_interp);
	cr_assert(elf_interp_is_glibc(x.interp), "%s", x.interp);
	cr_assert(!x.go);
}

Test(elfinfo, static_program)
{
	cr_assert_eq(access("/bin/busybox", R_OK), 0, "busybox-static is missing: scripts/deps.sh");
	struct exe_info x = inspect_path("/bin/busybox");

	cr_assert_eq(x.kind, EXE_ELF);
	cr_assert(!x.has_interp);
	cr_assert(!x.go);
}

Test(elfinfo, musl_loader)
{
	struct fake f;
	static const char interp[] = "/lib/ld-musl-x86_64.so.1";

	fake_init(&f);
	f.ph[0] = (Elf64_Phdr){ .p_type = PT_INTERP, .p_offset = offsetof(struct fake, data),
				.p_filesz = sizeof(interp) };
	memcpy(f.data, interp, sizeof(interp));
	struct exe_info x = inspect_bytes(&f, sizeof(f));

	cr_assert(x.has_interp);
	cr_assert_str_eq(x.interp, interp);
	cr_assert(!elf_interp_is_glibc(x.interp));
}

Test(elfinfo, go_build_id_note)
{
	struct fake f;
	Elf64_Nhdr n = { .n_namesz = 3, .n_descsz = 8, .n_type = 4 };

	fake_init(&f);
	f.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct fake, data),
				.p_filesz = sizeof(n) + 4 + 8 };
	memcpy(f.data, &n, sizeof(n));
	memcpy(f.data + sizeof(n), "Go\0", 4);
	struct exe_info x = inspect_bytes(&f, sizeof(f));

	cr_assert(x.go);
	cr_assert(!x.has_interp);
}

/* Another note (a GNU build id) is not Go's. */
Test(elfinfo, gnu_note_is_not_go)
{
	struct fake f;
	Elf64_Nhdr n = { .n_namesz = 4, .n_descsz = 4, .n_type = NT_GNU_BUILD_ID };

	fake_init(&f);
	f.ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct fake, data),
				.p_filesz = sizeof(n) + 8 };
	memcpy(f.data, &n, sizeof(n));
	memcpy(f.data + sizeof(n), "GNU\0", 4);
	cr_assert(!inspect_bytes(&f, sizeof(f)).go);
}

Test(elfinfo, go_buildinfo_section)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Shdr sh[3];
		char names[32];
	} f;
	static const char names[] = "\0.shstrtab\0.go.buildinfo";

	memset(&f, 0, sizeof(f));
	memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
	f.eh.e_ident[EI_CLASS] = ELFCLASS64;
	f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f.eh.e_shoff = offsetof(__typeof__(f), sh);
	f.eh.e_shentsize = sizeof(Elf64_Shdr);
	f.eh.e_shnum = 3;
	f.eh.e_shstrndx = 1;
	f.sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB,
				.sh_offset = offsetof(__typeof__(f), names), .sh_size = sizeof(names) };
	f.sh[2] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_PROGBITS };
	memcpy(f.names, names, sizeof(names));
	cr_assert(inspect_bytes(&f, sizeof(f)).go);
}

/*
 * The tables are read through a window of a kilobyte, not copied whole:
 * a section header and a name well past the first window, and a name
 * ended by the end of its table rather than a NUL, are still found.
 */
Test(elfinfo, go_buildinfo_section_past_the_first_window)
{
	enum { NSH = 40, NAMES = 3000, AT = 2500 };
	static struct {
		Elf64_Ehdr eh;
		Elf64_Shdr sh[NSH];
		char names[NAMES];
	} f;
	static const char want[] = ".go.buildinfo";

	for (int end = 0; end < 2; end++) {
		size_t size = end ? AT + sizeof(want) - 1 : NAMES;

		memset(&f, 0, sizeof(f));
		memcpy(f.eh.e_ident, ELFMAG, SELFMAG);
		f.eh.e_ident[EI_CLASS] = ELFCLASS64;
		f.eh.e_ident[EI_DATA] = ELFDATA2LSB;
		f.eh.e_shoff = offsetof(__typeof__(f), sh);
		f.eh.e_shentsize = sizeof(Elf64_Shdr);
		f.eh.e_shnum = NSH;
		f.eh.e_shstrndx = 1;
		f.sh[1] = (Elf64_Shdr){ .sh_type = SHT_STRTAB,
					.sh_offset = offsetof(__typeof__(f), names), .sh_size = size };
		/* the others name ".go.buildinfox" and ".go.buildinf": near, not it */
		memcpy(f.names + 100, ".go.buildinfox", 15);
		for (int i = 2; i < NSH - 1; i++)
			f.sh[i].sh_name = i % 2 ? 100 : 1000;
		memcpy(f.names + 1000, ".go.buildinf", 13);
		cr_assert(!inspect_bytes(&f, sizeof(f)).go);
		memcpy(f.names + AT, want, sizeof(want) - (size_t)end);
		f.sh[NSH - 1].sh_name = AT;
		cr_assert(inspect_bytes(&f, sizeof(f)).go, "name ended by %s",
			  end ? "the table" : "a NUL");
	}
}

/* Header counts and offsets pointing past the file: an error or nothing, never a crash. */
Test(elfinfo, hostile_headers)
{
	struct fake f;

	fake_init(&f);
	f.eh.e_phoff = 1ULL << 62;
	f.eh.e_shoff = ~0ULL;
	f.eh.e_shnum = 5;
	f.eh.e_shstrndx = 4;
	f.eh.e_shentsize = sizeof(Elf64_Shdr);
	struct exe_info x;
	int fd = memfd_create("elfinfo", MFD_CLOEXEC);

	cr_assert_eq(write(fd, &f, sizeof(f)), (ssize_t)sizeof(f));
	elf_inspect(fd, &x); /* fails or not: must not read out of bounds */
	close(fd);
	fake_init(&f);
	f.ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct fake, data),
				.p_filesz = 1ULL << 40 };
	memcpy(f.data, &(Elf64_Nhdr){ .n_namesz = 0xffffffff, .n_descsz = 9, .n_type = 4 },
	       sizeof(Elf64_Nhdr));
	x = inspect_bytes(&f, sizeof(f));
	cr_assert(!x.go);
}

Test(elfinfo, shebang_line)
{
	static const char s[] = "#! /usr/bin/env  -S python3 -u \t\nprint(1)\n";
	struct exe_info x = inspect_bytes(s, sizeof(s) - 1);

	cr_assert_eq(x.kind, EXE_SCRIPT);
	cr_assert_str_eq(x.interp, "/usr/bin/env");
	cr_assert_str_eq(x.arg, "-S python3 -u");
}

Test(elfinfo, shebang_without_argument)
{
	static const char s[] = "#!/bin/sh\n";
	struct exe_info x = inspect_bytes(s, sizeof(s) - 1);

	cr_assert_eq(x.kind, EXE_SCRIPT);
	cr_assert_str_eq(x.interp, "/bin/sh");
	cr_assert_str_eq(x.arg, "");
}

Test(elfinfo, neither)
{
	static const char s[] = "hello\n";

	cr_assert_eq(inspect_bytes(s, sizeof(s) - 1).kind, EXE_UNKNOWN);
}

Test(elfinfo, glibc_loader_names)
{
	cr_assert(elf_interp_is_glibc("/lib64/ld-linux-x86-64.so.2"));
	cr_assert(elf_interp_is_glibc("/lib/ld-linux-aarch64.so.1"));
	cr_assert(elf_interp_is_glibc("/lib/ld-linux.so.2"));
	cr_assert(elf_interp_is_glibc("/lib64/ld64.so.2"));
	cr_assert(!elf_interp_is_glibc("/lib/ld-musl-x86_64.so.1"));
	cr_assert(!elf_interp_is_glibc("/system/bin/linker64"));
}
