/*
 * execprobe: a glibc program that executes another through one member of
 * the exec family, for the shim's exec path (shim/exec.c,
 * tests/integration/test_shimexec.c).
 *
 *   execprobe CALL PROG [ARG...]   exec PROG with argv PROG ARG... by CALL:
 *       execve execv execvp execvpe execl execlp execle (at most 4 ARGs)
 *       fexecve (PROG opened for reading), fexecve-opath (opened O_PATH)
 *   execprobe vfork PROG [ARG...]  vfork, the child execv's PROG, the
 *       parent waits and then says whether it is under a seccomp filter
 *       itself: "parent status=N seccomp=N no_new_privs=N"
 *
 * When the exec returns: "err ENAME", exit status 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

extern char **environ;

static int failed(void)
{
	print_err();
	return 1;
}

/* av[i] if there are that many, else NULL: the l-variants' fixed argument list */
static char *arg(char **av, int i)
{
	for (int k = 0; k < i; k++)
		if (!av[k])
			return NULL;
	return av[i];
}

static int cmd_execve(char **av) { execve(av[0], av, environ); return failed(); }
static int cmd_execv(char **av) { execv(av[0], av); return failed(); }
static int cmd_execvp(char **av) { execvp(av[0], av); return failed(); }
static int cmd_execvpe(char **av) { execvpe(av[0], av, environ); return failed(); }

static int cmd_execl(char **av)
{
	execl(av[0], av[0], arg(av, 1), arg(av, 2), arg(av, 3), arg(av, 4), (char *)NULL);
	return failed();
}

static int cmd_execlp(char **av)
{
	execlp(av[0], av[0], arg(av, 1), arg(av, 2), arg(av, 3), arg(av, 4), (char *)NULL);
	return failed();
}

static int cmd_execle(char **av)
{
	execle(av[0], av[0], arg(av, 1), arg(av, 2), arg(av, 3), arg(av, 4), (char *)NULL, environ);
	return failed();
}

static int fexec(char **av, int flags)
{
	int fd = open(av[0], flags);

	if (fd < 0)
		return failed();
	fexecve(fd, av, environ);
	return failed();
}

static int cmd_fexecve(char **av) { return fexec(av, O_RDONLY); }
static int cmd_fexecve_opath(char **av) { return fexec(av, O_PATH); }

/* "Seccomp:" and "NoNewPrivs:" of /proc/self/status: -1 if unknown */
static void own_state(int *seccomp, int *nnp)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*seccomp = *nnp = -1;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", seccomp);
		sscanf(line, "NoNewPrivs: %d", nnp);
	}
	if (f)
		fclose(f);
}

static int cmd_vfork(char **av)
{
	int status, seccomp, nnp;
	pid_t pid = vfork();

	if (pid < 0)
		return failed();
	if (pid == 0) {
		execv(av[0], av);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return failed();
	own_state(&seccomp, &nnp);
	printf("parent status=%d seccomp=%d no_new_privs=%d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), seccomp, nnp);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "execve", 1, cmd_execve },	 { "execv", 1, cmd_execv },
		{ "execvp", 1, cmd_execvp },	 { "execvpe", 1, cmd_execvpe },
		{ "execl", 1, cmd_execl },	 { "execlp", 1, cmd_execlp },
		{ "execle", 1, cmd_execle },	 { "fexecve", 1, cmd_fexecve },
		{ "fexecve-opath", 1, cmd_fexecve_opath },
		{ "vfork", 1, cmd_vfork },
	};

	return cmd_run("execprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
