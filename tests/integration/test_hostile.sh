#!/bin/bash
# test_hostile.sh - hostile input: broken, oversized and deceptive mail and
# a misbehaving MTA, thrown at authgate through the milter protocol
# (tests/tools/mtclient) and, for a few of the worst, through Postfix.
#
# For every case: a defined verdict (accept, reject, tempfail, discard),
# the daemon still alive, every step back within its timeout, and never a
# false pass: where a message cannot legitimately pass (unsigned, a broken
# or tampered signature, an author domain whose SPF we fail), our
# Authentication-Results carries no dkim=pass and no dmarc=pass.
#   A  the shared corpora: testsuites/malformed-mail/*.eml and each message
#      of testsuites/mime-torture/*.mbox (a missing directory is a failure)
#   B  generated messages: huge and many headers, NUL, bare CR/LF, 8-bit
#      and invalid UTF-8, encoded-word abuse, From tricks (comments,
#      groups, quoted pairs, an address in the display name, two From),
#      duplicated DKIM-Signature/ARC headers, every DKIM tag malformed in
#      turn, forged Authentication-Results, an over-long DKIM key record;
#      an attacker passing SPF for its own domain while hiding bank.test in
#      a second or odd From (S-*: no dmarc=pass), and an authenticated
#      user hiding bank.test in From to get bank.test's DKIM key (O-*:
#      not signed); rules read every decoded text and rewrite the Subject
#   C  the protocol: the MTA hanging up mid-header and mid-body, abort
#      after the headers and then a new message, 200 messages on one
#      connection, a 100 MB body (streamed; authgate's VmHWM stays under
#      128 MB on non-sanitizer builds; the figure is printed)
#   D  a handful of the worst through a private Postfix: each delivered,
#      rejected or tempfailed as expected, nothing left in the queue
#   E  authgate still alive, no crash or internal-error lines in its log;
#      "# hostile cases tried: N" at the end
# DNS: the harness's nsd with three zones made here: hostile.test (SPF
# 192.0.2.0/24 -all, DMARC p=reject, a DKIM key, a 9 KB key record, a
# broken and a revoked key), bank.test (the same SPF and DMARC, no key)
# and attacker.test (SPF 198.51.100.0/24, DMARC p=none).
# Instances: main (rules, DKIMMaxSignatures 5), enforce (DMARCEnforce,
# behind Postfix), sign (signs for bank.test), big (the 100 MB body).
. "$(dirname "$0")/lib.sh"
it_init hostile

MT="${AG_BUILD:-$ROOT/${B:-build}}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
SHARED="$ROOT/../shared/testsuites"
GOOD_IP=192.0.2.10		# allowed by hostile.test and bank.test
BAD_IP=198.51.100.66		# allowed by attacker.test only
ID_RE='mx\.authgate\.test'
HC=0				# hostile cases tried
ASAN=0
ldd "$AUTHGATE" 2>/dev/null | grep -q libasan && ASAN=1

# ---- DNS
dkim_keygen "$T/sel1.key" rsa 2048
dns_add_zone hostile.test
dns_add_rr hostile.test \
	'@       IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc  IN TXT "v=DMARC1; p=reject"' \
	"sel1._domainkey IN TXT $(dns_txt "$(dkim_txt_record "$T/sel1.key")")" \
	"big._domainkey IN TXT $(dns_txt "v=DKIM1; k=rsa; n=$(head -c 9000 /dev/zero | tr '\0' n); p=$(dkim_txt_record "$T/sel1.key" | sed 's/.*p=//')")" \
	'junk._domainkey IN TXT "v=DKIM1; k=rsa; p=!!!notbase64!!!"' \
	'empty._domainkey IN TXT "v=DKIM1; p="'
dns_add_zone bank.test
dns_add_rr bank.test \
	'@       IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc  IN TXT "v=DMARC1; p=reject"'
dns_add_zone attacker.test
dns_add_rr attacker.test \
	'@       IN TXT "v=spf1 ip4:198.51.100.0/24 -all"' \
	'_dmarc  IN TXT "v=DMARC1; p=none"'
dns_start

# rules that read every decoded text (Subject, display name, headers,
# body, MIME parts), and a tag that rewrites the Subject, so hostile
# headers go through the RFC 2047 decoder, the MIME scanner and the
# header edits too
cat >"$T/hostile.rules" <<'EOF'
threshold tag 1
tag {
    header "X-Hostile-Score" "${score}"
    subject-prefix "[H] "
}
rule subj { if subject contains "hostile" score 1 }
rule uname { if from.name contains "@" score 1 }
rule xmany { if header "X-Many" contains "9999" score 1 }
rule xcount { if header.count "X-Many" > 100 score 1 }
rule xraw { if header.raw "X-Big" contains "aaaa" score 1 }
rule bodytext { if body contains "lottery" score 1 }
rule parts { if mime.type contains "html" or attachment.name contains ".exe" score 1 }
EOF
chmod 644 "$T/hostile.rules"
ag_start main "DKIMMaxSignatures 5" "Rules $T/hostile.rules"
ag_start enforce "DMARCEnforce yes"
# signs for bank.test, for authenticated senders
ag_start sign "Domain bank.test" "Selector sel1" "KeyFile $T/sel1.key"

mkdir -p "$T/in" "$T/out"
printf 'From: alice@hostile.test\nTo: bob@authgate.test\nSubject: probe\n\nprobe\n' >"$T/in/proto-probe.eml"

# ---- helpers

