/*
 * The Go test program, tests/go/goprobe, built once per run of the
 * integration tests (goprog.c), for every suite that runs it.
 */
#ifndef FDB_TEST_GOPROG_H
#define FDB_TEST_GOPROG_H

/*
 * The program's path, built by the first test that asks (the others wait
 * on a lock) with Debian's golang-go: CGO_ENABLED=0, GOPROXY=off, caches in
 * the run's own directory.  Fails the test if it cannot be built.
 */
const char *h_goprobe(void);

#endif
