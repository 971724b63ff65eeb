/*
 * fdbroker serve: the system-wide broker (its client is fdbroker exec,
 * exec.c).
 *
 * serve listens on a well-known socket (or the one systemd hands it), keeps
 * only the capabilities its policy needs, reloads the policy on SIGHUP
 * (all or nothing: a policy that does not parse, or that needs a capability
 * already given up, leaves the old one in force) and tells systemd when it
 * is ready.  It supervises the programs fdbroker exec hands over under the
 * seccomp filter (front/seccomp.h), which costs three capabilities more
 * (caps_supervise); --no-supervise gives that up.  It counts a subordinate
 * uid as its owner's against the per-user limits (sys/subids.h), the
 * ranges read from --subuid (/etc/subuid) at start and on SIGHUP.
 */
#include "core/broker.h"
#include "front/seccomp.h"
#include "front/preload.h"
#include "sys/caps.h"
#include "sys/closer.h"
#include "sys/sockjob.h"
#include "sys/subids.h"
#include "cli/cli.h"
#include "learn/learn.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3

struct serve_state {
	struct strlist policies;
	const char *log;
	struct policy *policy;
	uint64_t caps; /* what this broker kept */
	bool no_supervise; /* --no-supervise */
	struct learn_opts learn;
	int learn_fd;  /* --learn-out, or -1 */
	const char *subuid; /* --subuid */
	struct subids subids;
};

#define DEFAULT_SUBUID "/etc/subuid"

/* Collects reload errors for the audit log. */
static void note_error(void *ctx, const char *msg)
{
	audit_note(ctx, "policy reload: %s", msg);
}

static void note_subuid(void *ctx, const char *msg)
{
	audit_note(ctx, "subuid reload: %s", msg);
}

/* The subordinate uids anew; an unreadable file keeps the ranges in force. */
static void reload_subids(struct broker *b, struct serve_state *st)
{
	struct subids fresh;

	if (subids_load(&fresh, st->subuid, note_subuid, b->audit) < 0) {
		audit_note(b->audit, "subuid reload: %s: %s; the old ranges stay", st->subuid,
			   strerror(errno));
		return;
	}
	subids_free(&st->subids);
	st->subids = fresh;
}

static void reload(struct broker *b, struct serve_state *st)
{
	struct policy *fresh = malloc(sizeof(*fresh));
	uint64_t need;
	char missing[256];

	reload_subids(b, st);
	if (!fresh)
		return;
	policy_init(fresh);
	if (load_policy_files(fresh, &st->policies, 1, note_error, b->audit) > 0) {
		audit_note(b->audit, "policy reload refused: errors above; the old policy stays");
		goto refuse;
	}
	need = caps_needed(fresh) | (st->no_supervise ? 0 : caps_supervise(fresh));
	if (need & ~st->caps) {
		caps_format(need & ~st->caps, missing, sizeof(missing));
		audit_note(b->audit, "policy reload refused: it needs %s, which this broker gave "
			   "up; restart fdbroker to use it", missing);
		goto refuse;
	}
	/* one pointer swap between two requests: each is judged by one policy */
	policy_free(st->policy);
	free(st->policy);
	st->policy = fresh;
	b->policy = fresh;
	b->policy_gen++;
	/* what the new policy no longer needs is given up for good */
	if (need != st->caps && caps_limit_all(need) == 0) {
		st->caps = need;
		/*
		 * every thread has its own: socket workers are retired, idle
		 * closers and workers (seccomp_reloaded) woken to give them up,
		 * readers give them up before their next notification
		 */
		sockjob_retire();
		closer_wake();
	}
	seccomp_reloaded(b);
	caps_format(st->caps, missing, sizeof(missing));
	audit_info(b->audit, "policy reloaded: rules=%zu capabilities kept: %s", fresh->n, missing);
	return;
refuse:
	policy_free(fresh);
	free(fresh);
}

static void on_signal(struct broker *b, const struct signalfd_siginfo *si)
{
	struct serve_state *st = b->ctx;

	switch (si->ssi_signo) {
	case SIGHUP:
		/* the new log first, so the reload's lines land where logrotate expects */
		if (audit_reopen(b->audit, st->log) < 0)
			audit_note(b->audit, "cannot reopen log %s: %s", st->log, strerror(errno));
		reload(b, st);
		break;
	case SIGUSR1:
		learn_flush(b->learn, &st->learn, st->learn_fd, false);
		break;
	default:
		b->stop = true;
		break;
	}
}

/* LISTEN_FDS from systemd: our socket is descriptor 3; -1 if not activated. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int type, domain;
	socklen_t len = sizeof(type);

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(SD_LISTEN_FDS_START, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 ||
	    type != SOCK_SEQPACKET || domain != AF_UNIX) {
		fprintf(stderr, "fdbroker: the activated socket is not AF_UNIX SOCK_SEQPACKET\n");
		return -2;
	}
	fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC);
	fcntl(SD_LISTEN_FDS_START, F_SETFL, fcntl(SD_LISTEN_FDS_START, F_GETFL) | O_NONBLOCK);
	return SD_LISTEN_FDS_START;
}

/* Our own socket: make its directory, replace a stale socket, never a live one. */
static int own_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "fdbroker: cannot make %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && strlen(path) < sizeof(sa.sun_path)) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		strcpy(sa.sun_path, path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			fprintf(stderr, "fdbroker: a broker already serves %s\n", path);
			close(fd);
			return -1;
		}
		close(fd);
		unlink(path);
	}
	return broker_listen(path);
}

/*
 * Not root, on a socket it cannot make (the default one): say so, rather
 * than "cannot listen: Permission denied".  A broker of one user's own, on
 * a socket in a directory that user may write, still starts (it then holds
 * no capability, and opens what that user may open).
 */
