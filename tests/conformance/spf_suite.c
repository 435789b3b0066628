/*
 * tests/conformance/spf_suite.c - run an SPF case file against spf/spf.c
 *
 * Usage: spf_suite FILE NAME
 * FILE is written by tests/conformance/spf_yaml2cases.py (the format is
 * described there); every scenario gets a fresh in-memory zone
 * (util/dns_zone.h) behind a cache-less resolver. Prints one line per
 * failing case and finally "NAME: N passed, N failed"; exits 1 when any
 * case failed, 2 when the file cannot be read.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf/spf.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define SUITE_FIELDS 16		/* fields per line */
#define SUITE_LINE_MAX 8192	/* bytes per line */
#define SUITE_TTL 300

struct suite {
	const char *name;
	char scenario[256];
	struct ag_dns_zone *zone;
	struct ag_dns *dns;
	struct ag_spf *spf;
	unsigned passed, failed;
	unsigned lineno;
};

/* suite_unescape - undo the converter's escapes in place; new length */
static size_t
suite_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r;
			continue;
		}
		r++;
		if (*r == 't')
			*w++ = '\t';
		else if (*r == 'n')
			*w++ = '\n';
		else if (*r == 'r')
			*w++ = '\r';
		else if (*r == 'x' && r[1] != '\0' && r[2] != '\0') {
			char hex[3] = { r[1], r[2], '\0' };

			*w++ = (char)strtoul(hex, NULL, 16);
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* suite_split - split line at TABs into at most SUITE_FIELDS fields */
static unsigned
suite_split(char *line, char **f, size_t *len)
{
	unsigned n = 0;
	char *p = line;

	while (n < SUITE_FIELDS) {
		char *tab = strchr(p, '\t');

		if (tab != NULL)
			*tab = '\0';
		f[n] = p;
		len[n] = suite_unescape(p);
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	return n;
}

/* suite_reset - drop the zone and resolver of the previous scenario */
static void
suite_reset(struct suite *st)
{
	ag_spf_free(&st->spf);
	ag_dns_free(&st->dns);
	ag_dns_zone_free(&st->zone);
}

/* suite_ready - resolver and checker over the scenario's zone */
static int
suite_ready(struct suite *st)
{
	struct ag_dns_config dcfg;
	struct ag_spf_config scfg;
	struct ag_err err;
	int rc;

	if (st->spf != NULL)
		return AG_OK;
	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	if ((rc = ag_dns_new_zone(&st->dns, &dcfg, st->zone, &err)) != AG_OK)
		return rc;
	ag_spf_config_defaults(&scfg);
	/* the stalwart suite's %{r}; the RFC 7208 suite never compares it */
	scfg.receiver = "localdomain.org";
	return ag_spf_new(&st->spf, &scfg, st->dns, &err);
}

/* suite_zone - one Z or X line */
static int
suite_zone(struct suite *st, char **f, size_t *len, unsigned n)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {
		{ "A", AG_DNS_A }, { "AAAA", AG_DNS_AAAA },
		{ "PTR", AG_DNS_PTR }, { "CNAME", AG_DNS_CNAME },
		{ "NS", AG_DNS_NS },
	};
	char mx[SUITE_LINE_MAX];

	if (f[0][0] == 'X')
		return strcmp(f[2], "TIMEOUT") == 0
			       ? ag_dns_zone_timeout(st->zone, f[1])
			       : ag_dns_zone_servfail(st->zone, f[1]);
	if (strcmp(f[2], "TXT") == 0)
		return ag_dns_zone_add_txt(st->zone, f[1],
					   (const char *const *)&f[3], &len[3],
					   n - 3, SUITE_TTL);
	if (n < 4)
		return AG_EINVAL;
	if (strcmp(f[2], "MX") == 0) {
		if (n < 5)
			return AG_EINVAL;
		snprintf(mx, sizeof(mx), "%s %s", f[3], f[4]);
		return ag_dns_zone_add(st->zone, f[1], AG_DNS_MX, mx,
				       SUITE_TTL);
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(f[2], types[i].name) == 0)
			return ag_dns_zone_add(st->zone, f[1], types[i].type,
					       f[3], SUITE_TTL);
	return AG_EINVAL;
}

/* suite_addr - text address into a sockaddr */
static int
suite_addr(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return AG_OK;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return AG_OK;
	}
	return AG_EINVAL;
}

