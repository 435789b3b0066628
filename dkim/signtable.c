/*
 * dkim/signtable.c - the SigningTable: which keys sign a given author
 *
 * Lines (opendkim.conf(5)): "pattern keyname". A keyname of "%" names the
 * key whose KeyTable name is the From domain. Patterns are compared
 * case-insensitively (OpenDKIM opens the table with DKIMF_DB_FLAG_ICASE).
 *
 * Plain table: each pattern is a literal lookup key, and the lookups are
 * made in OpenDKIM's order (dkimf_apply_signtable() in opendkim.c):
 *   user@host, host, then for each parent ".p" of host (".example.com",
 *   then ".com"): user@.p and .p; then user@* and finally *.
 * The first line of a pattern answers its lookup.
 * refile: table: each pattern is a wildcard ('*' matches any text, all
 * else literal, anchored at both ends) tried against "user@host" in file
 * order. OpenDKIM builds a POSIX regex where only '*', '.' and '+' are
 * translated; other regex characters would mean something there, so they
 * are refused here rather than read differently.
 * Either way the first match is used, or with MultipleSignatures every
 * match in that order, each key once.
 *
 * Refused with file:line: the optional second field (the signer, i=),
 * which ag_dkim_key has no room for; a '*' in a plain table outside the
 * lookup keys "*" and "user@*" (OpenDKIM would silently never match it).
 */
#include "dkim/keys_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/conffile.h"

#define SIGNTABLE_ADDR_MAX 1024 /* longest author address matched */

struct signtable_ctx {
	struct ag_dkim_keys *keys;
	bool refile;
	unsigned cap;
};

/* signtable_pattern_ok - NULL when pattern can be used, else why not */
static const char *
signtable_pattern_ok(const char *p, bool refile)
{
	const char *at;

	if (refile)
		return strpbrk(p, "[]()|?^$\\{}") == NULL
			       ? NULL
			       : "holds a regular-expression character; "
				 "only '*' wildcards are supported";
	if (strchr(p, '*') == NULL || strcmp(p, "*") == 0)
		return NULL;
	at = strchr(p, '@');
	if (at != NULL && strcmp(at, "@*") == 0 && strchr(p, '*') == at + 1)
		return NULL;
	return "has a '*' wildcard; wildcards need \"SigningTable "
	       "refile:/path\"";
}

/* signtable_grow - room for one more entry */
static int
signtable_grow(struct signtable_ctx *ctx, const struct ag_conf_where *w,
	       struct ag_err *err)
{
	struct ag_dkim_keys *keys = ctx->keys;
	void *n;
	unsigned cap;

