#!/bin/bash
# test_spf_postfix.sh - SPF through a real Postfix, client addresses by XCLIENT
#
# Four authgate instances, each behind its own smtpd listener of one private
# Postfix, all asking one nsd serving zones/example.test.zone:
#   main    defaults (SPFFailAction mark)
#   reject  SPFFailAction reject; 203.0.113.128/25 is internal
#   bh      its nameserver is the blackhole: every lookup times out
#   hup     the instance the reload cases rewrite and SIGHUP
#   unix    defaults, but on a unix socket (group postfix)
# Senders: 192.0.2.0/24 is allowed by example.test's SPF record (-all),
# 198.51.100.66 is not.
. "$(dirname "$0")/lib.sh"
it_init spf_postfix

GOOD_IP=192.0.2.10
BAD_IP=198.51.100.66
INTERNAL_IP=203.0.113.200
HELO_OK=mail.example.test		# "v=spf1 a -all", A 192.0.2.10
HELO_NONE=client.nowhere.example.test	# NXDOMAIN: spf none
ID_RE='mx\.authgate\.test'

dns_start
blackhole_start
ag_start main
ag_start reject "SPFFailAction reject" \
	"InternalHosts 127.0.0.1/32, ::1, 203.0.113.128/25"
ag_start bh "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0"
ag_start hup
ag_start unix "Socket unix:$T/run/unix.sock" "SocketGroup postfix"
pf_add_smtpd reject "$(ag_milter reject)"
pf_add_smtpd bh "$(ag_milter bh)"
pf_add_smtpd hup "$(ag_milter hup)"
pf_add_smtpd unix "$(ag_milter unix)"
pf_start "$(ag_milter main)"
P_MAIN=$PF_PORT
P_REJECT=${PF_PORTS[reject]}
P_BH=${PF_PORTS[bh]}
P_HUP=${PF_PORTS[hup]}
P_UNIX=${PF_PORTS[unix]}

# ar_assert NAME FILE ERE - exactly one A-R of ours, and it matches ERE
ar_assert() {
	local ours n
	ours=$(ar_ours "$2")
	n=$(printf '%s' "$ours" | grep -c .)
	if [ "$n" -ne 1 ]; then
		not_ok "$1" "$n Authentication-Results from $AG_AUTHSERV (want 1): $(it_short "$(mail_header "$2" Authentication-Results)")"
	else
		assert_match "$1" "$ours" "$3"
	fi
}

# ---- 1. allowed IP: spf=pass for MAIL FROM (and HELO)
send_mail "$P_MAIN" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to pass1@authgate.test
assert_delivered "pass: delivered" pass1
PASS_FILE=$MAIL_FILE
ar_assert "pass: A-R from our authserv-id has spf=pass smtp.mailfrom" \
	"$PASS_FILE" "^$ID_RE;.*spf=pass smtp\.mailfrom=alice@example\.test"
assert_header "pass: HELO checked too (spf=pass smtp.helo=$HELO_OK)" \
	"$PASS_FILE" Authentication-Results \
	"^$ID_RE;.*spf=pass smtp\.helo=mail\.example\.test"

# ---- 2. forbidden IP (-all): spf=fail, marked; rejected where configured
send_mail "$P_MAIN" --xclient-addr "$BAD_IP" --xclient-helo "$HELO_NONE" \
	--from bob@example.test --to fail1@authgate.test
assert_delivered "fail/mark: delivered" fail1
ar_assert "fail/mark: spf=fail smtp.mailfrom" "$MAIL_FILE" \
	"^$ID_RE;.*spf=fail smtp\.mailfrom=bob@example\.test"
assert_no_header "fail/mark: no spf=pass anywhere" "$MAIL_FILE" \
	Authentication-Results 'spf=pass'

send_mail "$P_REJECT" --xclient-addr "$BAD_IP" --xclient-helo "$HELO_NONE" \
	--from bob@example.test --to fail2@authgate.test
assert_reply "fail/reject: 550 at end of data" 550
assert_match "fail/reject: enhanced code 5.7.23 (RFC 7372)" \
	"$(grep -E '^<(-|\*\*) +550' "$SEND_LOG")" '550[ -]5\.7\.23'
assert_no_mail "fail/reject: not delivered" fail2 1
# the same instance still passes a good sender
send_mail "$P_REJECT" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to pass2@authgate.test
assert_delivered "fail/reject: allowed IP still delivered" pass2
ar_assert "fail/reject: allowed IP has spf=pass" "$MAIL_FILE" \
	"^$ID_RE;.*spf=pass smtp\.mailfrom=alice@example\.test"

# ---- 3. DNS timeout: temperror, never pass, SPFTempErrorAction accept
T0=$(date +%s)
send_mail "$P_BH" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to temp1@authgate.test
assert_delivered "timeout: delivered" temp1 30
ar_assert "timeout: spf=temperror smtp.mailfrom" "$MAIL_FILE" \
	"^$ID_RE;.*spf=temperror smtp\.mailfrom=alice@example\.test"
