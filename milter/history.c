/*
 * milter/history.c - feed the DMARC history store from evaluations
 */
#include "milter/history.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

static struct ag_history *history;
static unsigned long dropped_logged;

int
ag_milter_history_prepare(const struct ag_config *cfg, struct ag_err *err)
{
	struct passwd *pw;
	size_t n = strlen(cfg->state_dir);

	if (cfg->history_db[0] == '\0' ||
	    strncmp(cfg->history_db, cfg->state_dir, n) != 0)
		return AG_OK;	/* off, PostgreSQL, or an admin's path */
	if (mkdir(cfg->state_dir, 0750) != 0 && errno != EEXIST)
		return ag_err_set(err, AG_EINVAL, "StateDir %s: %s",
				  cfg->state_dir, strerror(errno));
	/* made now or found: User must be able to write there (SQLite
	 * keeps its -wal and -shm files beside the database) */
	if (geteuid() != 0 || cfg->user[0] == '\0')
		return AG_OK;
	if ((pw = getpwnam(cfg->user)) == NULL)
		return ag_err_set(err, AG_EINVAL, "no user %s", cfg->user);
	if (chown(cfg->state_dir, pw->pw_uid, pw->pw_gid) != 0)
		return ag_err_set(err, AG_EINVAL, "StateDir %s: chown: %s",
				  cfg->state_dir, strerror(errno));
	return AG_OK;
}

int
ag_milter_history_open(const struct ag_config *cfg, struct ag_err *err)
{
	if (cfg->history_db[0] == '\0')
		return AG_OK;
	return ag_history_open(&history, cfg->history_db, &cfg->history_opts,
			       err);
}

bool
ag_milter_history_stats(struct ag_history_stats *st)
{
	if (history == NULL)
		return false;
	ag_history_stats(history, st);
	return true;
}

void
ag_milter_history_close(void)
{
	struct ag_history_stats st;

	if (history == NULL)
		return;
	ag_history_stats(history, &st);
	ag_history_close(&history);
	ag_log(AG_LOG_INFO, "DMARC history: %lu record(s) queued, %lu "
	       "dropped, %lu store failure(s)", st.queued, st.dropped,
	       st.failures);
}

/* cp - bounded copy, printable ASCII only: attacker text (an invalid
 * From domain) must not make PostgreSQL refuse a whole batch over a byte
 * that is not UTF-8 */
static void
cp(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strnlen(src, size - 1) : 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = '\0';
}

/* domain_of - the part after the last '@', or the text itself */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : addr;
}

void
ag_milter_history_add(const struct ag_session *s,
		      const struct ag_dmarc_eval *ev, const char *domain,
		      enum ag_dmarc_policy applied, const char *override)
{
	const struct ag_message *m = &s->msg;
	struct ag_history_rec *r;
	struct ag_history_stats st;
	static __thread struct ag_history_rec rec;

