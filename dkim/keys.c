/*
 * dkim/keys.c - load the signing keys: the KeyTable or the single-domain
 * form, and hand lookups to the SigningTable (dkim/signtable.c)
 *
 * KeyTable lines (opendkim.conf(5)): "keyname domain:selector:keypath".
 * Differences from OpenDKIM, each refused with file:line rather than
 * silently read another way:
 *   - the key must be a file ("/", "./" or "../" path); OpenDKIM also
 *     takes the PEM or base64 DER key inline, which would put the secret
 *     into a file that is usually world-readable;
 *   - a domain of "%" (the From domain at signing time) is not supported:
 *     every key's d= is fixed when the table is loaded;
 *   - a key name may appear once.
 * A "refile:" KeyTable is read like a plain one: OpenDKIM would treat its
 * names as patterns, but the names are looked up by the SigningTable and
 * in practice are literal ("mail._domainkey.example.com").
 * Relative key paths are relative to the working directory at load time,
 * as with OpenDKIM.
 */
#include "dkim/keys_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/conffile.h"

struct keytable_ctx {
	struct ag_dkim_keys *keys;
	bool require_safe;
	unsigned cap;
	unsigned *line; /* KeyTable line of each key */
};

/* ag_dkim_name_ok - letters, digits, '-', '_' and dots between labels */
bool
ag_dkim_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '.' || s[n - 1] == '.' || strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return true;
}

/* ag_dkim_table_split - "key<WSP>value": cut after the key, skip WSP */
void
ag_dkim_table_split(char *line, char **key_r, char **value_r)
{
	char *p = line;

	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*key_r = line;
	*value_r = p;
}

/* ag_dkim_table_path - the file behind a dataset name */
int
ag_dkim_table_path(const char *what, const char *spec, const char **path_r,
		   bool *refile_r, struct ag_err *err)
{
	*refile_r = false;
	if (strncmp(spec, "refile:", 7) == 0) {
		*refile_r = true;
		*path_r = spec + 7;
	} else if (strncmp(spec, "file:", 5) == 0) {
		*path_r = spec + 5;
	} else if (strchr(spec, ':') != NULL && spec[0] != '/' &&
		   spec[0] != '.') {
		return ag_err_set(err, AG_EINVAL,
				  "%s %s: only file: and "
				  "refile: tables are supported",
				  what, spec);
	} else {
		*path_r = spec;
	}
	if (**path_r == '\0')
		return ag_err_set(err, AG_EINVAL, "%s %s: no file named", what,
				  spec);
	return AG_OK;
}

/* keys_copy - copy s into a fixed field, or say which field is too long */
static int
keys_copy(char *dst, size_t size, const char *s, const struct ag_conf_where *w,
	  const char *field, struct ag_err *err)
{
	if (strlen(s) >= size)
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: %s longer than %zu "
				  "bytes",
				  w->file, w->line, field, size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return AG_OK;
}

/* keytable_fields - split "domain:selector:keypath" into k; *path_r
 * points into value */
static int
keytable_fields(struct ag_dkim_key *k, char *value,
		const struct ag_conf_where *w, char **path_r,
		struct ag_err *err)
{
	char *sel, *path;
	int rc;

	if ((sel = strchr(value, ':')) == NULL ||
	    (path = strchr(sel + 1, ':')) == NULL)
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: expected \"keyname "
				  "domain:selector:/path/to/key.pem\"",
				  w->file, w->line);
	*sel++ = '\0';
	*path++ = '\0';
	if (strcmp(value, "%") == 0)
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: domain \"%%\" (the "
				  "From domain) is not supported; name the "
				  "domain",
				  w->file, w->line);
	if (!ag_dkim_name_ok(value) || !ag_dkim_name_ok(sel))
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: \"%s:%s\" is not "
				  "domain:selector",
				  w->file, w->line, value, sel);
	if ((rc = keys_copy(k->domain, sizeof(k->domain), value, w, "domain",
			    err)) != AG_OK ||
	    (rc = keys_copy(k->selector, sizeof(k->selector), sel, w,
			    "selector", err)) != AG_OK)
		return rc;
	if (path[0] != '/' && strncmp(path, "./", 2) != 0 &&
	    strncmp(path, "../", 3) != 0)
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: the key must be a "
				  "file path starting with /, ./ or ../ (key "
				  "data inline in the table is not supported)",
				  w->file, w->line);
	*path_r = path;
	return AG_OK;
}

/* keytable_line - one KeyTable line: fill and load the next key */
static int
keytable_line(void *arg, const struct ag_conf_where *w, const char *item,
	      struct ag_err *err)
{
	struct keytable_ctx *ctx = arg;
	struct ag_dkim_keys *keys = ctx->keys;
	char buf[AG_CONF_LINE_MAX + 1], where[AG_ERR_MSG_MAX / 2];
	char *name, *value, *path = NULL;
	struct ag_dkim_key *k;
	int rc;