# mt NAME FILE ARGS... - mtclient against main on FILE, edited message to
# $T/out/NAME.eml -> $MT_OUT, $MT_RC; bounded by timeout(1) as well
mt() {
	local name=$1 file=$2
	shift 2
	rm -f "$T/out/$name.eml"
	MT_OUT=$(timeout 120 "$MT" -t 30 -s "$(ag_milter main)" \
		-m "i=$name" -o "$T/out/$name.eml" "$@" "$file" 2>&1)
	MT_RC=$?
	printf '%s\n' "$MT_OUT" >"$T/out/$name.mt"
}

mt_result() {
	printf '%s\n' "$MT_OUT" | grep '^result=' | tail -1
}

# ours FILE - our Authentication-Results values in an edited message
ours() {
	[ -f "$1" ] && ar_ours "$1"
}

# verdict_ok NAME - exactly one defined verdict line, mtclient done, alive
verdict_ok() {
	local name=$1 r
	r=$(mt_result)
	if [ "$MT_RC" -ne 0 ]; then
		not_ok "$name: verdict" "mtclient status $MT_RC: $(it_short "$(printf '%s\n' "$MT_OUT" | tail -3)")"
	elif ! printf '%s\n' "$r" | grep -Eq '^result=(accept|continue|reject|tempfail|discard)( |$)'; then
		not_ok "$name: verdict" "no defined verdict: '$(it_short "$r")'"
	else
		ok "$name: verdict ${r%% code=*}"
	fi
	if ag_alive main; then ok "$name: alive"; else it_die "$name: authgate died"; fi
}

# no_false_pass NAME - our A-R (when the message went through) says
# neither dkim=pass nor dmarc=pass
no_false_pass() {
	local name=$1 ar
	case "$(mt_result)" in
	result=accept* | result=continue*) ;;
	*) return 0 ;;
	esac
	ar=$(ours "$T/out/$name.eml")
	if [ -z "$ar" ]; then
		not_ok "$name: our A-R" "none added"
		return
	fi
	assert_no_match "$name: no false pass" "$ar" 'dkim=pass|dmarc=pass'
	ar_clean "$name"
}

# ar_clean NAME - our A-R in the edited message: printable ASCII and tabs
# only, no line over 998 octets (the header can be neither split nor
# smuggled)
ar_clean() {
	local bad
	bad=$(awk '/^Authentication-Results: mx\.authgate\.test;/ { p = 1; print; next }
		p && /^[ \t]/ { print; next } { p = 0 }' "$T/out/$1.eml" |
		LC_ALL=C awk 'length($0) > 998 || /[^\t -~]/ { n++ } END { print n + 0 }')
	assert_eq "$1: A-R printable, lines <= 998" "$bad" 0
}

# hcase NAME FILE [MTCLIENT-ARGS...] - one hostile message from BAD_IP with
# MAIL FROM at hostile.test: verdict, alive, no false pass
hcase() {
	local name=$1 file=$2
	shift 2
	HC=$((HC + 1))
	mt "$name" "$file" -a "$BAD_IP" -H mail.attacker.test \
		-f "<x@hostile.test>" -r "<bob@authgate.test>" "$@"
	verdict_ok "$name"
	no_false_pass "$name"
}

# mkmsg NAME [HEADER...] - From hostile.test unless a From is given; the
# body from $BODY (default one line) -> $T/in/NAME.eml
mkmsg() {
	local name=$1 h from=0
	shift
	for h in "$@"; do
		case "${h,,}" in from:*) from=1 ;; esac
	done
	{
		[ "$from" = 0 ] && printf 'From: Alice <alice@hostile.test>\n'
		for h in "$@"; do printf '%s\n' "$h"; done
		printf 'To: bob@authgate.test\n'
		printf 'Subject: hostile %s\n' "$name"
		printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s@hostile.test>\n' "$name"
		printf '\n'
		printf '%s\n' "${BODY:-Body of $name.}"
	} >"$T/in/$name.eml"
}

