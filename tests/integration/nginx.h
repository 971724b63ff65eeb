/*
 * nginx in integration tests: a configuration in the test's directory for
 * master and two workers on 127.0.0.1:PORT, serving the directory, writable
 * by nobody.  Functions abort the test (cr_assert) on failure.
 */
#ifndef FDB_NGINX_H
#define FDB_NGINX_H

/*
 * Write h_path("nginx.conf") with error_log as given (e.g. "/dev/stderr
 * notice"), pid file h_path("nginx.pid") and index.html; returns the conf's
 * path.
 */
const char *nginx_conf(int port, const char *error_log);

#endif
