#!/bin/bash
# test_arc_postfix.sh - ARC (RFC 8617) through a real Postfix and nsd:
# verification, the trusted-forwarder DMARC override and its history
# reason, and sealing checked by dkimpy's arc_verify
#
# Zones made at run time (dns_add_zone):
#   bank.test   p=reject; SPF allows 192.0.2.0/24 only; a DKIM key
#   list.test   a mailing list: its ARC key (selector arc); trusted
#   evil.test   another sealer: its ARC key (selector arc); not trusted
#   seal.test   our own sealing key (selector s1)
# The forwarded messages are made with dkimpy (python3-dkim): bank.test
# signs, the list records its own Authentication-Results, rewrites the
# subject and adds a footer (which breaks bank.test's signature), then
# seals with dkim.arc_sign (a second list, when there is one, records
# arc=pass and seals i=2). They arrive from 198.51.100.66, outside
# bank.test's SPF, so DMARC fails for all of them. Only the newest sealer
# has to be trusted: a chain list.test -> evil.test is not, evil.test ->
# list.test is.
# authgate instances, each behind its own smtpd listener:
#   main    DMARCEnforce yes, ARCTrustedSealers list.test, sealing as
#           seal.test
#   plain   DMARCEnforce yes, no trusted sealers, no sealing
#   mark    DMARCEnforce no (results only), ARCTrustedSealers list.test
#   tagger  seals, and its rules tag every message with a subject prefix
. "$(dirname "$0")/lib.sh"
it_init arc_postfix
it_require openssl sqlite3 xmllint
"$DKIM_PY" -c 'import dkim, authres' 2>/dev/null ||
	it_die "$DKIM_PY lacks dkimpy with authres (python3-dkim)"
REP="${AG_BUILD:-$ROOT/${B:-build}}/authgate-report"
[ -x "$REP" ] || it_die "authgate-report not built at $REP (make)"

GOOD_IP=192.0.2.10	# bank.test's own
FWD_IP=198.51.100.66	# the list's: not in bank.test's SPF
K="$T/keys"
mkdir -p "$K"
chmod 755 "$K"
for k in bank list evil seal; do
	dkim_keygen "$K/$k.key" rsa 2048
done

for z in bank.test list.test evil.test seal.test; do
	dns_add_zone "$z"
done
dns_add_rr bank.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:d@bank.test"'
dkim_publish bank.test bank "$(dkim_txt_record "$K/bank.key")"
dkim_publish list.test arc "$(dkim_txt_record "$K/list.key")"
dkim_publish evil.test arc "$(dkim_txt_record "$K/evil.key")"
dkim_publish seal.test s1 "$(dkim_txt_record "$K/seal.key")"
dns_start

free_port || it_die "no free port for the metrics"
MPORT=$FREE_PORT
ag_start main "DMARCEnforce yes" "ARCTrustedSealers list.test" \
	"MetricsListen 127.0.0.1:$MPORT" \
	"ARCSealDomain seal.test" "ARCSealSelector s1" \
	"ARCSealKey $K/seal.key" "ReportOrgName Authgate Test" \
	"ReportEmail dmarc-reports@authgate.test"
ag_start plain "DMARCEnforce yes"
ag_start mark "DMARCEnforce no" "ARCTrustedSealers list.test"
printf '%s\n' 'tag { subject-prefix "[T] " }' 'rule all { tag }' >"$T/tag.rules"
chmod 644 "$T/tag.rules"
ag_start tagger "ARCSealDomain seal.test" "ARCSealSelector s1" \
	"ARCSealKey $K/seal.key" "Rules $T/tag.rules"
pf_add_smtpd plain "$(ag_milter plain)"
pf_add_smtpd mark "$(ag_milter mark)"
pf_add_smtpd tagger "$(ag_milter tagger)"
pf_start "$(ag_milter main)"
P_MAIN=$PF_PORT
P_PLAIN=${PF_PORTS[plain]}
P_MARK=${PF_PORTS[mark]}
P_TAG=${PF_PORTS[tagger]}