# ---- A: the shared corpora
[ -d "$SHARED" ] || it_die "shared test suites missing: $SHARED"
[ -d "$SHARED/malformed-mail" ] || it_die "missing $SHARED/malformed-mail"
[ -d "$SHARED/mime-torture" ] || it_die "missing $SHARED/mime-torture"
n=0
for f in "$SHARED"/malformed-mail/*.eml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	hcase "A-$(basename "$f" .eml)" "$f"
done
[ "$n" -gt 0 ] || not_ok "A: malformed-mail" "no .eml files in $SHARED/malformed-mail"
mkdir -p "$T/mbox"
m=0
for f in "$SHARED"/mime-torture/*.mbox; do
	[ -f "$f" ] || continue
	awk -v d="$T/mbox" -v b="$(basename "$f" .mbox)" '
		/^From / { n++; f = sprintf("%s/%s-%03d.eml", d, b, n); next }
		n { print > f }' "$f"
done
for f in "$T"/mbox/*.eml; do
	[ -f "$f" ] || continue
	m=$((m + 1))
	hcase "A-$(basename "$f" .eml)" "$f"
done
[ "$m" -gt 0 ] || not_ok "A: mime-torture" "no messages split from $SHARED/mime-torture/*.mbox"
echo "# A: $n malformed-mail messages, $m mime-torture messages"

# ---- B: generated messages
# sizes and counts
# one 1 MB header, plain, folded and above From. Postfix (3.7, part D)
# hands a milter at most 60000 bytes of one header, and mtclient -l cuts
# the same way; uncut, the packet is over libmilter's 64 KB command limit
# and libmilter hangs up (the MTA then applies milter_default_action):
# that must cost nothing but the connection
{ printf 'From: alice@hostile.test\nSubject: one big header\nX-Big: '
  head -c 1048576 /dev/zero | tr '\0' a; printf '\n\nbody\n'; } >"$T/in/big1m.eml"
hcase B-big-header-1m "$T/in/big1m.eml" -l 60000
{ printf 'From: alice@hostile.test\nSubject: one big folded header\nX-Big: x\n'
  seq -f ' %063.0f' 16384; printf '\nbody\n'; } >"$T/in/big1mf.eml"
hcase B-big-header-1m-folded "$T/in/big1mf.eml" -l 60000
{ printf 'X-Big: '; head -c 1048576 /dev/zero | tr '\0' a
  printf '\nFrom: alice@hostile.test\nSubject: big header before From\n\nbody\n'; } >"$T/in/big1mtop.eml"
hcase B-big-header-1m-before-from "$T/in/big1mtop.eml" -l 60000
for f in big1m big1mf; do
	HC=$((HC + 1))
	mt "B-$f-uncut" "$T/in/$f.eml" -a "$BAD_IP" -f "<x@hostile.test>"
	assert_match "B-$f-uncut: libmilter refuses the 1 MB packet" \
		"$MT_RC:$(printf '%s\n' "$MT_OUT" | tail -1)" \
		'^2:mtclient: .*(Connection reset|Broken pipe|closed)'
	check "B-$f-uncut: alive" ag_alive main
	mt "B-$f-uncut-after" "$T/in/proto-probe.eml" -a "$GOOD_IP" -f "<alice@hostile.test>"
	assert_match "B-$f-uncut: next connection answered" "$(mt_result)" '^result=accept'
done
{ printf 'From: alice@hostile.test\nSubject: 60k header, uncut\nX-Big: '
  head -c 60000 /dev/zero | tr '\0' a; printf '\n\nbody\n'; } >"$T/in/big60k.eml"
hcase B-big-header-60k "$T/in/big60k.eml"
{ printf 'From: alice@hostile.test\nSubject: many headers\n'
  seq 10000 | sed 's/^/X-Many: /'; printf '\nbody\n'; } >"$T/in/many.eml"
hcase B-10000-headers "$T/in/many.eml"
{ printf 'From: alice@hostile.test\nSubject: many From-like headers\n'
  seq 3000 | sed 's/.*/Resent-From: r&@bank.test\nSender: s&@bank.test/'
  printf '\nbody\n'; } >"$T/in/manyres.eml"
hcase B-6000-resent-headers "$T/in/manyres.eml"
# NUL bytes, bare CR and LF
printf 'From: alice@hostile.test\nSubject: nul \0here\nX-Nul: \0\0\0\n\nbody\n' >"$T/in/nulhdr.eml"
hcase B-nul-in-header "$T/in/nulhdr.eml" -N
printf 'From: alice@bank.test\0@hostile.test\nSubject: nul in from\n\nbody\n' >"$T/in/nulfrom.eml"
hcase B-nul-in-from "$T/in/nulfrom.eml" -N
printf 'From: alice@hostile.test\nSubject: nul body\n\na\0b\0\0c\n\0\n\0' >"$T/in/nulbody.eml"
hcase B-nul-in-body "$T/in/nulbody.eml"
printf 'From: alice@hostile.test\r\nSubject: a\rb\r\nX-A: b\r\rc\n\r\nline1\rline2\n\r\nline3\r\r\n\r\r\r\nend\r' >"$T/in/crlf.eml"
hcase B-bare-cr-lf-mix "$T/in/crlf.eml"
printf 'From: alice@hostile.test\rX-Hidden: 1\r\nSubject: cr inside\r\n\r\nbody\n' >"$T/in/crhide.eml"
hcase B-bare-cr-hides-header "$T/in/crhide.eml"
# 8-bit and invalid UTF-8
mkmsg utf8 $'From: "J\xc3\xb6rg \xff\xfe\xc0\xaf" <alice@hostile.test>' \
	$'X-Subj: \xed\xa0\x80 \xf4\x90\x80\x80 \xc3'
hcase B-8bit-invalid-utf8-from "$T/in/utf8.eml"
mkmsg utf8addr $'From: <\xc3\xa4lice@h\xc3\xb6stile.test>'
hcase B-8bit-address "$T/in/utf8addr.eml"
mkmsg utf8dom $'From: <alice@hostile.test\xff>'
hcase B-invalid-utf8-domain "$T/in/utf8dom.eml"
printf 'From: alice@hostile.test\nSubject: hostile \xff\xfe\xc3 \xed\xa0\x80 =?utf-8?B?/w==?=\n\nbody\n' >"$T/in/subj8.eml"
hcase B-invalid-utf8-subject "$T/in/subj8.eml"
# an encoded word that decodes to CR LF and a header: the rewritten
# Subject ([H] prefix) must not grow a new header line
printf 'From: alice@hostile.test\nSubject: hostile =?utf-8?Q?a=0D=0AX-Injected:_1=0D=0A=0D=0Abody?= =?utf-8?B?DQpYLUluamVjdGVkOiAyDQo=?=\n\nbody\n' >"$T/in/subjinj.eml"
hcase B-ew-crlf-injection "$T/in/subjinj.eml"
assert_eq "B-ew-crlf-injection: no injected header" \
	"$(grep -ac '^X-Injected' "$T/out/B-ew-crlf-injection.eml")" 0
