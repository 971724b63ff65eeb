/*
 * mapprobe: which of the shim's pages a program has mapped.
 *   mapprobe open PATH     open PATH (brokered if need be), close it
 *   mapprobe socket PATH   the same, then one socket() and close
 *   mapprobe cancel FIFO   a thread opens FIFO (no writer: it blocks in the
 *                          shim's open) and is cancelled: "cancelled"
 * then one line per mapping of libfdshim.so, in address order:
 *   map PERMS size=KIB rss=KIB
 * after "ok fd=N" or "err ENAME" for the open (or "cancelled").  The
 * tests tell the mappings apart by their order (shim/libfdshim.ld).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd.h"

/* The shim's mappings from /proc/self/smaps: "map PERMS size=N rss=N". */
static int print_maps(void)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512], perms[8] = "";
	unsigned long lo, hi, size = 0;
	bool ours = false;

	if (!f)
		return fail("fopen smaps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long kib;

		/* a mapping's first line: "LO-HI PERMS OFFSET DEV INODE [NAME]" */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
			ours = strstr(line, "/libfdshim.so") != NULL;
			size = (hi - lo) / 1024;
			continue;
		}
		if (ours && sscanf(line, "Rss: %lu kB", &kib) == 1)
			printf("map %s size=%lu rss=%lu\n", perms, size, kib);
	}
	fclose(f);
	return 0;
}

static int opened(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return print_err();
	printf("ok fd=%d\n", fd);
	close(fd);
	return 0;
}

static int cmd_open(char **av)
{
	opened(av[0]);
	return print_maps();
}

static int cmd_socket(char **av)
{
	int s;

	opened(av[0]);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail("socket");
	close(s);
	return print_maps();
}

static void *open_fifo(void *path)
{
	/* a cancellation point inside the shim's open: the unwinding goes through it */
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return NULL;
}

/* No sleep: a cancel that comes first is acted on at the open, in the shim's frame too. */
static int cmd_cancel(char **av)
{
	pthread_t t;
	void *ret;

	if ((errno = pthread_create(&t, NULL, open_fifo, av[0])) != 0)
		return fail("pthread_create");
	pthread_cancel(t);
	pthread_join(t, &ret);
	printf("%s\n", ret == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
	return print_maps();
}

int main(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "open", 1, cmd_open },
		{ "socket", 1, cmd_socket },
		{ "cancel", 1, cmd_cancel },
	};

	return cmd_run("mapprobe", cmds, CMD_COUNT(cmds), argc, argv);
}
