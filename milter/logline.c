/*
 * milter/logline.c - the one log line per message (README "One log line
 * per message" lists its fields)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "milter/arcmsg.h"
#include "milter/decide.h"
#include "util/log.h"

/* logline_ms - milliseconds since the message started */
static long
logline_ms(const struct ag_message *m)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - m->start.tv_sec) * 1000 +
	       (now.tv_nsec - m->start.tv_nsec) / 1000000;
}

/* logline_dkim - "pass:example.com,fail:other.example" or "-" */
static void
logline_dkim(const struct ag_message *m, char *buf, size_t size)
{
	size_t o = 0;

	snprintf(buf, size, "%s", m->dkim_verified ? "none" : "-");
	for (unsigned i = 0; i < m->dkim.count && o + 1 < size; i++) {
		int n = snprintf(buf + o, size - o, "%s%s:%s", i ? "," : "",
				 ag_dkim_result_name(m->dkim.sig[i].result),
				 m->dkim.sig[i].d);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* ag_outcome_log - the one line per message */
void
ag_outcome_log(const struct ag_session *s, const struct ag_outcome *out)
{
	const struct ag_message *m = &s->msg;
	const char *spf = "skipped", *spf_helo = "-";
	char dkim[512], signed_[96], dmarc[400], score[160] = "", arc[96];
	char sealed[160] = "";
	size_t o = 0;

	if (m->spf_mf_done)
		spf = ag_spf_result_name(m->spf_mf.result);
	else if (!m->spf_skipped)
		spf = "-";
	if (m->spf_helo_done)
		spf_helo = ag_spf_result_name(m->spf_helo.result);
	logline_dkim(m, dkim, sizeof(dkim));
	snprintf(dmarc, sizeof(dmarc), "-");
	for (unsigned i = 0; i < m->ndmarc && o + 1 < sizeof(dmarc); i++) {
		int n = snprintf(dmarc + o, sizeof(dmarc) - o, "%s%s:%s/%s",
				 i ? "," : "",
				 ag_dmarc_result_name(m->dmarc[i].result),
				 m->dmarc[i].domain,
				 ag_dmarc_policy_name(m->dmarc[i].disposition));
		if (n < 0)
			break;
		o += (size_t)n;
	}
	ag_arcmsg_log(s, arc, sizeof(arc));
	if (m->arc_sealed)
		snprintf(sealed, sizeof(sealed), " arc_sealed=i=%u",
			 m->arc_instance);
	else if (m->arc_noseal[0] != '\0')
		snprintf(sealed, sizeof(sealed), " arc_sealed=no(%s)",
			 m->arc_noseal);
	if (m->dkim_signed > 0)
		snprintf(signed_, sizeof(signed_), "%u", m->dkim_signed);
	else
		snprintf(signed_, sizeof(signed_), "no(%s)",
			 m->dkim_nosign != NULL ? m->dkim_nosign
			 : m->outbound	       ? "no key"
						: "inbound");
	if (out->rules != NULL) {
		char sc[24];
		size_t k;

		ag_rules_score_text(out->rules->score, sc, sizeof(sc));
		k = (size_t)snprintf(score, sizeof(score), " score=%s rules=",
				     sc);
		for (unsigned i = 0; i < out->rules->nhits && k + 1 <
							 sizeof(score);
		     i++) {
			int n = snprintf(score + k, sizeof(score) - k, "%s%s",
					 i ? "," : "",
					 out->rules->hit[i].name);
			if (n < 0)
				break;
			k += (size_t)n;
		}
		if (out->rules->nhits == 0 && k + 1 < sizeof(score))
			snprintf(score + k, sizeof(score) - k, "-");
	}
	ag_log(AG_LOG_INFO,
	       "%s: ip=%s helo=%s from=<%s> hfrom=%s rcpts=%u auth=%s "
	       "internal=%s spf=%s spf_helo=%s dkim=%s dmarc=%s arc=%s "
	       "signed=%s%s ar_removed=%u%s verdict=%s%s%s%s%s%s ms=%ld",
	       m->qid[0] != '\0' ? m->qid : "NOQUEUE", s->ip,
	       s->helo[0] != '\0' ? s->helo : "-", m->mailfrom,
	       m->hfrom_domain[0] != '\0' ? m->hfrom_domain : "-", m->nrcpt,
	       m->auth_user[0] != '\0' ? m->auth_user : "-",
	       s->internal ? "yes" : "no", spf, spf_helo, dkim, dmarc, arc,
	       signed_, sealed, m->n_ours, score, out->log_verdict,
	       out->log_reason[0] != '\0' ? " reason=" : "", out->log_reason,
	       out->quarantine[0] != '\0' ? " hold=\"" : "", out->quarantine,
	       out->quarantine[0] != '\0' ? "\"" : "", logline_ms(m));
}
