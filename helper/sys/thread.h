/*
 * Helper threads of the broker's own: detached or joined, with every signal blocked
 * from their first instruction (signals are the loop's, through its
 * signalfd; a thread inherits the mask of the one that creates it).
 */
#ifndef FDB_THREAD_H
#define FDB_THREAD_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* fn(arg) on a new detached thread: 0, or pthread_create's errno. */
int thread_detached(void *(*fn)(void *), void *arg);
/* The same, joinable (*t), with a stack of stack bytes (0: the default). */
int thread_joinable(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg);
/* CLOCK_MONOTONIC ms milliseconds from now: a deadline for a timed wait on that clock. */
struct timespec thread_deadline(long ms);

#endif