	if (keys->nkeys >= AG_DKIM_MAX_KEYS)
		return ag_err_set(err, AG_ELIMIT, "%s:%u: more than %d keys",
				  w->file, w->line, AG_DKIM_MAX_KEYS);
	if (keys->nkeys == ctx->cap) {
		unsigned cap = ctx->cap == 0 ? 16 : ctx->cap * 2;
		void *nk = realloc(keys->key, cap * sizeof(*keys->key));
		if (nk == NULL)
			return ag_err_set(err, AG_ENOMEM, "out of memory");
		keys->key = nk;
		if ((nk = realloc(ctx->line, cap * sizeof(*ctx->line))) == NULL)
			return ag_err_set(err, AG_ENOMEM, "out of memory");
		ctx->line = nk;
		ctx->cap = cap;
	}
	snprintf(buf, sizeof(buf), "%s", item);
	ag_dkim_table_split(buf, &name, &value);
	if (*value == '\0')
		return ag_err_set(err, AG_EINVAL,
				  "%s:%u: expected \"keyname "
				  "domain:selector:/path/to/key.pem\"",
				  w->file, w->line);
	k = &keys->key[keys->nkeys];
	memset(k, 0, sizeof(*k));
	if ((rc = keys_copy(k->name, sizeof(k->name), name, w, "key name",
			    err)) != AG_OK ||
	    (rc = keytable_fields(k, value, w, &path, err)) != AG_OK)
		return rc;
	snprintf(where, sizeof(where), "%s:%u: ", w->file, w->line);
	if ((rc = ag_dkim_keyfile_load(k, path, ctx->require_safe, where,
				       err)) != AG_OK)
		return rc;
	ctx->line[keys->nkeys++] = w->line;
	return AG_OK;
}

/* keys_name_cmp - order key indexes by name, case-insensitively */
static int
keys_name_cmp(const void *a, const void *b, void *arg)
{
	const struct ag_dkim_keys *keys = arg;

	return strcasecmp(keys->key[*(const unsigned *)a].name,
			  keys->key[*(const unsigned *)b].name);
}

