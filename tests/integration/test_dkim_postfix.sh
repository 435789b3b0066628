#!/bin/bash
# test_dkim_postfix.sh - DKIM signing and verifying through a real Postfix
#
# Keys are made at run time and published in zones nsd serves from $T
# (dns_add_zone): signer.test is ours (authgate signs for it), remote.test
# is a stranger's (dkimpy and Mail::DKIM sign for it, authgate verifies).
# Submissions authenticate with SMTP AUTH against a private Dovecot.
#
# authgate instances, each behind its own smtpd listener:
#   main    single-domain form: Domain signer.test, Selector rsa1, KeyFile;
#           InternalHosts 127.0.0.1/32 and 203.0.113.128/25
#             listener "main" (plain SMTP) and "sub" (SMTP AUTH required)
#   dual    KeyTable + refile: SigningTable, MultipleSignatures yes: an RSA
#           (rsa2) and an Ed25519 (ed1) key for signer.test
#             listener "dual" (SMTP AUTH required)
#   bh      its nameserver is the blackhole: every key lookup times out
#             listener "bh"
#   perm*   key file permission checks (-n and real starts)
# Client addresses: 198.51.100.77 is external, 203.0.113.200 internal.
. "$(dirname "$0")/lib.sh"
it_init dkim_postfix
it_require openssl perl dknewkey dovecot doveconf
"$DKIM_PY" -c 'import dkim, dns.resolver, nacl' 2>/dev/null ||
	it_die "$DKIM_PY lacks dkimpy, dnspython or PyNaCl (python3-dkim)"
perl -MMail::DKIM::Verifier -MNet::DNS -e1 2>/dev/null ||
	it_die "perl lacks Mail::DKIM (libmail-dkim-perl)"

EXT_IP=198.51.100.77
INTERNAL_IP=203.0.113.200
SIGN_DOM=signer.test
REMOTE_DOM=remote.test
SUB_USER=sub@signer.test
SUB_PASS=authgate-it-pw
K="$T/keys"
mkdir -p "$K"

# ---- keys and zones
# ours: made by "authgate keygen" where the binary has it, else openssl
dkim_keygen "$K/rsa1.pem" rsa 2048
dkim_keygen "$K/rsa2.pem" rsa 2048
dkim_keygen "$K/ed1.pem" ed25519
# the stranger's: dkimpy's own key maker (Ed25519 keys in its raw format)
(cd "$K" && dknewkey pyrsa && dknewkey --ktype ed25519 pyed) \
	>"$K/dknewkey.out" 2>&1 || it_die "dknewkey failed: $(cat "$K/dknewkey.out")"
cp "$K/rsa2.pem" "$K/perlrsa.pem"	# Mail::DKIM reads it as root

dns_add_zone "$SIGN_DOM"
dkim_publish "$SIGN_DOM" rsa1 "$(dkim_txt_record "$K/rsa1.pem")"
dkim_publish "$SIGN_DOM" rsa2 "$(dkim_txt_record "$K/rsa2.pem")"
dns_add_zone "$REMOTE_DOM"
dkim_publish "$REMOTE_DOM" pyrsa "$(cat "$K/pyrsa.dns")"
dkim_publish "$REMOTE_DOM" perl "$(dkim_txt_record "$K/perlrsa.pem")"
dns_start
# published while nsd runs (nsd-control reload): the Ed25519 keys
dkim_publish "$SIGN_DOM" ed1 "$(dkim_txt_record "$K/ed1.pem")"
dkim_publish "$REMOTE_DOM" pyed "$(cat "$K/pyed.dns")"
blackhole_start

cat >"$K/KeyTable" <<EOF
# keyname   domain:selector:keyfile (OpenDKIM's format)
rsa2        $SIGN_DOM:rsa2:$K/rsa2.pem
ed1         $SIGN_DOM:ed1:$K/ed1.pem
EOF
cat >"$K/SigningTable" <<EOF
# refile: patterns, every match used (MultipleSignatures yes)
*@$SIGN_DOM   rsa2
*@$SIGN_DOM   ed1
EOF
chmod 644 "$K/KeyTable" "$K/SigningTable"

