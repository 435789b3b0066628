/*
 * tests/conformance/arc_suite.c - run ARC test suites against arc/, and
 * verify or seal single messages for the interop test
 *
 * Usage: arc_suite validation CASES   (arc_yaml2cases.py validation output)
 *        arc_suite sign CASES         (arc_yaml2cases.py sign output)
 *        arc_suite stalwart DIR       (mail-auth-stalwart/arc: every file
 *                                      must validate, result pass)
 *        arc_suite verify ZONE MSG    prints "arc=RESULT oldest-pass=N
 *                                      (reason)"; exit 0 on pass
 *        arc_suite seal ZONE MSG KEY DOMAIN SELECTOR SRVID T
 *                                     prints MSG with our new set on top
 * ZONE: lines "NAME TXT-DATA" (the mail-auth-stalwart form). Keys come
 * from an in-memory zone (util/dns_zone.h) behind a cache-less resolver.
 * Messages are fed as a milter would: one call per header field (the
 * text after the colon, folding kept), then the body in chunks of
 * SUITE_CHUNK bytes. The sign group also verifies each set it adds (the
 * message with the new fields on top must give pass, or fail for a
 * cv=fail seal). Prints "FAIL <case>: got ..., want ..." per failing case
 * and "<group>: N passed, N failed"; exits 1 when a case failed, 2 when
 * the input cannot be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "arc/arc.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define SUITE_FILE_MAX (8 * 1024 * 1024)
#define SUITE_CHUNK 997
#define SUITE_TTL 300
#define SUITE_NAME_MAX 256

/* suite_read - a whole file, NUL-terminated */
static char *
suite_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(SUITE_FILE_MAX + 1);
	n = buf == NULL ? 0 : fread(buf, 1, SUITE_FILE_MAX, f);
	fclose(f);
	if (buf == NULL || n == SUITE_FILE_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len_r = n;
	return buf;
}

/* suite_txt - add a TXT record, split into 255-byte strings */
static int
suite_txt(struct ag_dns_zone *zone, const char *name, const char *data,
	  size_t len)
{
	const char *strs[64];
	size_t lens[64];
	unsigned n = 0;

	for (size_t off = 0; (off < len || n == 0) && n < 64; n++) {
		size_t part = len - off > 255 ? 255 : len - off;

		strs[n] = data + off;
		lens[n] = part;
		off += part;
	}
	return ag_dns_zone_add_txt(zone, name, strs, lens, n, SUITE_TTL);
}

/* suite_zone_lines - "NAME TXT" lines (up to a blank line or the end)
 * into zone; returns where they end */
static const char *
suite_zone_lines(struct ag_dns_zone *zone, const char *p)
{
	while (*p != '\0' && *p != '\n' && *p != '\r') {
		const char *e = strchr(p, '\n'), *sp;
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		char name[SUITE_NAME_MAX];

		if (len > 0 && p[len - 1] == '\r')
			len--;
		sp = memchr(p, ' ', len);
		if (sp != NULL && (size_t)(sp - p) < sizeof(name)) {
			memcpy(name, p, (size_t)(sp - p));
			name[sp - p] = '\0';
			if (suite_txt(zone, name, sp + 1,
				      len - (size_t)(sp - p) - 1) != AG_OK)
				return NULL;
		}
		if (e == NULL)
			return p + strlen(p);
		p = e + 1;
	}
	return p;
}