# msg LOCALPART - bank.test's original message on stdout
msg() {
	printf 'From: Bank <ceo@bank.test>\n'
	printf 'To: members@list.test\n'
	printf 'Subject: quarterly figures %s\n' "$1"
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <%s.%s@bank.test>\n' "$1" "$$"
	printf '\n'
	printf 'Figures for %s.\n' "$1"
}

# forward KEY DOMAIN < SIGNED > SEALED - what a mailing list at DOMAIN
# does: record its view (everything passed when bank.test handed the
# message to it), rewrite the subject, add a footer, seal with KEY
# (selector arc) through dkimpy's arc_sign
forward() {
	"$DKIM_PY" -c '
import sys, dkim
key, dom = sys.argv[1], sys.argv[2].encode()
srv = b"mx." + dom
msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
head, body = msg.split(b"\r\n\r\n", 1)
head = head.replace(b"Subject: ", b"Subject: [members] ", 1)
# a hop after the first finds a chain: RFC 8617 5.1 has it record the
# validation of the chain (arc=pass) in its results, sealed as cv=
arc_res = b"; arc=pass" if b"\nARC-Seal:" in b"\n" + head else b""
ar = (b"Authentication-Results: " + srv + b"; spf=pass"
      b" smtp.mailfrom=ceo@bank.test smtp.remote-ip=" + sys.argv[3].encode() +
      b"; dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test" +
      arc_res + b"\r\n")
msg = ar + head + b"\r\n\r\n" + body + b"--\r\nmembers mailing list\r\n"
arc = dkim.arc_sign(msg, b"arc", dom, open(key, "rb").read(), srv)
if len(arc) != 3:
    sys.exit("arc_sign made no set")
sys.stdout.buffer.write(b"".join(arc) + msg)
' "$@"
}

# arc_verify_py FILE - dkimpy validates the chain of a delivered message
# against the test nsd: "CV i=N" (N the highest instance) and a reason
arc_verify_py() {
	"$DKIM_PY" -c '
import sys, re, dkim
import dns.resolver
res = dns.resolver.Resolver(configure=False)
res.nameservers = ["127.0.0.1"]
res.port = int(sys.argv[2])
def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    try:
        a = res.resolve(name, "TXT", lifetime=3, tcp=True)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return b"".join(a[0].strings)
msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
cv, results, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
top = max((r["instance"] for r in results), default=0)
print("%s i=%d %s" % (cv.decode(), top, why))
' "$1" "$DNS_PORT"
}

# send PORT LOCALPART FILE - from the list's address, as the list would
send() {
	send_mail "$1" --xclient-addr "$FWD_IP" --xclient-helo mx.list.test \
		--from "members-bounces@list.test" --to "$2@authgate.test" \
		--data "@$3"
}

# ours FILE - our A-R on one line
ours() {
	ar_ours "$1" | tr '\n\t' '  '
}

# ---- 0. the forged message really fails DMARC without ARC: the same
# forwarded message, through the instance that trusts nobody
msg a0 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/list.key" list.test "$GOOD_IP" >"$T/a0.eml" ||
	it_die "dkimpy could not seal a0"
send "$P_PLAIN" a0 "$T/a0.eml"
assert_reply "no trusted sealer (plain): p=reject failure rejected, 550" 550
assert_no_mail "no trusted sealer (plain): not delivered" a0 2

# ---- (a) trusted sealer: delivered, dmarc=fail and arc=pass recorded
msg a1 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/list.key" list.test "$GOOD_IP" >"$T/a1.eml" ||
	it_die "dkimpy could not seal a1"
send "$P_MAIN" a1 "$T/a1.eml"
assert_delivered "trusted sealer list.test: delivered despite p=reject" a1
A=$(ours "$MAIL_FILE")
assert_match "trusted sealer: dkim=fail for bank.test (the list broke it)" \
	"$A" 'dkim=fail .*header\.d=bank\.test'
