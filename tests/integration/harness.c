/* Integration test harness; see harness.h. */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <libgen.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];
static char paths[64][512];
static int npaths;

/*
 * The programs of the suite run as nobody under the shim, which brokers a
 * stat that fails with EACCES.  A PATH through directories nobody may not
 * search (root's ~/.cargo/bin, ~/.pyenv/shims), or a HOME nobody may not
 * search (Python looks for ~/.local/lib/pythonX.Y/site-packages), would make
 * every such search ask about root-only names: lines in the audit log and
 * --learn output no test expects.  The suite runs on the system PATH, with
 * nobody's home (fdbroker run passes HOME on as it is).
 */
__attribute__((constructor)) static void system_env(void)
{
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/nonexistent", 1);
}

const char *h_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/fdbtest.XXXXXX");
		cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
		/* nobody passes through; no one else writes (policies are read from here) */
		cr_assert_eq(chmod(tmpdir, 0755), 0);
	}
	return tmpdir;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

void h_cleanup(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
	npaths = 0;
}

const char *h_path(const char *name)
{
	cr_assert_lt(npaths, 64);
	snprintf(paths[npaths], sizeof(paths[0]), "%s/%s", h_tmpdir(), name);
	return paths[npaths++];
}

const char *h_file(const char *name, const char *content, mode_t mode)
{
	const char *p = h_path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);

	cr_assert_geq(fd, 0, "create %s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	/* the mode asked, whatever the umask: fdbroker refuses a group-writable policy */
	cr_assert_eq(fchmod(fd, mode), 0, "chmod %s: %s", p, strerror(errno));
	close(fd);
	return p;
}

const char *h_dir(const char *name, mode_t mode)
{
	const char *p = h_path(name);

	cr_assert_eq(mkdir(p, mode), 0, "mkdir %s: %s", p, strerror(errno));
	cr_assert_eq(chmod(p, mode), 0, "chmod %s: %s", p, strerror(errno));
	return p;
}

static const char *build_path(const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", FDB_BUILD_DIR, rel);
	return buf[i];
}

const char *h_fdbroker(void) { return build_path("fdbroker"); }
const char *h_shim(void) { return build_path("libfdshim.so"); }
const char *h_probe(void) { return build_path("tests/probe"); }
const char *h_netprobe(void) { return build_path("tests/netprobe"); }
const char *h_stress(void) { return build_path("tests/stress"); }
const char *h_rawclient(void) { return build_path("tests/rawclient"); }
const char *h_handprobe(void) { return build_path("tests/handprobe"); }
const char *h_statprobe(void) { return build_path("tests/statprobe"); }
const char *h_credprobe(void) { return build_path("tests/credprobe"); }
const char *h_mapprobe(void) { return build_path("tests/mapprobe"); }
const char *h_lockhold(void) { return build_path("tests/lockhold"); }

const char *h_srcfile(const char *dir, const char *name)
{
	static char buf[4][512];
	static int i;
	char build[512];

	i = (i + 1) % 4;
	snprintf(build, sizeof(build), "%s", FDB_BUILD_DIR);
	snprintf(buf[i], sizeof(buf[i]), "%s/%s/%s", dirname(build), dir, name);
	return buf[i];
}

static char *slurp_fd(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	while (fd >= 0 && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	return buf;
}

char *h_slurp(const char *path)
{
	return slurp_fd(open(path, O_RDONLY | O_CLOEXEC));
}

char *h_slurp_must(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "cannot read %s: %s", path, strerror(errno));
	return slurp_fd(fd);
}

long h_count_lines(const char *text, const char *a, const char *b)
{
	long n = 0;

	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		if (memmem(s, len, a, strlen(a)) && (!b || memmem(s, len, b, strlen(b))))
			n++;
		s += len + (nl ? 1 : 0);
	}
	return n;
}

char *h_preload_env(void)
{
	static char buf[2048];
	const char *old = getenv("LD_PRELOAD");

	snprintf(buf, sizeof(buf), "LD_PRELOAD=%s%s%s", old && *old ? old : "",
		 old && *old ? " " : "", h_shim());
	return buf;
}

char **h_shim_env(const char *socket_path)
{
	static char sockenv[600];
	static char *env[3];

	snprintf(sockenv, sizeof(sockenv), "FDBROKER_SOCKET=%s", socket_path);
	env[0] = h_preload_env();
	env[1] = sockenv;
	env[2] = NULL;
	return env;
}