# encoded words
ew=$(for i in $(seq 600); do printf '=?utf-8?B?w7Y=?= '; done)
mkmsg ew-many "X-Words: $ew" "Subject: $ew"
hcase B-ew-600-words "$T/in/ew-many.eml"
mkmsg ew-many-from "From: $ew <alice@hostile.test>"
hcase B-ew-600-words-from "$T/in/ew-many-from.eml"
mkmsg ew-broken 'X-Broken: =?utf-8?B?!!!!?= =?x-unknown?Q?abc?= =?utf-8?Q?=ZZ=?= =?utf-8?b? =?=?=?==?? =?utf-8?B?w7?= =?*?B??='
hcase B-ew-broken "$T/in/ew-broken.eml"
mkmsg ew-from-name 'From: =?utf-8?B?Y2VvQGJhbmsudGVzdA==?= <alice@hostile.test>'
hcase B-ew-address-in-name "$T/in/ew-from-name.eml"
mkmsg ew-from-addr 'From: =?utf-8?Q?ceo=40bank.test?='
hcase B-ew-encoded-address "$T/in/ew-from-addr.eml"
mkmsg ew-from-local 'From: <=?utf-8?Q?ceo?=@bank.test>'
hcase B-ew-in-local-part "$T/in/ew-from-local.eml"
mkmsg ew-from-brk 'From: =?utf-8?B?PGNlb0BiYW5rLnRlc3Q+?= =?utf-8?Q?=3C?= alice@hostile.test'
hcase B-ew-angle-in-word "$T/in/ew-from-brk.eml"
# From: comments, groups, quoted pairs, display names
mkmsg from-comments 'From: alice(a(b(c)d)e)@(x(y))hostile.test(z (ceo@bank.test))'
hcase B-from-nested-comments "$T/in/from-comments.eml"
mkmsg from-deep "From: $(head -c 5000 /dev/zero | tr '\0' '(')ceo@bank.test <alice@hostile.test>"
hcase B-from-5000-open-comments "$T/in/from-deep.eml"
mkmsg from-deep2 "From: $(head -c 3000 /dev/zero | tr '\0' '(')x$(head -c 3000 /dev/zero | tr '\0' ')') <alice@hostile.test>"
hcase B-from-3000-nested-comments "$T/in/from-deep2.eml"
mkmsg from-unbal 'From: (alice@bank.test <alice@hostile.test>'
hcase B-from-unbalanced-comment "$T/in/from-unbal.eml"
mkmsg from-group-empty 'From: Undisclosed recipients:;'
hcase B-from-empty-group "$T/in/from-group-empty.eml"
mkmsg from-group 'From: team: ceo@bank.test, evil@attacker.test;'
hcase B-from-group "$T/in/from-group.eml"
mkmsg from-group2 'From: g: ; ceo@bank.test'
hcase B-from-group-then-address "$T/in/from-group2.eml"
mkmsg from-qp1 'From: "ceo\"@bank.test" <evil@attacker.test>'
hcase B-from-quoted-pair-quote "$T/in/from-qp1.eml"
mkmsg from-qp2 'From: "a\\" <ceo@bank.test> "@attacker.test'
hcase B-from-quoted-pair-backslash "$T/in/from-qp2.eml"
mkmsg from-qp3 'From: ceo\@bank.test@attacker.test'
hcase B-from-escaped-at "$T/in/from-qp3.eml"
mkmsg from-qp4 'From: "ceo@bank.test\" <alice@hostile.test>'
hcase B-from-unterminated-quote "$T/in/from-qp4.eml"
mkmsg from-qlocal 'From: "Someone <x@bank.test>"@attacker.test'
hcase B-from-quoted-local-with-address "$T/in/from-qlocal.eml"
mkmsg from-unq 'From: ceo@bank.test <evil@attacker.test>'
hcase B-from-unquoted-name-with-at "$T/in/from-unq.eml"
mkmsg from-two 'From: alice@hostile.test' 'From: ceo@bank.test'
hcase B-two-from-headers "$T/in/from-two.eml"
mkmsg from-multi 'From: alice@hostile.test, ceo@bank.test'
hcase B-from-two-addresses "$T/in/from-multi.eml"
mkmsg from-many "From: $(seq 1000 | sed 's/.*/u&@bank.test/' | paste -sd, -)"
hcase B-from-1000-addresses "$T/in/from-many.eml"
mkmsg from-empty 'From:'
hcase B-from-empty "$T/in/from-empty.eml"
printf 'To: bob@authgate.test\nSubject: no from\n\nbody\n' >"$T/in/from-none.eml"
hcase B-from-missing "$T/in/from-none.eml"
mkmsg from-angles 'From: <<<alice@hostile.test>>> <ceo@bank.test'
hcase B-from-angle-soup "$T/in/from-angles.eml"
mkmsg from-route 'From: <@bank.test,@attacker.test:alice@hostile.test>'
hcase B-from-source-route "$T/in/from-route.eml"
mkmsg from-ipdom 'From: alice@[192.0.2.10]'
hcase B-from-address-literal "$T/in/from-ipdom.eml"
mkmsg from-dots 'From: alice@hostile.test.' 
hcase B-from-trailing-dot "$T/in/from-dots.eml"
mkmsg from-longdom "From: alice@$(head -c 300 /dev/zero | tr '\0' a).$(head -c 70 /dev/zero | tr '\0' b).test"
hcase B-from-overlong-domain "$T/in/from-longdom.eml"