/* suite_result_ok - got is one of the comma-separated names in want */
static int
suite_result_ok(const char *want, const char *got)
{
	size_t glen = strlen(got);

	for (const char *p = want; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (n == glen && strncmp(p, got, n) == 0)
			return 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

/* suite_test - one T line: T case mode ip helo mailfrom results exp spec */
static int
suite_test(struct suite *st, char **f, unsigned n)
{
	struct ag_spf_outcome out;
	struct sockaddr_storage ss;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	const char *got, *want_exp;
	int rc, ok;

	if (n < 9 || suite_addr(f[3], &ss) != AG_OK)
		return AG_EINVAL;
	if ((rc = suite_ready(st)) != AG_OK)
		return rc;
	if (strcmp(f[2], "stalwart") == 0) {
		/* upstream's verify_spf: HELO first, MAIL FROM if it passed */
		rc = ag_spf_check_helo(st->spf, sa, f[4], &out);
		if (rc == AG_OK && out.result == AG_SPF_PASS)
			rc = ag_spf_check_mailfrom(st->spf, sa, f[4], f[5],
						   &out);
	} else {
		rc = ag_spf_check_mailfrom(st->spf, sa, f[4], f[5], &out);
	}
	if (rc != AG_OK)
		return rc;
	got = ag_spf_result_name(out.result);
	ok = suite_result_ok(f[6], got);
	/* "DEFAULT" is the implementation's own: ours is no explanation */
	want_exp = f[7][0] == '=' ? f[7] + 1 : NULL;
	if (want_exp != NULL && strcmp(want_exp, "DEFAULT") == 0)
		want_exp = "";
	if (ok && want_exp != NULL && out.result == AG_SPF_FAIL &&
	    strcmp(want_exp, out.explanation) != 0) {
		printf("FAIL %s/%s: got fail \"%s\", want fail \"%s\" "
		       "(spec %s)\n", st->scenario, f[1], out.explanation,
		       want_exp, f[8]);
		ok = 0;
	} else if (!ok) {
		printf("FAIL %s/%s: got %s, want %s (spec %s)\n", st->scenario,
		       f[1], got, f[6], f[8]);
	}
	if (ok)
		st->passed++;
	else
		st->failed++;
	return AG_OK;
}

/* suite_line - dispatch one line of the case file */
static int
suite_line(struct suite *st, char *line)
{
	char *f[SUITE_FIELDS];
	size_t len[SUITE_FIELDS];
	unsigned n;
	int rc;

	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '\0' || line[0] == '#')
		return AG_OK;
	n = suite_split(line, f, len);
	switch (f[0][0]) {
	case 'S':
		suite_reset(st);
		snprintf(st->scenario, sizeof(st->scenario), "%s",
			 n > 1 ? f[1] : "?");
		return ag_dns_zone_new(&st->zone);
	case 'Z':
	case 'X':
		if (st->zone == NULL || n < 3)
			return AG_EINVAL;
		/* a name DNS cannot carry (over 255 octets) cannot be asked
		 * either: leaving it out serves the same answers */
		rc = suite_zone(st, f, len, n);
		return rc == AG_EINVAL ? AG_OK : rc;
	case 'T':
		return st->zone == NULL ? AG_EINVAL : suite_test(st, f, n);
	default:
		return AG_EINVAL;
	}
}

int
main(int argc, char **argv)
{
	struct suite st;
	char line[SUITE_LINE_MAX];
	FILE *fp;
	int rc = AG_OK;

	if (argc != 3) {
		fprintf(stderr, "usage: spf_suite FILE NAME\n");
		return 2;
	}
	memset(&st, 0, sizeof(st));
	st.name = argv[2];
	if ((fp = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	while (rc == AG_OK && fgets(line, sizeof(line), fp) != NULL) {
		st.lineno++;
		rc = suite_line(&st, line);
	}
	fclose(fp);
	suite_reset(&st);
	if (rc != AG_OK) {
		fprintf(stderr, "%s:%u: %s\n", argv[1], st.lineno,
			ag_strerror(rc));
		return 2;
	}
	printf("%s: %u passed, %u failed\n", st.name, st.passed, st.failed);
	return st.failed ? 1 : 0;
}
