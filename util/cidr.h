/*
 * util/cidr.h - sets of IPv4 and IPv6 networks ("192.0.2.0/24", "::1")
 * Use:     ag_cidr_new(), ag_cidr_add() each entry, then ag_cidr_match()
 *          from any thread; ag_cidr_free().
 * Owns:    its entries.
 * Threads: build by one thread, then immutable; share freely.
 * Limits:  AG_CIDR_MAX entries (AG_ELIMIT past it). Matching is a linear
 *          scan: sets here are site networks, tens of entries.
 * Matching: an IPv4-mapped IPv6 client (::ffff:192.0.2.1) matches IPv4
 *          entries, because dual-stack MTAs report IPv4 clients that way,
 *          and IPv6 entries covering it (::ffff:0:0/96, ::/0) as well.
 */
#ifndef AG_UTIL_CIDR_H
#define AG_UTIL_CIDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "util/err.h"

#define AG_CIDR_MAX 65536

struct ag_cidr;

int ag_cidr_new(struct ag_cidr **set_r) AG_MUST_CHECK;
void ag_cidr_free(struct ag_cidr **set);

/* ag_cidr_add - add "addr" or "addr/len"; AG_EINVAL for anything else,
 * including host bits set past the prefix ("192.0.2.1/24" is refused so
 * a typo is not silently widened or narrowed) */
int ag_cidr_add(struct ag_cidr *set, const char *text) AG_MUST_CHECK;

/* ag_cidr_match - true when addr (AF_INET or AF_INET6) is in the set */
bool ag_cidr_match(const struct ag_cidr *set, const struct sockaddr *addr);

/* ag_cidr_match_text - the same for an address in text form; false when
 * the text is not an address */
bool ag_cidr_match_text(const struct ag_cidr *set, const char *addr);

unsigned ag_cidr_count(const struct ag_cidr *set);

#endif
