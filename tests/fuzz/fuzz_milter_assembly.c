/*
 * tests/fuzz/fuzz_milter_assembly.c - milter/feed + milter/decide: one
 * SMTP transaction driven the way milter/callbacks.c drives it (connect,
 * helo, envfrom, rcpt, header..., eoh, body chunks, end of message),
 * without libmilter and without network DNS: the configuration's
 * resolver is replaced by an in-memory zone (util/dns_zone.h) holding
 * SPF, DMARC and DKIM key records for example.com and example.net, and a
 * rule set that needs the body (MIME scan, RFC 2047, regexes) is loaded.
 * Outbound messages are signed with an RSA key (not Ed25519: signing
 * with an Ed25519 key leaks libopendkim's key data per message, reported
 * separately; it would mask every other finding here).
 *
 * Input: byte 0 picks the client (IPv4/IPv6 outside, internal, local
 * submission), SMTP AUTH and a second message on the same connection;
 * bytes 1-4 are the body chunk sizes, used in turn (1 to 4096 bytes);
 * then one line, the MAIL FROM argument; then the message: header
 * fields split as an MTA splits them (a field runs to the next line not
 * starting with SP/TAB, name before the first ":", folding kept, the
 * final line end dropped), an empty line, the body.
 *
 * Checked beyond "no crash": a verdict is produced and is one of the
 * four, with a log verdict; every header edit has a name, and a value
 * unless it deletes; any value we add is folded only with line end plus
 * SP/TAB (no header injection by attacker text) and has no NUL before
 * its end; every Authentication-Results we add carries our authserv-id;
 * a second identical message on the same connection gets the same
 * verdict.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dkim/keygen.h"
#include "milter/config.h"
#include "milter/decide.h"
#include "milter/feed.h"
#include "policy/authres.h"
#include "spf/spf.h"
#include "util/dns.h"
#include "util/dns_zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OURS "mx.example.org"
#define MAX_FIELDS 512

static struct ag_config *cfg;
static struct ag_dns_zone *zone;

static const char rules_text[] =
	"list local_domains domains { example.org }\n"
	"threshold quarantine 10 \"spam score ${score}\"\n"
	"threshold reject 20 550 5.7.1 \"spam (score ${score})\"\n"
	"tag {\n header \"X-Spam-Score\" \"${score}\"\n"
	" subject-prefix \"[SPAM] \"\n}\n"
	"rule dmarc_reject {\n if dmarc.result is fail and "
	"dmarc.disposition is reject\n"
	" reject 550 5.7.1 \"DMARC policy of ${dmarc.domain}\"\n}\n"
	"rule body_word {\n if body contains \"viagra\" or subject =~ "
	"/(free|win)+ money/i\n score 11\n}\n"
	"rule exe {\n if attachment.name =~ /\\.(exe|scr)$/i\n"
	" quarantine \"attachment from ${from.domain}\"\n}\n"
	"rule hdr {\n if header \"X-Mailer\" contains \"bulk\" and "
	"header.count \"Received\" > 3\n add-header \"X-Bulk\" "
	"\"${from.domain} ${subject}\"\n score 1\n}\n"
	"rule local_from {\n if from.domain in @local_domains and not auth "
	"and not client.internal\n reject \"no ${from.name}\"\n}\n";

/* write_file - text into a new file made from template tmpl */
static int
write_file(char *tmpl, const char *text)
{
	int fd = mkstemp(tmpl);
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* zone_build - the records every transaction can reach */
static int
zone_build(const char *sign_txt, const char *ed_txt)
{
	static const char *const txt[][2] = {
		{ "example.com", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
				 "include:_spf.example.net -all" },
		{ "_spf.example.net", "v=spf1 a mx ptr exists:%{i}.x.example."
				      "net ~all" },
		{ "example.net", "v=spf1 redirect=_spf.example.net" },
		{ "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@"
					"example.com; pct=100" },
		{ "_dmarc.example.net", "v=DMARC1; p=quarantine; sp=reject; "
					"adkim=s; aspf=s" },
		{ "_dmarc.example.org", "v=DMARC1; p=none" },
		{ "bad._domainkey.example.com", "v=DKIM1; k=rsa; p=MIIB" },
	};

	if (ag_dns_zone_new(&zone) != AG_OK)
		return -1;
	for (size_t i = 0; i < sizeof(txt) / sizeof(txt[0]); i++)
		if (ag_dns_zone_add(zone, txt[i][0], AG_DNS_TXT, txt[i][1],
				    300) != AG_OK)
			return -1;
	if (ag_dns_zone_add(zone, "s._domainkey.example.com", AG_DNS_TXT,
			    sign_txt, 300) != AG_OK ||
	    ag_dns_zone_add(zone, "ed._domainkey.example.net", AG_DNS_TXT,
			    ed_txt, 300) != AG_OK ||
	    ag_dns_zone_add(zone, "example.net", AG_DNS_MX, "10 mx.example.net",
			    300) != AG_OK ||
	    ag_dns_zone_add(zone, "mx.example.net", AG_DNS_A, "192.0.2.25",
			    300) != AG_OK ||
	    ag_dns_zone_add(zone, "1.2.0.192.in-addr.arpa", AG_DNS_PTR,
			    "mx.example.net", 300) != AG_OK ||
	    ag_dns_zone_servfail(zone, "_dmarc.temp.example") != AG_OK ||
	    ag_dns_zone_timeout(zone, "temp.example") != AG_OK)
		return -1;
	return 0;
}

/* swap_dns - rebuild what holds the resolver on a zone resolver */
static int
swap_dns(struct ag_config *c)
{
	struct ag_dns_config dc;
	struct ag_err err = { 0, "" };

	ag_dns_config_defaults(&dc);
	dc.cache_entries = 0;	/* every input sees the zone, not a cache */
	ag_spf_free(&c->spf);
	ag_dkim_lib_free(&c->dkim_lib);
	ag_dns_free(&c->dns);
	if (ag_dns_new_zone(&c->dns, &dc, zone, &err) != AG_OK ||
	    ag_spf_new(&c->spf, &c->spf_cfg, c->dns, &err) != AG_OK ||
	    ag_dkim_lib_new(&c->dkim_lib, &c->dkim_lib_cfg, c->dns,
			    &err) != AG_OK ||
	    ag_dkim_sign_configure_lib(c->dkim_lib, &c->dkim_sign_cfg,
				       &err) != AG_OK) {
		fprintf(stderr, "fuzz_milter_assembly: %s\n", err.msg);
		return -1;
	}
	c->dmarc_env.dns = c->dns;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], key[600], ed[600], rules[600], conf[600];
	char sign_txt[AG_DKIM_TXT_MAX], ed_txt[AG_DKIM_TXT_MAX], text[4096];
	struct ag_err err = { 0, "" };

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/fuzz_milter_XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(key, sizeof(key), "%s/sign.key", dir);
	snprintf(ed, sizeof(ed), "%s/ed.key", dir);
	snprintf(rules, sizeof(rules), "%s/rules.XXXXXX", dir);
	snprintf(conf, sizeof(conf), "%s/conf.XXXXXX", dir);
	if (ag_dkim_keygen(AG_DKIM_ALG_RSA_SHA256, 1024, key, sign_txt,
			   sizeof(sign_txt), &err) != AG_OK ||
	    ag_dkim_keygen(AG_DKIM_ALG_ED25519_SHA256, 0, ed, ed_txt,
			   sizeof(ed_txt), &err) != AG_OK ||
	    write_file(rules, rules_text) != 0)
		goto fail;
	snprintf(text, sizeof(text),
		 "User nobody\nNameservers 127.0.0.1\nAuthservID " OURS "\n"
		 "HistoryDB none\nDNSCacheSize 0\nRules %s\n"
		 "BodyScanWindow 65536\nDomain example.com\nSelector s\n"
		 "KeyFile %s\n", rules, key);
	if (write_file(conf, text) != 0 ||
	    ag_config_load(conf, &cfg, &err) != AG_OK ||
	    zone_build(sign_txt, ed_txt) != 0 || swap_dns(cfg) != 0)
		goto fail;
	unlink(conf);
	unlink(rules);
	unlink(ed);
	unlink(key);	/* read into memory at load */
	rmdir(dir);
	return 0;
fail:
	fprintf(stderr, "fuzz_milter_assembly: setup failed: %s\n", err.msg);
	abort();
}

