/*
 * fdbroker run: start PROGRAM as an unprivileged user under a private
 * broker that answers only PROGRAM's process tree.
 *
 * The broker is PROGRAM's parent and a child subreaper, so every process of
 * the tree, daemonized ones included, stays its descendant: that is how it
 * tells its own clients from other processes of the same user, and how it
 * knows when the last of them is gone.
 *
 * The way in (--via): the shim, preloaded, or the seccomp filter, which
 * the child installs while it is still root and hands to the broker before
 * it becomes USER and execs PROGRAM (see hand_off).  auto takes the filter
 * for a program the shim cannot enter.
 */
#include "core/broker.h"
#include "fdpass.h"
#include "filter.h"
#include "front/preload.h"
#include "front/seccomp.h"
#include "sys/caps.h"
#include "learn/learn.h"
#include "cli/preflight.h"
#include "cli/cli.h"
#include "cli/shimenv.h"
#include "cli/tree.h"
#include "cli/via.h"
#include "sys/pathsearch.h"
#include "sys/users.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SIOCUNIXFILE /* linux/un.h's, which clashes with sys/un.h */
#define SIOCUNIXFILE (SIOCPROTOPRIVATE + 0)
#endif

struct run_state {
	pid_t child;
	int status;    /* PROGRAM's wait status, once known */
	bool exited;
	bool stopping; /* SIGTERM went to the tree; SIGKILL follows */
	unsigned grace; /* --stop-grace: seconds from SIGTERM to SIGKILL */
};

#define DEFAULT_STOP_GRACE 10

/*
 * Stop what is left of the tree once PROGRAM's first process is gone (a
 * daemon it forked, adopted by us as subreaper): SIGTERM to every process,
 * SIGKILL to those left after the grace period, and SIGKILL again each
 * second to any a fork hid from the last walk, until ECHILD ends the loop.
 * A second SIGTERM or SIGINT does not wait for the grace period.
 */
static void stop_tree(struct run_state *st, int signo)
{
	bool kill_now = signo == SIGALRM || st->stopping || st->grace == 0;
	int n = tree_signal(getpid(), kill_now ? SIGKILL : SIGTERM);

	if (n < 0) {
		fprintf(stderr, "fdbroker run: cannot list the process tree: %s\n", strerror(errno));
		n = 0;
	}
	if (!kill_now) {
		fprintf(stderr, "fdbroker run: stopping: SIGTERM to %d process%s; SIGKILL after %u s\n",
			n, n == 1 ? "" : "es", st->grace);
		st->stopping = true;
		alarm(st->grace);
		return;
	}
	if (n > 0)
		fprintf(stderr, "fdbroker run: SIGKILL to %d process%s\n", n, n == 1 ? "" : "es");
	st->stopping = true;
	alarm(1);
}

/* Collect every child that exited; the last one gone stops the broker. */
static void reap(struct broker *b, struct run_state *st)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid == 0)
			return;
		if (pid < 0) {
			/* ECHILD: the last process of the tree is gone */
			b->stop = true;
			return;
		}
		if (pid == st->child) {
			st->status = status;
			st->exited = true;
		}
	}
}

static void on_signal(struct broker *b, const struct signalfd_siginfo *si)
{
	struct run_state *st = b->ctx;

	if (si->ssi_signo == SIGALRM) {
		if (st->stopping)
			stop_tree(st, SIGALRM);
		return;
	}
	if (si->ssi_signo != SIGCHLD) {
		/*
		 * Termination signals are PROGRAM's to handle.  One the terminal
		 * sent (SI_KERNEL) reached PROGRAM's process group already.
		 * Once PROGRAM is gone, SIGTERM and SIGINT stop the rest of the
		 * tree.  Reap first: signalfd hands out SIGTERM (15) before a
		 * SIGCHLD (17) that came with it, and PROGRAM may be gone already.
		 */
		reap(b, st);
		if (!st->exited && si->ssi_code != SI_KERNEL)
			kill(st->child, (int)si->ssi_signo);
		else if (st->exited && (si->ssi_signo == SIGTERM || si->ssi_signo == SIGINT))
			stop_tree(st, (int)si->ssi_signo);
		return;
	}
	reap(b, st);
}

