/*
 * dkim/lib.c - the libopendkim library handle of one configuration
 *
 * Library flags (DKIM_OPTS_FLAGS), and why:
 *   - DKIM_LIBFLAGS_BADSIGHANDLES: a DKIM-Signature that does not parse
 *     still gets a DKIM_SIGINFO, so every signature field of a message
 *     has a result (neutral) instead of vanishing, and the signature list
 *     stays in header order, one entry per field (dkim/verify.c relies on
 *     that to pair libopendkim's list with its own).
 *   - not TMPFILES/KEEPFILES: no message data on disk; bodies are hashed
 *     as they stream.
 *   - not CACHE: util/dns caches answers for every check.
 *   - not VERIFYONE: every signature is verified, not just the first good.
 *   - not FIXCRLF: verify.c turns bare LF into CRLF itself, so libopendkim
 *     sees the message as it was on the wire.
 *   - SIGNLEN and the signing options do not matter: dkim/sign.c signs
 *     without libopendkim (never with l=).
 *   - not ACCEPTV05 / ACCEPTDK: only RFC 6376 (v=1) signatures.
 *   - not STRICTHDRS: a message with two From fields would stop every
 *     signature from being evaluated; that is a policy matter for the
 *     rule engine, which sees the header list itself.
 *   - not ZTAGS, DROPSIGNER, REQUESTREPORTS, EOHCHECK, DELAYSIGPROC.
 * Time: libopendkim checks x= and t= against the wall clock, not against
 * DKIM_OPTS_FIXEDTIME, with DKIM_OPTS_CLOCKDRIFT as tolerance both ways.
 * verify.c repeats both checks with our clock (fixed_time or the wall
 * clock), so libopendkim's check only has to be no stricter than ours:
 * with fixed_time set, its drift is widened by the distance between the
 * two clocks plus a day. dkim/sign.c takes fixed_time as t= when set.
 * Key size: DKIM_OPTS_MINKEYBITS = min_rsa_bits; libopendkim applies it to
 * RSA keys after a successful verification (DKIM_SIGERROR_KEYTOOSMALL).
 */
#include "dkim/lib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <opendkim/dkim.h>

#include "dkim/dkim_int.h"
#include "dkim/sign_int.h"

#define LIB_MAX_SIGS 1000	/* sanity bound on max_sigs */
#define LIB_MAX_RSA_BITS 16384
#define LIB_MAX_DRIFT 86400	/* a day of clock drift at most */
#define LIB_FIXED_SLACK 86400

struct ag_dkim_lib {
	DKIM_LIB *dl;
	struct ag_dkim_lib_config cfg;
	struct ag_dkim_signlists *signlists; /* dkim/sign.c's, or NULL */
};

/* ag_dkim_lib_config_defaults - the defaults of lib.h */
void
ag_dkim_lib_config_defaults(struct ag_dkim_lib_config *cfg)
{
	cfg->max_sigs = 5;
	cfg->accept_sha1 = false;
	cfg->min_rsa_bits = 1024;
	cfg->fixed_time = 0;
	cfg->clock_drift = 300;
}

/* lib_check - refuse settings outside sane bounds */
static int
lib_check(const struct ag_dkim_lib_config *cfg, struct ag_err *err)
{
	if (cfg->max_sigs < 1 || cfg->max_sigs > LIB_MAX_SIGS)
		return ag_err_set(err, AG_EINVAL, "dkim: max_sigs %u not in "
				  "1..%d", cfg->max_sigs, LIB_MAX_SIGS);
	if (cfg->min_rsa_bits > LIB_MAX_RSA_BITS)
		return ag_err_set(err, AG_EINVAL, "dkim: min_rsa_bits %u over "
				  "%d", cfg->min_rsa_bits, LIB_MAX_RSA_BITS);
	if (cfg->clock_drift > LIB_MAX_DRIFT)
		return ag_err_set(err, AG_EINVAL, "dkim: clock_drift %u over "
				  "%d s", cfg->clock_drift, LIB_MAX_DRIFT);
	if (cfg->fixed_time < 0)
		return ag_err_set(err, AG_EINVAL, "dkim: negative fixed_time");
	return AG_OK;
}

/* lib_drift - libopendkim's clock drift: ours, widened by the distance
 * between fixed_time and the wall clock (see the top of this file) */
