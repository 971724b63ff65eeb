/* A real fdbroker serve for integration tests: see served.h. */
#include "served.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void spawn_args(struct proc *p, const char *policy, const char *sock, const char *log,
		       char *const env[], char *const args[])
{
	char *argv[32] = { (char *)h_fdbroker(), "serve", "-p", (char *)policy, "-s",
			   (char *)sock, "--log", (char *)log };
	int n = 8;

	for (int i = 0; args && args[i]; i++) {
		cr_assert_lt(n, 31, "too many serve options");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	p_start(p, argv, env, h_path("serve.err"));
}

void served_spawn(struct proc *p, const char *policy, const char *sock, const char *log,
		  char *const env[])
{
	spawn_args(p, policy, sock, log, env, NULL);
}

void served_start(struct served *s, const char *policy, int wait_ms)
{
	served_start_args(s, policy, NULL, wait_ms);
}

void served_start_args(struct served *s, const char *policy, char *const args[], int wait_ms)
{
	s->sock = h_path("broker.sock");
	s->log = h_path("audit.log");
	spawn_args(&s->proc, policy, s->sock, s->log, NULL, args);
	cr_assert_eq(wait_for_file(s->sock, wait_ms), 0, "broker did not start");
	/*
	 * "serving" is logged once the loop is set up: from then on, with no
	 * client connected yet, the descriptor count is the broker's own.
	 */
	cr_assert_eq(wait_for_text(s->log, "serving ", wait_ms), 0, "broker did not start");
	s->base_fds = served_fds(s);
}

int served_stop(struct served *s)
{
	return p_stop(&s->proc);
}

int served_fds(const struct served *s)
{
	return pid_fd_count(s->proc.pid);
}

void served_settle_fds(const struct served *s, int base, void (*round_trip)(void))
{
	int n = served_fds(s);

	for (int i = 0; i < 200 && n != base; i++) {
		round_trip();
		n = served_fds(s);
	}
	cr_assert_eq(n, base, "broker descriptors: %d, baseline %d", n, base);
}

long served_rss_kb(const struct served *s)
{
	return pid_rss_kb(s->proc.pid);
}

const char *served_raw(const struct served *s, const char *uid, const char *gid, bool keep,
		       char *const args[])
{
	static char out[4096];
	char *argv[20];
	struct result r;
	int n = 0;

	argv[n++] = (char *)h_rawclient();
	if (keep)
		argv[n++] = "-k";
	argv[n++] = "-u";
	argv[n++] = (char *)uid;
	argv[n++] = "-g";
	argv[n++] = (char *)gid;
	argv[n++] = (char *)s->sock;
	for (int i = 0; args[i] && n < 19; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	r = h_run(argv, NULL, false);
	snprintf(out, sizeof(out), "%s", r.out);
	out[strcspn(out, "\n")] = '\0';
	cr_assert_eq(r.status, 0, "rawclient %s: status %d: %s %s", args[0], r.status, r.out,
		     r.err);
	h_free(&r);
	return out;
}

int pid_fds_below(pid_t pid, int limit)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) < limit)
			n++;
	closedir(d);
	return n;
}

int pid_fd_count(pid_t pid)
{
	return pid_fds_below(pid, INT_MAX);
}

long pid_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