/*
 * What the vfork()ed child needs to start PROGRAM.  It shares our memory
 * until it execs or exits, so it only makes system calls (stderr is
 * unbuffered), and on failure leaves its errno in err.
 */
struct launch {
	const struct identity *id;
	enum via via; /* preload or seccomp: auto is decided by now */
	const char *shim; /* preload: LD_PRELOAD's, checked as USER */
	/* seccomp: PROGRAM as found in PATH, before the filter forbids the search */
	const char *path;
	char **argv;
	const sigset_t *oldmask;
	const struct rlimit *nofile;
	int sock; /* seccomp: our end of the socketpair the listener goes over */
	volatile int err;
};

/*
 * In the child, while it may still install a filter without no_new_privs
 * (root: a setuid program it runs keeps its bit and is judged by the
 * credentials it gets): install it and pass the listener to the broker.
 * From here to the exec the child must make no call the filter traps: the
 * broker, suspended in vfork, would never answer it.
 */
static int hand_off(struct launch *l)
{
	int fd = filter_install();
	ssize_t n;

	if (fd == -EACCES) {
		/* no CAP_SYS_ADMIN (run by the user itself): only with no_new_privs */
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		fd = filter_install();
	}
	if (fd < 0) {
		l->err = -fd;
		fprintf(stderr, "fdbroker: cannot install the seccomp filter: %s%s\n", strerror(-fd),
			fd == -EBUSY ? " (a seccomp supervisor is in place already)" : "");
		return -1;
	}
	n = fdpass_send(l->sock, "L", 1, &fd, 1, 0);
	close(fd);
	if (n < 0) {
		l->err = (int)-n;
		fprintf(stderr, "fdbroker: cannot pass the seccomp listener: %s\n", strerror(l->err));
		return -1;
	}
	return 0;
}

