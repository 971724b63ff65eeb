/*
 * The subcommand table of the test programs: PROG NAME ARGS... runs NAME's
 * function on ARGS (argv from there, NULL-terminated).  A header of static
 * inline functions rather than a .c: the Makefile makes a program of every
 * tests/bin/NAME.c, and each program includes this.
 */
#ifndef FDB_TEST_CMD_H
#define FDB_TEST_CMD_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errname.h"

struct cmd {
	const char *name;
	int nargs; /* at least this many arguments */
	int (*fn)(char **av);
};

#define CMD_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/*
 * Run argv[1]'s command on argv + 2 and return its exit status; an unknown
 * name or too few arguments print the usage (from the table) and return 2.
 */
static inline int cmd_run(const char *prog, const struct cmd *t, size_t n, int argc, char **argv)
{
	/* line by line: a test may read a line while the program waits for it */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < n; i++)
		if (!strcmp(argv[1], t[i].name) && argc - 2 >= t[i].nargs)
			return t[i].fn(argv + 2);
	fprintf(stderr, "usage: %s ", prog);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? "|" : "", t[i].name);
	fprintf(stderr, " ARGS...\n");
	return 2;
}

/* The result line of a failed call, "err ENAME"; exit status 0 (the line tells). */
static inline int print_err(void)
{
	printf("err %s\n", errname(errno));
	return 0;
}

/* The result line of a failed call, "err ENAME CALL"; exit status 0. */
static inline int fail(const char *call)
{
	printf("err %s %s\n", errname(errno), call);
	return 0;
}

#endif
