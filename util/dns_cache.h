/*
 * util/dns_cache.h - the DNS answer cache behind util/dns.c (internal)
 * Use:     ag_dns_cache_new() with the entry bound, _get() before asking
 *          the DNS, _put() after, _free() with the resolver.
 * Owns:    a deep copy of every answer stored; _get() hands out another
 *          deep copy the caller frees with ag_dns_answer_free().
 * Threads: internally locked: one mutex per cache guards its table, LRU
 *          list and count; it is held only to look up, link, unlink and
 *          copy one answer, never across I/O. _set_clock() is not locked:
 *          call it before the cache is shared (tests only).
 * Limits:  at most max_entries answers; a full cache evicts the least
 *          recently used entry. Lookups and inserts are O(1) on average
 *          (hash table with chaining plus an LRU list).
 * Keys:    (name, type); the caller passes name lower-cased without the
 *          trailing dot, the cache compares bytes.
 * Expiry:  an answer lives ans->ttl seconds from _put(); _get() returns it
 *          with ttl (and every record's ttl) reduced by the time elapsed.
 *          Answers with ttl 0, and statuses other than OK, NXDOMAIN and
 *          NODATA, are not stored.
 * Errors:  AG_OK, AG_ENOMEM, AG_EINVAL; _put() is best effort.
 */
#ifndef AG_UTIL_DNS_CACHE_H
#define AG_UTIL_DNS_CACHE_H

#include <stdint.h>

#include "util/dns.h"
#include "util/err.h"

struct ag_dns_cache;

/* a monotonic clock in milliseconds; arg is passed through */
typedef uint64_t (*ag_dns_clock_fn)(void *arg);

/* ag_dns_cache_new - an empty cache for max_entries (>= 1) answers */
int ag_dns_cache_new(struct ag_dns_cache **cache_r, unsigned max_entries)
	AG_MUST_CHECK;

/* ag_dns_cache_free - free the cache and every answer in it; NULL is fine */
void ag_dns_cache_free(struct ag_dns_cache **cache);

/*
 * ag_dns_cache_get - 1 and a fresh copy in *ans_r (from_cache=1, TTLs
 * reduced) when (key, type) is cached and unexpired, 0 when not (an
 * expired entry is dropped), AG_ENOMEM when the copy fails.
 */
int ag_dns_cache_get(struct ag_dns_cache *cache, const char *key,
		     uint16_t type, struct ag_dns_answer **ans_r)
	AG_MUST_CHECK;

/*
 * ag_dns_cache_put - store a copy of ans under (key, type), replacing an
 * older entry. Best effort: an uncacheable answer is ignored, and so is a
 * failed allocation (it costs only a later cache miss).
 */
void ag_dns_cache_put(struct ag_dns_cache *cache, const char *key,
		      uint16_t type, const struct ag_dns_answer *ans);

/* ag_dns_cache_count - entries held now (expired ones included) */
unsigned long ag_dns_cache_count(struct ag_dns_cache *cache);

/*
 * ag_dns_cache_set_clock - replace the monotonic clock (tests); fn NULL
 * restores CLOCK_MONOTONIC. Not locked: set it before sharing the cache.
 */
void ag_dns_cache_set_clock(struct ag_dns_cache *cache, ag_dns_clock_fn fn,
			    void *arg);

/* ag_dns_clock_monotonic - the default clock, CLOCK_MONOTONIC in ms */
uint64_t ag_dns_clock_monotonic(void *arg);

#endif
