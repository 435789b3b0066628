/*
 * tests/unit/test_dkim_pubkey.c - dkim/pubkey.c: decoded keys kept by
 * their bytes, and its d2i_PUBKEY_bio() (cmocka)
 *
 * Keys are made with OpenSSL when the group starts. Each test starts
 * from an empty cache. That libopendkim reaches the cache is tested in
 * test_dkim_verify (test_key_cache).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkim/pubkey.h"

#define NKEYS 3

static unsigned char *der[NKEYS];
static size_t der_len[NKEYS];

static int
group_setup(void **state)
{
	(void)state;
	for (int k = 0; k < NKEYS; k++) {
		EVP_PKEY *pk = k == 2 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
				      : EVP_RSA_gen(1024);
		int n;

		if (pk == NULL || (n = i2d_PUBKEY(pk, &der[k])) <= 0)
			return -1;
		der_len[k] = (size_t)n;
		EVP_PKEY_free(pk);
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	ag_dkim_pubkey_clear();
	for (int k = 0; k < NKEYS; k++)
		OPENSSL_free(der[k]);
	return 0;
}

static int
empty_cache(void **state)
{
	(void)state;
	ag_dkim_pubkey_clear();
	return 0;
}

/* same_key - a and b hold the same public key */
static bool
same_key(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

/* test_hit - the second lookup of the same bytes is the same key, not
 * decoded again; other bytes are another key */
static void
test_hit(void **state)
{
	struct ag_dkim_pubkey_stats st;
	EVP_PKEY *a, *b, *c;
	size_t used = 0;

	(void)state;
	a = ag_dkim_pubkey_get(der[0], der_len[0], &used);
	assert_non_null(a);
	assert_int_equal(used, der_len[0]);
	b = ag_dkim_pubkey_get(der[0], der_len[0], NULL);
	assert_ptr_equal(a, b);
	c = ag_dkim_pubkey_get(der[1], der_len[1], NULL);
	assert_non_null(c);
	assert_ptr_not_equal(a, c);
	assert_false(same_key(a, c));
	ag_dkim_pubkey_stats(&st);
	assert_int_equal(st.decodes, 2);
	assert_int_equal(st.hits, 1);
	/* each reference is the caller's: three frees, the cache keeps its */
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
	a = ag_dkim_pubkey_get(der[0], der_len[0], NULL);
	assert_non_null(a);
	assert_int_equal(EVP_PKEY_get_bits(a), 1024);
	EVP_PKEY_free(a);
}

/* test_bad_input - what does not decode is NULL every time, never kept */
static void
test_bad_input(void **state)
{
	unsigned char junk[64], cut[16];
	struct ag_dkim_pubkey_stats st;

	(void)state;
	memset(junk, 0x30, sizeof(junk));
	memcpy(cut, der[0], sizeof(cut));
	assert_null(ag_dkim_pubkey_get(junk, sizeof(junk), NULL));
	assert_null(ag_dkim_pubkey_get(junk, sizeof(junk), NULL));
	assert_null(ag_dkim_pubkey_get(cut, sizeof(cut), NULL));
	assert_null(ag_dkim_pubkey_get(NULL, 10, NULL));
	assert_null(ag_dkim_pubkey_get(der[0], 0, NULL));
	ag_dkim_pubkey_stats(&st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.decodes, 3);
}

/* test_trailing - one object is read; the trailing bytes are part of
 * the input (another entry) but not of the object */
static void
test_trailing(void **state)
{
	unsigned char buf[AG_DKIM_PUBKEY_DER_MAX];
	size_t n = der_len[0] + 3, used = 0;
	EVP_PKEY *a, *b;

	(void)state;
	assert_true(n <= sizeof(buf));
	memcpy(buf, der[0], der_len[0]);
	memcpy(buf + der_len[0], "xyz", 3);
	a = ag_dkim_pubkey_get(buf, n, &used);
	assert_non_null(a);
	assert_int_equal(used, der_len[0]);
	used = 0;
	b = ag_dkim_pubkey_get(buf, n, &used);	/* a hit reports it too */
	assert_ptr_equal(a, b);
	assert_int_equal(used, der_len[0]);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* test_bio - d2i_PUBKEY_bio on a memory BIO: the cached key, the
 * object's bytes read off the BIO and the rest left */
static void
test_bio(void **state)
{
	unsigned char buf[AG_DKIM_PUBKEY_DER_MAX];
	struct ag_dkim_pubkey_stats st;
	EVP_PKEY *a, *b, *c = NULL, *d;
	BIO *bio;

	(void)state;
	memcpy(buf, der[1], der_len[1]);
	memcpy(buf + der_len[1], "tail", 4);
	a = ag_dkim_pubkey_get(buf, der_len[1] + 4, NULL);
	assert_non_null(a);
	bio = BIO_new_mem_buf(buf, (int)der_len[1] + 4);
	assert_non_null(bio);
	b = d2i_PUBKEY_bio(bio, NULL);
	assert_ptr_equal(a, b);
	assert_int_equal(BIO_pending(bio), 4);
	BIO_free(bio);
	/* nothing left to read: NULL, as libcrypto's would */
	bio = BIO_new_mem_buf(buf, 0);
	assert_non_null(bio);
	assert_null(d2i_PUBKEY_bio(bio, NULL));
	BIO_free(bio);
	/* with a reuse pointer: libcrypto's own function, no cache */
	ag_dkim_pubkey_stats(&st);
	bio = BIO_new_mem_buf(der[1], (int)der_len[1]);
	d = d2i_PUBKEY_bio(bio, &c);
	assert_non_null(d);
	assert_ptr_equal(c, d);
	assert_ptr_not_equal(d, a);
	assert_true(same_key(a, d));
	BIO_free(bio);
	{
		struct ag_dkim_pubkey_stats st2;

		ag_dkim_pubkey_stats(&st2);
		assert_int_equal(st2.hits, st.hits);
		assert_int_equal(st2.decodes, st.decodes);
	}
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(d);
}

/* test_bounded - more distinct inputs than slots: every lookup still
 * right, the least recently used dropped, a dropped key's holders keep
 * a working reference */
static void
test_bounded(void **state)
{
	unsigned char buf[AG_DKIM_PUBKEY_DER_MAX];
	struct ag_dkim_pubkey_stats st;
	EVP_PKEY *first, *k, *again;

	(void)state;
	first = ag_dkim_pubkey_get(der[2], der_len[2], NULL);
	assert_non_null(first);
	/* distinct inputs of the same key: trailing bytes differ */
	memcpy(buf, der[0], der_len[0]);
	for (unsigned i = 0; i < AG_DKIM_PUBKEY_SLOTS + 8; i++) {
		memcpy(buf + der_len[0], &i, sizeof(i));
		k = ag_dkim_pubkey_get(buf, der_len[0] + sizeof(i), NULL);
		assert_non_null(k);
		EVP_PKEY_free(k);
	}
	ag_dkim_pubkey_stats(&st);
	assert_int_equal(st.decodes, AG_DKIM_PUBKEY_SLOTS + 9);
	again = ag_dkim_pubkey_get(der[2], der_len[2], NULL);
	assert_non_null(again);
	assert_ptr_not_equal(first, again);	/* evicted, decoded anew */
	assert_true(same_key(first, again));
	assert_int_equal(EVP_PKEY_get_id(first), EVP_PKEY_ED25519);
	EVP_PKEY_free(first);
	EVP_PKEY_free(again);
}

struct worker {
	unsigned ok;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < 2000; i++) {
		unsigned k = i % NKEYS;
		EVP_PKEY *p = ag_dkim_pubkey_get(der[k], der_len[k], NULL);

		if (p != NULL)
			w->ok++;
		EVP_PKEY_free(p);
		if (i % 500 == 0)
			ag_dkim_pubkey_clear();
	}
	return NULL;
}

/* test_threads - lookups, inserts and clears from 8 threads */
static void
test_threads(void **state)
{
	pthread_t t[8];
	struct worker w[8];

	(void)state;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker_main,
						&w[i]), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].ok, 2000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hit, empty_cache),
		cmocka_unit_test_setup(test_bad_input, empty_cache),
		cmocka_unit_test_setup(test_trailing, empty_cache),
		cmocka_unit_test_setup(test_bio, empty_cache),
		cmocka_unit_test_setup(test_bounded, empty_cache),
		cmocka_unit_test_setup(test_threads, empty_cache),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
