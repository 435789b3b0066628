#!/bin/bash
# test_rules_postfix.sh - the rule engine through a real Postfix and nsd
#
# Zones made at run time (dns_add_zone):
#   rules.test  SPF allows 192.0.2.0/24; p=none
#   bl.test     an IP DNS list: 198.51.100.66 listed (127.0.0.2, 127.0.0.4)
# One authgate ("main") with a rules file: subject words score 5 (tag),
# 10 (quarantine), 20 (reject, 554 5.7.1 and a custom text), a custom
# 553 5.7.26 rule, a body word, the DNS list scoring 4 (+1 for 127.0.0.4).
# A second instance "shipped" runs conf/rules.example as shipped.
. "$(dirname "$0")/lib.sh"
it_init rules_postfix

GOOD_IP=192.0.2.10	# allowed by the SPF record, not listed
LISTED_IP=198.51.100.66	# on bl.test

dns_add_zone rules.test
dns_add_rr rules.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=none"'
dns_add_zone bl.test
dns_add_rr bl.test '66.100.51.198 IN A 127.0.0.2' \
	'66.100.51.198 IN A 127.0.0.4'
dns_start

RULES="$T/rules.conf"
cat >"$RULES" <<'EOF'
dnsbl testbl ip "bl.test" {
    127.0.0.2 score 4
    127.0.0.4 score 1
}
threshold tag 5
threshold quarantine 10 "spam score ${score} (${rules})"
threshold reject 20 554 5.7.1 "Spam score ${score} is too high"
tag {
    header "X-Spam-Flag" "YES"
    header "X-Spam-Score" "${score}"
    header "X-Spam-Rules" "${rules}"
    subject-prefix "[SPAM] "
}
rule tagme { if subject contains "tagme" score 5 }
rule holdme { if subject contains "holdme" score 10 }
rule rejectme { if subject =~ /reject\s*me/i score 20 }
rule lottery { if body contains "lottery" score 1 }
rule custom { if header "X-Test" is "custom"
    reject 553 5.7.26 "Custom rejection for ${from.domain}" }
rule redirectme { if subject contains "redirectme"
    redirect "spambox@authgate.test" }
rule discardme { if subject contains "discardme" discard }
rule seen { add-header "X-Rules-Seen" "${score}" }
EOF
chmod 644 "$RULES"

ag_start main "Rules $RULES" "InternalHosts 127.0.0.1/32"
ag_start shipped "Rules $ROOT/conf/rules.example" "InternalHosts 127.0.0.1/32"
pf_add_smtpd shipped "$(ag_milter shipped)"
pf_start "$(ag_milter main)"
P_MAIN=$PF_PORT
P_SHIPPED=${PF_PORTS[shipped]}

# msg LOCALPART SUBJECT [EXTRA-HEADER...] - a message on stdout
msg() {
	local to=$1 subject=$2 h
	shift 2
	printf 'From: Sender <s@rules.test>\n'
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'To: %s@authgate.test\n' "$to"
	printf 'Subject: %s\n' "$subject"
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <%s.%s@rules.test>\n' "$to" "$$"
	printf '\n'
	printf 'Body of %s.\n' "$to"
}

# send PORT IP LOCALPART FILE
send() {
	send_mail "$1" --xclient-addr "$2" --xclient-helo mail.rules.test \
		--from s@rules.test --to "$3@authgate.test" --data "@$4"
}

# ---- 1. tagged: delivered with flag, score, rules and subject prefix
msg t1 'tagme please' 'X-Spam-Flag: NO' 'X-Spam-Score: -100' >"$T/t1.eml"
send "$P_MAIN" "$GOOD_IP" t1 "$T/t1.eml"
assert_delivered "score 5 = tag threshold: delivered" t1
assert_eq "tagged: exactly one X-Spam-Flag, ours (the forged NO removed)" \
	"$(mail_header "$MAIL_FILE" X-Spam-Flag | tr '\n' ' ')" "YES "
assert_eq "tagged: X-Spam-Score 5 (the forged -100 removed)" \
	"$(mail_header "$MAIL_FILE" X-Spam-Score | tr '\n' ' ')" "5 "
assert_header "tagged: X-Spam-Rules names the rule" "$MAIL_FILE" \
	X-Spam-Rules '^tagme\(5\)'
assert_header "tagged: Subject prefixed" "$MAIL_FILE" Subject \
	'^\[SPAM\] tagme please$'
assert_header "add-header action: X-Rules-Seen with the final score" \
	"$MAIL_FILE" X-Rules-Seen '^5$'
