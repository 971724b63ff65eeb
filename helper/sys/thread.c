/* Helper threads; see thread.h. */
#include "sys/thread.h"

#include <pthread.h>
#include <stdbool.h>
#include <signal.h>

static int start(pthread_t *t, bool detached, size_t stack, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t mine;
	int rc;

	pthread_attr_init(&attr);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t ? t : &mine, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

int thread_detached(void *(*fn)(void *), void *arg)
{
	return start(NULL, true, 0, fn, arg);
}

int thread_joinable(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg)
{
	return start(t, false, stack, fn, arg);
}

struct timespec thread_deadline(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