const char *h_root_only_files(int n, char *policy, size_t cap)
{
	const char *dir = h_dir("files", 0711);

	for (int i = 0; i < n; i++) {
		char name[32], content[32];

		snprintf(name, sizeof(name), "files/f%d", i);
		snprintf(content, sizeof(content), "file %d\n", i);
		h_file(name, content, 0600);
	}
	snprintf(policy, cap, "allow user nobody open %s/ read\n", dir);
	return dir;
}

/* Read both pipes to the end without letting either fill up. */
static void drain(int ofd, int efd, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	struct pollfd p[2] = { { .fd = ofd, .events = POLLIN }, { .fd = efd, .events = POLLIN } };
	int open_fds = 2;

	*out = calloc(1, 1);
	*err = calloc(1, 1);
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char buf[4096], **dst = i ? err : out;
			size_t *len = i ? &elen : &olen;
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			*dst = realloc(*dst, *len + (size_t)n + 1);
			memcpy(*dst + *len, buf, (size_t)n);
			*len += (size_t)n;
			(*dst)[*len] = '\0';
		}
	}
}

void h_die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(126);
}

struct result h_run(char *const argv[], char *const env[], bool as_nobody)
{
	struct result r = { 0 };
	int o[2], e[2], status;
	pid_t pid, self;

	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0);
	self = getpid();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (as_nobody) {
			gid_t g = NOBODY_GID;

			if (setgroups(1, &g) || setresgid(g, g, g) || setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID))
				_exit(125);
		}
		h_die_with_parent(self);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	drain(o[0], e[0], &r.out, &r.err);
	waitpid(pid, &status, 0);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

void h_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

struct result h_broker_probe(const char *policy, char *const probe_args[])
{
	char *prog[64] = { (char *)h_probe() };
	int n = 1;

	for (int i = 0; probe_args[i] && n < 63; i++)
		prog[n++] = probe_args[i];
	prog[n] = NULL;
	return h_broker_run("nobody", policy, prog);
}

char *h_audit(void)
{
	char path[512], *buf = calloc(1, 65536);
	int fd;

	snprintf(path, sizeof(path), "%s/audit.log", h_tmpdir());
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, 65535);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return buf;
}

/*
 * An IPv6 address just added is tentative until the kernel's address
 * work has run (on lo too, where it skips the duplicate detection): a bind
 * to it fails with EADDRNOTAVAIL until then.  Bound once, it is usable;
 * 5 s at most, a look every millisecond.
 */
static void wait_usable(const struct in6_addr *addr, const char *text)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = *addr };
	long deadline = h_now_ms() + 5000;

	for (;;) {
		int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc, e;

		cr_assert_geq(s, 0);
		rc = bind(s, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
		close(s);
		if (rc == 0)
			return;
		cr_assert(e == EADDRNOTAVAIL && h_now_ms() < deadline, "%s never usable: %s", text,
			  strerror(e));
		poll(NULL, 0, 1);
	}
}

void h_own_netns(const char *const v6[])
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s, s6;

	cr_assert_eq(unshare(CLONE_NEWNET), 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s, 0);
	cr_assert_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0, "lo up: %s", strerror(errno));
	close(s);
	for (size_t i = 0; v6 && v6[i]; i++) {
		struct in6_ifreq req = { .ifr6_prefixlen = 128, .ifr6_ifindex = (int)if_nametoindex("lo") };

		cr_assert_eq(inet_pton(AF_INET6, v6[i], &req.ifr6_addr), 1, "%s", v6[i]);
		s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(s6, 0);
		cr_assert_eq(ioctl(s6, SIOCSIFADDR, &req), 0, "add %s to lo: %s", v6[i],
			     strerror(errno));
		close(s6);
		wait_usable(&req.ifr6_addr, v6[i]);
	}
}

long h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *h_line(const char *s, int n)
{
	static char line[4096];

	for (; n > 0 && s; n--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s)
		return "";
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(s, "\n"), s);
	return line;
}