	if (keys->nent >= AG_DKIM_SIGN_ENTRIES_MAX)
		return ag_err_set(err, AG_ELIMIT, "%s:%u: more than %d lines",
				  w->file, w->line, AG_DKIM_SIGN_ENTRIES_MAX);
	if (keys->nent < ctx->cap)
		return AG_OK;
	cap = ctx->cap == 0 ? 16 : ctx->cap * 2;
	if ((n = realloc(keys->ent, cap * sizeof(*keys->ent))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	keys->ent = n;
	ctx->cap = cap;
	return AG_OK;
}

/* signtable_line - one SigningTable line */
static int
signtable_line(void *arg, const struct ag_conf_where *w, const char *item,
	       struct ag_err *err)
{
	struct signtable_ctx *ctx = arg;
	struct ag_dkim_keys *keys = ctx->keys;
	struct ag_dkim_sign_entry *e;
	char buf[AG_CONF_LINE_MAX + 1], *pattern, *name, *why;
	long key = -1;
	int rc;

	if ((rc = signtable_grow(ctx, w, err)) != AG_OK)
		return rc;
	snprintf(buf, sizeof(buf), "%s", item);
	ag_dkim_table_split(buf, &pattern, &name);
	if (*name == '\0')
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: expected \"pattern "
				  "keyname\"",
				  w->file, w->line);
	if (name[strcspn(name, " \t")] != '\0')
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: a second field (the "
				  "signer, i=) is not supported",
				  w->file, w->line);
	for (char *p = pattern; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((why = (char *)signtable_pattern_ok(pattern, ctx->refile)) != NULL)
		return ag_err_set(err, AG_EINVAL, "%s:%u: pattern \"%s\" %s",
				  w->file, w->line, pattern, why);
	if (strcmp(name, "%") != 0 && (key = ag_dkim_keys_find(keys, name)) < 0)
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: key name \"%s\" is "
				  "not in the KeyTable",
				  w->file, w->line, name);
	e = &keys->ent[keys->nent];
	if ((e->pattern = strdup(pattern)) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	e->line = w->line;
	e->by_domain = key < 0;
	e->key = key < 0 ? 0 : (unsigned)key;
	keys->nent++;
	return AG_OK;
}

/* signtable_cmp - order entries by pattern, then by line */
static int
signtable_cmp(const void *a, const void *b)
{
	const struct ag_dkim_sign_entry *x = a, *y = b;
	int c = strcmp(x->pattern, y->pattern);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* ag_dkim_signtable_load - read the table, then index a plain one */
int
ag_dkim_signtable_load(struct ag_dkim_keys *keys, const char *path, bool refile,
		       struct ag_err *err)
{
	struct signtable_ctx ctx = {keys, refile, 0};
	int rc;

	keys->refile = refile;
	if ((rc = ag_dkim_table_parse("SigningTable", path, signtable_line,
				      &ctx, err)) != AG_OK)
		return rc;
	if (!refile && keys->nent > 1)
		qsort(keys->ent, keys->nent, sizeof(*keys->ent), signtable_cmp);
	return AG_OK;
}

/* signtable_glob - does the wildcard pattern p match all of s? The last
 * '*' is retried one character further on a mismatch, so the work is at
 * most strlen(p) * strlen(s) steps. */
static bool
signtable_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* signtable_lookup - the first entry whose pattern is exactly key, or
 * NULL (entries sorted by pattern, then line) */
static const struct ag_dkim_sign_entry *
signtable_lookup(const struct ag_dkim_keys *keys, const char *key)
{
	size_t lo = 0, hi = keys->nent;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(keys->ent[mid].pattern, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < keys->nent && strcmp(keys->ent[lo].pattern, key) == 0)
		return &keys->ent[lo];
	return NULL;
}

struct signtable_out {
	const struct ag_dkim_key **keys_r;
	unsigned max, n;
	bool multiple;
};

/* signtable_take - add the key of entry e (once); true when done */
static bool
signtable_take(const struct ag_dkim_keys *keys,
	       const struct ag_dkim_sign_entry *e, const char *domain,
	       struct signtable_out *o)
{
	const struct ag_dkim_key *k;
	long i;

	if (e->by_domain) {
		/* "%": no key of that name means no signature from it */
		if ((i = ag_dkim_keys_find(keys, domain)) < 0)
			return false;
		k = &keys->key[i];
	} else {
		k = &keys->key[e->key];
	}
	for (unsigned j = 0; j < o->n; j++)
		if (o->keys_r[j] == k)
			return !o->multiple;
	o->keys_r[o->n++] = k;
	return !o->multiple || o->n >= o->max;
}

/* signtable_try - look up one candidate key of a plain table */
static bool
signtable_try(const struct ag_dkim_keys *keys, const char *cand,
	      const char *domain, struct signtable_out *o)
{
	const struct ag_dkim_sign_entry *e = signtable_lookup(keys, cand);

	return e != NULL && signtable_take(keys, e, domain, o);
}

/* signtable_plain - OpenDKIM's lookup order for a plain table; addr is
 * lower case, at points at its '@' */
static void
signtable_plain(const struct ag_dkim_keys *keys, const char *addr,
		const char *at, struct signtable_out *o)
{
	char cand[SIGNTABLE_ADDR_MAX + 4];
	const char *domain = at + 1;
	int ulen = (int)(at - addr);

	if (signtable_try(keys, addr, domain, o) ||
	    signtable_try(keys, domain, domain, o))
		return;
	for (const char *p = strchr(domain, '.'); p != NULL;
	     p = strchr(p + 1, '.')) {
		snprintf(cand, sizeof(cand), "%.*s@%s", ulen, addr, p);
		if (signtable_try(keys, cand, domain, o) ||
		    signtable_try(keys, p, domain, o))
			return;
	}
	snprintf(cand, sizeof(cand), "%.*s@*", ulen, addr);
	if (signtable_try(keys, cand, domain, o))
		return;
	(void)signtable_try(keys, "*", domain, o);
}

/* ag_dkim_signtable_match - the keys for addr, in table order */
unsigned
ag_dkim_signtable_match(const struct ag_dkim_keys *keys, const char *addr,
			const struct ag_dkim_key **keys_r, unsigned max)
{
	struct signtable_out o = {keys_r, max, 0, keys->multiple};
	char low[SIGNTABLE_ADDR_MAX + 1];
	size_t n = strlen(addr);
	const char *at;

	if (n >= sizeof(low))
		return 0;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)addr[i]);
	at = strrchr(low, '@');
	if (at == NULL || at[1] == '\0')
		return 0;
	if (!keys->refile) {
		signtable_plain(keys, low, at, &o);
		return o.n;
	}
	for (unsigned i = 0; i < keys->nent; i++)
		if (signtable_glob(keys->ent[i].pattern, low) &&
		    signtable_take(keys, &keys->ent[i], at + 1, &o))
			break;
	return o.n;
}
