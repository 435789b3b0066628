/*
 * milter/config_int.h - shared between config.c and config_dkim.c
 * Threads: used while one thread loads a configuration.
 */
#ifndef AG_MILTER_CONFIG_INT_H
#define AG_MILTER_CONFIG_INT_H

#include "milter/config.h"
#include "util/conffile.h"

struct config_key {
	const char *name;
	int (*set)(struct ag_config *c, const struct ag_conf_where *w,
		   const char *v, struct ag_err *err);
};

/* ag_config_copy - a string value into dst, or "file:line: KEY: value
 * too long" */
int ag_config_copy(char *dst, size_t size, const struct ag_conf_where *w,
		   const char *key, const char *v, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_config_bool - a yes/no value, or "file:line: KEY: ... is not yes or
 * no" */
int ag_config_bool(bool *dst, const struct ag_conf_where *w, const char *key,
		   const char *v, struct ag_err *err) AG_MUST_CHECK;

/* the DKIM keys of config_dkim.c */
extern const struct config_key ag_config_dkim_keys[];
extern const unsigned ag_config_dkim_nkeys;

void ag_config_dkim_defaults(struct ag_config *c);

/* the DMARC keys of config_dmarc.c */
extern const struct config_key ag_config_dmarc_keys[];
extern const unsigned ag_config_dmarc_nkeys;

void ag_config_dmarc_defaults(struct ag_config *c);

/* ag_config_dmarc_build - the public suffix list and the DMARC
 * environment (after the resolver exists) */
int ag_config_dmarc_build(struct ag_config *c, struct ag_err *err)
	AG_MUST_CHECK;
void ag_config_dmarc_free(struct ag_config *c);

/* ag_config_dkim_build - the libopendkim handle and the signing keys
 * (read now: as root at start, as User on reload) */
int ag_config_dkim_build(struct ag_config *c, struct ag_err *err)
	AG_MUST_CHECK;
void ag_config_dkim_free(struct ag_config *c);

/* the ARC keys of config_arc.c */
extern const struct config_key ag_config_arc_keys[];
extern const unsigned ag_config_arc_nkeys;

void ag_config_arc_defaults(struct ag_config *c);

/* ag_config_arc_build - read the sealing key (after every key is read) */
int ag_config_arc_build(struct ag_config *c, struct ag_err *err)
	AG_MUST_CHECK;

/* ag_config_arc_rules - the ARCTrustedSealers rule into c->rules (made
 * already), before the Rules file is read */
int ag_config_arc_rules(struct ag_config *c, struct ag_err *err)
	AG_MUST_CHECK;
void ag_config_arc_free(struct ag_config *c);

/* the rule keys of config_rules.c */
extern const struct config_key ag_config_rules_keys[];
extern const unsigned ag_config_rules_nkeys;

void ag_config_rules_defaults(struct ag_config *c);

/* ag_config_rules_build - compile Rules and the shorthand keys (after
 * every key is read) */
int ag_config_rules_build(struct ag_config *c, struct ag_err *err)
	AG_MUST_CHECK;
void ag_config_rules_free(struct ag_config *c);

#endif
