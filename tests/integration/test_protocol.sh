#!/bin/bash
# test_protocol.sh - authgate driven over the milter protocol, no MTA
#
# tests/tools/mtclient plays Postfix's side of the protocol, so each case
# chooses the client address, HELO, MAIL FROM, macros and headers exactly
# and reads back the header edits and the verdict. DNS is the harness's
# nsd serving zones/example.test.zone (one name per SPF outcome).
#   main    defaults (SPFFailAction mark, SPFCheckHelo yes)
#   strict  SPFFailAction reject, SPFTempErrorAction tempfail
#   bh      nameserver is the blackhole (every lookup times out),
#           SPFTempErrorAction tempfail
#   bhmark  the same with SPFTempErrorAction accept (marks temperror)
#   nohelo  SPFCheckHelo no
. "$(dirname "$0")/lib.sh"
it_init protocol

MT="${AG_BUILD:-$ROOT/build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
ID_RE='mx\.authgate\.test'

dns_start
blackhole_start
ag_start main
ag_start strict "SPFFailAction reject" "SPFTempErrorAction tempfail"
ag_start bh "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0" "SPFTempErrorAction tempfail"
ag_start bhmark "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0"
ag_start nohelo "SPFCheckHelo no"

# msgfile NAME [HEADER...] - a small message with these extra headers on
# top -> $T/NAME.eml
msgfile() {
	local name=$1 h
	shift
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'From: Alice <alice@example.test>\n'
		printf 'To: bob@authgate.test\n'
		printf 'Subject: protocol test %s\n' "$name"
		printf 'Date: %s\n' "$(date -R)"
		printf 'Message-ID: <%s.%s@example.test>\n' "$name" "$$"
		printf '\n'
		printf 'Body of %s.\n' "$name"
	} >"$T/$name.eml"
}

# mt NAME INSTANCE ARGS... - run mtclient against INSTANCE on $T/NAME.eml
# -> $MT_OUT (its output), $MT_RC
mt() {
	local name=$1 inst=$2
	shift 2
	MT_OUT=$("$MT" -t 20 -s "inet:${AG_PORTS[$inst]}@127.0.0.1" \
		-m "i=$name" "$@" "$T/$name.eml" 2>&1)
	MT_RC=$?
	printf '%s\n' "$MT_OUT" >"$T/$name.mt"
}

# mt_ar - the value of our inserted Authentication-Results (unescaped
# enough for matching: \" stays)
mt_ar() {
	printf '%s\n' "$MT_OUT" |
		sed -n 's/^action=insheader index=0 name=Authentication-Results value="\(.*\)"$/\1/p' |
		head -1
}

# mt_result - the verdict line
mt_result() {
	printf '%s\n' "$MT_OUT" | grep '^result=' | tail -1
}

# spf_case NAME ADDR FROM WANT - MAIL FROM <FROM> from ADDR gives spf=WANT
spf_case() {
	local name=$1 addr=$2 from=$3 want=$4 inst=${5:-main}
	msgfile "$name"
	mt "$name" "$inst" -a "$addr" -H mail.example.test -f "<$from>"
	if [ "$MT_RC" -ne 0 ]; then
		not_ok "$name: spf=$want" "mtclient status $MT_RC: $(it_short "$MT_OUT")"
		return
	fi
	assert_match "$name: spf=$want smtp.mailfrom=$from" "$(mt_ar)" \
		"^$ID_RE;.*spf=$want smtp\.mailfrom=\"?${from//./\\.}\"?"
}

# ---- 1. every SPF result for the MAIL FROM identity
spf_case pass 192.0.2.10 alice@example.test pass
spf_case fail 198.51.100.66 alice@example.test fail
spf_case softfail 198.51.100.66 a@softfail.example.test softfail
spf_case neutral 198.51.100.66 a@neutral.example.test neutral
spf_case none 198.51.100.66 a@nospf.example.test none
spf_case permerror 198.51.100.66 a@permerror.example.test permerror
spf_case twospf 198.51.100.66 a@twospf.example.test permerror
spf_case temperror 198.51.100.66 a@example.test temperror bhmark
assert_match "fail: the message is accepted (SPFFailAction mark)" \
	"$(grep '^result=' "$T/fail.mt")" '^result=(accept|continue)'

# ---- 2. IPv6 client against ip6: in the record
spf_case ipv6pass 2001:db8:1::25 alice@example.test pass
spf_case ipv6fail 2001:db8:2::25 alice@example.test fail

