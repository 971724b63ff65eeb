/* Users and groups; see users.h. */
#include "sys/users.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= (unsigned long)(uid_t)-1)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int lookup_group(const char *name, gid_t *gid)
{
	struct group *gr = getgrnam(name);
	unsigned id;

	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (parse_id(name, &id) == 0) {
		*gid = id;
		return 0;
	}
	fprintf(stderr, "fdbroker: unknown group '%s'\n", name);
	return -1;
}

/* Supplementary groups of out->name with out->gid, from the group database. */
static int fill_groups(struct identity *out)
{
	int n = 32;

	for (;;) {
		int want = n;
		gid_t *grown = realloc(out->groups, sizeof(gid_t) * (size_t)n);

		if (!grown) {
			fprintf(stderr, "fdbroker: out of memory\n");
			return -1; /* out->groups stays for identity_free */
		}
		out->groups = grown;
		if (getgrouplist(out->name, out->gid, out->groups, &n) >= 0)
			break;
		if (n <= want)
			n = want * 2;
	}
	out->ngroups = n;
	return 0;
}

/* Who pw names, with gid as the group (groups not yet looked up). */
static void from_passwd(const struct passwd *pw, gid_t gid, struct identity *out)
{
	out->uid = pw->pw_uid;
	out->gid = gid;
	snprintf(out->name, sizeof(out->name), "%s", pw->pw_name);
	snprintf(out->home, sizeof(out->home), "%s", pw->pw_dir);
}

/*
 * A uid no passwd entry names (a container's range, a deleted account): it
 * has no primary group to look up, so the group must be given, and no
 * name for the group database, so no supplementary groups.
 */
static int bare_uid(unsigned uid, const char *colon, struct identity *out)
{
	gid_t gid;

	if (!colon || !colon[1]) {
		fprintf(stderr, "fdbroker: uid %u has no passwd entry, so no group: "
			"give one, as -u %u:GID\n", uid, uid);
		return -1;
	}
	if (lookup_group(colon + 1, &gid) < 0)
		return -1;
	return identity_of(uid, gid, out);
}

int identity_of(uid_t uid, gid_t gid, struct identity *out)
{
	struct passwd *pw = getpwuid(uid);

	memset(out, 0, sizeof(*out));
	if (pw) {
		from_passwd(pw, gid, out);
		return fill_groups(out);
	}
	out->uid = uid;
	out->gid = gid;
	snprintf(out->name, sizeof(out->name), "%u", (unsigned)uid);
	return 0;
}

int identity_self(struct identity *out)
{
	return identity_of(getuid(), getgid(), out);
}

int identity_lookup(const char *spec, struct identity *out)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	unsigned id;

	memset(out, 0, sizeof(*out));
	if (ulen == 0 || ulen >= sizeof(user)) {
		fprintf(stderr, "fdbroker: bad user '%s'\n", spec);
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	pw = getpwnam(user);
	if (!pw && parse_id(user, &id) == 0) {
		pw = getpwuid(id);
		if (!pw)
			return bare_uid(id, colon, out);
	}
	if (!pw) {
		fprintf(stderr, "fdbroker: unknown user '%s'\n", user);
		return -1;
	}
	from_passwd(pw, pw->pw_gid, out);
	if (colon && lookup_group(colon + 1, &out->gid) < 0)
		return -1;
	return fill_groups(out);
}

void identity_free(struct identity *id)
{
	free(id->groups);
	id->groups = NULL;
}

int identity_assume(const struct identity *id)
{
	if (setgroups((size_t)id->ngroups, id->groups) < 0 ||
	    setresgid(id->gid, id->gid, id->gid) < 0 || setresuid(id->uid, id->uid, id->uid) < 0) {
		fprintf(stderr, "fdbroker: cannot become %s: %s\n", id->name, strerror(errno));
		return -1;
	}
	/* a uid 0 that survived would be fatal: check rather than trust */
	if (id->uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		fprintf(stderr, "fdbroker: could not drop root\n");
		return -1;
	}
	return 0;
}