assert_match "tagged: one log line with score and rules" "$(ag_log main)" \
	'score=5 rules=tagme,seen verdict=tag reason=threshold tag'

# an untagged message keeps no sender-made spam flag either
msg c1 'hello' 'X-Spam-Flag: YES' >"$T/c1.eml"
send "$P_MAIN" "$GOOD_IP" c1 "$T/c1.eml"
assert_delivered "score 0: delivered" c1
assert_eq "clean: the sender's X-Spam-Flag removed" \
	"$(mail_header "$MAIL_FILE" X-Spam-Flag)" ""
assert_header "clean: subject untouched" "$MAIL_FILE" Subject '^hello$'

# ---- 2. over the quarantine threshold: the hold queue, reason logged
HOLD0=$(pf_hold_count)
msg q1 'holdme now' >"$T/q1.eml"
send "$P_MAIN" "$GOOD_IP" q1 "$T/q1.eml"
assert_reply "score 10: accepted (250)" 250
HOLD1=$HOLD0
for i in $(seq 50); do
	HOLD1=$(pf_hold_count)
	[ "$HOLD1" -gt "$HOLD0" ] && break
	sleep 0.2
done
assert_eq "score 10: one more message in the hold queue (postqueue -j)" \
	"$HOLD1" "$((HOLD0 + 1))"
assert_match "score 10: Postfix logged the milter's hold" \
	"$(pf_maillog)" 'milter-hold: .*from=<s@rules\.test> to=<q1@'
assert_match "score 10: authgate logged the quarantine and its reason" \
	"$(ag_log main)" 'score=10 rules=holdme,seen verdict=quarantine reason=threshold quarantine hold="spam score 10 \(holdme\(10\), seen\(0\)\)"'
assert_no_mail "score 10: not delivered" q1 2

# ---- 3. over the reject threshold: the configured code and text
msg r1 'Reject  ME' >"$T/r1.eml"
send "$P_MAIN" "$GOOD_IP" r1 "$T/r1.eml"
assert_reply "score 20: 554" 554
assert_match "score 20: enhanced code and text with the score" \
	"$(cat "$SEND_LOG")" '554[ -]5\.7\.1 Spam score 20 is too high'
assert_no_mail "score 20: not delivered" r1 2

# a rule's own reply
msg r2 'hello' 'X-Test: Custom' >"$T/r2.eml"
send "$P_MAIN" "$GOOD_IP" r2 "$T/r2.eml"
assert_reply "custom reject rule: 553" 553
assert_match "custom reject rule: 5.7.26 and expanded text" \
	"$(cat "$SEND_LOG")" '553[ -]5\.7\.26 Custom rejection for rules\.test'

# redirect: every recipient replaced by the quarantine mailbox
msg d1 'redirectme' >"$T/d1.eml"
send "$P_MAIN" "$GOOD_IP" d1 "$T/d1.eml"
assert_delivered "redirect: delivered to the quarantine mailbox" spambox
assert_header "redirect: it is the redirected message" "$MAIL_FILE" \
	Subject '^redirectme$'
assert_no_mail "redirect: not delivered to the recipient" d1 2
# discard: the client sees 250, nothing is delivered
msg d2 'discardme' >"$T/d2.eml"
send "$P_MAIN" "$GOOD_IP" d2 "$T/d2.eml"
assert_reply "discard: the client sees 250" 250
assert_no_mail "discard: not delivered" d2 2
assert_match "discard: logged" "$(ag_log main)" \
	'verdict=discard reason=discardme'

# ---- 4. DNS list: the listed client IP is scored
msg b1 'hello' >"$T/b1.eml"
send "$P_MAIN" "$LISTED_IP" b1 "$T/b1.eml"
assert_delivered "listed IP, score 5 (4 + 1 for two codes): delivered" b1
assert_header "listed IP: tagged, X-Spam-Rules names the list" \
	"$MAIL_FILE" X-Spam-Rules 'testbl\(5\)'
assert_header "listed IP: X-Spam-Score 5" "$MAIL_FILE" X-Spam-Score '^5$'
msg b2 'hello' >"$T/b2.eml"
send "$P_MAIN" "$GOOD_IP" b2 "$T/b2.eml"
assert_delivered "unlisted IP: delivered" b2
assert_eq "unlisted IP: not tagged" \
	"$(mail_header "$MAIL_FILE" X-Spam-Flag)" ""
# listed and the body word: 6, still a tag; with holdme: 15 quarantine
msg b3 'hello' >"$T/b3.eml"
printf 'You won the lottery.\n' >>"$T/b3.eml"
send "$P_MAIN" "$LISTED_IP" b3 "$T/b3.eml"
assert_delivered "listed IP and a body rule: delivered" b3
assert_header "listed IP and a body rule: score 6" "$MAIL_FILE" \
	X-Spam-Score '^6$'