assert_match "trusted sealer: dmarc=fail, p=reject" "$A" \
	'dmarc=fail \(p=reject sp=reject dis=reject\) header\.from=bank\.test'
assert_match "trusted sealer: arc=pass header.oldest-pass=0 smtp.remote-ip of the list" \
	"$A" 'arc=pass \([^)]*\) header\.oldest-pass=0 smtp\.remote-ip=198\.51\.100\.66'
assert_match "trusted sealer: the comment names hop i=1, d=list.test and the IP its AAR recorded" \
	"$A" 'arc=pass \(i=1 d=list\.test ip=192\.0\.2\.10\)'
assert_match "trusted sealer: the log line says arc=pass:list.test/trusted" \
	"$(ag_log main)" 'arc=pass:list\.test/trusted .*verdict=accept'
DB="$T/run/main.state/history.sqlite"
ROW=""
for _ in $(seq 50); do
	ROW=$(sqlite3 -separator '|' "$DB" "SELECT result, disposition, reasons FROM messages WHERE reasons LIKE 'trusted_forwarder%'" 2>/dev/null)
	[ -n "$ROW" ] && break
	sleep 0.2
done
assert_eq "trusted sealer: history row fail|none|trusted_forwarder ARC i=1 sealed by list.test" \
	"$ROW" "fail|none|trusted_forwarder ARC i=1 sealed by list.test"

# ---- (b) an untrusted sealer: handled per DMARC (p=reject)
msg b1 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/evil.key" evil.test "$GOOD_IP" >"$T/b1.eml" ||
	it_die "dkimpy could not seal b1"
send "$P_MAIN" b1 "$T/b1.eml"
assert_reply "untrusted sealer evil.test: 550" 550
assert_match "untrusted sealer: rejected by the DMARC rule" "$(ag_log main)" \
	'arc=pass:evil\.test .*verdict=reject reason=DMARCEnforce\.reject'
assert_no_mail "untrusted sealer: not delivered" b1 2

# ---- which sealer counts: the newest (the hop that handed us the mail)
# evil.test sealed first, then the trusted list: delivered, override
msg a2 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/evil.key" evil.test "$GOOD_IP" |
	forward "$K/list.key" list.test 198.51.100.9 >"$T/a2.eml" ||
	it_die "dkimpy could not seal a2"
send "$P_MAIN" a2 "$T/a2.eml"
assert_delivered "untrusted i=1, trusted newest i=2: delivered" a2
assert_match "untrusted i=1, trusted newest i=2: arc=pass, both hops listed" \
	"$(ours "$MAIL_FILE")" \
	'arc=pass \(i=2 d=list\.test ip=198\.51\.100\.9, i=1 d=evil\.test ip=192\.0\.2\.10\)'
# the trusted list sealed first, then evil.test: handled per DMARC
msg b2 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/list.key" list.test "$GOOD_IP" |
	forward "$K/evil.key" evil.test 198.51.100.9 >"$T/b2.eml" ||
	it_die "dkimpy could not seal b2"
send "$P_MAIN" b2 "$T/b2.eml"
assert_reply "trusted i=1, untrusted newest i=2: 550" 550
assert_match "trusted i=1, untrusted newest i=2: a valid chain, not trusted" \
	"$(ag_log main)" 'arc=pass:evil\.test .*verdict=reject reason=DMARCEnforce\.reject'
assert_no_mail "trusted i=1, untrusted newest i=2: not delivered" b2 2

# ---- (c) a broken chain: the body changed after the list sealed it
msg c1 | dkim_sign_py "$K/bank.key" bank bank.test |
	forward "$K/list.key" list.test "$GOOD_IP" |
	sed 's/^Figures for c1\./Pay account 666./' >"$T/c1.eml"
