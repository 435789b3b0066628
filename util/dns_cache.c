/*
 * util/dns_cache.c - the DNS answer cache: a chained hash table for lookup
 * plus a doubly linked LRU list for eviction, both O(1) per operation.
 *
 * Entries are evicted least-recently-used first rather than by earliest
 * expiry: that keeps every operation O(1) without a heap, and an expired
 * entry costs only memory until it is looked up (then dropped) or reaches
 * the LRU tail. Answers are copied in and copied out, so no caller ever
 * holds a pointer into the cache and the lock can stay short.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/dns_cache.h"
#include "util/dns_int.h"

#define CACHE_MIN_BUCKETS 16u
#define CACHE_MAX_BUCKETS (1u << 20)	/* beyond this, chains grow instead */

struct cache_entry {
	char *key;			/* lower case, no trailing dot */
	uint16_t type;
	uint32_t hash;
	uint64_t stored_ms;		/* clock value at _put() */
	uint64_t expires_ms;		/* stored_ms + ttl seconds */
	struct ag_dns_answer *ans;	/* owned */
	struct cache_entry *hnext;	/* bucket chain */
	struct cache_entry *prev;	/* LRU list: towards the newest */
	struct cache_entry *next;	/* LRU list: towards the oldest */
};

struct ag_dns_cache {
	/*
	 * lock protects bucket[], head, tail, count and every entry linked
	 * from them. It is never held across I/O and never nested with
	 * another lock.
	 */
	pthread_mutex_t lock;
	struct cache_entry **bucket;
	size_t nbucket;			/* a power of two */
	struct cache_entry *head, *tail;
	unsigned long count, max;
	ag_dns_clock_fn now;		/* set before sharing; not locked */
	void *now_arg;
};

/* ag_dns_clock_monotonic - CLOCK_MONOTONIC in milliseconds */
uint64_t
ag_dns_clock_monotonic(void *arg)
{
	struct timespec ts;

	(void)arg;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* cache_hash - FNV-1a over the key and the type */
static uint32_t
cache_hash(const char *key, uint16_t type)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ (type & 0xffu)) * 16777619u;
	h = (h ^ (type >> 8)) * 16777619u;
	return h;
}

/* cache_entry_free - free one unlinked entry */
static void
cache_entry_free(struct cache_entry *e)
{
	if (e == NULL)
		return;
	free(e->key);
	ag_dns_answer_free(&e->ans);
	free(e);
}

/* ag_dns_cache_new - an empty cache sized for max_entries */
int
ag_dns_cache_new(struct ag_dns_cache **cache_r, unsigned max_entries)
{
	struct ag_dns_cache *c = NULL;
	size_t n = CACHE_MIN_BUCKETS;
	int rc = AG_EINVAL;

	if (cache_r == NULL || max_entries == 0)
		goto out;
	rc = AG_ENOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	/* bounded: doubles at most 17 times from 16 to 2^20 */
	while (n < max_entries && n < CACHE_MAX_BUCKETS)
		n *= 2;
	if ((c->bucket = calloc(n, sizeof(*c->bucket))) == NULL)
		goto out;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		rc = AG_EINTERNAL;
		goto out;
	}
	c->nbucket = n;
	c->max = max_entries;
	c->now = ag_dns_clock_monotonic;
	*cache_r = c;
	c = NULL;
	rc = AG_OK;
out:
	if (c != NULL)
		free(c->bucket);
	free(c);
	return rc;
}

/* ag_dns_cache_free - free the cache and every entry */
void
ag_dns_cache_free(struct ag_dns_cache **cache)
{
	struct ag_dns_cache *c;
	struct cache_entry *e, *next;

	if (cache == NULL || (c = *cache) == NULL)
		return;
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		cache_entry_free(e);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->bucket);
	free(c);
	*cache = NULL;
}

/* ag_dns_cache_set_clock - replace the clock (tests; not locked) */
void
ag_dns_cache_set_clock(struct ag_dns_cache *cache, ag_dns_clock_fn fn,
		       void *arg)
{
	cache->now = fn != NULL ? fn : ag_dns_clock_monotonic;
	cache->now_arg = fn != NULL ? arg : NULL;
}

