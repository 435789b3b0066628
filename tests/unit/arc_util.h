/*
 * tests/unit/arc_util.h - what the test_arc_* programs share: publishing
 * a key in the in-memory zone, feeding a message text to an ARC object
 * as the milter would (one call per field, the text after the colon with
 * its folding; the body in chunks), and verifying a message.
 * Use:     include once, after cmocka.h, from one test program.
 * Owns:    nothing; every function is static.
 * Threads: test code, one thread.
 */
#ifndef AG_TESTS_ARC_UTIL_H
#define AG_TESTS_ARC_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "arc/arc.h"
#include "util/dns.h"
#include "util/dns_zone.h"

#define MSG_MAX (256 * 1024)

/* publish - pkey's key record at sel._domainkey.dom (TXT split into
 * 255-byte strings) */
static void
publish(struct ag_dns_zone *zone, const char *sel, const char *dom,
	EVP_PKEY *pkey)
{
	unsigned char der[4096], *p = der;
	char rec[8192], name[512];
	const char *strs[32];
	size_t lens[32], len, n = 0;
	int dlen;
	bool ed = EVP_PKEY_base_id(pkey) == EVP_PKEY_ED25519;

	if (ed) {
		len = 32;
		assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, der, &len),
				 1);
		dlen = (int)len;
	} else {
		dlen = i2d_PUBKEY(pkey, &p);
		assert_true(dlen > 0);
	}
	len = (size_t)snprintf(rec, sizeof(rec), "v=DKIM1; k=%s; p=",
			       ed ? "ed25519" : "rsa");
	len += (size_t)EVP_EncodeBlock((unsigned char *)rec + len, der, dlen);
	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);
	for (size_t off = 0; off < len; off += 255) {
		strs[n] = rec + off;
		lens[n++] = len - off > 255 ? 255 : len - off;
	}
	assert_int_equal(ag_dns_zone_add_txt(zone, name, strs, lens,
					     (unsigned)n, 300), AG_OK);
}

/* feed - msg ("Name: value" CRLF lines, folded lines go with their
 * field, a blank line, the body) into a; the body in chunks of chunk
 * bytes. AG_EINVAL for a header line without a colon (an MTA would not
 * pass it on as a field). */
static int
feed(struct ag_arc *a, const char *msg, size_t chunk)
{
	const char *p = msg, *end = msg + strlen(msg);
	char name[256], *value;
	int rc = AG_OK;

	while (p < end && *p != '\r' && *p != '\n' && rc == AG_OK) {
		const char *e = p, *colon;
		size_t vl;

		for (;;) {
			const char *nl = strchr(e, '\n');

			e = nl == NULL ? end : nl + 1;
			if (nl == NULL || (*e != ' ' && *e != '\t'))
				break;
		}
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL || (size_t)(colon - p) >= sizeof(name))
			return AG_EINVAL;	/* not a field: no milter call */
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		vl = (size_t)(e - colon - 1);
		while (vl > 0 && (colon[vl] == '\r' || colon[vl] == '\n'))
			vl--;
		value = strndup(colon + 1, vl);
		assert_non_null(value);
		rc = ag_arc_header(a, name, value);
		free(value);
		p = e;
	}
	if (rc != AG_OK)
		return rc;
	p += *p == '\r';
	p += *p == '\n';
	rc = ag_arc_eoh(a);
	while (rc == AG_OK && p < end) {
		size_t n = (size_t)(end - p) < chunk ? (size_t)(end - p) : chunk;

		rc = ag_arc_body(a, (const unsigned char *)p, n);
		p += n;
	}
	return rc;
}

/* verify - the chain result of msg */
static void
verify(struct ag_dns *dns, const char *msg, size_t chunk,
       struct ag_arc_results *res)
{
	struct ag_arc *a = NULL;
	struct ag_err err = {0};

	assert_int_equal(ag_arc_new(&a, dns, false, &err), AG_OK);
	assert_int_equal(feed(a, msg, chunk), AG_OK);
	assert_int_equal(ag_arc_finish(a, res), AG_OK);
	ag_arc_free(&a);
	assert_null(a);
}

#endif