/* suite_feed - give msg (CRLF or LF) to a through the arc.h calls */
static int
suite_feed(struct ag_arc *a, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;
	char name[SUITE_NAME_MAX];
	int rc = AG_OK;

	while (p < end && *p != '\r' && *p != '\n' && rc == AG_OK) {
		const char *colon, *e = p;
		char *value;

		/* the field: up to a line end not followed by WSP */
		for (;;) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));

			if (nl == NULL) {
				e = end;
				break;
			}
			e = nl + 1;
			if (e >= end || (*e != ' ' && *e != '\t'))
				break;
		}
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL || (size_t)(colon - p) >= sizeof(name))
			return AG_EINVAL;
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		{
			size_t vl = (size_t)(e - colon - 1);

			while (vl > 0 && (colon[vl] == '\n' ||
					  colon[vl] == '\r'))
				vl--;
			value = strndup(colon + 1, vl);
		}
		if (value == NULL)
			return AG_ENOMEM;
		rc = ag_arc_header(a, name, value);
		free(value);
		p = e;
	}
	if (rc != AG_OK)
		return rc;
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	rc = ag_arc_eoh(a);
	while (rc == AG_OK && p < end) {
		size_t n = (size_t)(end - p) > SUITE_CHUNK ? SUITE_CHUNK :
			   (size_t)(end - p);

		rc = ag_arc_body(a, (const unsigned char *)p, n);
		p += n;
	}
	return rc;
}

/* suite_verify - the result of msg against zone */
static int
suite_verify(const struct ag_dns_zone *zone, const char *msg, size_t len,
	     struct ag_arc_results *res)
{
	struct ag_dns_config dcfg;
	struct ag_dns *dns = NULL;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	int rc;

	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	rc = ag_dns_new_zone(&dns, &dcfg, zone, &err);
	if (rc == AG_OK)
		rc = ag_arc_new(&a, dns, false, &err);
	if (rc == AG_OK)
		rc = suite_feed(a, msg, len);
	if (rc == AG_OK)
		rc = ag_arc_finish(a, res);
	ag_arc_free(&a);
	ag_dns_free(&dns);
	return rc;
}

/* a case of the case file */
struct suite_case {
	char name[SUITE_NAME_MAX];
	char *message, *cv, *key, *domain, *sel, *t, *h, *srvid;
	char *as, *ams, *aar;
	size_t message_len;
};

static void
suite_case_clear(struct suite_case *c)
{
	free(c->message);
	free(c->cv);
	free(c->key);
	free(c->domain);
	free(c->sel);
	free(c->t);
	free(c->h);
	free(c->srvid);
	free(c->as);
	free(c->ams);
	free(c->aar);
	memset(c, 0, sizeof(*c));
}

/* suite_norm - s with every run of whitespace made one space, none at
 * the ends, none before ';' (for comparing AARs), into out */
static void
suite_norm(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	bool sp = false;

	for (; *s != '\0' && o + 2 < cap; s++) {
		if (strchr(" \t\r\n", *s) != NULL) {
			sp = o > 0;
			continue;
		}
		if (sp && *s != ';')
			out[o++] = ' ';
		sp = false;
		out[o++] = *s;
	}
	out[o] = '\0';
}

/* suite_tags_equal - the same tags with the same values, whitespace
 * and tag order aside (the suite's README: compare tag by tag) */
static bool
suite_tags_equal(const char *x, const char *y)
{
	char a[8192], b[8192], *ta[32], *tb[32], *sv;
	unsigned na = 0, nb = 0, i, j;
	size_t o = 0;

	for (const char *p = x; *p != '\0' && o + 1 < sizeof(a); p++)
		if (strchr(" \t\r\n", *p) == NULL)
			a[o++] = *p;
	a[o] = '\0';
	o = 0;
	for (const char *p = y; *p != '\0' && o + 1 < sizeof(b); p++)
		if (strchr(" \t\r\n", *p) == NULL)
			b[o++] = *p;
	b[o] = '\0';
	for (char *t = strtok_r(a, ";", &sv); t != NULL && na < 32;
	     t = strtok_r(NULL, ";", &sv))
		ta[na++] = t;
	for (char *t = strtok_r(b, ";", &sv); t != NULL && nb < 32;
	     t = strtok_r(NULL, ";", &sv))
		tb[nb++] = t;
	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (strcmp(ta[i], tb[j]) == 0)
				break;
		if (j == nb)
			return false;
	}
	return true;
}