# ---- 3. null reverse-path: postmaster@HELO, reported as smtp.helo
msgfile nullrp
mt nullrp main -a 192.0.2.10 -H mail.example.test -f "<>"
AR=$(mt_ar)
assert_match "null reverse-path: spf=pass smtp.helo=mail.example.test" \
	"$AR" 'spf=pass smtp\.helo=mail\.example\.test'
assert_no_match "null reverse-path: no empty smtp.mailfrom" "$AR" \
	'smtp\.mailfrom=(;|$|""|<>)'

# ---- 4. HELO identity: checked by default, not with SPFCheckHelo no
msgfile helo
mt helo main -a 198.51.100.66 -H badhelo.example.test -f "<alice@example.test>"
assert_match "SPFCheckHelo yes: spf=fail smtp.helo=badhelo.example.test" \
	"$(mt_ar)" 'spf=fail smtp\.helo=badhelo\.example\.test'
msgfile nohelo
mt nohelo nohelo -a 198.51.100.66 -H badhelo.example.test -f "<alice@example.test>"
AR=$(mt_ar)
assert_match "SPFCheckHelo no: MAIL FROM still checked" "$AR" \
	'spf=fail smtp\.mailfrom='
assert_no_match "SPFCheckHelo no: no smtp.helo clause" "$AR" 'smtp\.helo='

# ---- 5. internal clients and authenticated senders skip SPF
msgfile internal
mt internal main -a 127.0.0.1 -f "<alice@example.test>"
AR=$(mt_ar)
assert_match "internal client: our A-R is added" "$AR" "^$ID_RE"
assert_no_match "internal client: no spf= result" "$AR" 'spf='
msgfile authed
mt authed main -a 198.51.100.66 -f "<alice@example.test>" \
	-m 'mail:{auth_authen}=alice' -m 'mail:{auth_type}=PLAIN'
AR=$(mt_ar)
assert_match "authenticated: auth=pass smtp.auth=alice" "$AR" \
	'auth=pass smtp\.auth=alice'
assert_no_match "authenticated: no spf= result" "$AR" 'spf='

# ---- 6. SPFFailAction reject and SPFTempErrorAction tempfail
msgfile reject
mt reject strict -a 198.51.100.66 -H mail.example.test -f "<alice@example.test>"
R=$(mt_result)
assert_match "reject: 550" "$R" '^result=reject code=550'
assert_match "reject: enhanced code 5.7.23 (RFC 7372)" "$R" 'text="5\.7\.23 '
assert_no_match "reject: no header edits" "$MT_OUT" '^action=insheader'
msgfile passstrict
mt passstrict strict -a 192.0.2.10 -H mail.example.test -f "<alice@example.test>"
assert_match "reject instance: an allowed IP is accepted" "$(mt_result)" \
	'^result=(accept|continue)'
msgfile tempfail
mt tempfail bh -a 198.51.100.66 -H mail.example.test -f "<alice@example.test>"
R=$(mt_result)
assert_match "temperror: 451" "$R" '^result=tempfail code=451'
assert_match "temperror: enhanced code 4.7.24 (RFC 7372)" "$R" \
	'text="4\.7\.24 '

# ---- 7. forged Authentication-Results: ours deleted, foreign kept
msgfile forged \
	"Authentication-Results: mx.authgate.test; spf=pass smtp.mailfrom=x@example.test" \
	"Authentication-Results: other.example; spf=fail smtp.mailfrom=x@example.test" \
	"Authentication-Results: MX.AuthGate.TEST; dkim=pass header.d=bank.example" \
	"Authentication-Results: mx.authgate.test.evil; dkim=pass"
mt forged main -a 198.51.100.66 -H mail.example.test -f "<alice@example.test>"
DEL=$(printf '%s\n' "$MT_OUT" |
	sed -n 's/^action=chgheader index=\([0-9]*\) name=Authentication-Results value=""$/\1/p' |
	sort -n | tr '\n' ' ')
assert_eq "forged: occurrences 1 and 3 deleted (ours, any case), 2 and 4 kept" \
	"$DEL" "1 3 "
assert_match "forged: our new A-R inserted on top" "$MT_OUT" \
	'action=insheader index=0 name=Authentication-Results value="mx\.authgate\.test;'
# the same through -o: the message as the MTA would deliver it
msgfile forged2 \
	"Authentication-Results: mx.authgate.test; spf=pass smtp.mailfrom=x@example.test" \
	"Authentication-Results: other.example; spf=fail"
mt forged2 main -a 198.51.100.66 -H mail.example.test -f "<alice@example.test>" \
	-o "$T/forged2.out"
AR_ALL=$(sed -n '1,/^$/p' "$T/forged2.out" |
	awk '/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
	     { if (line != "") print line; line = $0 } END { print line }' |
	grep -i '^Authentication-Results:')
