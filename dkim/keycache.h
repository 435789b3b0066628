/*
 * dkim/keycache.h - parsed signing keys, kept for libopendkim to reuse
 *
 * libopendkim takes a signing key as PEM text and parses it again for
 * every message (dkim_privkey_load() calls PEM_read_bio_PrivateKey()).
 * With OpenSSL 3 that parse, through the provider decoder framework, costs
 * more than the RSA-2048 signature itself, and a freshly parsed RSA key
 * also rebuilds its Montgomery and blinding state on first use. This file
 * defines PEM_read_bio_PrivateKey() in authgate itself (ELF interposition:
 * the executable's definition is the one libopendkim's call binds to). A
 * memory BIO whose bytes equal a registered key's PEM gets that key,
 * already parsed: RSA as a new reference to the one shared EVP_PKEY,
 * Ed25519 as a copy (libopendkim 2.11 never frees an Ed25519 key, so a
 * shared reference would only ever grow). Any other call goes on to
 * OpenSSL's PEM_read_bio_PrivateKey_ex() unchanged, so if a future
 * libopendkim stops calling this function the cache simply stops hitting
 * (ag_dkim_keycache_stats() shows it).
 *
 * Use:     ag_dkim_keycache_add() once a key is loaded (dkim/keyfile.c),
 *          ag_dkim_keycache_remove() before its PEM bytes are freed.
 * Owns:    a reference to each registered EVP_PKEY; the PEM bytes stay
 *          the caller's and must outlive the registration.
 * Threads: all functions are thread-safe (one mutex, held for a lookup).
 * Limits:  none beyond AG_DKIM_MAX_KEYS keys per key set; a key set being
 *          replaced and its successor are both registered for a moment.
 */
#ifndef AG_DKIM_KEYCACHE_H
#define AG_DKIM_KEYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/err.h"

/* ag_dkim_keycache_add - pem (len bytes, as handed to libopendkim) parses
 * to pkey; a reference to pkey is taken. AG_ENOMEM on allocation failure
 * (signing then still works, parsing per message). */
int ag_dkim_keycache_add(const unsigned char *pem, size_t len,
			 EVP_PKEY *pkey) AG_MUST_CHECK;

/* ag_dkim_keycache_remove - forget the entry registered with this pem
 * pointer (the same bytes registered twice are two entries); a pointer
 * never registered is ignored */
void ag_dkim_keycache_remove(const unsigned char *pem);

/* ag_dkim_keycache_stats - lookups answered from the cache, and memory
 * BIO parses that matched no registered key, since start */
void ag_dkim_keycache_stats(uint64_t *hits_r, uint64_t *misses_r);

#endif
