/* Subordinate uids; see subids.h. */
#include "sys/subids.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest uid there is: (uid_t)-1 means "no uid" to the kernel. */
#define UID_LAST 4294967294ULL

static void warn_line(subids_warn_fn warn, void *ctx, const char *path, unsigned line,
		      const char *what, const char *value)
{
	char msg[512];

	if (!warn)
		return;
	snprintf(msg, sizeof(msg), "%s:%u: %s '%.200s': line skipped", path, line, what, value);
	warn(ctx, msg);
}

/* A decimal number, all of text, at most max: true and *out. */
static bool number(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

/* The uid a line's first field names (a login or a number): true and *uid. */
static bool owner_of(const char *field, uid_t *uid)
{
	unsigned long long n;
	struct passwd pw, *found = NULL;
	char *buf = NULL;
	int rc = ERANGE;

	if (number(field, UID_LAST, &n)) {
		*uid = (uid_t)n;
		return true;
	}
	/* an entry longer than the buffer: a bigger one, up to 1 MiB */
	for (size_t len = 4096; rc == ERANGE && len <= (1 << 20); len *= 4) {
		char *bigger = realloc(buf, len);

		if (!bigger)
			break;
		buf = bigger;
		rc = getpwnam_r(field, &pw, buf, len, &found);
	}
	if (rc == 0 && found)
		*uid = found->pw_uid;
	free(buf);
	return rc == 0 && found;
}

/* One line "owner:start:count" into r; NULL, or what is wrong with it. */
static const char *parse_line(char *text, struct subid_range *r)
{
	char *start = strchr(text, ':'), *count;
	unsigned long long s, c;

	if (!start || !(count = strchr(start + 1, ':')) || strchr(count + 1, ':'))
		return "not owner:start:count";
	*start++ = '\0';
	*count++ = '\0';
	if (!number(start, UID_LAST, &s) || !number(count, UID_LAST + 1, &c))
		return "not owner:start:count";
	if (c == 0 || s + c - 1 > UID_LAST)
		return "a range out of the uids";
	if (s == 0)
		return "a range holding uid 0";
	if (!owner_of(text, &r->owner))
		return "no such user";
	r->start = (uid_t)s;
	r->count = c;
	return NULL;
}

static int add(struct subids *s, const struct subid_range *r, size_t *cap)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		struct subid_range *v = realloc(s->v, ncap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		*cap = ncap;
	}
	s->v[s->n++] = *r;
	return 0;
}

int subids_load(struct subids *s, const char *path, subids_warn_fn warn, void *ctx)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t len = 0, cap = 0;
	unsigned no = 0;
	ssize_t got;
	int rc = 0, saved;

	s->v = NULL;
	s->n = 0;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while ((got = getline(&line, &len, f)) >= 0) {
		struct subid_range r;
		char copy[256];
		const char *why;

		no++;
		/* the line without its end, a CR and blanks included */
		while (got > 0 && strchr("\n\r \t", line[got - 1]))
			line[--got] = '\0';
		if (!line[0])
			continue;
		snprintf(copy, sizeof(copy), "%s", line);
		why = parse_line(line, &r);
		if (why) {
			warn_line(warn, ctx, path, no, why, copy);
			continue;
		}
		/* root's namespaces are counted uid by uid (subids.h) */
		if (r.owner != 0 && add(s, &r, &cap) < 0) {
			rc = -1;
			break;
		}
	}
	if (ferror(f))
		rc = -1;
	saved = errno;
	free(line);
	fclose(f);
	if (rc < 0) {
		subids_free(s);
		errno = saved;
	}
	return rc;
}

uid_t subids_owner(const struct subids *s, uid_t uid)
{
	for (size_t i = 0; i < s->n; i++)
		if (uid >= s->v[i].start && uid - s->v[i].start < s->v[i].count)
			return s->v[i].owner;
	return uid;
}

void subids_free(struct subids *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static const struct subids *in_use;

void subids_use(const struct subids *s)
{
	in_use = s;
}

uid_t subids_account(uid_t uid)
{
	return in_use ? subids_owner(in_use, uid) : uid;
}
