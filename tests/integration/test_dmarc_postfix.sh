#!/bin/bash
# test_dmarc_postfix.sh - DMARC through a real Postfix and nsd
#
# Zones made at run time (dns_add_zone):
#   bank.test     p=reject; SPF allows 192.0.2.0/24 only; a DKIM key
#   shop.test     p=quarantine; SPF allows 192.0.2.0/24 only
#   open.test     p=none
#   sub.test      p=none; sp=reject (mail from news.sub.test)
#   slowdmarc.test: _dmarc answers from nowhere (the "bh" instance's
#                 nameserver is the blackhole) -> temperror
# authgate instances, each behind its own smtpd listener:
#   main    DMARCEnforce yes (reject, quarantine), RejectMultipleFrom yes
#   mark    DMARCEnforce no: results only in Authentication-Results
#   multi   DMARCEnforce yes, RejectMultipleFrom no
#   bh      nameserver is the blackhole, DMARCTempErrorAction tempfail
. "$(dirname "$0")/lib.sh"
it_init dmarc_postfix
it_require openssl
"$DKIM_PY" -c 'import dkim' 2>/dev/null ||
	it_die "$DKIM_PY lacks dkimpy (python3-dkim)"

GOOD_IP=192.0.2.10	# allowed by every test domain's SPF record
BAD_IP=198.51.100.66	# allowed by none
K="$T/keys"
mkdir -p "$K"
(cd "$K" && dknewkey bank) >"$K/dknewkey.out" 2>&1 ||
	it_die "dknewkey failed: $(cat "$K/dknewkey.out")"

for z in bank.test shop.test open.test sub.test fwd.test; do
	dns_add_zone "$z"
	dns_add_rr "$z" "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"" \
		"@ IN MX 10 mx.$z." "mx IN A 192.0.2.25"
done
dns_add_rr bank.test '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:d@bank.test"'
dkim_publish bank.test bank "$(cat "$K/bank.dns")"
dns_add_rr shop.test '_dmarc IN TXT "v=DMARC1; p=quarantine"'
dns_add_rr open.test '_dmarc IN TXT "v=DMARC1; p=none"'
dns_add_rr sub.test '_dmarc IN TXT "v=DMARC1; p=none; sp=reject"' \
	'news IN A 192.0.2.26'
dns_start
blackhole_start

ag_start main "DMARCEnforce yes" "InternalHosts 127.0.0.1/32"
ag_start mark "DMARCEnforce no" "InternalHosts 127.0.0.1/32"
ag_start multi "DMARCEnforce yes" "RejectMultipleFrom no" \
	"InternalHosts 127.0.0.1/32"
ag_start bh "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0" "DMARCTempErrorAction tempfail" \
	"InternalHosts 127.0.0.1/32"
pf_add_smtpd mark "$(ag_milter mark)"
pf_add_smtpd multi "$(ag_milter multi)"
pf_add_smtpd bh "$(ag_milter bh)"
pf_start "$(ag_milter main)"
P_MAIN=$PF_PORT
P_MARK=${PF_PORTS[mark]}
P_MULTI=${PF_PORTS[multi]}
P_BH=${PF_PORTS[bh]}

# msg LOCALPART FROM [EXTRA-HEADER...] - a message on stdout
msg() {
	local to=$1 from=$2 h
	shift 2
	printf 'From: %s\n' "$from"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf 'To: %s@authgate.test\n' "$to"
	printf 'Subject: dmarc test %s\n' "$to"
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <%s.%s@authgate.test>\n' "$to" "$$"
	printf '\n'
	printf 'Body of %s.\n' "$to"
}

# send PORT IP MAILFROM LOCALPART FILE
send() {
	send_mail "$1" --xclient-addr "$2" --xclient-helo mail.example.test \
		--from "$3" --to "$4@authgate.test" --data "@$5"
}

# ours FILE - our A-R on one line
ours() {
	ar_ours "$1" | tr '\n\t' '  '
}

