/*
 * The two ways in give the same outcomes (issue 16, acceptance 6).  Every
 * row runs both ways: `--via preload` with tests/bin/probe (glibc, the
 * shim) and `--via seccomp` with tests/static/fileprobe (the same commands,
 * the same result lines, no shim); both must print the expected line and
 * log the same decision, which under seccomp ends in " via=seccomp".  The
 * one known difference is a row of its own: a path no rule could grant is
 * asked of the broker by the shim (a deny line) but left to the kernel by
 * the seccomp front end (no line); the program sees EACCES either way.
 *
 * The tree (root's):
 *   granted/ 0700, rule -a:1 "open granted/ read": file 0600 "file 0"
 *   public/  0755, rule -a:2 "open public/ read":  pub  0644 "public"
 *   closed/  0700, no rule:                        secret 0600
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

TestSuite(ways, .fini = h_cleanup, .timeout = 120);

enum logged {
	NO_LINE,     /* neither way asks the broker for a decision it logs */
	SAME_LINE,   /* one line each way, the same decision */
	SHIM_ONLY,   /* a line under the shim; none under seccomp */
};

struct row {
	const char *name;
	const char *args[4]; /* "@" at the start of an argument: the test's directory */
	/*
	 * "err ENAME", or "ok PATH": probe's line for a descriptor open on
	 * PATH ("@/..."), as root sees the file.  Which number the descriptor
	 * has depends on what the test inherited: the two ways must agree.
	 */
	const char *want;
	enum logged logged;
	const char *line; /* the decision, from "op=" on ("@/..."), under preload */
};

static const struct row rows[] = {
	{ "openat_dirfd_relative_served", { "openat", "@/granted", "file", "r" },
	  "ok @/granted/file", SAME_LINE,
	  "op=open object=@/granted/file rights=read verdict=allow rule=-a:1 errno=0" },
	{ "openat_dirfd_relative_missing", { "openat", "@/granted", "missing", "r" },
	  "err ENOENT", SAME_LINE,
	  "op=open object=@/granted/missing rights=read verdict=error rule=-a:1 errno=ENOENT" },
	{ "missing_file_under_rule", { "read", "@/granted/missing" }, "err ENOENT", SAME_LINE,
	  "op=open object=@/granted/missing rights=read verdict=error rule=-a:1 errno=ENOENT" },
	{ "refused_outside_every_rule", { "read", "@/closed/secret" }, "err EACCES", SHIM_ONLY,
	  "op=open object=@/closed/secret rights=read verdict=deny rule=default errno=EACCES" },
	{ "openat_dirfd_refused", { "openat", "@/closed", "secret", "r" }, "err EACCES", SHIM_ONLY,
	  "op=open object=@/closed/secret rights=read verdict=deny rule=default errno=EACCES" },
	{ "readable_anyway_opens_unlogged", { "read", "@/public/pub" }, "ok @/public/pub",
	  NO_LINE, NULL },
};

/* s with a leading "@" made the test's directory, in one of a few static buffers. */
static const char *expand(const char *s)
{
	static char buf[8][600];
	static int i;

	if (!s || s[0] != '@')
		return s;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", h_tmpdir(), s + 1);
	return buf[i];
}

/* The template of "@/..." names expanded anywhere in it. */
static const char *expand_all(const char *s)
{
	static char buf[1024];
	const char *at = strstr(s, "@/");

	if (!at)
		return s;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - s), s, h_tmpdir(), at + 1);
	return buf;
}

/* The line row->want stands for, with descriptor fd (static buffer). */
static const char *want_line(const struct row *row, int fd)
{
	static char line[1024];
	char data[256] = "";
	const char *path;
	struct stat st;
	FILE *f;

	if (strncmp(row->want, "ok ", 3) != 0) {
		snprintf(line, sizeof(line), "%s\n", row->want);
		return line;
	}
	path = expand(row->want + 3);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	if (!fgets(data, sizeof(data), f))
		data[0] = '\0';
	fclose(f);
	data[strcspn(data, "\n")] = '\0';
	snprintf(line, sizeof(line),
		 "ok fd=%d cloexec=0 nonblock=0 append=0 ino=%lu uid=%u mode=%o data=%s\n", fd,
		 (unsigned long)st.st_ino, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		 data);
	return line;
}