/* ag_dns_cache_count - entries held now */
unsigned long
ag_dns_cache_count(struct ag_dns_cache *cache)
{
	unsigned long n;

	pthread_mutex_lock(&cache->lock);
	n = cache->count;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

/* cache_find - the entry for (key, type), or NULL; lock held */
static struct cache_entry *
cache_find(struct ag_dns_cache *c, const char *key, uint16_t type,
	   uint32_t hash)
{
	struct cache_entry *e;

	for (e = c->bucket[hash & (c->nbucket - 1)]; e != NULL; e = e->hnext)
		if (e->hash == hash && e->type == type &&
		    strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* cache_lru_unlink - take e off the LRU list; lock held */
static void
cache_lru_unlink(struct ag_dns_cache *c, struct cache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

/* cache_lru_push - put e at the head (most recently used); lock held */
static void
cache_lru_push(struct ag_dns_cache *c, struct cache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* cache_unlink - take e out of its bucket and the LRU list; lock held */
static void
cache_unlink(struct ag_dns_cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->bucket[e->hash & (c->nbucket - 1)];

	/* bounded by the chain length, itself bounded by c->count */
	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	e->hnext = NULL;
	cache_lru_unlink(c, e);
	c->count--;
}

/* cache_age - ttl reduced by elapsed seconds, not below 0 */
static uint32_t
cache_age(uint32_t ttl, uint64_t elapsed_s)
{
	return elapsed_s >= ttl ? 0 : (uint32_t)(ttl - elapsed_s);
}

/* ag_dns_cache_get - a copy of the cached answer, aged, or 0 */
int
ag_dns_cache_get(struct ag_dns_cache *cache, const char *key, uint16_t type,
		 struct ag_dns_answer **ans_r)
{
	struct cache_entry *e, *dead = NULL;
	struct ag_dns_answer *copy = NULL;
	uint32_t hash = cache_hash(key, type);
	uint64_t now = cache->now(cache->now_arg), elapsed_s = 0;
	int rc = 0;

	pthread_mutex_lock(&cache->lock);
	if ((e = cache_find(cache, key, type, hash)) == NULL)
		goto unlock;
	if (now >= e->expires_ms || now < e->stored_ms) {
		/* expired (or the clock went backwards): drop it */
		cache_unlink(cache, e);
		dead = e;
		goto unlock;
	}
	if ((rc = ag_dns_answer_copy(e->ans, &copy)) != AG_OK)
		goto unlock;
	cache_lru_unlink(cache, e);
	cache_lru_push(cache, e);
	elapsed_s = (now - e->stored_ms) / 1000u;
	rc = 1;
unlock:
	pthread_mutex_unlock(&cache->lock);
	cache_entry_free(dead);
	if (rc == 1) {
		copy->from_cache = 1;
		copy->ttl = cache_age(copy->ttl, elapsed_s);
		for (unsigned i = 0; i < copy->count; i++)
			copy->rr[i].ttl = cache_age(copy->rr[i].ttl, elapsed_s);
		*ans_r = copy;
	}
	return rc;
}

/* cache_cacheable - whether ans may be stored */
static int
cache_cacheable(const struct ag_dns_answer *ans)
{
	if (ans->ttl == 0)
		return 0;
	return ans->status == AG_DNS_OK || ans->status == AG_DNS_NXDOMAIN ||
	       ans->status == AG_DNS_NODATA;
}

/* cache_entry_new - an unlinked entry holding copies of key and ans */
static int
cache_entry_new(const char *key, uint16_t type,
		const struct ag_dns_answer *ans, struct cache_entry **e_r)
{
	struct cache_entry *e;
	int rc = AG_ENOMEM;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto out;
	if ((e->key = strdup(key)) == NULL)
		goto out;
	if ((rc = ag_dns_answer_copy(ans, &e->ans)) != AG_OK)
		goto out;
	e->ans->from_cache = 0;
	e->type = type;
	e->hash = cache_hash(key, type);
	*e_r = e;
	e = NULL;
out:
	cache_entry_free(e);
	return rc;
}

/* ag_dns_cache_put - store a copy of a cacheable answer, evicting the LRU */
void
ag_dns_cache_put(struct ag_dns_cache *cache, const char *key, uint16_t type,
		 const struct ag_dns_answer *ans)
{
	struct cache_entry *e = NULL, *old, *victim = NULL;
	size_t b;

	if (cache == NULL || key == NULL || ans == NULL ||
	    !cache_cacheable(ans))
		goto out;
	/* copy outside the lock: allocation is the slow part */
	if (cache_entry_new(key, type, ans, &e) != AG_OK)
		goto out;
	e->stored_ms = cache->now(cache->now_arg);
	e->expires_ms = e->stored_ms + (uint64_t)ans->ttl * 1000u;

	pthread_mutex_lock(&cache->lock);
	if ((old = cache_find(cache, key, type, e->hash)) != NULL) {
		cache_unlink(cache, old);
		victim = old;
	} else if (cache->count >= cache->max && cache->tail != NULL) {
		/* count never exceeds max, so one eviction makes room */
		victim = cache->tail;
		cache_unlink(cache, victim);
	}
	b = e->hash & (cache->nbucket - 1);
	e->hnext = cache->bucket[b];
	cache->bucket[b] = e;
	cache_lru_push(cache, e);
	cache->count++;
	pthread_mutex_unlock(&cache->lock);
	e = NULL;
out:
	cache_entry_free(e);
	cache_entry_free(victim);
}