struct field {
	char *name;
	char *value;
};

/* split_header - fields of msg[0..len) (modified), and where the body
 * starts; as an MTA hands them to a milter */
static unsigned
split_header(char *msg, size_t len, struct field *f, size_t *body_r)
{
	char *p = msg, *end = msg + len;
	unsigned n = 0;

	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end &&
					  p[1] == '\n') && n < MAX_FIELDS) {
		char *line_end = p, *colon, *v, *e;

		for (;;) {
			char *nl = memchr(line_end, '\n',
					  (size_t)(end - line_end));

			if (nl == NULL) {
				line_end = end;
				break;
			}
			line_end = nl + 1;
			if (line_end >= end ||
			    (*line_end != ' ' && *line_end != '\t'))
				break;
		}
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon == NULL)
			break;	/* not a field: the body starts here */
		*colon = '\0';
		v = colon + 1;
		while (v < line_end && (*v == ' ' || *v == '\t'))
			v++;
		e = line_end;
		if (e > v && e[-1] == '\n')
			e--;
		if (e > v && e[-1] == '\r')
			e--;
		f[n].name = p;
		f[n].value = v;
		*e = '\0';	/* may end the name's or value's line early */
		n++;
		p = line_end;
	}
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	*body_r = (size_t)(p - msg);
	return n;
}

/* value_clean - folded only as "\n" + WSP (or "\r\n" + WSP) */
static bool
value_clean(const char *v)
{
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\r' && p[1] != '\n')
			return false;
		if (*p == '\n' && p[1] != ' ' && p[1] != '\t')
			return false;
	}
	return true;
}