# ---- 1. spoof of a p=reject domain from an unauthorized IP: 550 5.7.1
msg r1 'Bank <ceo@bank.test>' >"$T/r1.eml"
send "$P_MAIN" "$BAD_IP" ceo@bank.test r1 "$T/r1.eml"
assert_reply "p=reject spoof: 550" 550
assert_match "p=reject spoof: enhanced code 5.7.1 and the domain" \
	"$(cat "$SEND_LOG")" '550[ -]5\.7\.1 .*bank\.test'
assert_no_mail "p=reject spoof: not delivered" r1 3

# the same sender from its own IP: pass
msg r2 'Bank <ceo@bank.test>' >"$T/r2.eml"
send "$P_MAIN" "$GOOD_IP" ceo@bank.test r2 "$T/r2.eml"
assert_delivered "p=reject, authorised IP: delivered" r2
assert_match "p=reject, authorised IP: dmarc=pass header.from=bank.test" \
	"$(ours "$MAIL_FILE")" 'dmarc=pass \(p=reject sp=reject dis=none\) header\.from=bank\.test policy\.dmarc=reject'

# ---- 2. forwarded: SPF fails, the aligned DKIM signature passes
msg f1 'Bank <ceo@bank.test>' | dkim_sign_py "$K/bank.key" bank bank.test \
	>"$T/f1.eml"
send "$P_MAIN" "$BAD_IP" list@fwd.test f1 "$T/f1.eml"
assert_delivered "forwarded, aligned DKIM: delivered" f1
A=$(ours "$MAIL_FILE")
assert_match "forwarded: spf=fail (the forwarder's IP)" "$A" 'spf=fail'
assert_match "forwarded: dkim=pass header.d=bank.test" "$A" \
	'dkim=pass .*header\.d=bank\.test'
assert_match "forwarded: dmarc=pass" "$A" 'dmarc=pass .*header\.from=bank\.test'

# tampered after signing: DKIM fails, SPF fails: rejected
msg f2 'Bank <ceo@bank.test>' | dkim_sign_py "$K/bank.key" bank bank.test |
	sed 's/^Body of f2\./Pay account 666./' >"$T/f2.eml"
send "$P_MAIN" "$BAD_IP" list@fwd.test f2 "$T/f2.eml"
assert_reply "forwarded and altered: 550" 550
assert_no_mail "forwarded and altered: not delivered" f2 3

# ---- 3. p=quarantine: Postfix's hold queue
HOLD0=$(pf_hold_count)
msg q1 'Shop <sales@shop.test>' >"$T/q1.eml"
send "$P_MAIN" "$BAD_IP" sales@shop.test q1 "$T/q1.eml"
assert_reply "p=quarantine: accepted (250)" 250
HOLD1=$HOLD0
for i in $(seq 50); do
	HOLD1=$(pf_hold_count)
	[ "$HOLD1" -gt "$HOLD0" ] && break
	sleep 0.2
done
assert_eq "p=quarantine: one more message in the hold queue (postqueue -j)" \
	"$HOLD1" "$((HOLD0 + 1))"
assert_match "p=quarantine: Postfix logged the milter's hold" \
	"$(pf_maillog)" 'milter-hold: .*from=<sales@shop\.test> to=<q1@'
assert_match "p=quarantine: authgate logged it" "$(ag_log main)" \
	'dmarc=fail:shop\.test/quarantine .*verdict=quarantine reason=DMARCEnforce.quarantine'
assert_no_mail "p=quarantine: not delivered" q1 2

# ---- 4. p=none: delivered, marked
msg n1 'Open <x@open.test>' >"$T/n1.eml"
send "$P_MAIN" "$BAD_IP" x@open.test n1 "$T/n1.eml"
assert_delivered "p=none: delivered" n1
assert_match "p=none: dmarc=fail, dis=none" "$(ours "$MAIL_FILE")" \
	'dmarc=fail \(p=none sp=none dis=none\) header\.from=open\.test'

# ---- 5. sp= for a subdomain
msg s1 'News <n@news.sub.test>' >"$T/s1.eml"
send "$P_MAIN" "$BAD_IP" n@news.sub.test s1 "$T/s1.eml"
assert_reply "sp=reject for news.sub.test: 550" 550