assert_no_header "timeout: no spf=pass" "$MAIL_FILE" \
	Authentication-Results 'spf=pass'
echo "# timeout case took $(($(date +%s) - T0))s (DNSTimeout 1s, 0 retries)"

# ---- 4. forged Authentication-Results with our authserv-id are removed,
# foreign ones kept. Sent from the forbidden IP so the true result (fail)
# differs from the forged one (pass).
send_mail "$P_MAIN" --xclient-addr "$BAD_IP" --xclient-helo "$HELO_NONE" \
	--from bob@example.test --to forged1@authgate.test \
	--add-header "Authentication-Results: mx.authgate.test; spf=pass smtp.mailfrom=bob@example.test" \
	--add-header "Authentication-Results: MX.AuthGate.TEST; dkim=pass header.d=example.test" \
	--add-header "Authentication-Results: (forged) mx.authgate.test; dmarc=pass header.from=example.test" \
	--add-header $'Authentication-Results: mx.authgate.test;\n\tspf=pass smtp.mailfrom=folded@example.test' \
	--add-header "Authentication-Results: other.example; spf=fail smtp.mailfrom=bob@example.test" \
	--add-header "Authentication-Results: mx.authgate.test.other.example; spf=pass smtp.mailfrom=bob@example.test"
assert_delivered "forged: delivered" forged1
F=$MAIL_FILE
ar_assert "forged: exactly one A-R of ours left, the true spf=fail" "$F" \
	"^$ID_RE;.*spf=fail smtp\.mailfrom=bob@example\.test"
assert_no_header "forged: 'mx.authgate.test; spf=pass' removed" "$F" \
	Authentication-Results '^mx\.authgate\.test; spf=pass smtp\.mailfrom=bob'
assert_no_header "forged: upper-case 'MX.AuthGate.TEST' removed" "$F" \
	Authentication-Results '^MX\.AuthGate\.TEST'
assert_no_header "forged: '(comment) mx.authgate.test' removed" "$F" \
	Authentication-Results '^\(forged\)'
assert_no_header "forged: folded one removed" "$F" \
	Authentication-Results 'folded@example\.test'
assert_header "forged: foreign 'other.example' kept" "$F" \
	Authentication-Results '^other\.example; spf=fail smtp\.mailfrom=bob@example\.test$'
assert_header "forged: look-alike 'mx.authgate.test.other.example' kept" "$F" \
	Authentication-Results '^mx\.authgate\.test\.other\.example; spf=pass'

# ---- 5. SIGHUP: a broken file keeps the old snapshot, a good one applies
send_mail "$P_HUP" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to hup0@authgate.test
assert_delivered "hup: delivered before any reload" hup0
ar_assert "hup: A-R before any reload" "$MAIL_FILE" "^$ID_RE;.*spf=pass"

MARK=$(ag_log_mark hup)
ag_config hup "NoSuchKey yes"
BAD_LINE=$(ag_conf_line hup '^NoSuchKey')
check "hup: SIGHUP sent (broken config)" ag_reload hup
if ag_log_wait hup "hup\.conf:$BAD_LINE:" 10 "$MARK"; then
	ok "hup: log names hup.conf:$BAD_LINE"
else
	not_ok "hup: log names hup.conf:$BAD_LINE" \
		"log after HUP: $(it_short "$(ag_log_since hup "$MARK")")"
fi
assert_match "hup: log says the reload failed" \
	"$(ag_log_since hup "$MARK")" '[Rr]eload.*(fail|error|keep)|(fail|error).*[Rr]eload'
sleep 0.5
check "hup: process alive after the broken reload" ag_alive hup
send_mail "$P_HUP" --xclient-addr "$BAD_IP" --xclient-helo "$HELO_NONE" \
	--from bob@example.test --to hup1@authgate.test
assert_delivered "hup: still delivering on the old snapshot" hup1
ar_assert "hup: old snapshot still marks spf=fail" "$MAIL_FILE" \
	"^$ID_RE;.*spf=fail smtp\.mailfrom=bob@example\.test"

MARK=$(ag_log_mark hup)
ag_config hup "AuthservID mx2.authgate.test" "SPFFailAction reject"
check "hup: SIGHUP sent (good config)" ag_reload hup
# the wording of the success line is the daemon's; wait for any line
# mentioning the reload, then give the swap a moment
ag_log_wait hup '[Rr]eload' 10 "$MARK" ||
	echo "# no log line mentioning the reload after the good HUP"
sleep 0.5
check "hup: process alive after the good reload" ag_alive hup
send_mail "$P_HUP" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to hup2@authgate.test
assert_delivered "hup: delivered after the good reload" hup2
assert_eq "hup: new AuthservID in use" \
	"$(ar_count "$MAIL_FILE" mx2.authgate.test)/$(ar_count "$MAIL_FILE")" "1/0"