/* suite_ar - our A-R payload as the suite's README consolidates it:
 * every result of the Authentication-Results fields of srvid, in order */
static void
suite_ar(const char *msg, size_t len, const char *srvid, char *out,
	 size_t cap)
{
	const char *p = msg, *end = msg + len;
	size_t o = 0;

	out[0] = '\0';
	while (p < end && *p != '\r' && *p != '\n') {
		const char *e = p, *v, *semi;
		char field[8192], norm[8192];
		size_t n;

		for (;;) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));

			e = nl == NULL ? end : nl + 1;
			if (nl == NULL || e >= end || (*e != ' ' && *e != '\t'))
				break;
		}
		n = (size_t)(e - p) < sizeof(field) ? (size_t)(e - p) :
		    sizeof(field) - 1;
		memcpy(field, p, n);
		field[n] = '\0';
		p = e;
		if (strncasecmp(field, "Authentication-Results:", 23) != 0)
			continue;
		suite_norm(field + 23, norm, sizeof(norm));
		semi = strchr(norm, ';');
		if (semi == NULL || (size_t)(semi - norm) != strlen(srvid) ||
		    strncasecmp(norm, srvid, strlen(srvid)) != 0)
			continue;
		v = semi + 1;
		while (*v == ' ')
			v++;
		if (*v == '\0')
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s%s",
				      o > 0 ? "; " : "", v);
		if (o >= cap)
			return;
	}
}

/* suite_same_set - our set equals the suite's: the AAR after
 * whitespace folding, AMS and AS tag by tag */
static bool
suite_same_set(const struct ag_arc_seal_out *out,
	       const struct suite_case *c, char *got, size_t gotcap)
{
	static char n1[8192], n2[8192];
	bool aar, ams, as;

	suite_norm(out->aar, n1, sizeof(n1));
	suite_norm(c->aar, n2, sizeof(n2));
	aar = strcmp(n1, n2) == 0;
	ams = suite_tags_equal(out->ams, c->ams);
	as = suite_tags_equal(out->seal, c->as);
	if (c->as[0] != '\0' && aar && ams && as)
		return true;
	snprintf(got, gotcap, "%s AAR, %s AMS, %s AS (%s)",
		 aar ? "same" : "other", ams ? "same" : "other",
		 as ? "same" : "other", out->reason);
	return false;
}

/* suite_sign_case - seal c's message, compare with the expected set and
 * verify the result */
static bool
suite_sign_case(const struct ag_dns_zone *zone, struct suite_case *c,
		char *got, size_t gotcap)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res, res2;
	struct ag_dns_config dcfg;
	struct ag_dns *dns = NULL;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	const char *names[64];
	char hbuf[1024], ar[8192], *sv, *msg2 = NULL;
	unsigned nn = 0;
	EVP_PKEY *key = NULL;
	BIO *bio = BIO_new_mem_buf(c->key, -1);
	bool ok = false;
	int rc;

	snprintf(got, gotcap, "error");
	key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			  : NULL;
	BIO_free(bio);
	snprintf(hbuf, sizeof(hbuf), "%s", c->h);
	for (char *t = strtok_r(hbuf, ":", &sv); t != NULL && nn < 64;
	     t = strtok_r(NULL, ":", &sv))
		names[nn++] = t;
	suite_ar(c->message, c->message_len, c->srvid, ar, sizeof(ar));
	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	rc = key == NULL ? AG_EINVAL : ag_dns_new_zone(&dns, &dcfg, zone, &err);
	if (rc == AG_OK)
		rc = ag_arc_new(&a, dns, true, &err);
	if (rc == AG_OK)
		rc = suite_feed(a, c->message, c->message_len);
	if (rc == AG_OK)
		rc = ag_arc_finish(a, &res);
	if (rc == AG_OK) {
		struct ag_arc_seal_config cfg = {
			.key = key, .domain = c->domain, .selector = c->sel,
			.authserv_id = c->srvid, .sign_headers = names,
			.n_sign_headers = nn,
		};
		rc = ag_arc_seal(a, &cfg, ar, (time_t)strtoll(c->t, NULL, 10),
				 &out, &err);
	}
	if (rc != AG_OK) {
		snprintf(got, gotcap, "error %d %.200s", rc, err.msg);
		goto done;
	}
	if (!out.sealed) {
		snprintf(got, gotcap, "no set (%s)", out.reason);
		ok = c->as[0] == '\0';
		goto done;
	}
	if (!suite_same_set(&out, c, got, gotcap))
		goto done;
	/* our set on top must verify: pass, or fail for a cv=fail seal */
	if (asprintf(&msg2, "ARC-Seal: %s\r\nARC-Message-Signature: %s\r\n"
		     "ARC-Authentication-Results: %s\r\n%s", out.seal,
		     out.ams, out.aar, c->message) < 0) {
		msg2 = NULL;
		goto done;
	}
	rc = suite_verify(zone, msg2, strlen(msg2), &res2);
	ok = rc == AG_OK && res2.result == (res.result == AG_ARC_FAIL ?
					    AG_ARC_FAIL : AG_ARC_PASS);
	snprintf(got, gotcap, "same set; resealed chain verifies %s (%s)",
		 rc == AG_OK ? ag_arc_result_name(res2.result) : "error",
		 res2.reason);
