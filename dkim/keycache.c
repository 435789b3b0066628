/*
 * dkim/keycache.c - parsed signing keys, kept for libopendkim to reuse
 *
 * See dkim/keycache.h for why PEM_read_bio_PrivateKey() is defined here.
 * Entries sit in a fixed array of hash buckets (FNV-1a of the PEM bytes);
 * a lookup hashes the BIO's bytes once and compares the full bytes of the
 * entries with that hash, so a near miss can never hand out a wrong key.
 */
#include "dkim/keycache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#define KC_BUCKETS 256u

struct kc_entry {
	struct kc_entry *next;
	const unsigned char *pem; /* the caller's */
	size_t len;
	uint64_t hash;
	EVP_PKEY *pkey; /* one reference, ours */
	bool shared;	/* hand out references (RSA), else copies */
};

static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kc_entry *kc_bucket[KC_BUCKETS];
static uint64_t kc_hits, kc_misses;

static uint64_t
kc_hash(const unsigned char *p, size_t len)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

int
ag_dkim_keycache_add(const unsigned char *pem, size_t len, EVP_PKEY *pkey)
{
	struct kc_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return AG_ENOMEM;
	if (EVP_PKEY_up_ref(pkey) != 1) {
		free(e);
		return AG_ENOMEM;
	}
	e->pem = pem;
	e->len = len;
	e->hash = kc_hash(pem, len);
	e->pkey = pkey;
	e->shared = EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519;
	pthread_mutex_lock(&kc_lock);
	e->next = kc_bucket[e->hash % KC_BUCKETS];
	kc_bucket[e->hash % KC_BUCKETS] = e;
	pthread_mutex_unlock(&kc_lock);
	return AG_OK;
}

void
ag_dkim_keycache_remove(const unsigned char *pem)
{
	struct kc_entry *e = NULL, **pp;

	if (pem == NULL)
		return;
	pthread_mutex_lock(&kc_lock);
	for (unsigned b = 0; b < KC_BUCKETS && e == NULL; b++) {
		for (pp = &kc_bucket[b]; *pp != NULL; pp = &(*pp)->next) {
			if ((*pp)->pem == pem) {
				e = *pp;
				*pp = e->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&kc_lock);
	if (e != NULL) {
		EVP_PKEY_free(e->pkey);
		free(e);
	}
}

void
ag_dkim_keycache_stats(uint64_t *hits_r, uint64_t *misses_r)
{
	pthread_mutex_lock(&kc_lock);
	*hits_r = kc_hits;
	*misses_r = kc_misses;
	pthread_mutex_unlock(&kc_lock);
}

/* kc_lookup - a key for these bytes (a new reference or a copy), or NULL */
static EVP_PKEY *
kc_lookup(const unsigned char *data, size_t len)
{
	uint64_t h = kc_hash(data, len);
	EVP_PKEY *pkey = NULL;
	bool found = false;

	pthread_mutex_lock(&kc_lock);
	for (struct kc_entry *e = kc_bucket[h % KC_BUCKETS]; e != NULL;
	     e = e->next) {
		if (e->hash != h || e->len != len ||
		    memcmp(e->pem, data, len) != 0)
			continue;
		found = true;
		if (e->shared)
			pkey = EVP_PKEY_up_ref(e->pkey) == 1 ? e->pkey : NULL;
		else
			pkey = EVP_PKEY_dup(e->pkey);
		break;
	}
	if (found && pkey != NULL)
		kc_hits++;
	else
		kc_misses++;
	pthread_mutex_unlock(&kc_lock);
	return pkey;
}

/*
 * PEM_read_bio_PrivateKey - OpenSSL's function, answered from the cache
 * for the PEM text of a registered key in a memory BIO (how libopendkim
 * hands it over); the BIO is left unread, as libopendkim frees it next.
 * Everything else, and every call that asks to fill *x or could need a
 * passphrase callback, is OpenSSL's own parse.
 */
EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	EVP_PKEY *pkey;
	char *data = NULL;
	long n;

	if (bp != NULL && x == NULL && cb == NULL &&
	    BIO_method_type(bp) == BIO_TYPE_MEM &&
	    (n = BIO_get_mem_data(bp, &data)) > 0 && data != NULL &&
	    (pkey = kc_lookup((const unsigned char *)data, (size_t)n)) != NULL)
		return pkey;
	return PEM_read_bio_PrivateKey_ex(bp, x, cb, u, NULL, NULL);
}
