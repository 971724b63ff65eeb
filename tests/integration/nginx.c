/* nginx configurations for the tests; see nginx.h. */
#include "nginx.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>

const char *nginx_conf(int port, const char *error_log)
{
	char conf[2048];
	const char *dir = h_tmpdir(), *pid = h_path("nginx.pid");
	FILE *f;

	h_file("index.html", "hello from nginx\n", 0644);
	h_dir("tmp", 0777);
	snprintf(conf, sizeof(conf),
		 "daemon off; master_process on; worker_processes 2; pid %s;\n"
		 "error_log %s; events { worker_connections 64; }\n"
		 "http { access_log %s/access.log; client_body_temp_path %s/tmp/body;\n"
		 "  proxy_temp_path %s/tmp/proxy; fastcgi_temp_path %s/tmp/fcgi;\n"
		 "  uwsgi_temp_path %s/tmp/uwsgi; scgi_temp_path %s/tmp/scgi;\n"
		 "  server { listen 127.0.0.1:%d; root %s; } }\n",
		 pid, error_log, dir, dir, dir, dir, dir, dir, port, dir);
	f = fopen(h_path("nginx.conf"), "w");
	cr_assert_not_null(f);
	fputs(conf, f);
	fclose(f);
	chmod(dir, 0777); /* nginx as nobody writes its pid file and logs here */
	return h_path("nginx.conf");
}