static int needs_root(const char *sock)
{
	char dir[PATH_MAX];
	char *slash;

	if (geteuid() == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		*(slash == dir ? slash + 1 : slash) = '\0';
	/* the directory, or the one it is to be made in */
	if (access(dir, W_OK | X_OK) < 0 && errno == ENOENT && (slash = strrchr(dir, '/')))
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(dir, W_OK | X_OK) < 0) {
		fprintf(stderr, "fdbroker serve: needs root to make its socket %s (or -s a path "
				"you may write)\n", sock);
		return -1;
	}
	return 0;
}

/* sd_notify(READY=1) without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)!sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "no-supervise", no_argument, NULL, 'N' },
		{ "subuid", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		LIMITS_OPTIONS,
		LEARN_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct serve_state st = { .learn_fd = -1, .subuid = DEFAULT_SUBUID };
	struct broker b = { .epfd = -1, .sigfd = -1 };
	struct audit audit = { .fd = -1 };
	const char *sock = DEFAULT_SOCKET;
	bool own = false;
	char caps[256];
	sigset_t sigs;
	struct rlimit nofile;
	int c, lfd = -1, rc = EXIT_BROKER_FAILED;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:s:h", longs, NULL)) != -1) {
		int lim = limits_option(&b.limits, c, optarg);

		if (lim == 0)
			lim = learn_option(&st.learn, c, optarg, argv, optind);
		if (lim < 0)
			return EXIT_BROKER_FAILED;
		if (lim > 0)
			continue;
		switch (c) {
		case 'p': strlist_add(&st.policies, optarg); break;
		case 's': sock = optarg; break;
		case 'l': st.log = optarg; break;
		case 'N': st.no_supervise = true; break;
		case 'U': st.subuid = optarg; break;
		case 'h': usage_print("serve", stdout); return 0;
		default: usage_error("serve", c, argv); return EXIT_BROKER_FAILED;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fdbroker serve: unexpected argument '%s'\nTry 'fdbroker help serve'.\n",
			argv[optind]);
		return EXIT_BROKER_FAILED;
	}
	if (learn_begin(&st.learn, "serve", &b.learn, &st.learn_fd) < 0)
		goto out;
	st.policy = malloc(sizeof(*st.policy));
	if (!st.policy)
		goto out;
	policy_init(st.policy);
	if (load_policy_files(st.policy, &st.policies, 1, print_policy_error, NULL) > 0) {
		fprintf(stderr, "fdbroker: policy refused\n");
		goto out;
	}
	if (subids_load(&st.subids, st.subuid, print_policy_error, NULL) < 0) {
		fprintf(stderr, "fdbroker: cannot read %s: %s\n", st.subuid, strerror(errno));
		goto out;
	}
	if (audit_open(&audit, st.log) < 0) {
		fprintf(stderr, "fdbroker: cannot open log %s: %s\n", st.log, strerror(errno));
		goto out;
	}
	lfd = activated_socket();
	if (lfd == -1 && needs_root(sock) < 0)
		goto out;
	if (lfd >= 0)
		sock = "the socket systemd passed (descriptor 3)";
	if (lfd == -1) {
		lfd = own_socket(sock);
		own = lfd >= 0;
	}
	if (lfd < 0)
		goto out;
	/* the broker sets modes itself: a created file gets the program's */
	umask(0);
	st.caps = caps_needed(st.policy) | (st.no_supervise ? 0 : caps_supervise(st.policy));
	if (caps_limit(st.caps) < 0)
		goto out;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	broker_raise_nofile(&nofile);
	/* a log past RLIMIT_FSIZE fails with EFBIG, which the audit reports, not kills */
	signal(SIGXFSZ, SIG_IGN);
	b.policy = st.policy;
	b.audit = &audit;
	b.on_signal = on_signal;
	b.client_ready = preload_client_ready; /* the shim speaks the wire */
	b.ctx = &st;
	/* connections' shares (core/clients.c) and stuck jobs (sys/sockjob.h) */
	subids_use(&st.subids);
	/* fdbroker exec hands over what the shim cannot enter */
	b.supervise = !st.no_supervise;
	if (broker_init(&b, lfd, &sigs) < 0) {
		fprintf(stderr, "fdbroker: broker: %s\n", strerror(errno));
		goto out;
	}
	caps_format(st.caps, caps, sizeof(caps));
	audit_info(&audit, "limits: connections %u in all, %u per user; held listeners %u in all, "
		   "%u per user, kept %u s unheld; supervised trees %u in all, %u per user; "
		   "subordinate uid ranges counted as their owners': %zu (%s)",
		   b.limits.clients, b.limits.clients_per_user, b.limits.listeners,
		   b.limits.listeners_per_user, b.limits.grace_s, b.limits.trees,
		   b.limits.trees_per_user, st.subids.n, st.subuid);
	audit_info(&audit, "serving %s: rules=%zu capabilities kept: %s", sock, st.policy->n,
		   caps);
	notify_ready();
	rc = broker_run(&b) < 0 ? EXIT_BROKER_FAILED : 0;
	learn_end(b.learn, &st.learn, st.learn_fd, false);
	b.learn = NULL;
	st.learn_fd = -1;
out:
	learn_free(b.learn);
	if (st.learn_fd >= 0)
		close(st.learn_fd);
	broker_close(&b);
	if (lfd >= 0)
		close(lfd);
	if (own)
		unlink(sock);
	audit_close(&audit);
	if (st.policy)
		policy_free(st.policy);
	free(st.policy);
	free(st.policies.v);
	subids_use(NULL);
	subids_free(&st.subids);
	return rc;
}
