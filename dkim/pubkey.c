/*
 * dkim/pubkey.c - decoded public keys kept by their DER bytes, and the
 * d2i_PUBKEY_bio() libopendkim binds to (dkim/pubkey.h for why)
 *
 * A slot is found by the FNV-1a hash of the input bytes and confirmed by
 * comparing them all, so two inputs share a key only when they are the
 * same bytes. The table is small and scanned whole: 64 slots cost less
 * than a microsecond, against 170 us for the decode they save.
 */
#include "dkim/pubkey.h"

#include <dlfcn.h>	/* RTLD_NEXT: _GNU_SOURCE, set by the Makefile */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

struct pubkey_slot {
	EVP_PKEY *pkey;		/* NULL: free slot */
	uint64_t hash;
	uint64_t used_at;	/* the tick of its last lookup */
	size_t len, used;	/* input bytes, the object's bytes */
	unsigned char der[AG_DKIM_PUBKEY_DER_MAX];
};

static struct {
	pthread_mutex_t lock;
	uint64_t tick;
	struct ag_dkim_pubkey_stats st;
	struct pubkey_slot slot[AG_DKIM_PUBKEY_SLOTS];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t
pubkey_hash(const unsigned char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* pubkey_find - the slot holding these bytes, or NULL; lock held */
static struct pubkey_slot *
pubkey_find(uint64_t h, const unsigned char *der, size_t len)
{
	for (size_t i = 0; i < AG_DKIM_PUBKEY_SLOTS; i++) {
		struct pubkey_slot *s = &cache.slot[i];

		if (s->pkey != NULL && s->hash == h && s->len == len &&
		    memcmp(s->der, der, len) == 0)
			return s;
	}
	return NULL;
}

/* pubkey_victim - a free slot, else the least recently used; lock held */
static struct pubkey_slot *
pubkey_victim(void)
{
	struct pubkey_slot *v = &cache.slot[0];

	for (size_t i = 0; i < AG_DKIM_PUBKEY_SLOTS; i++) {
		struct pubkey_slot *s = &cache.slot[i];

		if (s->pkey == NULL)
			return s;
		if (s->used_at < v->used_at)
			v = s;
	}
	return v;
}

/* pubkey_keep - a reference to pkey in the cache (or the key another
 * thread kept for the same bytes meanwhile, returned instead of pkey) */
static EVP_PKEY *
pubkey_keep(uint64_t h, const unsigned char *der, size_t len, size_t used,
	    EVP_PKEY *pkey)
{
	struct pubkey_slot *s;
	EVP_PKEY *old = NULL;

	pthread_mutex_lock(&cache.lock);
	if ((s = pubkey_find(h, der, len)) != NULL) {
		if (EVP_PKEY_up_ref(s->pkey) == 1) {
			old = pkey;
			pkey = s->pkey;
		}
	} else if (EVP_PKEY_up_ref(pkey) == 1) {
		s = pubkey_victim();
		old = s->pkey;	/* its holders keep their references */
		s->pkey = pkey;
		s->hash = h;
		s->len = len;
		s->used = used;
		memcpy(s->der, der, len);
	}
	if (s != NULL)
		s->used_at = ++cache.tick;
	pthread_mutex_unlock(&cache.lock);
	EVP_PKEY_free(old);
	return pkey;
}

/* ag_dkim_pubkey_get - the key whose SubjectPublicKeyInfo starts der */
EVP_PKEY *
ag_dkim_pubkey_get(const unsigned char *der, size_t len, size_t *used_r)
{
	const unsigned char *p = der;
	struct pubkey_slot *s;
	EVP_PKEY *pkey = NULL;
	uint64_t h = 0;
	size_t used = 0;

	if (der == NULL || len == 0 || len > (size_t)LONG_MAX)
		return NULL;
	if (len <= AG_DKIM_PUBKEY_DER_MAX)	/* else decoded, never kept */
		h = pubkey_hash(der, len);
	pthread_mutex_lock(&cache.lock);
	if (len <= AG_DKIM_PUBKEY_DER_MAX &&
	    (s = pubkey_find(h, der, len)) != NULL &&
	    EVP_PKEY_up_ref(s->pkey) == 1) {
		pkey = s->pkey;
		used = s->used;
		s->used_at = ++cache.tick;
		cache.st.hits++;
	} else {
		cache.st.decodes++;
	}
	pthread_mutex_unlock(&cache.lock);
	if (pkey != NULL)
		goto out;
	if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
		return NULL;
	used = (size_t)(p - der);
	if (len <= AG_DKIM_PUBKEY_DER_MAX)
		pkey = pubkey_keep(h, der, len, used, pkey);
out:
	if (used_r != NULL)
		*used_r = used;
	return pkey;
}

void
ag_dkim_pubkey_stats(struct ag_dkim_pubkey_stats *st_r)
{
	pthread_mutex_lock(&cache.lock);
	*st_r = cache.st;
	pthread_mutex_unlock(&cache.lock);
}

void
ag_dkim_pubkey_clear(void)
{
	EVP_PKEY *drop[AG_DKIM_PUBKEY_SLOTS];

	pthread_mutex_lock(&cache.lock);
	for (size_t i = 0; i < AG_DKIM_PUBKEY_SLOTS; i++) {
		drop[i] = cache.slot[i].pkey;
		cache.slot[i].pkey = NULL;
	}
	memset(&cache.st, 0, sizeof(cache.st));
	pthread_mutex_unlock(&cache.lock);
	for (size_t i = 0; i < AG_DKIM_PUBKEY_SLOTS; i++)
		EVP_PKEY_free(drop[i]);
}

/* pubkey_skip - read n bytes off bp; true when there were n */
static bool
pubkey_skip(BIO *bp, size_t n)
{
	unsigned char buf[256];

	while (n > 0) {
		int want = n > sizeof(buf) ? (int)sizeof(buf) : (int)n;

		if (BIO_read(bp, buf, want) != want)
			return false;
		n -= (size_t)want;
	}
	return true;
}

/*
 * d2i_PUBKEY_bio - libcrypto's function, served from the cache when it
 * reads a memory BIO into a new key (how libopendkim calls it); anything
 * else goes to the next definition (libcrypto's).
 */
EVP_PKEY *
d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a)
{
	typedef EVP_PKEY *(*d2i_bio_fn)(BIO *, EVP_PKEY **);
	static d2i_bio_fn next;
	char *data = NULL;
	long avail;
	size_t used = 0;
	EVP_PKEY *pkey;

	if (bp != NULL && a == NULL && BIO_method_type(bp) == BIO_TYPE_MEM &&
	    (avail = BIO_get_mem_data(bp, &data)) > 0 && data != NULL) {
		pkey = ag_dkim_pubkey_get((const unsigned char *)data,
					  (size_t)avail, &used);
		/* the object's bytes are read, as libcrypto's would be */
		if (pkey != NULL && !pubkey_skip(bp, used)) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		return pkey;
	}
	if (__atomic_load_n(&next, __ATOMIC_ACQUIRE) == NULL) {
		d2i_bio_fn fn;

		*(void **)&fn = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
		if (fn == NULL || fn == d2i_PUBKEY_bio)
			return NULL;
		__atomic_store_n(&next, fn, __ATOMIC_RELEASE);
	}
	return next(bp, a);
}