	if (history == NULL)
		return;
	r = &rec;
	memset(r, 0, sizeof(*r));
	r->time = (int64_t)time(NULL);
	cp(r->jobid, sizeof(r->jobid), m->qid);
	cp(r->source_ip, sizeof(r->source_ip), s->ip);
	cp(r->header_from, sizeof(r->header_from), domain);
	cp(r->envelope_from, sizeof(r->envelope_from),
	   m->mailfrom[0] != '\0' ? domain_of(m->mailfrom) : s->helo);
	cp(r->envelope_to, sizeof(r->envelope_to), m->rcpt_domain);
	if (ev->have_record) {
		cp(r->policy_domain, sizeof(r->policy_domain),
		   ev->policy_domain);
		cp(r->adkim, sizeof(r->adkim), ev->rec.adkim ? "s" : "r");
		cp(r->aspf, sizeof(r->aspf), ev->rec.aspf ? "s" : "r");
		cp(r->p, sizeof(r->p), ag_dmarc_policy_name(ev->rec.p));
		cp(r->sp, sizeof(r->sp),
		   ag_dmarc_policy_name(ev->rec.sp != AG_DMARC_P_UNSET
						? ev->rec.sp
						: ev->rec.p));
		cp(r->np, sizeof(r->np), ag_dmarc_policy_name(ev->rec.np));
		r->pct = ev->rec.pct;
		snprintf(r->fo, sizeof(r->fo), "%s%s%s%s",
			 ev->rec.fo & AG_DMARC_FO_0 ? "0:" : "",
			 ev->rec.fo & AG_DMARC_FO_1 ? "1:" : "",
			 ev->rec.fo & AG_DMARC_FO_D ? "d:" : "",
			 ev->rec.fo & AG_DMARC_FO_S ? "s:" : "");
		if (r->fo[0] != '\0')
			r->fo[strlen(r->fo) - 1] = '\0';
		r->ri = ev->rec.ri;
		for (unsigned i = 0; i < ev->rec.n_rua; i++) {
			size_t at = strlen(r->rua);
			char one[AG_HISTORY_RUA];

			/* the size limit stays with its URI ("!10m" kept as
			 * bytes) for the report tool's RFC 7489 7.1 checks */
			if (ev->rec.rua[i].max_size != 0)
				snprintf(one, sizeof(one), "%s!%llu",
					 ev->rec.rua[i].uri,
					 (unsigned long long)
						 ev->rec.rua[i].max_size);
			else
				snprintf(one, sizeof(one), "%s",
					 ev->rec.rua[i].uri);
			if (at + strlen(one) + 2 >= sizeof(r->rua))
				break;
			if (at > 0)
				r->rua[at++] = ',';
			cp(r->rua + at, sizeof(r->rua) - at, one);
		}
	}
	cp(r->result, sizeof(r->result), ag_dmarc_result_name(ev->result));
	/* what was done, not only what the policy asked (RFC 7489
	 * appendix C: PolicyOverrideReason when they differ); a message
	 * that passed DMARC had no policy applied, whatever the rules did */
	if (ev->result != AG_DMARC_RES_FAIL)
		applied = AG_DMARC_P_NONE;
	cp(r->disposition, sizeof(r->disposition),
	   ag_dmarc_policy_name(applied));
	if (override != NULL)
		cp(r->reasons, sizeof(r->reasons), override);
	else if (ev->result == AG_DMARC_RES_FAIL &&
		 applied != ev->disposition && !ev->sampled_out &&
		 !ev->testing)
		cp(r->reasons, sizeof(r->reasons), "local_policy");
	cp(r->dkim_aligned, sizeof(r->dkim_aligned),
	   ev->dkim_aligned ? "pass" : "fail");
	cp(r->spf_aligned, sizeof(r->spf_aligned),
	   ev->spf_aligned ? "pass" : "fail");
	if (ev->sampled_out && r->reasons[0] == '\0')
		cp(r->reasons, sizeof(r->reasons), "sampled_out");
	else if (ev->testing && r->reasons[0] == '\0')
		cp(r->reasons, sizeof(r->reasons), "local_policy t=y");
	if (m->spf_mf_done) {
		cp(r->spf_domain, sizeof(r->spf_domain), m->spf_mf.domain);
		cp(r->spf_scope, sizeof(r->spf_scope),
		   m->mailfrom[0] != '\0' ? "mfrom" : "helo");
		cp(r->spf_result, sizeof(r->spf_result),
		   ag_spf_result_name(m->spf_mf.result));
	}
	for (unsigned i = 0; i < m->dkim.count && r->ndkim < AG_HISTORY_MAX_DKIM;
	     i++) {
		struct ag_history_dkim *d = &r->dkim[r->ndkim++];

		cp(d->domain, sizeof(d->domain), m->dkim.sig[i].d);
		cp(d->selector, sizeof(d->selector), m->dkim.sig[i].s);
		cp(d->result, sizeof(d->result),
		   ag_dkim_result_name(m->dkim.sig[i].result));
	}
	if (ag_history_add(history, r))
		return;
	/* log drops, but not one line per message under a flood */
	ag_history_stats(history, &st);
	if (st.dropped >= dropped_logged * 2 + 1) {
		dropped_logged = st.dropped;
		ag_log(AG_LOG_WARNING, "DMARC history: queue full or store "
		       "failing, %lu record(s) dropped so far", st.dropped);
	}
}