done:
	free(msg2);
	EVP_PKEY_free(key);
	ag_arc_free(&a);
	ag_dns_free(&dns);
	return ok;
}

/* suite_field - store one record of the case file */
static void
suite_field(struct suite_case *c, const char *key, char *val, size_t len)
{
	char **slot = strcmp(key, "message") == 0 ? &c->message :
		      strcmp(key, "cv") == 0 ? &c->cv :
		      strcmp(key, "key") == 0 ? &c->key :
		      strcmp(key, "domain") == 0 ? &c->domain :
		      strcmp(key, "sel") == 0 ? &c->sel :
		      strcmp(key, "t") == 0 ? &c->t :
		      strcmp(key, "h") == 0 ? &c->h :
		      strcmp(key, "srvid") == 0 ? &c->srvid :
		      strcmp(key, "as") == 0 ? &c->as :
		      strcmp(key, "ams") == 0 ? &c->ams :
		      strcmp(key, "aar") == 0 ? &c->aar : NULL;

	if (slot == NULL) {
		free(val);
		return;
	}
	free(*slot);
	*slot = val;
	if (slot == &c->message)
		c->message_len = len;
}

/* suite_run_case - one case; prints FAIL when it fails */
static bool
suite_run_case(const struct ag_dns_zone *zone, const char *scen,
	       struct suite_case *c, bool sign)
{
	char got[512];
	bool ok;

	if (sign) {
		ok = suite_sign_case(zone, c, got, sizeof(got));
	} else {
		struct ag_arc_results res;
		int rc = suite_verify(zone, c->message, c->message_len, &res);

		ok = rc == AG_OK && c->cv != NULL &&
		     strcmp(ag_arc_result_name(res.result), c->cv) == 0;
		snprintf(got, sizeof(got), "%s (%s)", rc == AG_OK ?
			 ag_arc_result_name(res.result) : "error",
			 rc == AG_OK ? res.reason : "");
	}
	if (!ok)
		printf("FAIL %s/%s: got %s, want %s\n", scen, c->name, got,
		       sign ? (c->as != NULL && c->as[0] ? "the suite's set" :
			       "no set") : (c->cv != NULL ? c->cv : "?"));
	return ok;
}

