/*
 * Helpers shared by the `make bench` programs (see scripts/bench.sh and
 * ../shared/BENCH.md): a monotonic clock, sorting for medians and p99, and
 * reading VmRSS.  Header-only so each program stays one file.
 */
#ifndef FDB_BENCH_H
#define FDB_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static inline int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v; the upper median for even n. */
static inline double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_dbl);
	return v[n / 2];
}

/* After median() (v sorted): the 99th percentile. */
static inline double p99_sorted(const double *v, size_t n)
{
	return v[n * 99 / 100];
}

/* A "Field: N kB" line of /proc/PID/FILE (pid 0: ourselves) in KiB, or -1. */
static inline long proc_kib(int pid, const char *file, const char *field)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0) {
			kib = strtol(line + strlen(field), NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

static inline void die(const char *what)
{
	perror(what);
	exit(1);
}

/* A "Field:   N kB" line of /proc/PID/status (pid 0: ourselves). */
static inline long status_kib(int pid, const char *field)
{
	return proc_kib(pid, "status", field);
}

static inline long vmrss_kib(int pid)
{
	return status_kib(pid, "VmRSS:");
}

#endif
