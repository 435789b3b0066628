/*
 * dkim/keys_int.h - what keys.c, keyfile.c and signtable.c share
 * Use:     internal to dkim/; callers use dkim/keys.h.
 * Owns:    see struct ag_dkim_keys.
 * Threads: a key set is built by one thread, then immutable.
 */
#ifndef AG_DKIM_KEYS_INT_H
#define AG_DKIM_KEYS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim/keys.h"
#include "util/conffile.h"
#include "util/err.h"

#define AG_DKIM_KEYFILE_MAX	 65536	/* bytes of one PEM key file */
#define AG_DKIM_RSA_MIN_BITS	 1024	/* RFC 8301 3.2 */
#define AG_DKIM_RSA_MAX_BITS	 8192	/* a larger p= does not fit DNS well */
#define AG_DKIM_SIGN_ENTRIES_MAX 100000 /* SigningTable lines */

/* one SigningTable line */
struct ag_dkim_sign_entry {
	char *pattern;	/* lower case; refile: '*' wildcards */
	unsigned line;	/* file order, for first-match and messages */
	bool by_domain; /* keyname "%": the key named like the From
			 * domain (opendkim.conf(5)) */
	unsigned key;	/* index into keys->key when !by_domain */
};

struct ag_dkim_keys {
	struct ag_dkim_key *key; /* nkeys loaded keys, table order */
	unsigned nkeys;
	unsigned *by_name;		/* key indexes sorted by name */
	struct ag_dkim_sign_entry *ent; /* SigningTable lines; sorted by
					 * (pattern, line) unless refile */
	unsigned nent;
	bool refile; /* SigningTable patterns are wildcards,
		      * tried in file order */
	bool single; /* single-domain form: key[0] */
	bool multiple;
};

/*
 * ag_dkim_keyfile_load - read the PEM private key at path into k (alg,
 * bits, pkey, pem, pem_len, path). where names the table line ("file:line: ")
 * or is "" for the single-domain form. With require_safe, a file (the one
 * a symlink resolves to) with any group or other read/write bit is
 * refused. On error k->pkey and k->pem stay NULL.
 */
int ag_dkim_keyfile_load(struct ag_dkim_key *k, const char *path,
			 bool require_safe, const char *where,
			 struct ag_err *err) AG_MUST_CHECK;

/* ag_dkim_key_clear - free one key's parsed key and wipe its PEM */
void ag_dkim_key_clear(struct ag_dkim_key *k);

/* ag_dkim_keys_find - index of the key named name (case-insensitive),
 * or -1 */
long ag_dkim_keys_find(const struct ag_dkim_keys *keys, const char *name);

/* ag_dkim_signtable_load - read the SigningTable at path (refile: wildcard
 * patterns) into keys; the KeyTable must be loaded first */
int ag_dkim_signtable_load(struct ag_dkim_keys *keys, const char *path,
			   bool refile, struct ag_err *err) AG_MUST_CHECK;

/* ag_dkim_signtable_match - see ag_dkim_keys_match() */
unsigned ag_dkim_signtable_match(const struct ag_dkim_keys *keys,
				 const char *addr,
				 const struct ag_dkim_key **keys_r,
				 unsigned max);

/* ag_dkim_table_path - split "file:/p", "refile:/p" or "/p" into the path
 * and the refile flag; other dataset types (db:, ldap:, ...) are
 * AG_EINVAL naming what, the setting */
int ag_dkim_table_path(const char *what, const char *spec, const char **path_r,
		       bool *refile_r, struct ag_err *err) AG_MUST_CHECK;

/* ag_dkim_table_parse - fn for each non-blank, non-comment line of the
 * table at path (util/conffile lists); what ("KeyTable") names a table
 * that cannot be opened */
int ag_dkim_table_parse(const char *what, const char *path, ag_conf_item_fn fn,
			void *arg, struct ag_err *err) AG_MUST_CHECK;

/* ag_dkim_table_split - split a table line "key<WSP>value" in place;
 * value is "" when the line has no second field */
void ag_dkim_table_split(char *line, char **key_r, char **value_r);

/* ag_dkim_name_ok - a domain or selector we can put in d= / s= */
bool ag_dkim_name_ok(const char *s);

#endif