/* suite_cases - run a case file; validation or sign */
static int
suite_cases(const char *group, const char *path, bool sign)
{
	size_t len;
	char *buf = suite_read(path, &len), *p, scen[SUITE_NAME_MAX] = "";
	struct ag_dns_zone *zone = NULL;
	struct suite_case c;
	unsigned pass = 0, fail = 0;

	memset(&c, 0, sizeof(c));
	if (buf == NULL) {
		fprintf(stderr, "%s: cannot read %s\n", group, path);
		return 2;
	}
	for (p = buf; p < buf + len;) {
		char key[32];
		unsigned long n;
		int used;
		char *val;

		if (sscanf(p, "%31s %lu%n", key, &n, &used) != 2 ||
		    p[used] != '\n' || n > (unsigned long)(buf + len - p)) {
			fprintf(stderr, "%s: bad case file %s\n", group, path);
			goto bad;
		}
		p += used + 1;
		val = strndup(p, n);
		if (val == NULL)
			goto bad;
		p += n + 1;
		if (strcmp(key, "scenario") == 0) {
			ag_dns_zone_free(&zone);
			if (ag_dns_zone_new(&zone) != AG_OK)
				goto bad;
			snprintf(scen, sizeof(scen), "%s", val);
			free(val);
		} else if (strcmp(key, "txt") == 0) {
			char *tab = strchr(val, '\t');

			if (tab == NULL || zone == NULL) {
				free(val);
				goto bad;
			}
			*tab = '\0';
			if (suite_txt(zone, val, tab + 1, strlen(tab + 1)) !=
			    AG_OK) {
				free(val);
				goto bad;
			}
			free(val);
		} else if (strcmp(key, "case") == 0) {
			suite_case_clear(&c);
			snprintf(c.name, sizeof(c.name), "%s", val);
			free(val);
		} else if (strcmp(key, "end") == 0) {
			free(val);
			if (zone == NULL || c.message == NULL)
				goto bad;
			if (suite_run_case(zone, scen, &c, sign))
				pass++;
			else
				fail++;
			suite_case_clear(&c);
		} else {
			suite_field(&c, key, val, n);
		}
	}
	printf("%s: %u passed, %u failed\n", group, pass, fail);
	suite_case_clear(&c);
	ag_dns_zone_free(&zone);
	free(buf);
	return fail > 0;
bad:
	suite_case_clear(&c);
	ag_dns_zone_free(&zone);
	free(buf);
	return 2;
}

/* suite_stalwart - every file in dir: zone lines, blank, message; the
 * chain must pass */
static int
suite_stalwart(const char *dir)
{
	struct dirent **ents = NULL;
	unsigned pass = 0, fail = 0;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		fprintf(stderr, "arc-stalwart: cannot read %s\n", dir);
		return 2;
	}
	for (int k = 0; k < n; k++) {
		char path[4096];
		struct ag_dns_zone *zone = NULL;
		struct ag_arc_results res;
		const char *msg;
		char *buf;
		size_t len;
		int rc = AG_EINVAL;

		if (ents[k]->d_name[0] == '.' ||
		    strstr(ents[k]->d_name, ".txt") == NULL) {
			free(ents[k]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, ents[k]->d_name);
		buf = suite_read(path, &len);
		if (buf != NULL && ag_dns_zone_new(&zone) == AG_OK &&
		    (msg = suite_zone_lines(zone, buf)) != NULL) {
			if (*msg == '\r')
				msg++;
			if (*msg == '\n')
				msg++;
			rc = suite_verify(zone, msg,
					  len - (size_t)(msg - buf), &res);
		}
		if (rc == AG_OK && res.result == AG_ARC_PASS) {
			pass++;
		} else {
			fail++;
			printf("FAIL %s: got %s (%s), want pass\n",
			       ents[k]->d_name, rc == AG_OK ?
			       ag_arc_result_name(res.result) : "error",
			       rc == AG_OK ? res.reason : "");
		}
		ag_dns_zone_free(&zone);
		free(buf);
		free(ents[k]);
	}
	free(ents);
	printf("arc-stalwart: %u passed, %u failed\n", pass, fail);
	return fail > 0;
}

/* suite_seal_one - print msg with a set sealed by argv[4..8] (KEY DOMAIN
 * SELECTOR SRVID T) on top; the AAR holds our arc= result only */