ag_start main "Domain $SIGN_DOM" "Selector rsa1" "KeyFile $K/rsa1.pem" \
	"InternalHosts 127.0.0.1/32, 203.0.113.128/25"
ag_start dual "KeyTable file:$K/KeyTable" \
	"SigningTable refile:$K/SigningTable" "MultipleSignatures yes"
ag_start bh "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 1s" \
	"DNSRetries 0"
sasl_start "$SUB_USER" "$SUB_PASS"
pf_add_submission sub "$(ag_milter main)"
pf_add_submission dual "$(ag_milter dual)"
pf_add_smtpd bh "$(ag_milter bh)"
pf_start "$(ag_milter main)"
P_MAIN=$PF_PORT
P_SUB=${PF_PORTS[sub]}
P_DUAL=${PF_PORTS[dual]}
P_BH=${PF_PORTS[bh]}
AUTH=(--auth PLAIN --auth-user "$SUB_USER" --auth-password "$SUB_PASS")

# ---- helpers

# sigs FILE - the DKIM-Signature values, top to bottom
sigs() {
	mail_header "$1" DKIM-Signature
}

# nsigs FILE - how many DKIM-Signature fields
nsigs() {
	sigs "$1" | grep -c .
}

# sig_by FILE TAG VALUE - the first signature whose TAG is VALUE
sig_by() {
	local v
	while IFS= read -r v; do
		[ "$(dkim_sig_tag "$v" "$2")" = "$3" ] && {
			printf '%s\n' "$v"
			return 0
		}
	done < <(sigs "$1")
	return 1
}

# dkim_clauses FILE - the dkim= clauses of our A-R, one a line
dkim_clauses() {
	ar_ours "$1" | tr ';' '\n' | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' |
		grep -E '^dkim='
}

# ar_prop CLAUSE PROP - a property value of one clause, quotes removed
ar_prop() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1 |
		sed -E 's/^"(.*)"$/\1/'
}

