/* Policy files named on the command line, or the default set. */
#include "cli/cli.h"
#include "conf/policy_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int strlist_add(struct strlist *l, char *s)
{
	char **v = realloc(l->v, sizeof(char *) * (l->n + 1));

	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

void print_policy_error(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_policy_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 7 && strcmp(d->d_name + n - 7, ".policy") == 0;
}

/* DIR/policy, then DIR/policy.d/NAME.policy in name order; each optional. */
int load_default_policy(struct policy *p, const char *dir, size_t *nfiles, policy_error_fn err,
			void *ctx)
{
	struct dirent **names;
	char path[4096 + 256 + 2], sub[4096];
	int errors = 0, n;

	*nfiles = 0;
	snprintf(path, sizeof(path), "%s/policy", dir);
	snprintf(sub, sizeof(sub), "%s/policy.d", dir);
	if (access(path, F_OK) == 0) {
		errors += policy_parse_file(p, path, err, ctx);
		(*nfiles)++;
	}
	n = scandir(sub, &names, is_policy_name, name_order);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, names[i]->d_name);
		errors += policy_parse_file(p, path, err, ctx);
		(*nfiles)++;
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return errors;
}

int load_policy_files(struct policy *p, const struct strlist *files, int use_default,
		      policy_error_fn err, void *ctx)
{
	int errors = 0;
	size_t nfiles;

	if (files->n == 0 && use_default)
		return load_default_policy(p, DEFAULT_POLICY_HOME, &nfiles, err, ctx);
	for (size_t i = 0; i < files->n; i++)
		errors += policy_parse_file(p, files->v[i], err, ctx);
	return errors;
}

/* The -p files, or the default set in dir; a default set with no file at all is an error. */
int load_check_policy(struct policy *p, const struct strlist *files, const char *dir,
		      const char *cmd)
{
	size_t nfiles;
	int errors;

	if (files->n)
		return load_policy_files(p, files, 0, print_policy_error, NULL);
	errors = load_default_policy(p, dir, &nfiles, print_policy_error, NULL);
	if (nfiles == 0) {
		fprintf(stderr, "fdbroker %s: no policy file: neither %s/policy nor "
			"%s/policy.d/*.policy exists (name one with -p)\n", cmd, dir, dir);
		return -1;
	}
	return errors;
}
