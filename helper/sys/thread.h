/*
 * Helper threads of the broker's own: detached, with every signal blocked
 * from their first instruction (signals are the loop's, through its
 * signalfd; a thread inherits the mask of the one that creates it).
 */
#ifndef FDB_THREAD_H
#define FDB_THREAD_H

/* fn(arg) on a new detached thread: 0, or pthread_create's errno. */
int thread_detached(void *(*fn)(void *), void *arg);

#endif