# check_clause NAME FILE RESULT SELECTOR - our A-R has exactly one dkim=
# clause for header.s=SELECTOR, with RESULT, header.d=remote.test and a
# header.b that is a prefix (8 or more characters) of that signature's b=
check_clause() {
	local name=$1 f=$2 want=$3 sel=$4 c n b sigb sig raw
	if [ -z "$f" ] || [ ! -f "$f" ]; then
		not_ok "$name" "no message"
		return
	fi
	c=$(dkim_clauses "$f" | grep -E "(^| )header\.s=\"?$sel\"?( |$)")
	n=$(printf '%s' "$c" | grep -c .)
	if [ "$n" -ne 1 ]; then
		not_ok "$name" "$n dkim= clauses with header.s=$sel in our A-R: $(it_short "$(ar_ours "$f")")"
		return
	fi
	case "$c" in
	"dkim=$want "* | "dkim=$want") ;;
	*) not_ok "$name" "want dkim=$want: $(it_short "$c")"; return ;;
	esac
	if [ "$(ar_prop "$c" header.d)" != "$REMOTE_DOM" ]; then
		not_ok "$name" "header.d is not $REMOTE_DOM: $(it_short "$c")"
		return
	fi
	sig=$(sig_by "$f" s "$sel")
	sigb=$(dkim_sig_tag "$sig" b)
	b=$(ar_prop "$c" header.b)
	if [ ${#b} -lt 8 ] || [ "${sigb:0:${#b}}" != "$b" ]; then
		not_ok "$name" "header.b '$b' is not an 8+ character prefix of b=${sigb:0:20}...: $(it_short "$c")"
		return
	fi
	# RFC 8601 pvalue: a MIME token (no "/", "=" ...) or a quoted-string
	raw=$(printf '%s\n' "$c" | tr ' ' '\n' | sed -n 's/^header\.b=//p' | head -1)
	if ! printf '%s\n' "$raw" | grep -Eq '^("[^"\\]*"|[^]["()<>@,;:\\/?=[:space:]]+)$'; then
		not_ok "$name" "header.b=$raw is neither a token nor a quoted-string (RFC 8601 2.2, RFC 2045 5.1): $(it_short "$c")"
		return
	fi
	ok "$name"
}

# sign_slashed KEY SELECTOR < MESSAGE > SIGNED - dkimpy signs (rsa-sha256,
# relaxed/relaxed) with a signed X-Try header varied until the first 8
# characters of b= hold a "/", which an A-R must quote in header.b.
# X-Try must be in h=: RSA signatures are deterministic, so an unsigned
# header would leave b= the same on every try.
sign_slashed() {
	"$DKIM_PY" -c '
import sys, dkim
key = open(sys.argv[1], "rb").read()
msg = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
for i in range(400):
    m = b"X-Try: %d\r\n" % i + msg
    sig = dkim.sign(m, sys.argv[2].encode(), sys.argv[3].encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id", b"x-try"])
    b = b"".join(sig.split(b"b=")[-1].split())
    if b"/" in b[:8]:
        sys.stdout.buffer.write(sig + m)
        sys.exit(0)
sys.exit("no signature with a / in b= after 400 tries")
' "$@"
}

# verified NAME WHAT OUTPUT WANT - a verifier's output lines equal WANT
verified() {
	if [ "$3" = "$4" ]; then
		ok "$1"
	else
		not_ok "$1" "$2 said '$(it_short "$3")', want '$(it_short "$4")'"
	fi
}

# sig_lacks NAME SIG ERE - there is a signature, and it does not match ERE
sig_lacks() {
	if [ -z "$2" ]; then
		not_ok "$1" "no DKIM-Signature"
	else
		assert_no_match "$1" "$2" "$3"
	fi
}

# order_ok NAME FILE - our A-R above every DKIM-Signature
order_ok() {
	local names ar ds
	names=$(mail_header_names "$2")
	ar=$(printf '%s\n' "$names" | grep -nix 'Authentication-Results' | head -1 | cut -d: -f1)
	ds=$(printf '%s\n' "$names" | grep -nix 'DKIM-Signature' | head -1 | cut -d: -f1)
	if [ -n "$ar" ] && [ -n "$ds" ] && [ "$ar" -lt "$ds" ]; then
		ok "$1"
	else
		not_ok "$1" "A-R at line ${ar:-none}, first DKIM-Signature at ${ds:-none}: $(it_short "$(printf '%s\n' "$names" | head -8)")"
	fi
}

# log_for NAME QUEUEID - authgate NAME's log line for one message
log_for() {
	ag_log "$1" | grep -F "$2: " | tail -1
}

# qid - the queue id Postfix gave the last message sent
qid() {
	sed -nE 's/^<- +250 .*queued as ([0-9A-Za-z]+).*/\1/p' "$SEND_LOG" | tail -1
}

# ---- a. authenticated submission from an external address is signed
send_mail "$P_SUB" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	"${AUTH[@]}" --from "alice@$SIGN_DOM" --to a1@authgate.test
assert_reply "auth: AUTH PLAIN accepted (235)" 235
assert_delivered "auth: delivered" a1
A1=$MAIL_FILE
A1_QID=$(qid)
assert_match "auth: milter saw the SASL login (auth= in its log)" \
	"$(log_for main "$A1_QID")" "auth=$SUB_USER "
assert_eq "auth: one DKIM-Signature" "$(nsigs "$A1")" 1
SIG=$(sigs "$A1" | head -1)
assert_eq "auth: d=$SIGN_DOM s=rsa1 a=rsa-sha256" \
	"$(dkim_sig_tag "$SIG" d) $(dkim_sig_tag "$SIG" s) $(dkim_sig_tag "$SIG" a)" \
	"$SIGN_DOM rsa1 rsa-sha256"
assert_eq "auth: c=relaxed/relaxed by default" "$(dkim_sig_tag "$SIG" c)" \
	relaxed/relaxed
sig_lacks "auth: no l= tag" "$SIG" '(^|;)[[:space:]]*l[[:space:]]*='
H=$(dkim_sig_tag "$SIG" h | tr '[:upper:]' '[:lower:]')
assert_eq "auth: h= oversigns From (signed once more than it occurs)" \
	"$(printf '%s\n' "$H" | tr ':' '\n' | grep -cx from)" 2
verified "auth: dkimpy verifies the signature" dkimpy \
	"$(dkim_verify_py "$A1")" "pass d=$SIGN_DOM s=rsa1 a=rsa-sha256"
verified "auth: Mail::DKIM verifies the signature" Mail::DKIM \
	"$(dkim_verify_perl "$A1")" "pass d=$SIGN_DOM s=rsa1 a=rsa-sha256 (pass)"

# f. our A-R is not signed, and sits above the signature
sig_lacks "auth: h= does not list Authentication-Results" "$SIG" \
	'[[:space:];]h[[:space:]]*=[^;]*[Aa]uthentication-[Rr]esults'
assert_eq "auth: one A-R of ours" "$(ar_count "$A1")" 1
order_ok "auth: our A-R above the DKIM-Signature" "$A1"

# the wrong password: refused by Dovecot through Postfix, nothing signed
send_mail "$P_SUB" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	--auth PLAIN --auth-user "$SUB_USER" --auth-password wrong \
	--from "alice@$SIGN_DOM" --to a2@authgate.test
assert_reply "auth: wrong password refused (535)" 535
assert_no_mail "auth: wrong password, not delivered" a2 1

# a. dual signing: RSA and Ed25519 for one domain, both verify
AWK_BODY="$T/awkward.eml"
{
	printf 'From: Alice <alice@%s>\n' "$SIGN_DOM"
	printf 'To: a3@authgate.test\n'
	printf 'Subject: a long subject line that is folded over two lines\n'
	printf '\tto check header canonicalization\n'
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <dual.%s@%s>\n' "$$" "$SIGN_DOM"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf '\n'
	printf 'trailing spaces   \n'
	printf 'a\ttab and  double  spaces\n'
	printf '8-bit: Gr\303\274\303\237e, \342\202\254\n'
	printf '%0900d\n' 0
	printf '\n\n\n'
} >"$AWK_BODY"
send_mail "$P_DUAL" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	"${AUTH[@]}" --from "alice@$SIGN_DOM" --to a3@authgate.test \
	--data "@$AWK_BODY"
assert_delivered "dual: delivered" a3
A3=$MAIL_FILE
assert_eq "dual: two DKIM-Signatures" "$(nsigs "$A3")" 2
assert_eq "dual: selectors and algorithms, top to bottom" \
	"$(sigs "$A3" | while IFS= read -r v; do
		printf '%s/%s ' "$(dkim_sig_tag "$v" s)" "$(dkim_sig_tag "$v" a)"
	done)" "rsa2/rsa-sha256 ed1/ed25519-sha256 "
verified "dual: dkimpy verifies both" dkimpy "$(dkim_verify_py "$A3")" \
	"pass d=$SIGN_DOM s=rsa2 a=rsa-sha256
pass d=$SIGN_DOM s=ed1 a=ed25519-sha256"
# Debian 12's Mail::DKIM (1.20230212) has no Ed25519: it checks the RSA one
verified "dual: Mail::DKIM verifies the RSA one" Mail::DKIM \
	"$(dkim_verify_perl "$A3" | head -1)" \
	"pass d=$SIGN_DOM s=rsa2 a=rsa-sha256 (pass)"
sig_lacks "dual: no h= lists Authentication-Results" "$(sigs "$A3")" \
	'[[:space:];]h[[:space:]]*=[^;]*[Aa]uthentication-[Rr]esults'
order_ok "dual: our A-R above both DKIM-Signatures" "$A3"

# ---- b. an external, unauthenticated client is never signed
send_mail "$P_MAIN" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	--from "alice@$SIGN_DOM" --to b1@authgate.test
assert_delivered "external: delivered" b1
B1=$MAIL_FILE
assert_eq "external: no DKIM-Signature" "$(nsigs "$B1")" 0
assert_match "external: verified instead (dkim=none in our A-R)" \
	"$(dkim_clauses "$B1")" '^dkim=none'
assert_match "external: log says not signed" "$(log_for main "$(qid)")" \
	' signed=no'
# the submission listener itself refuses unauthenticated clients
send_mail "$P_SUB" --xclient-addr "$EXT_IP" --xclient-helo client.example.org \
	--from "alice@$SIGN_DOM" --to b2@authgate.test
assert_reply "external: submission listener refuses without AUTH (554)" 554
assert_no_mail "external: not delivered through submission" b2 1

# ---- c. an internal client (InternalHosts) is signed
send_mail "$P_MAIN" --xclient-addr "$INTERNAL_IP" \
	--xclient-helo host.internal.example --from "bob@$SIGN_DOM" \
	--to c1@authgate.test
assert_delivered "internal: delivered" c1
C1=$MAIL_FILE
assert_eq "internal: one DKIM-Signature" "$(nsigs "$C1")" 1
verified "internal: dkimpy verifies it" dkimpy "$(dkim_verify_py "$C1")" \
	"pass d=$SIGN_DOM s=rsa1 a=rsa-sha256"
# a From outside the signing domain is not signed, even when internal
send_mail "$P_MAIN" --xclient-addr "$INTERNAL_IP" \
	--xclient-helo host.internal.example --from "bob@$REMOTE_DOM" \
	--to c2@authgate.test
assert_delivered "internal, foreign From: delivered" c2
assert_eq "internal, foreign From: no DKIM-Signature" "$(nsigs "$MAIL_FILE")" 0

# ---- d. inbound: signatures made by dkimpy and Mail::DKIM
# msg LOCALPART - a plain message from remote.test to LOCALPART
msg() {
	printf 'From: Carol <carol@%s>\n' "$REMOTE_DOM"
	printf 'To: %s@authgate.test\n' "$1"
	printf 'Subject: inbound %s\n' "$1"
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <%s.%s@%s>\n' "$1" "$$" "$REMOTE_DOM"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain\n'
	printf '\n'
	printf 'Hello from %s.\n' "$1"
	printf 'Second line  with  spaces.  \n'
	printf '\n'
}

# inbound PORT LOCALPART FILE - send FILE from the external client
inbound() {
	send_mail "$1" --xclient-addr "$EXT_IP" --xclient-helo mail.remote.test \
		--from "carol@$REMOTE_DOM" --to "$2@authgate.test" --data "@$3"
}

msg d1 | sign_slashed "$K/pyrsa.key" pyrsa "$REMOTE_DOM" >"$T/d1.eml" ||
	it_die "sign_slashed failed"
inbound "$P_MAIN" d1 "$T/d1.eml"
assert_delivered "inbound dkimpy rsa: delivered" d1
D1=$MAIL_FILE
assert_eq "inbound dkimpy rsa: one A-R of ours" "$(ar_count "$D1")" 1
check_clause "inbound dkimpy rsa: dkim=pass header.d=$REMOTE_DOM header.s=pyrsa header.b=<prefix of b=>" \
	"$D1" pass pyrsa
echo "# inbound A-R: $(ar_ours "$D1")"

# two signatures of one domain (RSA and Ed25519), told apart by header.b
msg d2 | dkim_sign_py "$K/pyrsa.key" pyrsa "$REMOTE_DOM" |
	dkim_sign_py "$K/pyed.key" pyed "$REMOTE_DOM" ed25519-sha256 >"$T/d2.eml"
inbound "$P_MAIN" d2 "$T/d2.eml"
assert_delivered "inbound dkimpy rsa+ed25519: delivered" d2
D2=$MAIL_FILE
assert_eq "inbound dkimpy rsa+ed25519: two dkim= clauses" \
	"$(dkim_clauses "$D2" | grep -c .)" 2
check_clause "inbound dkimpy ed25519: dkim=pass header.s=pyed header.b=<prefix>" \
	"$D2" pass pyed
check_clause "inbound dkimpy rsa (beside ed25519): dkim=pass header.s=pyrsa" \
	"$D2" pass pyrsa

msg d3 | dkim_sign_perl "$K/perlrsa.pem" perl "$REMOTE_DOM" >"$T/d3.eml"
inbound "$P_MAIN" d3 "$T/d3.eml"
assert_delivered "inbound Mail::DKIM rsa: delivered" d3
check_clause "inbound Mail::DKIM rsa: dkim=pass header.s=perl header.b=<prefix>" \
	"$MAIL_FILE" pass perl

# the body altered after signing
msg d4 | dkim_sign_py "$K/pyrsa.key" pyrsa "$REMOTE_DOM" |
	sed 's/^Hello from d4\./Hello from somebody else./' >"$T/d4.eml"
inbound "$P_MAIN" d4 "$T/d4.eml"
assert_delivered "inbound altered body: delivered" d4
check_clause "inbound altered body: dkim=fail header.s=pyrsa" "$MAIL_FILE" \
	fail pyrsa
assert_no_header "inbound altered body: no dkim=pass" "$MAIL_FILE" \
	Authentication-Results 'dkim=pass'

# a header altered after signing (Subject is signed)
msg d5 | dkim_sign_py "$K/pyrsa.key" pyrsa "$REMOTE_DOM" |
	sed 's/^Subject: inbound d5/Subject: changed/' >"$T/d5.eml"
inbound "$P_MAIN" d5 "$T/d5.eml"
assert_delivered "inbound altered Subject: delivered" d5
check_clause "inbound altered Subject: dkim=fail header.s=pyrsa" \
	"$MAIL_FILE" fail pyrsa

# a selector without a key record: permerror (dkim/verify.h: "no key")
msg d6 | dkim_sign_py "$K/pyrsa.key" nokey "$REMOTE_DOM" >"$T/d6.eml"
inbound "$P_MAIN" d6 "$T/d6.eml"
assert_delivered "inbound no key record: delivered" d6
check_clause "inbound no key record: dkim=permerror header.s=nokey" \
	"$MAIL_FILE" permerror nokey

# the key lookup times out: temperror
T0=$(date +%s)
inbound "$P_BH" d7 "$T/d1.eml"
assert_delivered "inbound DNS timeout: delivered" d7 30
check_clause "inbound DNS timeout: dkim=temperror header.s=pyrsa" \
	"$MAIL_FILE" temperror pyrsa
echo "# timeout case took $(($(date +%s) - T0))s (DNSTimeout 1s, 0 retries)"

# ---- e. key file permissions
cp "$K/rsa1.pem" "$K/loose.pem"
chown authgate "$K/loose.pem"
chmod 644 "$K/loose.pem"
PERM=("Domain $SIGN_DOM" "Selector rsa1" "KeyFile $K/loose.pem")
WHY_RE='(group|other|permission|mode|0644|readable)'
ag_config permcheck "${PERM[@]}"
OUT=$("$AUTHGATE" -n -c "$T/permcheck.conf" 2>&1)
RC=$?
check_not "key 0644: authgate -n fails" [ "$RC" -eq 0 ]
PERM_RE="$K/loose\.pem.*$WHY_RE|$WHY_RE.*$K/loose\.pem"
assert_match "key 0644: authgate -n names the file and why" "$OUT" "$PERM_RE"
if ag_try_start perm "${PERM[@]}"; then
	not_ok "key 0644: start fails" "it started and listens"
	ag_stop perm
elif [ -z "$AG_EXIT" ]; then
	not_ok "key 0644: start fails" "neither listening nor exited after 10 s"
else
	check_not "key 0644: start fails (status $AG_EXIT)" [ "$AG_EXIT" -eq 0 ]
fi
assert_match "key 0644: the start's message names the file and why" \
	"$(ag_log perm)" "$PERM_RE"
ag_config permcheck "${PERM[@]}" "RequireSafeKeys no"
OUT=$("$AUTHGATE" -n -c "$T/permcheck.conf" 2>&1)
RC=$?
assert_eq "key 0644 with RequireSafeKeys no: authgate -n passes" "$RC" 0
chmod 600 "$K/loose.pem"
ag_config permcheck "${PERM[@]}"
OUT=$("$AUTHGATE" -n -c "$T/permcheck.conf" 2>&1)
RC=$?
if [ "$RC" -eq 0 ]; then
	ok "key 0600: authgate -n passes"
else
	not_ok "key 0600: authgate -n passes" "status $RC: $(it_short "$OUT")"
fi
if ag_try_start perm2 "${PERM[@]}"; then
	ok "key 0600: starts and listens"
	ag_stop perm2
else
	not_ok "key 0600: starts and listens" "status ${AG_EXIT:-none}: $(it_short "$(tail -5 "$T/perm2.log")")"
fi

# ---- the daemons are still up after all that
for n in main dual bh; do
	check "authgate $n still running" ag_alive "$n"
done

it_finish
