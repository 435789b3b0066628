/*
 * util/cidr.c - IPv4/IPv6 network sets
 */
#include "util/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cidr_entry {
	int family;		/* AF_INET or AF_INET6 */
	unsigned prefix;
	unsigned char addr[16];
};

struct ag_cidr {
	struct cidr_entry *v;
	unsigned n, cap;
};

int
ag_cidr_new(struct ag_cidr **set_r)
{
	struct ag_cidr *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return AG_ENOMEM;
	*set_r = set;
	return AG_OK;
}

void
ag_cidr_free(struct ag_cidr **set)
{
	if (set == NULL || *set == NULL)
		return;
	free((*set)->v);
	free(*set);
	*set = NULL;
}

/* cidr_prefix_match - do the first prefix bits of a and b agree? */
static bool
cidr_prefix_match(const unsigned char *a, const unsigned char *b,
		  unsigned prefix)
{
	unsigned bytes = prefix / 8, bits = prefix % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* ag_cidr_add - parse and append one network */
int
ag_cidr_add(struct ag_cidr *set, const char *text)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr_entry e;
	const char *slash;
	size_t alen;

	memset(&e, 0, sizeof(e));
	if (set->n >= AG_CIDR_MAX)
		return AG_ELIMIT;
	slash = strchr(text, '/');
	alen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (alen == 0 || alen >= sizeof(buf))
		return AG_EINVAL;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, e.addr) == 1) {
		e.family = AF_INET;
		e.prefix = 32;
	} else if (inet_pton(AF_INET6, buf, e.addr) == 1) {
		e.family = AF_INET6;
		e.prefix = 128;
	} else {
		return AG_EINVAL;
	}
	if (slash != NULL) {
		char *end;
		unsigned long p;
		if (slash[1] < '0' || slash[1] > '9')
			return AG_EINVAL;
		p = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || p > e.prefix)
			return AG_EINVAL;
		e.prefix = (unsigned)p;
	}
	/* host bits past the prefix must be zero */
	{
		unsigned char masked[16];
		unsigned len = e.family == AF_INET ? 4 : 16;
		memcpy(masked, e.addr, len);
		for (unsigned bit = e.prefix; bit < len * 8; bit++)
			masked[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
		if (memcmp(masked, e.addr, len) != 0)
			return AG_EINVAL;
	}
	if (set->n == set->cap) {
		unsigned cap = set->cap ? set->cap * 2 : 8;
		struct cidr_entry *v = realloc(set->v, cap * sizeof(*v));
		if (v == NULL)
			return AG_ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	set->v[set->n++] = e;
	return AG_OK;
}

/* cidr_match_raw - match an address given as family + bytes */
static bool
cidr_match_raw(const struct ag_cidr *set, int family, const unsigned char *a)
{
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0,
						    0, 0, 0, 0, 0xff, 0xff };

	/* a v4-mapped client matches v4 entries and v6 entries alike */
	bool mapped = family == AF_INET6 && memcmp(a, v4mapped, 12) == 0;

	for (unsigned i = 0; i < set->n; i++) {
		const struct cidr_entry *e = &set->v[i];
		if (e->family == family &&
		    cidr_prefix_match(e->addr, a, e->prefix))
			return true;
		if (mapped && e->family == AF_INET &&
		    cidr_prefix_match(e->addr, a + 12, e->prefix))
			return true;
	}
	return false;
}

bool
ag_cidr_match(const struct ag_cidr *set, const struct sockaddr *addr)
{
	if (set == NULL || addr == NULL)
		return false;
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
		return cidr_match_raw(set, AF_INET,
				      (const unsigned char *)&in->sin_addr);
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)addr;
		return cidr_match_raw(set, AF_INET6, in6->sin6_addr.s6_addr);
	}
	return false;
}

bool
ag_cidr_match_text(const struct ag_cidr *set, const char *addr)
{
	unsigned char a[16];

	if (set == NULL)
		return false;
	if (inet_pton(AF_INET, addr, a) == 1)
		return cidr_match_raw(set, AF_INET, a);
	if (inet_pton(AF_INET6, addr, a) == 1)
		return cidr_match_raw(set, AF_INET6, a);
	return false;
}

unsigned
ag_cidr_count(const struct ag_cidr *set)
{
	return set == NULL ? 0 : set->n;
}