# the address in the display name: DMARC is about the real address's
# domain (attacker.test, whose SPF this client passes), never bank.test
HC=$((HC + 1))
mkmsg disp 'From: "ceo@bank.test" <evil@attacker.test>'
mt B-display-name-address "$T/in/disp.eml" -a "$BAD_IP" \
	-H mail.attacker.test -f "<evil@attacker.test>" -r "<bob@authgate.test>"
verdict_ok B-display-name-address
ar=$(ours "$T/out/B-display-name-address.eml")
assert_match "B-display-name-address: DMARC for the real domain" "$ar" \
	'dmarc=[a-z]+ .*header\.from=attacker\.test'
assert_no_match "B-display-name-address: bank.test never the author domain" \
	"$ar" 'header\.from=[^ ;]*bank\.test'

# the attacker passes SPF for its own domain (MAIL FROM attacker.test from
# BAD_IP) and hides bank.test in a second or odd From: DMARC must not pass
# unless the one author is attacker.test
scase() {
	local name=$1 ar
	shift
	HC=$((HC + 1))
	mkmsg "$name" "$@"
	mt "$name" "$T/in/$name.eml" -a "$BAD_IP" -H mail.attacker.test \
		-f "<evil@attacker.test>" -r "<bob@authgate.test>"
	verdict_ok "$name"
	case "$(mt_result)" in result=accept* | result=continue*) ;; *) return ;; esac
	ar=$(ours "$T/out/$name.eml")
	assert_no_match "$name: no dmarc=pass beside a bank.test From" "$ar" 'dmarc=pass'
}
scase S-two-from-case 'From: evil@attacker.test' 'fROM: ceo@bank.test'
scase S-two-from-case2 'FROM: ceo@bank.test' 'From: evil@attacker.test'
scase S-two-from-nospace 'From:ceo@bank.test' 'From: evil@attacker.test'
scase S-two-from-ws-colon 'From : ceo@bank.test' 'From: evil@attacker.test'
scase S-two-from-tab-colon $'From\t: ceo@bank.test' 'From: evil@attacker.test'
scase S-empty-and-real-from 'From:' 'From: ceo@bank.test'
scase S-from-folded-list $'From: evil@attacker.test,\n ceo@bank.test'
scase S-from-list-group 'From: evil@attacker.test, team: ceo@bank.test;'
scase S-from-angle-after-addr 'From: evil@attacker.test <ceo@bank.test>'
scase S-from-two-angles 'From: <evil@attacker.test> <ceo@bank.test>'
scase S-from-addr-then-angle 'From: <ceo@bank.test> evil@attacker.test'
scase S-from-bank-only 'From: ceo@bank.test'

# an authenticated user of another domain must not get bank.test's
# signature by hiding ceo@bank.test in the From field
ocase() {
	local name=$1 want=$2 line
	shift 2
	HC=$((HC + 1))
	mkmsg "$name" "$@"
	MT_OUT=$(timeout 60 "$MT" -t 30 -s "$(ag_milter sign)" -m "i=$name" \
		-m 'mail:{auth_authen}=mallory' -m 'mail:{auth_type}=PLAIN' \
		-f "<mallory@attacker.test>" "$T/in/$name.eml" 2>&1)
	MT_RC=$?
	verdict_ok "$name"
	line=$(ag_log sign | grep -a ": $name: ip=" | tail -1)
	if [ "$want" = signed ]; then
		assert_match "$name: signed d=bank.test" "$line" ' signed=[1-9]'
	else
		assert_no_match "$name: not signed for bank.test" \
			"$(printf '%s\n' "$MT_OUT" | grep 'name=DKIM-Signature')" 'd=bank\.test'
	fi
}
ocase O-control-bank-author signed 'From: ceo@bank.test'
ocase O-quoted-local-hides-bank no 'From: "Someone <ceo@bank.test>"@attacker.test'
ocase O-second-angle-bank no 'From: <mallory@attacker.test> <ceo@bank.test>'
ocase O-two-addresses no 'From: mallory@attacker.test, ceo@bank.test'
ocase O-group-with-bank no 'From: team: mallory@attacker.test, ceo@bank.test;'
ocase O-comment-bank no 'From: mallory@attacker.test (<ceo@bank.test>)'
ocase O-name-bank no 'From: "<ceo@bank.test>" <mallory@attacker.test>'

# forged Authentication-Results with our authserv-id: removed, never trusted
forged="dkim=pass header.d=hostile.test; dmarc=pass header.from=hostile.test"
mkmsg ar1 "Authentication-Results: mx.authgate.test; $forged"
hcase B-forged-ar "$T/in/ar1.eml"
mkmsg ar2 "Authentication-Results: (hi) MX.AUTHGATE.TEST 1; $forged" \
	"Authentication-Results: mx.authgate.test;$(printf '\n\t')$forged"
hcase B-forged-ar-comment-case-folded "$T/in/ar2.eml"
mkmsg ar3 "Authentication-Results: mx.authgate.test; $(for i in $(seq 40); do printf 'dkim=pass header.d=d%s.test; ' "$i"; done)dmarc=pass"
hcase B-forged-ar-40-results "$T/in/ar3.eml"
mkmsg ar4 "Authentication-Results: mx.authgate.test; dkim=pass reason=\"$(head -c 6000 /dev/zero | tr '\0' x)\"; $forged"
hcase B-forged-ar-6kb "$T/in/ar4.eml"
mkmsg ar5 "Authentication-Results: mx.authgate.test; dkim=pass (((((unbalanced; dmarc=pass \"open"
hcase B-forged-ar-broken "$T/in/ar5.eml"
assert_eq "B-forged-ar: exactly one A-R of ours left" \
	"$(ar_count "$T/out/B-forged-ar.eml")" 1