send "$P_MAIN" c1 "$T/c1.eml"
assert_reply "broken chain from a trusted sealer: 550 per DMARC" 550
assert_match "broken chain: logged arc=fail and rejected by DMARCEnforce" \
	"$(ag_log main)" 'arc=fail:list\.test .*verdict=reject reason=DMARCEnforce\.reject'
assert_no_mail "broken chain: not delivered" c1 2
# the same broken chain through the mark-only instance: arc=fail in the A-R
sed 's/^Message-ID: <c1/Message-ID: <c2/' "$T/c1.eml" >"$T/c2.eml"
send "$P_MARK" c2 "$T/c2.eml"
assert_delivered "broken chain, DMARCEnforce no: delivered" c2
A=$(ours "$MAIL_FILE")
assert_match "broken chain: arc=fail in our A-R" "$A" 'arc=fail '
assert_no_match "broken chain: no header.oldest-pass on a fail" "$A" \
	'header\.oldest-pass'
assert_match "broken chain: dmarc=fail dis=reject recorded" "$A" \
	'dmarc=fail \(p=reject sp=reject dis=reject\)'

# ---- (d) sealing: message (a) got a new set, i=2, valid for dkimpy
mail_wait a1 || true
A1=$MAIL_FILE
V=$(arc_verify_py "$A1")
assert_match "sealed: dkimpy arc_verify says pass" "$V" '^pass '
assert_match "sealed: the newest instance is i=2" "$V" '^pass i=2 '
AS=$(mail_header "$A1" ARC-Seal | head -1)
assert_eq "sealed: the top ARC-Seal is ours, i=2 cv=pass d=seal.test s=s1" \
	"$(dkim_sig_tag "$AS" i) $(dkim_sig_tag "$AS" cv) $(dkim_sig_tag "$AS" d) $(dkim_sig_tag "$AS" s)" \
	"2 pass seal.test s1"
assert_header "sealed: our AAR carries our results (i=2, our authserv-id, arc=pass)" \
	"$A1" ARC-Authentication-Results \
	'^i=2; mx\.authgate\.test;.*dmarc=fail.*arc=pass'
N=$(mail_header_names "$A1" | grep -nE '^(ARC-Seal|ARC-Message-Signature|ARC-Authentication-Results|Authentication-Results)$' |
	head -4 | cut -d: -f2 | tr '\n' ' ')
assert_eq "sealed: the new set on top, in RFC 8617 order, above our A-R" \
	"$N" "ARC-Seal ARC-Message-Signature ARC-Authentication-Results Authentication-Results "
assert_match "sealed: logged arc_sealed=i=2" "$(ag_log main)" 'arc_sealed=i=2'
# a message without a chain gets i=1, cv=none, also valid for dkimpy
msg d2 | dkim_sign_py "$K/bank.key" bank bank.test >"$T/d2.eml"
send_mail "$P_MAIN" --xclient-addr "$GOOD_IP" --xclient-helo mx.bank.test \
	--from ceo@bank.test --to d2@authgate.test --data "@$T/d2.eml"
assert_delivered "unsealed message from bank.test: delivered" d2
assert_match "unsealed message: arc=none in our A-R" "$(ours "$MAIL_FILE")" \
	'arc=none'
assert_match "unsealed message: our new set i=1 validates with dkimpy" \
	"$(arc_verify_py "$MAIL_FILE")" '^pass i=1 '
AS=$(mail_header "$MAIL_FILE" ARC-Seal | head -1)
assert_eq "unsealed message: our ARC-Seal is i=1 cv=none" \
	"$(dkim_sig_tag "$AS" i) $(dkim_sig_tag "$AS" cv)" "1 none"
# outbound mail (an internal client) is not sealed
msg d3 >"$T/d3.eml"
send_mail "$P_MAIN" --from ceo@bank.test --to d3@authgate.test \
	--data "@$T/d3.eml"
