/*
 * policy/rules_list.c - named and inline lists: strings (case-insensitive),
 * domains (an entry matches itself and every subdomain), CIDR sets
 *
 * Strings and domains are kept sorted so a lookup is a binary search,
 * once per label for domains: lists read from files can be large.
 */
#include "policy/rules_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rlist *
ag_rules_list_new(struct ag_rules *rules, const char *name,
		  enum list_type type)
{
	struct rlist *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if (name != NULL && (l->name = strdup(name)) == NULL)
		goto fail;
	l->type = type;
	if (type == LT_CIDR && ag_cidr_new(&l->cidr) != AG_OK)
		goto fail;
	l->next = rules->lists;
	rules->lists = l;
	return l;
fail:
	free(l->name);
	free(l);
	return NULL;
}

const struct rlist *
ag_rules_list_find(const struct ag_rules *rules, const char *name)
{
	for (const struct rlist *l = rules->lists; l != NULL; l = l->next)
		if (l->name != NULL && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* domain_ok - letters, digits, '-', '_', '.', no empty label; a leading
 * "*." or "." is accepted and dropped by the caller */
static bool
domain_ok(const char *d)
{
	size_t label = 0, n = 0;

	for (; *d != '\0'; d++, n++) {
		unsigned char c = (unsigned char)*d;

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_' || c >= 0x80) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return n > 0 && n <= 253 && label > 0;
}

int
ag_rules_list_add(struct rlist *l, const char *item, struct ag_err *err)
{
	char *copy;
	int rc;

	if (l->n >= AG_RULES_LIST_MAX)
		return ag_err_set(err, AG_ELIMIT, "more than %d list entries",
				  AG_RULES_LIST_MAX);
	if (l->type == LT_CIDR) {
		rc = ag_cidr_add(l->cidr, item);
		if (rc == AG_EINVAL)
			return ag_err_set(err, rc, "\"%s\" is not an address "
					  "or network (addr/len with no host "
					  "bits set)", item);
		if (rc != AG_OK)
			return ag_err_set(err, rc, "\"%s\": %s", item,
					  ag_strerror(rc));
		l->n++;
		return AG_OK;
	}
	if (l->type == LT_DOMAINS) {
		if (strncmp(item, "*.", 2) == 0)
			item += 2;
		else if (item[0] == '.')
			item++;
		if (!domain_ok(item))
			return ag_err_set(err, AG_EINVAL, "\"%s\" is not a "
					  "domain name", item);
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = realloc(l->item, cap * sizeof(*p));

		if (p == NULL)
			return ag_err_set(err, AG_ENOMEM, "out of memory");
		l->item = p;
		l->cap = cap;
	}
	if ((copy = strdup(item)) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	for (char *p = copy; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (l->type == LT_DOMAINS && copy[strlen(copy) - 1] == '.')
		copy[strlen(copy) - 1] = '\0';
	l->item[l->n++] = copy;
	return AG_OK;
}

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
ag_rules_list_done(struct rlist *l)
{
	if (l->type != LT_CIDR && l->n > 1)
		qsort(l->item, l->n, sizeof(*l->item), cmp_item);
}

/* find - binary search for key (already lower case) */
static bool
find(const struct rlist *l, const char *key)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, l->item[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

bool
ag_rules_list_has(const struct rlist *l, const char *value)
{
	char key[1024];
	size_t n;

	if (l->type == LT_CIDR)
		return ag_cidr_match_text(l->cidr, value);
	n = strlen(value);
	if (n >= sizeof(key))
		return false;	/* longer than any entry can be */
	for (size_t i = 0; i <= n; i++)
		key[i] = (char)tolower((unsigned char)value[i]);
	if (l->type == LT_STRINGS)
		return find(l, key);
	if (n > 0 && key[n - 1] == '.')
		key[n - 1] = '\0';
	/* the domain, then each parent: a.b.example.com, b.example.com, ... */
	for (const char *p = key; p != NULL && *p != '\0';) {
		const char *dot;

		if (find(l, p))
			return true;
		dot = strchr(p, '.');
		p = dot != NULL ? dot + 1 : NULL;
	}
	return false;
}

void
ag_rules_lists_free(struct rlist **lists)
{
	struct rlist *l = *lists, *next;

	for (; l != NULL; l = next) {
		next = l->next;
		for (size_t i = 0; i < l->n && l->type != LT_CIDR; i++)
			free(l->item[i]);
		free(l->item);
		ag_cidr_free(&l->cidr);
		free(l->name);
		free(l);
	}
	*lists = NULL;
}
