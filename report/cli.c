/*
 * report/cli.c - time arguments and the store, for every subcommand
 */
#include "report/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dmarc/history.h"
#include "report/store.h"

/* day_start - 00:00 UTC of the day t falls in */
static int64_t
day_start(int64_t t)
{
	return t - ((t % 86400) + 86400) % 86400;
}

int64_t
ag_report_parse_time(const char *s, int64_t now)
{
	struct tm tm;
	char *end;
	long long n;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "today") == 0)
		return day_start(now);
	if (strcmp(s, "yesterday") == 0)
		return day_start(now) - 86400;
	if (s[0] == '@' || s[0] == '-') {
		n = strtoll(s + 1, &end, 10);
		if (end == s + 1 || n < 0 || n > 100LL * 366 * 86400)
			return -1;
		if (s[0] == '@')
			return *end == '\0' ? (int64_t)n : -1;
		if (strcmp(end, "d") == 0)
			return now - n * 86400;
		if (strcmp(end, "h") == 0)
			return now - n * 3600;
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL)
		return -1;
	if (*end == 'T') {
		const char *e2 = strptime(end + 1, "%H:%M", &tm);

		if (e2 == NULL)
			return -1;
		if (*e2 == ':')
			e2 = strptime(e2 + 1, "%S", &tm);
		if (e2 == NULL || strcmp(e2, "Z") != 0)
			return -1;
		end = (char *)e2 + 1;
	}
	if (*end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* own_sidecars - run as root on someone else's SQLite store: SQLite
 * makes its -wal and -shm files as whoever opens the database first, and
 * root-owned ones would lock the milter (User) out of its own history */
static void
own_sidecars(const char *store)
{
	static const char *const ext[] = { "-wal", "-shm" };
	struct stat st;

	if (geteuid() != 0 || strncmp(store, "postgres", 8) == 0 ||
	    stat(store, &st) != 0 || st.st_uid == 0)
		return;
	for (size_t i = 0; i < 2; i++) {
		char path[4200];

		snprintf(path, sizeof(path), "%s%s", store, ext[i]);
		/* best effort: a file that is gone needs no owner */
		if (chown(path, st.st_uid, st.st_gid) != 0 && errno != ENOENT)
			fprintf(stderr, "authgate-report: chown %s: %s\n",
				path, strerror(errno));
	}
}

struct ag_sql *
ag_report_open_store(const struct ag_report_env *env)
{
	struct ag_sql *db = NULL;
	struct ag_err err = { 0, "" };

	if (ag_history_prepare(env->store, &err) != AG_OK ||
	    ag_sql_open(&db, env->store, &err) != AG_OK ||
	    ag_report_store_init(db, &err) != AG_OK) {
		fprintf(stderr, "authgate-report: %s\n", err.msg);
		ag_sql_close(db);
		return NULL;
	}
	own_sidecars(env->store);
	return db;
}