assert_delivered "internal client: delivered" d3
assert_no_header "internal client: no ARC set added" "$MAIL_FILE" ARC-Seal '.'

# the rules change the Subject, which the AMS signs: no set, and why
msg d4 | dkim_sign_py "$K/bank.key" bank bank.test >"$T/d4.eml"
send_mail "$P_TAG" --xclient-addr "$GOOD_IP" --xclient-helo mx.bank.test \
	--from ceo@bank.test --to d4@authgate.test --data "@$T/d4.eml"
assert_delivered "subject-prefix tag: delivered" d4
assert_header "subject-prefix tag: the Subject was changed" "$MAIL_FILE" \
	Subject '^\[T\] quarterly'
assert_no_header "subject-prefix tag: no ARC set (it could not validate)" \
	"$MAIL_FILE" ARC-Seal '.'
assert_match "subject-prefix tag: the log says why" "$(ag_log tagger)" \
	'arc_sealed=no\(the rules change Subject, which the AMS signs\)'
# a sealing key others can read is refused at start, naming the file
cp "$K/seal.key" "$K/open.key"
chmod 644 "$K/open.key"
if ag_try_start unsafe "ARCSealDomain seal.test" "ARCSealSelector s1" \
	"ARCSealKey $K/open.key"; then
	not_ok "ARCSealKey readable by others: refused" "it started"
	ag_stop unsafe
else
	ok "ARCSealKey readable by others: refused"
fi
assert_match "ARCSealKey readable by others: file:line and the file named" \
	"$(ag_log unsafe)" "unsafe\.conf:[0-9]+: ARCSealKey: .*open\.key"

# ---- the metrics of main: a1 a2 b1 b2 passed, c1 failed, d2 had no
# chain (d3 came from an internal client: not validated); a1 a2 d2 sealed
metric() {
	python3 - "$MPORT" "$1" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for line in data.decode("utf-8", "replace").splitlines():
    f = line.split()
    if len(f) == 2 and f[0] == sys.argv[2]:
        print(f[1])
        break
else:
    print("missing")
PYEOF
}
assert_eq "metrics: arc pass 4, fail 1, none 1, sealed 3" \
	"$(metric 'authgate_arc_results_total{result="pass"}') $(metric 'authgate_arc_results_total{result="fail"}') $(metric 'authgate_arc_results_total{result="none"}') $(metric authgate_arc_sealed_total)" \
	"4 1 1 3"

# ---- the aggregate report says trusted_forwarder
ag_stop main	# flushes the history writer
mkdir -p "$T/dry"
"$REP" -c "$T/main.conf" send --period today --dry-run "$T/dry" \
	>"$T/dry.out" 2>&1
XML=$(ls "$T"/dry/*'!bank.test!'*.xml 2>/dev/null | head -1)
check "report: bank.test aggregate report written" test -f "$XML"
assert_eq "report: the override row has reason type trusted_forwarder" \
	"$(xmllint --xpath 'string(//record[row/policy_evaluated/reason/type="trusted_forwarder"]/row/policy_evaluated/reason/type)' "$XML" 2>/dev/null)" \
	trusted_forwarder
assert_match "report: its comment names the sealer" \
	"$(xmllint --xpath 'string(//record/row/policy_evaluated/reason[type="trusted_forwarder"]/comment)' "$XML" 2>/dev/null)" \
	'sealed by list\.test'
assert_eq "report: that row's disposition is none" \
	"$(xmllint --xpath 'string(//record[row/policy_evaluated/reason/type="trusted_forwarder"]/row/policy_evaluated/disposition)' "$XML" 2>/dev/null)" \
	none
check "report: validates against the RFC 7489 schema" \
	xmllint --noout --schema "$ROOT/tests/schema/rfc7489-appendix-c.xsd" "$XML"

for n in plain mark tagger; do
	check "authgate $n still running" ag_alive "$n"
done
it_finish