/* outcome_check - the invariants of one end-of-message answer */
static void
outcome_check(const struct ag_outcome *o)
{
	char id[AG_AUTHRES_SERVID_MAX];

	if (o->verdict != AG_OUT_ACCEPT && o->verdict != AG_OUT_REJECT &&
	    o->verdict != AG_OUT_TEMPFAIL && o->verdict != AG_OUT_DISCARD)
		abort();
	if (o->log_verdict == NULL || o->log_verdict[0] == '\0')
		abort();
	for (unsigned i = 0; i < o->nedits; i++) {
		const struct ag_edit *e = &o->edit[i];

		if (e->name == NULL || e->name[0] == '\0')
			abort();
		if (e->op == AG_EDIT_DELETE)
			continue;
		if (e->value == NULL || !value_clean(e->value))
			abort();
		if ((e->op == AG_EDIT_INSERT || e->op == AG_EDIT_ADD) &&
		    strcasecmp(e->name, "Authentication-Results") == 0 &&
		    (ag_authres_servid(e->value, strlen(e->value), id,
				       sizeof(id)) != 1 ||
		     strcmp(id, OURS) != 0))
			abort();
	}
}

/* one_message - feed one message into s, decide, check; the verdict */
static enum ag_out_verdict
one_message(struct ag_session *s, const char *mailfrom, bool auth,
	    const struct field *f, unsigned nf, const unsigned char *body,
	    size_t blen, const uint8_t *split)
{
	struct ag_outcome o;
	enum ag_out_verdict v;
	size_t off = 0;
	unsigned k = 0;

	memset(&o, 0, sizeof(o));
	ag_feed_envfrom(s, mailfrom, auth ? "alice" : NULL, "FUZZ1");
	ag_feed_rcpt(s, "<postmaster@example.org>");
	ag_feed_rcpt(s, "<bob@example.org>");
	for (unsigned i = 0; i < nf; i++)
		ag_feed_header(s, f[i].name, f[i].value);
	ag_feed_eoh(s);
	while (off < blen) {
		size_t n = (size_t)split[k++ % 4] * 16 + 1;

		if (n > blen - off)
			n = blen - off;
		ag_feed_body(s, body + off, n);
		off += n;
	}
	ag_decide(s, &o);
	outcome_check(&o);
	v = o.verdict;
	ag_outcome_free(&o);
	return v;
}

/* client_addr - the client byte 0 picks; NULL for local submission */
static const struct sockaddr *
client_addr(uint8_t b, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (b & 3) {
	case 0:
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, (b & 16) ? "192.0.2.1" : "198.51.100.7",
			  &s4->sin_addr);
		return (struct sockaddr *)s4;
	case 1:
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::25", &s6->sin6_addr);
		return (struct sockaddr *)s6;
	case 2:
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", &s4->sin_addr);
		return (struct sockaddr *)s4;
	default:
		return NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct ag_session *s = NULL;
	struct field *f = NULL;
	char *msg = NULL, mailfrom[1024];
	const uint8_t *nl;
	size_t mlen, blen, body = 0, fl;
	unsigned nf;
	enum ag_out_verdict v1, v2;

	if (size < 6 || size > 65536)
		return 0;
	nl = memchr(data + 5, '\n', size - 5);
	fl = nl != NULL ? (size_t)(nl - (data + 5)) : 0;
	if (fl >= sizeof(mailfrom))
		fl = sizeof(mailfrom) - 1;
	memcpy(mailfrom, data + 5, fl);
	mailfrom[fl] = '\0';
	mlen = nl != NULL ? size - (size_t)(nl + 1 - data) : size - 5;
	if ((msg = malloc(mlen + 1)) == NULL ||
	    (f = calloc(MAX_FIELDS, sizeof(*f))) == NULL)
		goto out;
	memcpy(msg, nl != NULL ? nl + 1 : data + 5, mlen);
	msg[mlen] = '\0';
	nf = split_header(msg, mlen, f, &body);
	blen = mlen - body;
	if ((s = ag_feed_connect(cfg, "client.example.net",
				 client_addr(data[0], &ss))) == NULL)
		goto out;
	ag_feed_helo(s, (data[0] & 8) ? "mx.example.net" : "[192.0.2.1]");
	ag_feed_tls(s, (data[0] & 32) ? "TLSv1.3" : NULL, "TLS_AES");
	v1 = one_message(s, mailfrom, data[0] & 4, f, nf,
			 (unsigned char *)msg + body, blen, data + 1);
	if (data[0] & 64) {
		/* a second message on the connection starts afresh */
		v2 = one_message(s, mailfrom, data[0] & 4, f, nf,
				 (unsigned char *)msg + body, blen, data + 1);
		if (v1 != v2)
			abort();
	}
out:
	ag_session_free(&s);
	free(f);
	free(msg);
	return 0;
}