assert_eq "forged (-o): two A-R left, ours and the foreign one" \
	"$(printf '%s\n' "$AR_ALL" | grep -c .)" 2
assert_match "forged (-o): the top one is ours with spf=fail" \
	"$(printf '%s\n' "$AR_ALL" | head -1)" \
	"^Authentication-Results: $ID_RE;.*spf=fail"
assert_match "forged (-o): the foreign one kept" "$AR_ALL" \
	'^Authentication-Results: other\.example; spf=fail'

# ---- 8. several messages on one connection, each with its own A-R
msgfile three
mt three main -c 3 -a 192.0.2.10 -H mail.example.test -f "<alice@example.test>"
assert_eq "-c 3: three verdicts" \
	"$(printf '%s\n' "$MT_OUT" | grep -c '^result=')" 3
assert_eq "-c 3: three A-R inserted, each spf=pass" \
	"$(printf '%s\n' "$MT_OUT" | grep -c 'name=Authentication-Results value="mx\.authgate\.test;.*spf=pass')" 3

# ---- 9. hostile values: the milter answers, the A-R stays one line of
# valid syntax, the daemon survives
LONG=$(printf 'a%.0s' $(seq 900))
hostile() {
	local name=$1
	shift
	msgfile "$name"
	mt "$name" main "$@"
	if [ "$MT_RC" -ne 0 ]; then
		not_ok "hostile $name: answered" "mtclient status $MT_RC: $(it_short "$MT_OUT")"
		return
	fi
	ok "hostile $name: answered ($(mt_result | cut -c1-40))"
	local ar
	ar=$(mt_ar)
	if [ -n "$ar" ]; then
		# mtclient escapes bytes; only folding (\n then \t) may remain
		assert_no_match "hostile $name: no CR, bare LF or control byte in the A-R" \
			"${ar//\\n\\t/ }" '\\x[01][0-9a-f]|\\x7f|\\r|\\n'
	fi
}
hostile longlocal -a 198.51.100.66 -f "<$LONG@example.test>"
hostile ctl -a 198.51.100.66 -f "$(printf '<a\001b;c=d@example.test>')"
hostile quotes -a 198.51.100.66 -f '<"a;b(c)"@example.test>'
hostile utf8 -a 198.51.100.66 -f "<ü@exämple.example.test>"
assert_match "utf8: a U-label domain that does not exist: spf=none" \
	"$(mt_ar)" 'spf=none smtp\.mailfrom='
msgfile idnpass
mt idnpass main -a 192.0.2.10 -H mail.example.test -f "<ü@bücher.example.test> SMTPUTF8"
assert_match "SMTPUTF8 sender at bücher.example.test (xn--bcher-kva): spf=pass" \
	"$(mt_ar)" 'spf=pass smtp\.mailfrom='
msgfile idnfail
mt idnfail main -a 198.51.100.66 -H mail.example.test -f "<ü@bücher.example.test> SMTPUTF8"
assert_match "SMTPUTF8 sender at bücher.example.test, forbidden IP: spf=fail" \
	"$(mt_ar)" 'spf=fail smtp\.mailfrom=' 
hostile spacehelo -a 198.51.100.66 -H 'bad helo; x=y' -f "<alice@example.test>"
hostile emptyhelo -a 198.51.100.66 -H '' -f "<alice@example.test>"
hostile badaddr -a unknown -f "<alice@example.test>"
AR=$(mt_ar)
assert_match "quotes: local part with ';' and space is quoted" \
	"$(grep 'insheader index=0' "$T/quotes.mt")" \
	'smtp\.mailfrom=\\"'
check "authgate main alive after hostile input" ag_alive main

# ---- 10. client drops the connection mid-message
msgfile drop
"$MT" -t 20 -s "inet:${AG_PORTS[bh]}@127.0.0.1" -a 198.51.100.66 \
	-f "<alice@example.test>" "$T/drop.eml" >/dev/null 2>&1 &
DROP_PID=$!
sleep 2	# inside the SPF lookup, which waits on the blackhole
kill -KILL "$DROP_PID" 2>/dev/null
wait "$DROP_PID" 2>/dev/null
sleep 0.5
msgfile after
mt after bh -a 127.0.0.1 -f "<alice@example.test>"
assert_match "after a dropped connection: the next one is answered" \
	"$(mt_result)" '^result=(accept|continue)'
check "authgate bh alive after the dropped connection" ag_alive bh

for n in main strict bh bhmark nohelo; do
	check "authgate $n still running" ag_alive "$n"
	assert_no_match "authgate $n: no sanitizer report or crash in its log" \
		"$(ag_log "$n")" 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|Segmentation'
done
it_finish