struct outcome {
	char *out;   /* the program's stdout */
	long lines;  /* decision lines in the log */
	char *line;  /* the first one from "op=" on, or NULL */
};

/* tests/static/fileprobe: probe's commands in a program the shim cannot enter */
static const char *static_fileprobe(void)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/tests/static/fileprobe", FDB_BUILD_DIR);
	return buf;
}

/* fdbroker run -u nobody --via WAY -a RULE1 -a RULE2 --log LOG -- PROG ROW-ARGS */
static struct outcome run_way(const struct row *row, const char *way)
{
	char logname[128], granted[600], public[600], *log, *argv[24];
	const char *logpath;
	struct outcome o = { 0 };
	struct result r;
	int n = 0;

	snprintf(logname, sizeof(logname), "%s-%s.log", row->name, way);
	logpath = h_path(logname);
	snprintf(granted, sizeof(granted), "open %s/granted/ read", h_tmpdir());
	snprintf(public, sizeof(public), "open %s/public/ read", h_tmpdir());
	argv[n++] = (char *)h_fdbroker();
	argv[n++] = "run";
	argv[n++] = "-u";
	argv[n++] = "nobody";
	argv[n++] = "--via";
	argv[n++] = (char *)way;
	argv[n++] = "-a";
	argv[n++] = granted;
	argv[n++] = "-a";
	argv[n++] = public;
	argv[n++] = "--log";
	argv[n++] = (char *)logpath;
	argv[n++] = "--";
	argv[n++] = (char *)(strcmp(way, "seccomp") ? h_probe() : static_fileprobe());
	for (int i = 0; i < 4 && row->args[i]; i++)
		argv[n++] = (char *)expand(row->args[i]);
	argv[n] = NULL;
	r = h_run(argv, NULL, false);
	cr_assert_eq(r.status, 0, "%s --via %s: status %d: %s", row->name, way, r.status, r.err);
	log = h_slurp(logpath);
	o.out = strdup(r.out);
	o.lines = h_count_lines(log, " op=", NULL);
	if (o.lines > 0)
		o.line = strdup(strstr(h_line_with(log, " op="), " op=") + 1);
	free(log);
	h_free(&r);
	return o;
}

static void free_outcome(struct outcome *o)
{
	free(o->out);
	free(o->line);
}

static void check_row(const struct row *row)
{
	struct outcome shim = run_way(row, "preload"), sc = run_way(row, "seccomp");
	char sc_line[1024];
	const char *want;
	int fd = -1;

	sscanf(shim.out, "ok fd=%d", &fd);
	want = want_line(row, fd);

	cr_assert_str_eq(shim.out, want, "%s under the shim: '%s', want '%s'", row->name, shim.out,
			 want);
	cr_assert_str_eq(sc.out, shim.out, "%s: seccomp says '%s', the shim '%s'", row->name,
			 sc.out, shim.out);
	switch (row->logged) {
	case NO_LINE:
		cr_assert_eq(shim.lines + sc.lines, 0, "%s: logged (shim: %s, seccomp: %s)",
			     row->name, shim.line, sc.line);
		break;
	case SHIM_ONLY:
		cr_assert_eq(sc.lines, 0, "%s: logged under seccomp: %s", row->name, sc.line);
		/* fall through */
	case SAME_LINE:
		cr_assert_eq(shim.lines, 1, "%s: %ld lines under the shim", row->name, shim.lines);
		cr_assert_str_eq(shim.line, expand_all(row->line), "%s under the shim: '%s', want '%s'",
				 row->name, shim.line, expand_all(row->line));
		if (row->logged == SHIM_ONLY)
			break;
		cr_assert_eq(sc.lines, 1, "%s: %ld lines under seccomp", row->name, sc.lines);
		snprintf(sc_line, sizeof(sc_line), "%s via=seccomp", shim.line);
		cr_assert_str_eq(sc.line, sc_line, "%s under seccomp: '%s', want '%s'", row->name,
				 sc.line, sc_line);
		break;
	}
	free_outcome(&shim);
	free_outcome(&sc);
}

Test(ways, same_outcomes_under_preload_and_seccomp)
{
	h_dir("granted", 0700);
	h_file("granted/file", "file 0\n", 0600);
	h_dir("public", 0755);
	h_file("public/pub", "public\n", 0644);
	h_dir("closed", 0700);
	h_file("closed/secret", "secret\n", 0600);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}
