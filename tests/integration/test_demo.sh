#!/bin/bash
# test_demo.sh - `make demo`'s assertions in make check: the whole mail
# system (Postfix with STARTTLS and SASL submission, authgate on the shipped
# conf/authgate.conf and rules, Dovecot with LMTP, Sieve, IMAPS and POP3S),
# the same scripted mix (tests/integration/demo_lib.sh), each message where
# the rules say it belongs, and read back over IMAP and POP3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"
it_init demo

demo_setup
demo_send_all
demo_wait_all 20 || true

# ---- each case: SMTP reply, where it ended, our Authentication-Results
for c in "${DEMO_CASES[@]}"; do
	assert_match "$c: SMTP reply ${DEMO_WANT_CODE[$c]}" \
		"${DEMO_REPLY[$c]:-none}" "^${DEMO_WANT_CODE[$c]} "
	assert_eq "$c: ended in ${DEMO_WANT_WHERE[$c]}" "$(demo_where "$c")" \
		"${DEMO_WANT_WHERE[$c]}"
	assert_match "$c: Authentication-Results (or reply) as the rules say" \
		"$(demo_ar "$c")" "${DEMO_WANT_AR[$c]}"
done

# ---- TLS on the way in: Postfix's Received header says ESMTPS
F=$(demo_delivered legit)
assert_header "legit: received over STARTTLS (ESMTPS, TLSv1.x)" "$F" \
	Received 'using TLSv1\.[23] .*with ESMTPS'
assert_eq "legit: exactly one Authentication-Results of ours" \
	"$(ar_count "$F")" 1
assert_eq "legit: not tagged" "$(mail_header "$F" X-Spam-Flag)" ""

# ---- submission: AUTH over TLS, signed by authgate, the signature verifies
F=$(demo_delivered submission)
assert_match "submission: SASL AUTH accepted (235)" \
	"$(cat "${DEMO_LOG[submission]}")" '^<~ +235 '
assert_header "submission: authgate's DKIM-Signature d=corp.test s=demo" \
	"$F" DKIM-Signature 'd=corp\.test;.*s=demo;|s=demo;.*d=corp\.test;'
assert_eq "submission: dkimpy verifies authgate's signature" \
	"$(dkim_verify_py "$F")" "pass d=corp.test s=demo a=rsa-sha256"
assert_match "submission: authgate logged it: authenticated, not internal, signed" \
	"$(ag_log demo)" 'ip=127\.0\.0\.2 .*from=<alice@corp\.test> .*auth=alice@corp\.test internal=no .*signed=1 '
assert_match "submission without AUTH: refused" \
	"$(send_mail "$DEMO_SUBMIT_PORT" --tls --local-interface "$DEMO_SUBMIT_FROM_IP" \
		--from "$DEMO_SUBMITTER" --to "$DEMO_USER"; grep -E '^<~?\*' "$SEND_LOG")" \
	'^<~\* +554 '

# ---- SPF fail: scored by the shipped spf_fail rule (3), below tag
F=$(demo_delivered spf_fail)
assert_eq "spf_fail: not tagged (score 3 < tag 5)" \
	"$(mail_header "$F" X-Spam-Flag)" ""

# ---- p=reject spoof: the 550 came from the shipped dmarc_reject rule
assert_match "dmarc_reject: authgate logged the shipped rule" "$(ag_log demo)" \
	'dmarc=fail:bank\.test/reject .*verdict=reject reason=dmarc_reject'

# ---- p=quarantine spoof: Postfix's hold queue, with the reason
assert_match "dmarc_quarantine: Postfix logged the milter's hold" \
	"$(pf_maillog)" 'milter-hold: .*from=<orders@shop\.test> to=<bob@'
assert_match "dmarc_quarantine: authgate logged the shipped rule and its reason" \
	"$(ag_log demo)" 'dmarc=fail:shop\.test/quarantine .*verdict=quarantine reason=dmarc_quarantine'
assert_eq "dmarc_quarantine: one message in the hold queue" "$(pf_hold_count)" 1

# ---- tagged mail: headers Sieve filed on
F=$(demo_delivered dnsbl)
assert_header "dnsbl: X-Spam-Flag YES" "$F" X-Spam-Flag '^YES$'
assert_header "dnsbl: the DNS list named in X-Spam-Rules" "$F" \
	X-Spam-Rules '^demo_bl\(5\)'
F=$(demo_delivered spam)
assert_header "spam: X-Spam-Flag YES" "$F" X-Spam-Flag '^YES$'
assert_header "spam: score 6 from the phrase rule" "$F" X-Spam-Score '^6$'
assert_header "spam: subject prefixed" "$F" Subject '^\[SPAM\] Congratulations$'
assert_match "sieve: Dovecot logged fileinto Junk" "$(sasl_log)" \
	'sieve: .*stored mail into mailbox .Junk.'

# ---- read back: IMAP (both folders) and POP3, over TLS
OUT=$(demo_imap_subjects INBOX 2>&1)
assert_eq "imap INBOX: the three clean messages, in order" \
	"$(printf '%s\n' "$OUT" | tr '\n' '|')" \
	'Lunch on Friday?|Quarterly figures|New reply in your thread|'
OUT=$(demo_imap_subjects Junk 2>&1)
assert_eq "imap Junk: the two tagged messages" \
	"$(printf '%s\n' "$OUT" | tr '\n' '|')" \
	'[SPAM] This week only|[SPAM] Congratulations|'
OUT=$(demo_pop3_first 2>&1)
assert_match "pop3: three messages in INBOX" "$OUT" '^messages 3$'
assert_match "pop3: message 1 is the legitimate one" "$OUT" \
	'Subject: Lunch on Friday\?'
OUT=$(DEMO_LOGIN_PASS=wrong-password demo_imap_subjects INBOX 2>&1)
assert_match "imap with a wrong password: refused" "$OUT" 'AUTHENTICATIONFAILED'

# ---- releasing the quarantined message with Postfix's own tool
QID=${DEMO_QID[dmarc_quarantine]}
postsuper -c "$PF_CONF" -H "$QID" >"$T/postsuper.out" 2>&1
postqueue -c "$PF_CONF" -f >/dev/null 2>&1
for i in $(seq 50); do
	[ -n "$(demo_file dmarc_quarantine INBOX)" ] && break
	sleep 0.2
done
assert_eq "postsuper -H: the held message is delivered to INBOX" \
	"$(demo_where dmarc_quarantine)" INBOX
assert_eq "postsuper -H: the hold queue is empty" "$(pf_hold_count)" 0

check "authgate still running" ag_alive demo
it_finish