/* keys_index - sort the names; a name used twice is an error */
static int
keys_index(struct ag_dkim_keys *keys, const char *file, const unsigned *line,
	   struct ag_err *err)
{
	if (keys->nkeys == 0)
		return AG_OK;
	keys->by_name = malloc(keys->nkeys * sizeof(*keys->by_name));
	if (keys->by_name == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	for (unsigned i = 0; i < keys->nkeys; i++)
		keys->by_name[i] = i;
	qsort_r(keys->by_name, keys->nkeys, sizeof(*keys->by_name),
		keys_name_cmp, keys);
	for (unsigned i = 1; i < keys->nkeys; i++) {
		unsigned a = keys->by_name[i - 1], b = keys->by_name[i];
		if (strcasecmp(keys->key[a].name, keys->key[b].name) == 0)
			return ag_err_set(err, AG_EINVAL,
					  "%s:%u: key name "
					  "\"%s\" already defined at line %u",
					  file, line[a > b ? a : b],
					  keys->key[b].name,
					  line[a > b ? b : a]);
	}
	return AG_OK;
}

/* ag_dkim_keys_find - binary search of the sorted names */
long
ag_dkim_keys_find(const struct ag_dkim_keys *keys, const char *name)
{
	size_t lo = 0, hi = keys->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(name, keys->key[keys->by_name[mid]].name);
		if (c == 0)
			return (long)keys->by_name[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* ag_dkim_table_parse - call fn for each line of the table at path */
int
ag_dkim_table_parse(const char *what, const char *path, ag_conf_item_fn fn,
		    void *arg, struct ag_err *err)
{
	struct ag_conf_where w = {path, 0};
	char ebuf[128], list[AG_CONF_ITEM_MAX + 8];
	int fd;

	/* open it once here so a missing table is named as such */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ag_err_set(err, AG_ENOENT, "%s %s: cannot open: %s",
				  what, path,
				  strerror_r(errno, ebuf, sizeof(ebuf)));
	close(fd);
	if (snprintf(list, sizeof(list), "file:%s", path) >= (int)sizeof(list))
		return ag_err_set(err, AG_EINVAL, "%s %s: path too long", what,
				  path);
	return ag_conflist_parse(list, &w, fn, arg, err);
}

/* keytable_load - read the KeyTable and every key it names */
static int
keytable_load(struct ag_dkim_keys *keys, const char *spec, bool require_safe,
	      struct ag_err *err)
{
	struct keytable_ctx ctx = {keys, require_safe, 0, NULL};
	const char *path;
	bool refile;
	int rc;

	if ((rc = ag_dkim_table_path("KeyTable", spec, &path, &refile, err)) !=
		    AG_OK ||
	    (rc = ag_dkim_table_parse("KeyTable", path, keytable_line, &ctx,
				      err)) != AG_OK)
		goto out;
	rc = keys_index(keys, path, ctx.line, err);
out:
	free(ctx.line);
	return rc;
}

/* keys_single - the single-domain form: one key named "default" */
static int
keys_single(struct ag_dkim_keys *keys, const struct ag_dkim_keys_config *cfg,
	    struct ag_err *err)
{
	struct ag_dkim_key *k;

	if (!ag_dkim_name_ok(cfg->domain) ||
	    strlen(cfg->domain) >= sizeof(k->domain))
		return ag_err_set(err, AG_EINVAL,
				  "Domain \"%s\" is not one "
				  "domain name",
				  cfg->domain);
	if (!ag_dkim_name_ok(cfg->selector) ||
	    strlen(cfg->selector) >= sizeof(k->selector))
		return ag_err_set(err, AG_EINVAL,
				  "Selector \"%s\" is not a "
				  "selector",
				  cfg->selector);
	if ((keys->key = calloc(1, sizeof(*keys->key))) == NULL ||
	    (keys->by_name = calloc(1, sizeof(*keys->by_name))) == NULL)
		return ag_err_set(err, AG_ENOMEM, "out of memory");
	k = &keys->key[0];
	snprintf(k->name, sizeof(k->name), "default");
	snprintf(k->domain, sizeof(k->domain), "%s", cfg->domain);
	snprintf(k->selector, sizeof(k->selector), "%s", cfg->selector);
	keys->single = true;
	keys->nkeys = 1;
	return ag_dkim_keyfile_load(k, cfg->keyfile, cfg->require_safe_keys,
				    "KeyFile: ", err);
}

/* keys_check_forms - the two forms exclude each other (opendkim.conf(5)
 * Mode: "Domain, KeyFile, Selector" or "KeyTable, SigningTable") */
static int
keys_check_forms(const struct ag_dkim_keys_config *cfg, struct ag_err *err)
{
	int single = (cfg->domain != NULL) + (cfg->selector != NULL) +
		     (cfg->keyfile != NULL);
	int tables = (cfg->keytable != NULL) + (cfg->signingtable != NULL);

	if (single != 0 && single != 3)
		return ag_err_set(err, AG_EINVAL,
				  "Domain, Selector and "
				  "KeyFile go together: set all three or none");
	if (tables == 1)
		return ag_err_set(err, AG_EINVAL,
				  "KeyTable and SigningTable "
				  "go together: set both or neither");
	if (single != 0 && tables != 0)
		return ag_err_set(err, AG_EINVAL,
				  "set either KeyTable and "
				  "SigningTable or Domain, Selector and "
				  "KeyFile, not both");
	return AG_OK;
}

/* ag_dkim_keys_load - build the key set of one configuration */
int
ag_dkim_keys_load(struct ag_dkim_keys **keys_r,
		  const struct ag_dkim_keys_config *cfg, struct ag_err *err)
{
	struct ag_dkim_keys *keys = NULL;
	const char *path;
	bool refile;
	int rc;

	if ((rc = keys_check_forms(cfg, err)) != AG_OK)
		goto out;
	if ((keys = calloc(1, sizeof(*keys))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "out of memory");
		goto out;
	}
	keys->multiple = cfg->multiple;
	if (cfg->domain != NULL) {
		rc = keys_single(keys, cfg, err);
	} else if (cfg->keytable != NULL) {
		if ((rc = keytable_load(keys, cfg->keytable,
					cfg->require_safe_keys, err)) !=
			    AG_OK ||
		    (rc = ag_dkim_table_path("SigningTable", cfg->signingtable,
					     &path, &refile, err)) != AG_OK)
			goto out;
		rc = ag_dkim_signtable_load(keys, path, refile, err);
	}
	if (rc == AG_OK) {
		*keys_r = keys;
		keys = NULL;
	}
out:
	ag_dkim_keys_free(&keys);
	return rc;
}

/* ag_dkim_keys_free - wipe every key, free the set, clear the pointer */
void
ag_dkim_keys_free(struct ag_dkim_keys **keys)
{
	struct ag_dkim_keys *k;

	if (keys == NULL || (k = *keys) == NULL)
		return;
	for (unsigned i = 0; i < k->nkeys; i++)
		ag_dkim_key_clear(&k->key[i]);
	for (unsigned i = 0; i < k->nent; i++)
		free(k->ent[i].pattern);
	free(k->ent);
	free(k->by_name);
	free(k->key);
	free(k);
	*keys = NULL;
}

/* ag_dkim_keys_match - the keys for author address addr */
unsigned
ag_dkim_keys_match(const struct ag_dkim_keys *keys, const char *addr,
		   const struct ag_dkim_key **keys_r, unsigned max)
{
	const char *at;

	if (keys == NULL || keys->nkeys == 0 || addr == NULL || max == 0 ||
	    (at = strrchr(addr, '@')) == NULL)
		return 0;
	if (keys->single) {
		/* exact domain only: OpenDKIM's SubDomains is not offered */
		if (strcasecmp(at + 1, keys->key[0].domain) != 0)
			return 0;
		keys_r[0] = &keys->key[0];
		return 1;
	}
	return ag_dkim_signtable_match(keys, addr, keys_r, max);
}

/* ag_dkim_keys_count - how many keys were loaded */
unsigned
ag_dkim_keys_count(const struct ag_dkim_keys *keys)
{
	return keys == NULL ? 0 : keys->nkeys;
}