assert_eq "B-forged-ar-comment-case-folded: exactly one A-R of ours left" \
	"$(ar_count "$T/out/B-forged-ar-comment-case-folded.eml")" 1

# ---- B: DKIM-Signature and ARC headers
# a good signature first: proves the verifier works, so "no pass" below
# means something
mkmsg base
dkim_sign_py "$T/sel1.key" sel1 hostile.test <"$T/in/base.eml" >"$T/in/signed.eml"
mt B-signed-good-control "$T/in/signed.eml" -a "$GOOD_IP" \
	-H mail.example.test -f "<alice@hostile.test>" -r "<bob@authgate.test>"
verdict_ok B-signed-good-control
assert_match "B-signed-good-control: dkim=pass and dmarc=pass" \
	"$(ours "$T/out/B-signed-good-control.eml" | tr '\n' ' ')" \
	'dkim=pass.*dmarc=pass'

# dkmut.py SIGNED OUTDIR - every tag of the signature missing, empty,
# garbage and huge in turn (a tag the signer did not write: added empty,
# garbage and huge), plus targeted values; one file per variant
cat >"$T/dkmut.py" <<'EOF2'
import sys, os
src, out = sys.argv[1], sys.argv[2]
msg = open(src, 'rb').read().replace(b'\r\n', b'\n')
head, body = msg.split(b'\n\n', 1)
lines = head.split(b'\n')
i = 1
while lines[i][:1] in (b' ', b'\t'):
    i += 1
sig = b''.join(l.strip() if n else l for n, l in enumerate(lines[:i]))
rest = b'\n'.join(lines[i:])
name, val = sig.split(b':', 1)
tags = [t.strip().split(b'=', 1) for t in val.split(b';') if t.strip()]
tags = [(k.strip().decode(), v) for k, v in tags]
have = [k for k, v in tags]
garbage = b'\xff\xfe!!<>,,..@@\x7f==%%\x01'
def huge(k):
    return b'9' * 40000 if k in ('l', 't', 'x') else b'A' * 50000
def write(label, newtags):
    v = b'; '.join(k.encode() + b'=' + x for k, x in newtags)
    open(os.path.join(out, 'dk-' + label + '.eml'), 'wb').write(
        b'DKIM-Signature: ' + v + b'\n' + rest + b'\n\n' + body)
def setv(k, x):
    t = [(a, b) for a, b in tags if a != k]
    t.insert(len(t) - 1, (k, x))        # before b=
    return t
for k in 'v a b bh c d h i l q s t x'.split():
    if k in have:
        write(k + '-missing', [(a, b) for a, b in tags if a != k])
    write(k + '-empty', setv(k, b''))
    write(k + '-garbage', setv(k, garbage))
    write(k + '-huge', setv(k, huge(k)))
extra = {
    'v-2': ('v', b'2'), 'a-sha1': ('a', b'rsa-sha1'),
    'a-ed25519': ('a', b'ed25519-sha256'), 'a-unknown': ('a', b'rsa-md5'),
    'c-bad': ('c', b'simple/relaxed/extra'), 'c-slash': ('c', b'/'),
    'd-other': ('d', b'bank.test'), 'd-parent': ('d', b'test'),
    'd-dots': ('d', b'..hostile..test.'), 'h-nofrom': ('h', b'to:subject'),
    'h-colons': ('h', b'::::from::::'), 'i-otherdom': ('i', b'@bank.test'),
    'i-noat': ('i', b'hostile.test'), 'l-zero': ('l', b'0'),
    'l-neg': ('l', b'-1'), 'l-2p64': ('l', b'18446744073709551616'),
    'l-hex': ('l', b'0x10'), 'q-other': ('q', b'dns/xyz'),
    's-big-key-record': ('s', b'big'), 's-junk-key': ('s', b'junk'),
    's-revoked-key': ('s', b'empty'), 's-absent': ('s', b'nothere'),
    's-path': ('s', b'../../x'), 't-future': ('t', b'9999999999'),
    't-neg': ('t', b'-5'), 'x-past': ('x', b'1000'),
    'x-before-t': ('x', b'1'), 'z-huge': ('z', b'From:' + b'a' * 40000),
    'z-garbage': ('z', b'|||:::' + garbage), 'bh-wrong': ('bh', b'AAAA'),
    'b-ws': ('b', b'A A A A \t A'),
}
for label, (k, x) in extra.items():
    write(label, setv(k, x))
write('dup-tags', tags + tags)
write('no-tags', [])
write('only-semicolons', [('', b';;;;')])
EOF2
mkdir -p "$T/dk"
python3 "$T/dkmut.py" "$T/in/signed.eml" "$T/dk" ||
	not_ok "B-dkim: variants" "dkmut.py failed"
ndk=0
for f in "$T"/dk/dk-*.eml; do
	ndk=$((ndk + 1))
	hcase "B-$(basename "$f" .eml)" "$f"
