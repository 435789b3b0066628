/*
 * report/ingest.c - authgate-report ingest: every aggregate and failure
 * report found in the given files, directories or stdin, parsed and
 * stored once (duplicates by org and report id, or by content for
 * failure reports); anything refused is named with the reason
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "dmarc/arf.h"
#include "dmarc/feedback.h"
#include "report/cli.h"
#include "report/store.h"
#include "report/unpack.h"

struct ingest {
	struct ag_sql *db;
	unsigned stored, dups, refused, failures;
	unsigned fail_stored, fail_dups;
	int temp;
};

/* digest - hex sha256 over the failure report's two parts */
static void
digest(const struct ag_unpacked *u, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	out[0] = '\0';
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, u->data, u->len) == 1 &&
	    (u->original == NULL ||
	     EVP_DigestUpdate(c, u->original, u->olen) == 1) &&
	    EVP_DigestFinal_ex(c, md, &n) == 1)
		for (unsigned i = 0; i < n && i < 32; i++)
			sprintf(out + 2 * i, "%02x", md[i]);
	EVP_MD_CTX_free(c);
}

static void
refused(void *arg, const char *origin, const char *why)
{
	struct ingest *in = arg;

	printf("%s: refused: %s\n", origin, why);
	in->refused++;
}

static int
aggregate(struct ingest *in, const struct ag_unpacked *u)
{
	struct ag_feedback *fb = NULL;
	struct ag_err err = { 0, "" };
	bool dup = false;
	int rc;

	if (ag_feedback_parse(u->data, u->len, &fb, &err) != AG_OK) {
		refused(in, u->origin, err.msg);
		return 0;
	}
	rc = ag_report_store_add_feedback(in->db, fb, u->origin, &dup, &err);
	if (rc != AG_OK) {
		fprintf(stderr, "authgate-report: %s: %s\n", u->origin,
			err.msg);
		in->failures++;
		in->temp |= rc == AG_ETEMP;
	} else if (dup) {
		printf("%s: already stored: %s report %s\n", u->origin,
		       fb->org_name, fb->report_id);
		in->dups++;
	} else {
		printf("%s: stored: %s report %s for %s, %zu record(s), "
		       "%llu message(s)\n", u->origin, fb->org_name,
		       fb->report_id, fb->domain, fb->nrec,
		       (unsigned long long)fb->total_count);
		in->stored++;
	}
	ag_feedback_free(fb);
	return 0;
}

static int
failure(struct ingest *in, const struct ag_unpacked *u)
{
	struct ag_arf *arf = NULL;
	struct ag_err err = { 0, "" };
	char hex[65];
	bool dup = false;
	int rc;

	if (ag_arf_parse(u->data, u->len, u->original, u->olen, &arf, &err) !=
	    AG_OK) {
		refused(in, u->origin, err.msg);
		return 0;
	}
	digest(u, hex);
	rc = ag_report_store_add_failure(in->db, arf, hex, u->origin, &dup,
					 &err);
	if (rc != AG_OK) {
		fprintf(stderr, "authgate-report: %s: %s\n", u->origin,
			err.msg);
		in->failures++;
		in->temp |= rc == AG_ETEMP;
	} else if (dup) {
		printf("%s: already stored: failure report\n", u->origin);
		in->fail_dups++;
	} else {
		printf("%s: stored: %s failure report from %s about %s "
		       "(source %s)\n", u->origin, arf->feedback_type,
		       arf->user_agent[0] != '\0' ? arf->user_agent : "?",
		       arf->nreported_domain > 0 ? arf->reported_domain[0]
						 : "?",
		       arf->source_ip[0] != '\0' ? arf->source_ip : "?");
		in->fail_stored++;
	}
	ag_arf_free(arf);
	return 0;
}

static int
found(void *arg, const struct ag_unpacked *u)
{
	struct ingest *in = arg;

	return u->kind == AG_UNPACK_FAILURE ? failure(in, u)
					    : aggregate(in, u);
}

int
ag_report_ingest(const struct ag_report_env *env, int argc, char **argv)
{
	struct ingest in = { .db = NULL };

	if (argc < 2) {
		fprintf(stderr, "usage: authgate-report ingest FILE...|DIR|-\n");
		return 2;
	}
	if ((in.db = ag_report_open_store(env)) == NULL)
		return 75;
	for (int i = 1; i < argc; i++)
		if (ag_unpack_path(argv[i], found, refused, &in) < 0) {
			fprintf(stderr, "authgate-report: %s: out of memory\n",
				argv[i]);
			in.failures++;
		}
	ag_sql_close(in.db);
	printf("%u aggregate report(s) stored, %u duplicate(s); %u failure "
	       "report(s) stored, %u duplicate(s); %u refused\n", in.stored,
	       in.dups, in.fail_stored, in.fail_dups, in.refused);
	if (in.temp)
		return 75;
	return in.failures > 0 || in.refused > 0 ? 1 : 0;
}