# ---- 5. a broken rules file on SIGHUP keeps the running rules
MARK=$(ag_log_mark main)
cp "$RULES" "$T/rules.good"
printf 'rule broken { if subject ~~ "x" }\n' >>"$RULES"
ag_reload main
ag_log_wait main 'reload failed' 10 "$MARK" || true
assert_match "broken rules: reload refused with file:line:column" \
	"$(ag_log_since main "$MARK")" \
	"reload failed, keeping the running configuration: $RULES:[0-9]+:[0-9]+: "
msg h1 'tagme again' >"$T/h1.eml"
send "$P_MAIN" "$GOOD_IP" h1 "$T/h1.eml"
assert_delivered "after a refused reload: still running" h1
assert_header "after a refused reload: the old rules still tag" \
	"$MAIL_FILE" X-Spam-Flag '^YES$'
cp "$T/rules.good" "$RULES"
printf 'rule newrule { if subject contains "fresh" score 5 }\n' >>"$RULES"
MARK=$(ag_log_mark main)
ag_reload main
ag_log_wait main 'configuration reloaded' 10 "$MARK" || true
msg h2 'fresh rules' >"$T/h2.eml"
send "$P_MAIN" "$GOOD_IP" h2 "$T/h2.eml"
assert_delivered "after a good reload: delivered" h2
assert_header "after a good reload: the new rule tags" "$MAIL_FILE" \
	X-Spam-Rules 'newrule\(5\)'

# ---- 6. the shipped rules (conf/rules.example)
msg e1 'hello' >"$T/e1.eml"
sed -i 's/^From: .*/From: "CEO" <ceo@mydomain.example>/' "$T/e1.eml"
send_mail "$P_SHIPPED" --xclient-addr "$LISTED_IP" \
	--xclient-helo mail.rules.test --from s@rules.test \
	--to e1@authgate.test --data "@$T/e1.eml"
assert_reply "shipped rules: a local domain from outside: 550" 550
assert_match "shipped rules: says why" "$(cat "$SEND_LOG")" \
	'550[ -]5\.7\.1 Mail from mydomain\.example must be sent through our servers'
msg e2 'hello' >"$T/e2.eml"
sed -i 's/^From: .*/From: "ceo@mydomain.example" <boss@rules.test>/' "$T/e2.eml"
send "$P_SHIPPED" "$GOOD_IP" e2 "$T/e2.eml"
assert_delivered "shipped rules: display-name spoof: delivered" e2
assert_header "shipped rules: display-name spoof tagged" "$MAIL_FILE" \
	X-Spam-Rules 'display_name_spoof\(6\)'
assert_header "shipped rules: subject prefixed" "$MAIL_FILE" Subject \
	'^\[SPAM\] hello$'

# ---- 7. authgate --test: the same pipeline without an MTA
msg x1 'tagme from the command line' >"$T/x1.eml"
OUT=$("$AUTHGATE" --test -c "$T/main.conf" --ip "$LISTED_IP" \
	--helo mail.rules.test --from s@rules.test --rcpt x1@authgate.test \
	"$T/x1.eml" 2>&1)
assert_match "--test: lists the DNS list answer" "$OUT" \
	'testbl +listed 127\.0\.0\.2,127\.0\.0\.4'
assert_match "--test: lists each matched rule with its score" "$OUT" \
	'\+5 +tagme +.*rules\.conf:[0-9]+'
assert_match "--test: total" "$OUT" 'total score 10'
assert_match "--test: verdict" "$OUT" 'Verdict: quarantine \(threshold quarantine\)'
assert_match "--test: the SMTP reply" "$OUT" 'SMTP reply: 250 2\.0\.0 Ok \(queued, held in quarantine\)'
assert_match "--test: the header edits" "$OUT" 'add X-Spam-Flag: YES'
assert_match "--test: facts" "$OUT" 'spf\.mailfrom +pass'
JSON=$("$AUTHGATE" --test --json -c "$T/main.conf" --ip "$GOOD_IP" \
	--from s@rules.test "$T/r1.eml" 2>&1)
check "--test --json: valid JSON with verdict reject and the reply" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["verdict"]=="reject", d; assert d["smtp_reply"].startswith("554 5.7.1 Spam score 20"), d; assert any(r["name"]=="rejectme" and r["score"]==20 for r in d["rules"]), d' "$JSON"

it_finish