done
echo "# B: $ndk malformed DKIM-Signature variants"
# the good signature from the bad IP passes (aligned DKIM): a tampered
# body must not, with one copy or with many
sed 's/^Body of base\./Body of base, changed./' "$T/in/signed.eml" >"$T/in/tampered.eml"
hcase B-dkim-tampered-body "$T/in/tampered.eml"
sig=$(awk '/^DKIM-Signature:/ { p = 1; printf "%s", $0; next }
	p && /^[ \t]/ { printf "%s", $0; next } { exit }' "$T/in/signed.eml" | tr -d '\r')
{ printf '%s\n%s\n' "$sig" "$sig"; tr -d '\r' <"$T/in/tampered.eml"; } >"$T/in/dup2.eml"
hcase B-dkim-duplicated-signature "$T/in/dup2.eml"
{ for i in $(seq 60); do printf '%s\n' "$sig"; done; tr -d '\r' <"$T/in/tampered.eml"; } >"$T/in/dup60.eml"
hcase B-dkim-60-signatures "$T/in/dup60.eml"
# ARC: the known crash (ARC-Seal: i=1; cv), duplicates, absurd instances
ams="ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=hostile.test; s=sel1; h=from:to; bh=AAAA; b=AAAA"
aar="ARC-Authentication-Results: i=1; mx.authgate.test; dkim=pass header.d=hostile.test; dmarc=pass header.from=hostile.test"
mkmsg arc-cv 'ARC-Seal: i=1; cv'
hcase B-arc-seal-i1-cv "$T/in/arc-cv.eml"
mkmsg arc-dup "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=hostile.test; s=sel1; t=1; b=AAAA" \
	"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=hostile.test; s=sel1; t=1; b=AAAA" \
	"$ams" "$ams" "$aar" "$aar"
hcase B-arc-duplicated-set "$T/in/arc-dup.eml"
mkmsg arc-weird 'ARC-Seal: i=0; cv=pass' 'ARC-Seal: i=-1; cv=fail' \
	'ARC-Seal: i=99999999999999999999; cv=pass' 'ARC-Seal: ;;;;' \
	'ARC-Message-Signature:' "ARC-Authentication-Results: i=$(head -c 5000 /dev/zero | tr '\0' 9)"
hcase B-arc-absurd-instances "$T/in/arc-weird.eml"
{ for i in $(seq 100); do
	printf 'ARC-Seal: i=%s; a=rsa-sha256; cv=pass; d=hostile.test; s=sel1; b=AAAA\n' "$i"
	printf '%s\n' "${ams/i=1/i=$i}" "${aar/i=1/i=$i}"
  done; tr -d '\r' <"$T/in/base.eml"; } >"$T/in/arc100.eml"
hcase B-arc-100-sets "$T/in/arc100.eml"

# ---- C: the milter protocol misused
BODY=$(seq 200 | sed 's/^/body line /')
mkmsg proto
unset BODY
probe() {	# a normal message still gets its verdict
	mt "$1-after" "$T/in/base.eml" -a "$GOOD_IP" -f "<alice@hostile.test>"
	assert_match "$1: next connection answered" "$(mt_result)" '^result=accept'
}
for k in drop:header:1 drop:header:4 drop:eoh drop:body:1; do
	HC=$((HC + 1))
	mt "C-$k" "$T/in/proto.eml" -a "$BAD_IP" -k "$k"
	assert_match "C-$k: mtclient hung up" "$MT_RC:$(mt_result)" '^0:result=dropped'
	probe "C-$k"
done
HC=$((HC + 1))
mt C-drop-mid-1m-body "$T/in/proto.eml" -a "$BAD_IP" -B 1M -k drop:body:7
assert_match "C-drop-mid-1m-body: mtclient hung up" "$MT_RC:$(mt_result)" '^0:result=dropped'
probe C-drop-mid-1m-body
HC=$((HC + 1))
mt C-drop-mid-signed-body "$T/in/signed.eml" -a "$BAD_IP" -k drop:body:1
assert_match "C-drop-mid-signed-body: mtclient hung up" "$MT_RC:$(mt_result)" '^0:result=dropped'
for k in abort:header:2 abort:eoh abort:body:1; do
	HC=$((HC + 1))
	mt "C-$k-then-next" "$T/in/signed.eml" -a "$GOOD_IP" -H mail.example.test \
		-f "<alice@hostile.test>" -c 2 -k "$k"
	assert_eq "C-$k-then-next: aborted, then a verdict" \
		"$MT_RC:$(printf '%s\n' "$MT_OUT" | grep '^result=' | sed 's/ .*//' | paste -sd, -)" \
		"0:result=aborted,result=accept"
	# the second message is judged on its own, not mixed with the first
	assert_match "C-$k-then-next: second message passes on its own" \
		"$(ours "$T/out/C-$k-then-next.eml" | tr '\n' ' ')" 'dkim=pass.*dmarc=pass'
	assert_eq "C-$k-then-next: one A-R" "$(ar_count "$T/out/C-$k-then-next.eml")" 1
done
HC=$((HC + 1))
mt C-abort-mid-1m-body "$T/in/proto.eml" -a "$BAD_IP" -f "<x@hostile.test>" \
	-B 1M -k abort:body:3 -c 3
assert_eq "C-abort-mid-1m-body: aborted, then two verdicts" \
	"$MT_RC:$(printf '%s\n' "$MT_OUT" | grep '^result=' | sed 's/ .*//' | paste -sd, -)" \
	"0:result=aborted,result=accept,result=accept"
HC=$((HC + 1))
s0=$SECONDS
mt C-200-messages "$T/in/proto.eml" -a "$BAD_IP" -f "<x@hostile.test>" -c 200
assert_eq "C-200-messages: 200 verdicts on one connection" \
	"$MT_RC:$(printf '%s\n' "$MT_OUT" | grep -c '^result=accept')" "0:200"
assert_eq "C-200-messages: 200 log lines" \
	"$(ag_log main | grep -ac ': C-200-messages: ip=')" 200
echo "# C: 200 messages on one connection in $((SECONDS - s0)) s"
check "C: authgate alive after the protocol cases" ag_alive main

# 100 MB body, streamed, on an instance of its own (VmHWM is the peak of
# the process's whole life)
ag_start big
HC=$((HC + 1))
hwm0=$(awk '/^VmHWM/ { print $2 }' "/proc/$(ag_pid big)/status")
s0=$SECONDS
MT_OUT=$(timeout 300 "$MT" -t 60 -s "$(ag_milter big)" -m i=C-100mb \
	-a "$BAD_IP" -f "<x@hostile.test>" -B 100M "$T/in/signed.eml" 2>&1)
MT_RC=$?
secs=$((SECONDS - s0))
assert_match "C-100mb-body: defined verdict" "$MT_RC:$(mt_result)" \
	'^0:result=(accept|reject|tempfail)'
check "C-100mb-body: alive" ag_alive big
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$(ag_pid big)/status")
echo "# C: 100 MB body in ${secs} s; authgate VmHWM ${hwm0} kB before, ${hwm} kB after"
if [ "$ASAN" = 1 ]; then
	echo "# C: sanitizer build: VmHWM limit not applied"
elif [ "${hwm:-999999999}" -lt $((128 * 1024)) ]; then
	ok "C-100mb-body: VmHWM ${hwm} kB < 128 MB"
else
	not_ok "C-100mb-body: VmHWM" "${hwm:-?} kB, want < 131072 kB"
fi
assert_match "C-100mb-body: the signature over the other body fails" \
	"$(ag_log big | grep -a ': C-100mb: ip=')" 'dkim=(fail|permerror|neutral)'

# ---- D: the worst through Postfix, instance "enforce" (DMARCEnforce)
pf_start "$(ag_milter enforce)"
# dsend NAME FILE MAILFROM IP - one message through Postfix
dsend() {
	HC=$((HC + 1))
	send_mail "$PF_PORT" --xclient-addr "$4" --xclient-helo mail.attacker.test \
		--from "$3" --to "$1@authgate.test" --data "@$2"
}
dsend d-forged "$T/in/base.eml" x@hostile.test "$BAD_IP"
assert_reply "D-forged-p-reject-from: rejected" 550
dsend d-twofrom "$T/in/from-two.eml" x@hostile.test "$BAD_IP"
assert_reply "D-two-from: rejected" 550
dsend d-dkbroken "$T/dk/dk-b-garbage.eml" x@hostile.test "$BAD_IP"
assert_reply "D-broken-dkim-b: rejected" 550
dsend d-good "$T/in/signed.eml" x@hostile.test "$BAD_IP"
assert_delivered "D-good-signature: delivered" d-good
assert_header "D-good-signature: dkim=pass dmarc=pass" "$MAIL_FILE" \
	Authentication-Results "^$ID_RE;.*dkim=pass.*dmarc=pass"
cp "$T/in/disp.eml" "$T/in/d-disp.eml"
dsend d-disp "$T/in/d-disp.eml" evil@attacker.test "$BAD_IP"
assert_delivered "D-display-name-address: delivered" d-disp
assert_header "D-display-name-address: DMARC for attacker.test" "$MAIL_FILE" \
	Authentication-Results "^$ID_RE;.*header\.from=attacker\.test"
sed 's/alice@hostile.test/evil@attacker.test/' "$T/in/many.eml" >"$T/in/d-many.eml"
dsend d-many "$T/in/d-many.eml" evil@attacker.test "$BAD_IP"
assert_delivered "D-10000-headers: delivered" d-many 60
sed 's/alice@hostile.test/evil@attacker.test/' "$T/in/big1m.eml" >"$T/in/d-big.eml"
dsend d-big "$T/in/d-big.eml" evil@attacker.test "$BAD_IP"
assert_delivered "D-1m-header: delivered" d-big 30
sed 's/alice@hostile.test/evil@attacker.test/' "$T/in/crlf.eml" >"$T/in/d-crlf.eml"
dsend d-crlf "$T/in/d-crlf.eml" evil@attacker.test "$BAD_IP"
assert_delivered "D-bare-cr-lf: delivered" d-crlf
dsend d-arc "$T/in/arc-cv.eml" x@hostile.test "$BAD_IP"
assert_reply "D-arc-seal-i1-cv: rejected (forged p=reject From)" 550
sleep 1
left=$(pf_queue | grep -c .)
assert_eq "D: nothing left in Postfix's queues" "$left" 0
[ "$left" = 0 ] || pf_queue | head -5 | sed 's/^/# /'

# ---- E: the end
check "E: authgate main alive" ag_alive main
check "E: authgate enforce alive" ag_alive enforce
check "E: authgate big alive" ag_alive big
check "E: authgate sign alive" ag_alive sign
# stopped here, so a sanitizer build's exit report (LeakSanitizer) is
# in the logs read below
pf_stop
for n in main enforce big sign; do
	ag_stop "$n"
	bad=$(ag_log "$n" | grep -aiE 'internal error|assert|sanitizer|runtime error|segv|crash|abort\(|leak' | head -3)
	assert_eq "E: $n log has no crash, leak or internal-error lines" "$(it_short "$bad")" ""
	assert_match "E: $n stopped cleanly" "$(ag_log "$n" | tail -1)" 'notice: stopped'
done
echo "# hostile cases tried: $HC"

it_finish