send_mail "$P_HUP" --xclient-addr "$BAD_IP" --xclient-helo "$HELO_NONE" \
	--from bob@example.test --to hup3@authgate.test
assert_reply "hup: new SPFFailAction reject gives 550" 550
assert_no_mail "hup: rejected message not delivered" hup3 1

# ---- 6. authgate -n: check a config file without starting
ag_config check "NoSuchKey yes"
LINE=$(ag_conf_line check '^NoSuchKey')
OUT=$("$AUTHGATE" -n -c "$T/check.conf" 2>&1)
RC=$?
check_not "-n unknown key: exit status non-zero" [ "$RC" -eq 0 ]
assert_match "-n unknown key: output names FILE:LINE:" "$OUT" \
	"$T/check\.conf:$LINE:"
ag_config check "DNSTimeout soon"
LINE=$(ag_conf_line check '^DNSTimeout')
OUT=$("$AUTHGATE" -n -c "$T/check.conf" 2>&1)
RC=$?
check_not "-n bad value: exit status non-zero" [ "$RC" -eq 0 ]
assert_match "-n bad value: output names FILE:LINE:" "$OUT" \
	"$T/check\.conf:$LINE:"
# ag_config replaces a key it is given, so the duplicate goes in by hand
ag_config check
echo "LogLevel info" >>"$T/check.conf"
LINE=$(wc -l <"$T/check.conf")
OUT=$("$AUTHGATE" -n -c "$T/check.conf" 2>&1)
RC=$?
check_not "-n duplicate key: exit status non-zero" [ "$RC" -eq 0 ]
assert_match "-n duplicate key: output names FILE:LINE: of the second" \
	"$OUT" "$T/check\.conf:$LINE:"
ag_config check
OUT=$("$AUTHGATE" -n -c "$T/check.conf" 2>&1)
RC=$?
if [ "$RC" -eq 0 ]; then
	ok "-n valid config: exit status 0"
else
	not_ok "-n valid config: exit status 0" "status $RC: $(it_short "$OUT")"
fi

# ---- 7. internal clients are not SPF-checked. alice@example.test would
# fail SPF from 127.0.0.1 and from 203.0.113.200. What the A-R says for an
# unchecked client (no spf clause, or none at all) is the daemon's choice
# and may change; what must hold: delivered, and no spf=fail.
send_mail "$P_MAIN" --from alice@example.test --to internal1@authgate.test
assert_delivered "internal 127.0.0.1 (no XCLIENT): delivered" internal1
assert_no_header "internal 127.0.0.1: no spf=fail" "$MAIL_FILE" \
	Authentication-Results 'spf=(fail|softfail)'
send_mail "$P_REJECT" --xclient-addr "$INTERNAL_IP" \
	--xclient-helo "$HELO_NONE" \
	--from alice@example.test --to internal2@authgate.test
assert_delivered "internal $INTERNAL_IP (InternalHosts, SPFFailAction reject): delivered" internal2
assert_no_header "internal $INTERNAL_IP: no spf=fail" "$MAIL_FILE" \
	Authentication-Results 'spf=(fail|softfail)'
echo "# internal client's A-R: $(mail_header "$MAIL_FILE" Authentication-Results | tr '\n' '|')"

# ---- 8. our A-R sits above the Received: header our Postfix added
NAMES=$(mail_header_names "$PASS_FILE")
AR_POS=$(printf '%s\n' "$NAMES" | grep -nix 'Authentication-Results' | head -1 | cut -d: -f1)
RCVD_POS=$(mail_headers "$PASS_FILE" | grep -niE '^Received:.* by pf\.authgate\.test ' | head -1 | cut -d: -f1)
echo "# header order of a delivered message:" $NAMES
if [ -n "$AR_POS" ] && [ -n "$RCVD_POS" ] && [ "$AR_POS" -lt "$RCVD_POS" ]; then
	ok "order: Authentication-Results above Postfix's Received"
else
	not_ok "order: Authentication-Results above Postfix's Received" \
		"A-R at ${AR_POS:-none}, Received at ${RCVD_POS:-none}"
fi

# ---- 9. the same over a unix socket
send_mail "$P_UNIX" --xclient-addr "$GOOD_IP" --xclient-helo "$HELO_OK" \
	--from alice@example.test --to unix1@authgate.test
assert_delivered "unix socket: delivered" unix1
ar_assert "unix socket: spf=pass smtp.mailfrom" "$MAIL_FILE" \
	"^$ID_RE;.*spf=pass smtp\.mailfrom=alice@example\.test"

# ---- the daemons are still up after all that
for n in main reject bh hup unix; do
	check "authgate $n still running" ag_alive "$n"
done

it_finish