static int
suite_seal_one(const struct ag_dns_zone *zone, const char *msg, size_t ml,
	       char **argv)
{
	static struct ag_arc_seal_out out;
	struct ag_arc_results res = {0};
	struct ag_dns_config dcfg;
	struct ag_dns *dns = NULL;
	struct ag_arc *a = NULL;
	struct ag_err err = {0};
	EVP_PKEY *key = NULL;
	FILE *kf = fopen(argv[4], "r");
	char ar[512];
	int rc;

	if (kf != NULL) {
		key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
		fclose(kf);
	}
	ag_dns_config_defaults(&dcfg);
	dcfg.cache_entries = 0;
	rc = key == NULL ? AG_EINVAL : ag_dns_new_zone(&dns, &dcfg, zone, &err);
	if (rc == AG_OK)
		rc = ag_arc_new(&a, dns, true, &err);
	if (rc == AG_OK)
		rc = suite_feed(a, msg, ml);
	if (rc == AG_OK)
		rc = ag_arc_finish(a, &res);
	snprintf(ar, sizeof(ar), "arc=%s", ag_arc_result_name(res.result));
	if (rc == AG_OK) {
		struct ag_arc_seal_config cfg = {
			.key = key, .domain = argv[5], .selector = argv[6],
			.authserv_id = argv[7],
		};
		rc = ag_arc_seal(a, &cfg, ar, (time_t)strtoll(argv[8], NULL, 10),
				 &out, &err);
	}
	if (rc == AG_OK && out.sealed)
		printf("ARC-Seal: %s\r\nARC-Message-Signature: %s\r\n"
		       "ARC-Authentication-Results: %s\r\n%s", out.seal, out.ams,
		       out.aar, msg);
	else
		fprintf(stderr, "arc_suite: not sealed: %s%s\n", err.msg,
			out.reason);
	EVP_PKEY_free(key);
	ag_arc_free(&a);
	ag_dns_free(&dns);
	return rc == AG_OK && out.sealed ? 0 : 1;
}

/* suite_one - verify or seal one message file for the interop script */
static int
suite_one(int argc, char **argv)
{
	struct ag_dns_zone *zone = NULL;
	struct ag_arc_results res;
	size_t zl, ml;
	char *zbuf = suite_read(argv[2], &zl), *msg = suite_read(argv[3], &ml);
	int rc = 2;

	if (zbuf == NULL || msg == NULL || ag_dns_zone_new(&zone) != AG_OK ||
	    suite_zone_lines(zone, zbuf) == NULL) {
		fprintf(stderr, "arc_suite: cannot read %s or %s\n", argv[2],
			argv[3]);
		goto out;
	}
	if (strcmp(argv[1], "verify") == 0) {
		if (suite_verify(zone, msg, ml, &res) != AG_OK)
			goto out;
		printf("arc=%s oldest-pass=%u (%s)\n",
		       ag_arc_result_name(res.result), res.oldest_pass,
		       res.reason);
		rc = res.result == AG_ARC_PASS ? 0 : 1;
	} else if (argc == 9) {
		rc = suite_seal_one(zone, msg, ml, argv);
	}
out:
	ag_dns_zone_free(&zone);
	free(zbuf);
	free(msg);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "validation") == 0)
		return suite_cases("arc-validation", argv[2], false);
	if (argc == 3 && strcmp(argv[1], "sign") == 0)
		return suite_cases("arc-sign", argv[2], true);
	if (argc == 3 && strcmp(argv[1], "stalwart") == 0)
		return suite_stalwart(argv[2]);
	if ((argc == 4 && strcmp(argv[1], "verify") == 0) ||
	    (argc == 9 && strcmp(argv[1], "seal") == 0))
		return suite_one(argc, argv);
	fprintf(stderr, "usage: arc_suite validation|sign CASES | stalwart DIR"
		" | verify ZONE MSG | seal ZONE MSG KEY DOMAIN SELECTOR SRVID "
		"T\n");
	return 2;
}