void h_run_argv(char **out, int cap, const char *user, char *const opts[], char *const prog[])
{
	int n = 0;

	out[n++] = (char *)h_fdbroker();
	out[n++] = "run";
	out[n++] = "-u";
	out[n++] = (char *)user;
	for (int i = 0; opts && opts[i] && n < cap - 4; i++)
		out[n++] = opts[i];
	out[n++] = "--log";
	out[n++] = (char *)h_path("audit.log");
	out[n++] = "--";
	for (int i = 0; prog[i] && n < cap - 1; i++)
		out[n++] = prog[i];
	out[n] = NULL;
}

/* h_run_argv with -p, the policy text written to a file, into room for 64. */
static void broker_argv(const char *user, const char *policy, char *const prog[], char **argv)
{
	char *opts[] = { "-p", policy ? (char *)h_file("test.policy", policy, 0644) : NULL, NULL };

	h_run_argv(argv, 64, user, policy ? opts : NULL, prog);
}

struct result h_broker_run_env(const char *user, const char *policy, char *const argv[],
			       char *const env[])
{
	char *full[64];

	broker_argv(user, policy, argv, full);
	return h_run(full, env, false);
}

struct result h_broker_run(const char *user, const char *policy, char *const argv[])
{
	return h_broker_run_env(user, policy, argv, NULL);
}

pid_t h_broker_spawn(const char *user, const char *policy, char *const argv[],
		     char *const env[], FILE **out)
{
	char *full[64];
	int o[2];
	pid_t pid, self;

	broker_argv(user, policy, argv, full);
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	self = getpid();
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		h_die_with_parent(self);
		dup2(o[1], 1);
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		execvp(full[0], full);
		_exit(127);
	}
	close(o[1]);
	*out = fdopen(o[0], "r");
	cr_assert_not_null(*out);
	return pid;
}

void h_gated_start(struct gated_run *g)
{
	char script[800];

	snprintf(g->gate, sizeof(g->gate), "%s", h_path("gate"));
	cr_assert_eq(mkfifo(g->gate, 0666), 0);
	cr_assert_eq(chmod(g->gate, 0666), 0); /* past the umask: nobody reads it */
	snprintf(script, sizeof(script), "echo \"$FDBROKER_SOCKET\"; read go < %s", g->gate);
	g->broker = h_broker_spawn("nobody", NULL, (char *[]){ "sh", "-c", script, NULL }, NULL,
				   &g->out);
	cr_assert_not_null(fgets(g->sock, sizeof(g->sock), g->out), "the program said nothing");
	g->sock[strcspn(g->sock, "\n")] = '\0';
	cr_assert(g->sock[0] == '/', "socket '%s'", g->sock);
}

int h_gated_release(struct gated_run *g)
{
	FILE *f = fopen(g->gate, "w");
	int status;

	cr_assert_not_null(f, "%s: %s", g->gate, strerror(errno));
	fputs("go\n", f);
	fclose(f);
	cr_assert_eq(waitpid(g->broker, &status, 0), g->broker);
	g->broker = 0;
	fclose(g->out);
	g->out = NULL;
	return status;
}

void h_gated_stop(struct gated_run *g)
{
	int f;

	if (g->broker <= 0)
		return;
	kill(g->broker, SIGCONT);
	f = open(g->gate, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (f >= 0) {
		(void)!write(f, "go\n", 3); /* the program exits, and with it the tree */
		close(f);
	}
	kill(g->broker, SIGKILL);
	waitpid(g->broker, NULL, 0);
	g->broker = 0;
	if (g->out)
		fclose(g->out);
	g->out = NULL;
}

bool h_has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *s = text; (s = strstr(s, line)); s += len)
		if ((s == text || s[-1] == '\n') && (s[len] == '\n' || s[len] == '\0'))
			return true;
	return false;
}

const char *h_line_with(const char *text, const char *needle)
{
	static char line[4096];
	const char *at = strstr(text, needle), *start;

	if (!at)
		return "";
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(start, "\n"), start);
	return line;
}

struct result h_fdbroker_cmd(char *const args[], char *const env[], bool as_nobody)
{
	char *argv[32] = { (char *)h_fdbroker() };
	int n = 1;

	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return h_run(argv, env, as_nobody);
}

void h_audit_has(const char *what)
{
	char *log = h_audit();

	cr_assert(strstr(log, what), "audit log lacks '%s':\n%s", what, log);
	free(log);
}

void h_audit_lacks(const char *what)
{
	char *log = h_audit();

	cr_assert(!strstr(log, what), "audit log has '%s':\n%s", what, log);
	free(log);
}