static uint64_t
lib_drift(const struct ag_dkim_lib_config *cfg)
{
	uint64_t drift = cfg->clock_drift;
	time_t now;

	if (cfg->fixed_time != 0) {
		now = time(NULL);
		drift += LIB_FIXED_SLACK;
		drift += (uint64_t)(now > cfg->fixed_time ? now - cfg->fixed_time
							  : cfg->fixed_time - now);
	}
	return drift;
}

/* lib_options - flags, key size, clock */
static int
lib_options(DKIM_LIB *dl, const struct ag_dkim_lib_config *cfg,
	    struct ag_err *err)
{
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	u_int minbits = cfg->min_rsa_bits;
	uint64_t drift = lib_drift(cfg);
	uint64_t fixed = (uint64_t)cfg->fixed_time;

	if (dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
			 sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits,
			 sizeof(minbits)) != DKIM_STAT_OK ||
	    dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_CLOCKDRIFT, &drift,
			 sizeof(drift)) != DKIM_STAT_OK)
		return ag_err_set(err, AG_EINTERNAL, "dkim: libopendkim "
				  "refused an option");
	if (fixed != 0 &&
	    dkim_options(dl, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed,
			 sizeof(fixed)) != DKIM_STAT_OK)
		return ag_err_set(err, AG_EINTERNAL, "dkim: libopendkim "
				  "refused the fixed time");
	return AG_OK;
}

/* ag_dkim_lib_new - dkim_init, options, DNS hooks, prescreen */
int
ag_dkim_lib_new(struct ag_dkim_lib **lib_r,
		const struct ag_dkim_lib_config *cfg, struct ag_dns *dns,
		struct ag_err *err)
{
	struct ag_dkim_lib *lib = NULL;
	int rc;

	if (lib_r == NULL || cfg == NULL || dns == NULL) {
		rc = ag_err_set(err, AG_EINVAL, "dkim: no config or resolver");
		goto out;
	}
	if ((rc = lib_check(cfg, err)) != AG_OK)
		goto out;
	if ((lib = calloc(1, sizeof(*lib))) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "dkim: out of memory");
		goto out;
	}
	lib->cfg = *cfg;
	if ((lib->dl = dkim_init(NULL, NULL)) == NULL) {
		rc = ag_err_set(err, AG_ENOMEM, "dkim: dkim_init failed");
		goto out;
	}
	if ((rc = lib_options(lib->dl, cfg, err)) != AG_OK)
		goto out;
	ag_dkim_dns_install(lib->dl, dns);
	if (dkim_set_prescreen(lib->dl, ag_dkim_verify_prescreen) !=
	    DKIM_STAT_OK) {
		rc = ag_err_set(err, AG_EINTERNAL, "dkim: libopendkim refused "
				"the prescreen hook");
		goto out;
	}
	*lib_r = lib;
	lib = NULL;
out:
	ag_dkim_lib_free(&lib);
	return rc;
}

/* ag_dkim_lib_free - dkim_close and free; NULL is fine */
void
ag_dkim_lib_free(struct ag_dkim_lib **lib)
{
	if (lib == NULL || *lib == NULL)
		return;
	if ((*lib)->dl != NULL)
		dkim_close((*lib)->dl);
	ag_dkim_signlists_free(&(*lib)->signlists);
	free(*lib);
	*lib = NULL;
}

/* ag_dkim_lib_handle - the DKIM_LIB inside */
DKIM_LIB *
ag_dkim_lib_handle(const struct ag_dkim_lib *lib)
{
	return lib->dl;
}

/* ag_dkim_lib_cfg - the settings lib was made with */
const struct ag_dkim_lib_config *
ag_dkim_lib_cfg(const struct ag_dkim_lib *lib)
{
	return &lib->cfg;
}

/* ag_dkim_lib_signlists - see dkim_int.h */
const struct ag_dkim_signlists *
ag_dkim_lib_signlists(const struct ag_dkim_lib *lib)
{
	return lib->signlists;
}

/* ag_dkim_lib_set_signlists - see dkim_int.h */
void
ag_dkim_lib_set_signlists(struct ag_dkim_lib *lib, struct ag_dkim_signlists *l)
{
	ag_dkim_signlists_free(&lib->signlists);
	lib->signlists = l;
}
