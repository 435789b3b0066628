#!/bin/bash
# test_report_send.sh - aggregate reports we send, end to end: messages
# through a running authgate -> DMARC history -> authgate-report send
# (--dry-run: XML validated against the RFC 7489 schema; then for real,
# over SMTP and through a sendmail binary, into a real Postfix) -> ingest
# of our own report -> summary shows the same counts. Also: external
# destination verification (RFC 7489 7.1), !size limits, rows marked so
# a second run sends nothing, and the same through PostgreSQL.
. "$(dirname "$0")/lib.sh"
it_init report_send
it_require sqlite3 xmllint python3 swaks runuser
MT="${AG_BUILD:-$ROOT/build}/tools/mtclient"
REP="${AG_BUILD:-$ROOT/build}/authgate-report"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
[ -x "$REP" ] || it_die "authgate-report not built at $REP (make tests)"
XSD="$ROOT/tests/schema/rfc7489-appendix-c.xsd"
XSD_BIS="$ROOT/../shared/testsuites/dmarc-xsd/dmarcbis-aggregate-draft32.xsd"
[ -f "$XSD_BIS" ] || it_die "missing $XSD_BIS (../shared beside the project)"

# bank.test reports to a mailbox in another organization (authgate.test),
# which authorizes it; nope.test's destination does not; big.test's takes
# at most 300 bytes; news.authgate.test reports inside its own org
dns_add_zone bank.test
dns_add_rr bank.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=reject; adkim=r; aspf=r; rua=mailto:dmarc-bank@authgate.test"'
dns_add_zone nope.test
dns_add_rr nope.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-nope@authgate.test"'
dns_add_zone big.test
dns_add_rr big.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-big@authgate.test!300"'
dns_add_zone news.authgate.test
dns_add_rr news.authgate.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc-news@authgate.test"'
# the authorization records live in the destination's zone (RFC 7489 7.1)
dns_add_zone _report._dmarc.authgate.test
dns_add_rr _report._dmarc.authgate.test 'bank.test IN TXT "v=DMARC1"' \
	'big.test IN TXT "v=DMARC1"'
dns_start

# msg FROMDOMAIN - a plain message from that domain
msg() {
	printf 'From: Someone <someone@%s>\nTo: b@authgate.test\nSubject: report test\n\nhello\n' "$1" >"$T/$1.eml"
}
for d in bank.test nope.test big.test news.authgate.test; do msg "$d"; done

# send INSTANCE IP DOMAIN COUNT - COUNT messages, all answered
send() {
	local out
	out=$("$MT" -t 30 -s "$(ag_socket "$1")" -a "$2" -H "mail.$3" \
		-f "<someone@$3>" -r '<b@authgate.test>' -c "$4" "$T/$3.eml" 2>&1)
	[ "$(printf '%s\n' "$out" | grep -c '^result=')" = "$4" ]
}

ag_start lite "DMARCEnforce no" "ReportOrgName Authgate Test" \
	"ReportEmail dmarc-reports@authgate.test"
CONF="$T/lite.conf"
DB="$T/run/lite.state/history.sqlite"
check "3 passing messages from 192.0.2.10 (bank.test)" send lite 192.0.2.10 bank.test 3
check "2 failing messages from 198.51.100.66 (bank.test)" send lite 198.51.100.66 bank.test 2
check "1 message from nope.test" send lite 192.0.2.10 nope.test 1
check "1 message from big.test" send lite 192.0.2.10 big.test 1
check "4 messages from news.authgate.test" send lite 192.0.2.11 news.authgate.test 4
for _ in $(seq 50); do
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM messages' 2>/dev/null)" = 11 ] && break
	sleep 0.2
done
assert_eq "history: 11 rows" "$(sqlite3 "$DB" 'SELECT count(*) FROM messages')" 11
assert_eq "history: rua= kept with the row" \
	"$(sqlite3 "$DB" "SELECT DISTINCT rua FROM messages WHERE policy_domain = 'big.test'")" \
	"mailto:dmarc-big@authgate.test!300"

# ---------------------------------------------------------- dry run
mkdir -p "$T/dry"
"$REP" -c "$CONF" send --period today --dry-run "$T/dry" >"$T/dry.out" 2>&1
DRY_RC=$?
cat "$T/dry.out"
assert_eq "dry run: exit 0 (skips are not failures)" "$DRY_RC" 0
assert_match "dry run: bank.test written for its authorized external address" \
	"$(cat "$T/dry.out")" 'bank\.test: dmarc-bank@authgate\.test: written .*2 records, 5 messages'
assert_match "dry run: news.authgate.test written (same organization, no check)" \
	"$(cat "$T/dry.out")" 'news\.authgate\.test: dmarc-news@authgate\.test: written .*1 records, 4 messages'
assert_match "dry run: nope.test skipped, its destination does not authorize it" \
	"$(cat "$T/dry.out")" 'nope\.test: dmarc-nope@authgate\.test: skipped: another organizational domain that does not publish nope\.test\._report\._dmarc\.authgate\.test'