/* In the vfork()ed child: become the user and exec PROGRAM. */
static void child_exec(struct launch *l)
{
	sigprocmask(SIG_SETMASK, l->oldmask, NULL);
	if (l->nofile->rlim_max) /* the program's own limit, not the broker's */
		setrlimit(RLIMIT_NOFILE, l->nofile);
	if (l->path && hand_off(l) < 0)
		_exit(EXIT_CANNOT_EXEC);
	if (geteuid() == 0 && identity_assume(l->id) < 0) {
		l->err = EPERM;
		_exit(EXIT_CANNOT_EXEC);
	}
	/* a shim the user cannot read is silently skipped by the loader: say so */
	if (l->via == VIA_PRELOAD && access(l->shim, R_OK) < 0) {
		fprintf(stderr, "fdbroker: %s cannot read %s (is a parent directory private?)\n",
			l->id->name, l->shim);
		l->err = EACCES;
		_exit(EXIT_CANNOT_EXEC);
	}
	/*
	 * Under the filter, PATH was searched before (exec_search stats as
	 * the caller); a name found nowhere has no filter and fails here the
	 * same way as under the shim.
	 */
	if (l->path)
		execvp(l->path, l->argv);
	else
		exec_search(l->argv);
	l->err = errno;
	fprintf(stderr, "fdbroker: cannot run %s: %s\n", l->argv[0], strerror(l->err));
	_exit(l->err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

struct run_opts {
	const char *user;
	const char *log;
	struct learn_opts learn;
	unsigned stop_grace;
	enum via via;
	struct limits limits;
	struct strlist policies, rules;
	char **argv;
};

/* --stop-grace SECONDS: 0 (SIGKILL at once) to a day */
static int parse_grace(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > 86400) {
		fprintf(stderr, "fdbroker run: --stop-grace wants seconds from 0 to 86400, not %s\n",
			arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* The command line into o: 0, 1 after --help (printed), -1 on an error (said). */
static int parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option longs[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "policy", required_argument, NULL, 'p' },
		{ "allow", required_argument, NULL, 'a' },
		{ "log", required_argument, NULL, 'l' },
		{ "stop-grace", required_argument, NULL, 'G' },
		{ "via", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		LIMITS_OPTIONS,
		LEARN_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	o->stop_grace = DEFAULT_STOP_GRACE;
	while ((c = getopt_long(argc, argv, "+:u:p:a:h", longs, NULL)) != -1) {
		int lim = limits_option(&o->limits, c, optarg);

		if (lim == 0)
			lim = learn_option(&o->learn, c, optarg, argv, optind);
		if (lim < 0)
			return -1;
		if (lim > 0)
			continue;
		switch (c) {
		case 'u':
			o->user = optarg;
			break;
		case 'p':
			strlist_add(&o->policies, optarg);
			break;
		case 'a':
			strlist_add(&o->rules, optarg);
			break;
		case 'l':
			o->log = optarg;
			break;
		case 'G':
			if (parse_grace(optarg, &o->stop_grace) < 0)
				return -1;
			break;
		case 'V':
			if (parse_via("run", optarg, &o->via) < 0)
				return -1;
			break;
		case 'h':
			usage_print("run", stdout);
			return 1;
		default:
			usage_error("run", c, argv);
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fdbroker run: no PROGRAM given\nTry 'fdbroker help run'.\n");
		return -1;
	}
	o->argv = argv + optind;
	return 0;
}

static int setup_identity(const struct run_opts *o, struct identity *id)
{
	if (geteuid() == 0 && !o->user) {
		fprintf(stderr, "fdbroker: refusing to run %s as root: name a user with -u USER\n",
			o->argv[0]);
		return -1;
	}
	if (geteuid() != 0) {
		if (o->user) {
			fprintf(stderr, "fdbroker: -u needs root\n");
			return -1;
		}
		return identity_self(id);
	}
	if (identity_lookup(o->user, id) < 0)
		return -1;
	if (id->uid == 0) {
		fprintf(stderr, "fdbroker: refusing to run %s as root: name an unprivileged user\n",
			o->argv[0]);
		return -1;
	}
	return 0;
}

static int load_run_policy(const struct run_opts *o, const struct identity *id, struct policy *p)
{
	int errors = load_policy_files(p, &o->policies, 0, print_policy_error, NULL);

	for (size_t i = 0; i < o->rules.n; i++)
		errors += policy_parse_inline(p, id->uid, "-a", (unsigned)i + 1, o->rules.v[i],
					      print_policy_error, NULL);
	return errors;
}

/*
 * Give the file fd is bound to, the very inode, to id: SIOCUNIXFILE
 * (Linux 4.11, CAP_NET_ADMIN) opens it as O_PATH, and fchownat changes
 * that.  Never the name: base may be a directory id can write (its
 * TMPDIR), where a hard link to another file could take the socket's name
 * between the bind and a chown by name.  0, or -1 with errno.
 */
static int give_socket_file(int fd, const struct identity *id)
{
	int file = ioctl(fd, SIOCUNIXFILE, 0), rc, saved;

	if (file < 0)
		return -1;
	rc = fchownat(file, "", id->uid, id->gid, AT_EMPTY_PATH);
	saved = errno;
	close(file);
	errno = saved;
	return rc;
}

/*
 * The broker's socket, listening: a name of its own in base
 * (fdbroker.RANDOM.sock, another one if that is taken), bound with mode
 * 0600 (the umask around the bind), then given to the program's user, id
 * (give_socket_file): only its processes (and root's) can connect, so no
 * other user can make the broker walk its process tree (in_tree,
 * core/clients.c) or write refusal lines.  Nothing is renamed and no
 * directory is made: a directory cost a launch ~170 us on an ext4 /tmp
 * mounted with discard (B6 of make bench), a socket 30 us.  The path in
 * sock (cap bytes); the descriptor, or -1 with a message.
 */
static int run_listen(const char *base, const struct identity *id, char *sock, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1;

	for (int tries = 0; tries < 16; tries++) {
		unsigned long long r = 0;
		mode_t old;
		int n;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			break;
		n = snprintf(sock, cap, "%s/fdbroker.%012llx.sock", base, r & 0xffffffffffffULL);
		if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(sa.sun_path)) {
			fprintf(stderr, "fdbroker: socket path too long: %s\n", sock);
			sock[0] = '\0';
			return -1;
		}
		memcpy(sa.sun_path, sock, (size_t)n + 1);
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		old = umask(0177);
		n = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (n == 0) {
			if (give_socket_file(fd, id) == 0 && listen(fd, 128) == 0)
				return fd;
			unlink(sock);
			break;
		}
		close(fd);
		fd = -1;
		if (errno != EADDRINUSE)
			break;
	}
	fprintf(stderr, "fdbroker: cannot listen in %s: %s\n", base, strerror(errno));
	if (fd >= 0)
		close(fd);
	sock[0] = '\0';
	return -1;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_BROKER_FAILED;
}

/* The listener the child sent before its exec; -1 if none came. */
static int receive_listener(int sock)
{
	char c;
	int fd = -1;
	size_t nfds = 0;

	if (fdpass_recv(sock, &c, 1, &fd, 1, &nfds, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1 || !nfds)
		return -1;
	return fd;
}

/*
 * Start PROGRAM; returns its pid, or -1 with the exit status in *fail.
 * vfork: no page tables to copy, which is most of what a fork costs here
 * (B6 of make bench); the environment is set in our own before, since the
 * broker execs nothing itself.  Under the filter *listener gets its
 * listener: when vfork returns the child has sent it, or failed.
 */
static pid_t spawn(struct launch *l, const char *sock, int *listener, int *fail)
{
	int sv[2] = { -1, -1 }, status;
	pid_t pid;

	*listener = -1;
	*fail = EXIT_BROKER_FAILED;
	if (l->via == VIA_PRELOAD && shim_environment(l->shim, sock) < 0)
		return -1;
	if (l->path && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "fdbroker: socketpair: %s\n", strerror(errno));
		return -1;
	}
	l->sock = sv[1];
	pid = vfork();
	if (pid == 0)
		child_exec(l);
	if (sv[1] >= 0)
		close(sv[1]);
	if (pid < 0) {
		fprintf(stderr, "fdbroker: fork: %s\n", strerror(errno));
	} else if (l->err) {
		/* the child said why on stderr; a listener it sent goes with sv[0] */
		waitpid(pid, &status, 0);
		*fail = exit_status(status);
		pid = -1;
	} else if (sv[0] >= 0 && (*listener = receive_listener(sv[0])) < 0) {
		fprintf(stderr, "fdbroker: the seccomp listener did not come\n");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	if (sv[0] >= 0)
		close(sv[0]);
	return pid;
}

/*
 * The broker's capabilities: what the rules need, CAP_KILL to forward
 * signals to PROGRAM's user, and when it supervises trees under the filter
 * (PROGRAM's, or one a shimmed program hands over at its exec of a program
 * the shim cannot enter) caps_supervise's.
 */
static uint64_t run_caps(const struct policy *p, bool supervise)
{
	uint64_t keep = caps_needed(p);

	if (geteuid() == 0)
		keep |= UINT64_C(1) << CAP_KILL;
	if (supervise)
		keep |= caps_supervise(p);
	return keep;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct identity id = { 0 };
	struct policy policy;
	struct audit audit = { .fd = -1 };
	struct run_state st = { 0 };
	struct broker b = { .epfd = -1, .sigfd = -1 };
	char sock[PATH_MAX + 32] = "", shim[PATH_MAX + 16], base[PATH_MAX - 32];
	char program[PATH_MAX];
	struct preflight pf = { .id = &id };
	sigset_t sigs, oldmask;
	struct rlimit nofile = { 0 }; /* stays 0 if it could not be read */
	struct launch l = { .id = &id, .shim = shim, .oldmask = &oldmask, .nofile = &nofile,
			    .sock = -1 };
	struct learn *learn = NULL;
	int lfd = -1, learn_fd = -1, listener = -1, rc = EXIT_BROKER_FAILED, parsed;

	policy_init(&policy);
	parsed = parse_run(argc, argv, &o);
	if (parsed > 0)
		rc = 0;
	if (parsed != 0 || setup_identity(&o, &id) < 0)
		goto out;
	if (load_run_policy(&o, &id, &policy) > 0) {
		fprintf(stderr, "fdbroker: policy refused\n");
		goto out;
	}
	policy.permissive = o.learn.mode == LEARN_PERMISSIVE;
	l.argv = o.argv;
	l.via = choose_via(o.via, o.argv[0], &id, program, sizeof(program));
	if (l.via == VIA_SECCOMP && program[0])
		l.path = program;
	if (learn_begin(&o.learn, "run", &learn, &learn_fd) < 0)
		goto out;
	if (l.via == VIA_PRELOAD) {
		dumpable_warning();
		if (find_shim(shim, sizeof(shim)) < 0) {
			fprintf(stderr, "fdbroker: cannot find libfdshim.so (tried %s)\n", shim);
			goto out;
		}
	}
	if (audit_open(&audit, o.log) < 0) {
		fprintf(stderr, "fdbroker: cannot open log %s: %s\n", o.log, strerror(errno));
		goto out;
	}
	if (preflight_socket_base(&pf, base, sizeof(base)) < 0)
		goto out;
	/* what the shim needs: nothing of it concerns the filter */
	if (l.via == VIA_PRELOAD) {
		if (preflight_shim(&pf, shim) < 0) {
			rc = EXIT_CANNOT_EXEC;
			goto out;
		}
		preflight_program(&pf, program[0] ? program : o.argv[0]);
	}
	lfd = run_listen(base, &id, sock, sizeof(sock));
	if (lfd < 0)
		goto out;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sigaddset(&sigs, SIGALRM); /* the grace period of stop_tree */
	sigprocmask(SIG_BLOCK, &sigs, &oldmask);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	broker_raise_nofile(&nofile);
	b.policy = &policy;
	b.audit = &audit;
	b.tree_root = getpid();
	b.allow_dumpable = dumpable_opted_out();
	/* --via auto: a shimmed program's exec of a static one is handed over */
	b.supervise = l.via == VIA_SECCOMP || o.via == VIA_AUTO;
	b.limits = o.limits;
	b.on_signal = on_signal;
	b.client_ready = preload_client_ready; /* the shim speaks the wire */
	b.ctx = &st;
	/* before the tree: its readers' prefilter passes nothing while learning */
	b.learn = learn;
	st.grace = o.stop_grace;
	if (broker_init(&b, lfd, &sigs) < 0) {
		fprintf(stderr, "fdbroker: broker: %s\n", strerror(errno));
		goto out;
	}
	st.child = spawn(&l, sock, &listener, &rc);
	if (st.child > 0) {
		/* modes of created files come from the program, its umask applied */
		umask(0);
		/* after the exec: an ignored signal would be inherited by PROGRAM */
		signal(SIGXFSZ, SIG_IGN);
		/* before any thread starts: a thread keeps the capabilities it was made with */
		if (caps_limit(run_caps(&policy, b.supervise)) < 0) {
			kill(st.child, SIGKILL);
			waitpid(st.child, NULL, 0);
			if (listener >= 0)
				close(listener);
			goto out;
		}
	}
	/* PROGRAM may be running already: its trapped calls wait for us */
	if (st.child > 0 && listener >= 0 && seccomp_attach(&b, listener, id.uid) < 0) {
		fprintf(stderr, "fdbroker: seccomp: %s\n", strerror(errno));
		kill(st.child, SIGKILL);
		waitpid(st.child, NULL, 0);
		st.child = -1;
	}
	if (st.child > 0) {
		broker_run(&b);
		rc = st.exited ? exit_status(st.status) : EXIT_BROKER_FAILED;
		preflight_denials(o.argv[0], rc, b.denied, o.learn.mode != LEARN_OFF);
		learn_end(learn, &o.learn, learn_fd, true);
		learn = NULL;
		b.learn = NULL;
		learn_fd = -1;
	}
out:
	broker_close(&b);
	if (lfd >= 0)
		close(lfd);
	if (sock[0])
		unlink(sock);
	learn_free(learn);
	if (learn_fd >= 0)
		close(learn_fd);
	audit_close(&audit);
	policy_free(&policy);
	identity_free(&id);
	free(o.policies.v);
	free(o.rules.v);
	return rc;
}