# ---- 6. DMARCEnforce no: delivered, marked fail with dis=reject
msg m1 'Bank <ceo@bank.test>' >"$T/m1.eml"
send "$P_MARK" "$BAD_IP" ceo@bank.test m1 "$T/m1.eml"
assert_delivered "DMARCEnforce no: delivered" m1
assert_match "DMARCEnforce no: dmarc=fail dis=reject in our A-R" \
	"$(ours "$MAIL_FILE")" 'dmarc=fail \(p=reject sp=reject dis=reject\) header\.from=bank\.test'

# ---- 7. From edge cases: two From fields, two domains, none
msg t1 'Shop <sales@shop.test>' 'From: Bank <ceo@bank.test>' >"$T/t1.eml"
send "$P_MAIN" "$GOOD_IP" sales@shop.test t1 "$T/t1.eml"
assert_reply "two From fields: 550" 550
assert_match "two From fields: says why" "$(cat "$SEND_LOG")" \
	'5\.7\.1 .*more than one From'
assert_no_mail "two From fields: not delivered" t1 2

msg t2 'a@open.test, b@bank.test' >"$T/t2.eml"
send "$P_MAIN" "$GOOD_IP" a@open.test t2 "$T/t2.eml"
assert_reply "one From, two domains: 550" 550
assert_match "one From, two domains: says why" "$(cat "$SEND_LOG")" \
	'5\.7\.1 .*more than one domain'

# no From at all: Postfix's cleanup adds one from the envelope sender
# before milters see the message, so the milter protocol client sends it
MT="${AG_BUILD:-$ROOT/build}/tools/mtclient"
printf 'To: t3@authgate.test\nSubject: no from\n\nbody\n' >"$T/t3.eml"
OUT=$("$MT" -t 20 -s "$(ag_socket main)" -a "$GOOD_IP" \
	-H mail.example.test -f '<x@open.test>' "$T/t3.eml" 2>&1)
assert_match "no From field (milter protocol): 550 5.7.1" \
	"$(printf '%s\n' "$OUT" | grep '^result=')" \
	'^result=reject code=550 text="5\.7\.1 .*no From'

msg t4 '"ceo@bank.test" <evil@open.test>' >"$T/t4.eml"
send "$P_MAIN" "$BAD_IP" evil@open.test t4 "$T/t4.eml"
assert_delivered "address in the display name: the real domain counts" t4
assert_match "address in the display name: header.from=open.test" \
	"$(ours "$MAIL_FILE")" 'header\.from=open\.test'

# RejectMultipleFrom no: every domain evaluated, the strictest wins
msg u1 'a@open.test, b@bank.test' >"$T/u1.eml"
send "$P_MULTI" "$BAD_IP" a@open.test u1 "$T/u1.eml"
assert_reply "RejectMultipleFrom no, bank.test among the authors: 550 (p=reject)" 550
msg u2 'a@open.test, b@open.test' >"$T/u2.eml"
send "$P_MULTI" "$BAD_IP" a@open.test u2 "$T/u2.eml"
assert_delivered "RejectMultipleFrom no, two p=none authors: delivered" u2

# ---- 8. DNS trouble: temperror, tempfail when configured
msg d1 'Bank <ceo@bank.test>' >"$T/d1.eml"
send "$P_BH" "$BAD_IP" ceo@bank.test d1 "$T/d1.eml"
assert_reply "DNS timeout, DMARCTempErrorAction tempfail: 451" 451

# ---- 9. internal clients are not DMARC-checked (their mail is ours)
msg i1 'Bank <ceo@bank.test>' >"$T/i1.eml"
send_mail "$P_MAIN" --from ceo@bank.test --to i1@authgate.test \
	--data "@$T/i1.eml"
assert_delivered "internal client: delivered" i1
assert_no_match "internal client: no dmarc= result" "$(ours "$MAIL_FILE")" \
	'dmarc='

# ---- the log line has the DMARC result
assert_match "log: dmarc=fail:bank.test/reject on the spoof" \
	"$(ag_log main)" 'dmarc=fail:bank\.test/reject .*verdict=reject reason=DMARCEnforce.reject'
for n in main mark multi bh; do
	check "authgate $n still running" ag_alive "$n"
done
it_finish