assert_match "dry run: big.test skipped over its !size limit" \
	"$(cat "$T/dry.out")" 'big\.test: dmarc-big@authgate\.test: skipped: report is [0-9]+ bytes, the address takes at most 300'
BANK_XML=$(ls "$T"/dry/*'!bank.test!'*.xml 2>/dev/null | head -1)
check "dry run: bank.test XML written" test -f "$BANK_XML"
check "dry run: the XML validates against the RFC 7489 schema" \
	xmllint --noout --schema "$XSD" "$BANK_XML"
for x in "$T"/dry/*.xml; do
	check "dry run: $(basename "$x") validates" xmllint --noout --schema "$XSD" "$x"
done
assert_eq "dry run: bank.test report counts 5 messages" \
	"$(xmllint --xpath 'sum(//record/row/count)' "$BANK_XML")" 5
assert_eq "dry run: 3 from 192.0.2.10" \
	"$(xmllint --xpath 'sum(//record[row/source_ip="192.0.2.10"]/row/count)' "$BANK_XML")" 3
assert_eq "dry run: their DMARC passes (SPF aligned)" \
	"$(xmllint --xpath 'string(//record[row/source_ip="192.0.2.10"]/row/policy_evaluated/spf)' "$BANK_XML")" pass
assert_eq "dry run: 2 from 198.51.100.66 fail SPF" \
	"$(xmllint --xpath 'string(//record[row/source_ip="198.51.100.66"]/auth_results/spf/result)' "$BANK_XML")" fail
assert_eq "dry run: policy published p=reject" \
	"$(xmllint --xpath 'string(//policy_published/p)' "$BANK_XML")" reject
assert_eq "dry run: org name from ReportOrgName" \
	"$(xmllint --xpath 'string(//report_metadata/org_name)' "$BANK_XML")" "Authgate Test"
EML=$(ls "$T"/dry/*'!bank.test!'*.eml | head -1)
assert_match "dry run: RFC 7489 subject" "$(grep -m1 '^Subject:' "$EML")" \
	'^Subject: Report Domain: bank\.test Submitter: [^ ]+ Report-ID: <[^>]+>$'
assert_match "dry run: gzip attachment" "$(cat "$EML")" 'Content-Type: application/gzip; name="[^"]*!bank\.test![0-9]+![0-9]+![0-9]+\.xml\.gz"'
assert_eq "dry run as root: the store's files still belong to authgate" \
	"$(find "$T/run/lite.state" -user root | wc -l)" 0
assert_eq "dry run: rows not marked" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM messages WHERE reported IS NOT NULL')" 0
"$REP" -c "$CONF" send --period today --dry-run "$T/dry" >/dev/null 2>&1
check "dry run: in DMARCbis form it validates against RFC 9990's schema" \
	bash -c "sed -i 's/^ReportFormat.*//' '$CONF'; echo 'ReportFormat dmarcbis' >>'$CONF'; \
	mkdir -p '$T/drybis' && '$REP' -c '$CONF' send --period today --dry-run '$T/drybis' >/dev/null && \
	xmllint --noout --schema '$XSD_BIS' '$T'/drybis/*'!bank.test!'*.xml; rc=\$?; \
	sed -i 's/^ReportFormat.*//' '$CONF'; exit \$rc"

# ------------------------------------------------ ingest our own report
"$REP" -s "$T/own.sqlite" ingest "$BANK_XML" >"$T/ingest.out" 2>&1
assert_match "ingest of our own report: stored" "$(cat "$T/ingest.out")" \
	'stored: Authgate Test report .* for bank\.test, 2 record\(s\), 5 message\(s\)'
assert_eq "ingest: 5 messages in the store" \
	"$(sqlite3 "$T/own.sqlite" 'SELECT sum(count) FROM feedback_records')" 5
"$REP" -s "$T/own.sqlite" summary --no-dns --csv >"$T/sum.csv" 2>&1
cat "$T/sum.csv"
assert_eq "summary: 192.0.2.10 sent 3, DMARC pass 100%" \
	"$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["source_ip"] == "192.0.2.10": print(r["messages"], r["dmarc_pass_pct"])' "$T/sum.csv")" "3 100.0"
assert_eq "summary: 198.51.100.66 sent 2, DMARC pass 0%, blocked at p=reject" \
	"$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["source_ip"] == "198.51.100.66": print(r["messages"], r["dmarc_pass_pct"], r["at_p_reject"], r["verdict"])' "$T/sum.csv")" "2 0.0 2 would be blocked"

# ------------------------------------------- for real: SMTP to Postfix
pf_start ""
ag_reload lite "DMARCEnforce no" "ReportOrgName Authgate Test" \
	"ReportEmail dmarc-reports@authgate.test" "ReportSMTP 127.0.0.1:$PF_PORT"
"$REP" -c "$CONF" send --period today >"$T/send.out" 2>&1
SEND_RC=$?
cat "$T/send.out"
assert_eq "send: exit 0" "$SEND_RC" 0
assert_match "send: bank.test sent over SMTP" "$(cat "$T/send.out")" \
	'bank\.test: dmarc-bank@authgate\.test: sent '
assert_delivered "send: the report reached dmarc-bank@authgate.test" dmarc-bank
assert_header "send: delivered with the RFC 7489 subject" "$MAIL_FILE" Subject \
	'^Report Domain: bank\.test Submitter: '
python3 - "$MAIL_FILE" "$T/delivered.xml" <<'PYEOF'
import email, gzip, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for part in m.walk():
    if part.get_content_type() == "application/gzip":
        open(sys.argv[2], "wb").write(gzip.decompress(part.get_payload(decode=True)))
PYEOF
check "send: the delivered attachment gunzips to a valid report" \
	xmllint --noout --schema "$XSD" "$T/delivered.xml"
assert_delivered "send: news.authgate.test report delivered" dmarc-news
assert_no_mail "send: nothing for nope.test" dmarc-nope 2
assert_no_mail "send: nothing for big.test" dmarc-big 1
assert_eq "send: sent and skipped rows marked reported (11)" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM messages WHERE reported IS NOT NULL')" 11
"$REP" -c "$CONF" send --period today >"$T/send2.out" 2>&1
assert_match "second run: nothing sent twice" "$(tail -1 "$T/send2.out")" \
	'^0 report\(s\), 0 sent'
assert_eq "second run: still one report at dmarc-bank" "$(mail_count dmarc-bank)" 1

# ------------------------------------------ through the sendmail binary
cat >"$T/sendmail" <<EOF
#!/bin/sh
exec /usr/sbin/sendmail -C "$PF_CONF" "\$@"
EOF
chmod 755 "$T/sendmail"
check "2 more failing messages (bank.test)" send lite 198.51.100.66 bank.test 2
sleep 0.5
ag_reload lite "DMARCEnforce no" "ReportOrgName Authgate Test" \
	"ReportEmail dmarc-reports@authgate.test" "ReportSendmail $T/sendmail"
"$REP" -c "$CONF" send --period today >"$T/send3.out" 2>&1
cat "$T/send3.out"
assert_match "sendmail: only the new rows reported (1 record, 2 messages)" \
	"$(cat "$T/send3.out")" 'bank\.test: dmarc-bank@authgate\.test: sent .*1 records, 2 messages'
for _ in $(seq 50); do [ "$(mail_count dmarc-bank)" = 2 ] && break; sleep 0.2; done
assert_eq "sendmail: the second report was delivered" "$(mail_count dmarc-bank)" 2

# ---------------------------------------------------------- PostgreSQL
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || it_die "PostgreSQL server not installed (postgresql)"
PGDIR="$T/pg"
mkdir -p "$PGDIR"
chown postgres "$PGDIR"
free_port || it_die "no free port for PostgreSQL"
PGPORT=$FREE_PORT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres \
	>"$T/initdb.log" 2>&1 || it_die "initdb failed: $(tail -5 "$T/initdb.log")"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
	-o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1" start \
	>"$T/pgstart.log" 2>&1 || it_die "PostgreSQL did not start: $(tail -5 "$PGDIR/log")"
pg_stop() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate \
		stop >/dev/null 2>&1
}
trap 'pg_stop; it_cleanup' EXIT
PSQL=(runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -XAtq)
"${PSQL[@]}" -c 'CREATE DATABASE authgate' || it_die "createdb failed"
URI="postgresql://postgres@127.0.0.1:$PGPORT/authgate"
ag_start pg "DMARCEnforce no" "HistoryDB $URI"
check "postgresql: 3 messages from 192.0.2.10 (bank.test)" send pg 192.0.2.10 bank.test 3
for _ in $(seq 50); do
	[ "$("${PSQL[@]}" -d authgate -c 'SELECT count(*) FROM messages')" = 3 ] && break
	sleep 0.2
done
mkdir -p "$T/drypg"
"$REP" -c "$T/pg.conf" send --period today --dry-run "$T/drypg" >"$T/pg.out" 2>&1
cat "$T/pg.out"
assert_match "postgresql: report built from the PostgreSQL history" \
	"$(cat "$T/pg.out")" 'bank\.test: dmarc-bank@authgate\.test: written .*1 records, 3 messages'
"$REP" -s "$URI" ingest "$T"/drypg/*.xml >"$T/pgi.out" 2>&1
assert_eq "postgresql: our report ingested into PostgreSQL" \
	"$("${PSQL[@]}" -d authgate -c 'SELECT sum(count) FROM feedback_records')" 3
"$REP" -s "$URI" ingest "$T"/drypg/*.xml >"$T/pgi2.out" 2>&1
assert_match "postgresql: a second ingest is a duplicate" "$(cat "$T/pgi2.out")" 'already stored'
assert_eq "postgresql: no rows added by the duplicate" \
	"$("${PSQL[@]}" -d authgate -c 'SELECT count(*) FROM feedback_reports')" 1
it_finish
