# tests/integration/demo_lib.sh - the whole mail system on one machine:
# Postfix in front, authgate as its milter, Dovecot behind (bash)
#
# Use:     after lib.sh and it_init (make demo: tests/integration/demo.sh;
#          make check: test_demo.sh):
#              demo_setup            DNS, TLS, authgate, Dovecot, Postfix
#              demo_send_all         the scripted mix, one case each
#              demo_wait_all         until every case has an end state
#              demo_where CASE       INBOX | Junk | hold queue | rejected
#              demo_table            the readable table
#              demo_imap_subjects MAILBOX, demo_pop3_first
# Owns:    everything under $T (lib.sh's trap stops every process).
# Pieces:  nsd with the zones of demo_zones (sender domains, their SPF,
#          DMARC and DKIM records, the DNS list bl.test); authgate on the
#          shipped conf/authgate.conf, changed only where a demo must
#          (sockets, paths, nameserver, the signing key: demo_ag_conf),
#          with the shipped conf/rules.example plus demo_rules.conf;
#          Postfix with STARTTLS (a self-signed certificate made here),
#          a submission listener (STARTTLS required, SMTP AUTH through
#          Dovecot's auth service), smtpd_milters and non_smtpd_milters
#          at authgate, delivery over LMTP to Dovecot; Dovecot with LMTP,
#          IMAPS, POP3S, Maildirs and the shipped conf/dovecot-junk.sieve
#          as sieve_before.
# Cases:   DEMO_CASES names them in order; DEMO_TITLE, DEMO_WANT_WHERE,
#          DEMO_WANT_AR (an ERE our Authentication-Results must match,
#          or the SMTP reply for rejected mail) describe each, so the demo
#          and the test assert the same things.

DEMO_USER=bob@$MAIL_DOMAIN	# every case is addressed to bob
DEMO_PASS=demo-bob-pw
DEMO_SUBMITTER=alice@corp.test
DEMO_SUBMIT_PASS=demo-alice-pw
DEMO_GOOD_IP=192.0.2.10		# allowed by each sender domain's SPF record
DEMO_BAD_IP=198.51.100.66	# allowed by none
DEMO_LISTED_IP=203.0.113.66	# allowed by SPF, listed on bl.test
# submission comes from a loopback address that is not an InternalHost:
# authgate signs it because the client authenticated, not because of
# where it connects from
DEMO_SUBMIT_FROM_IP=127.0.0.2

DEMO_CASES=(legit submission spf_fail dmarc_reject dmarc_quarantine dnsbl spam)
declare -A DEMO_TITLE=(
	[legit]="legitimate, DKIM-signed (friend.test)"
	[submission]="authenticated submission (alice)"
	[spf_fail]="SPF fail (forum.test, p=none)"
	[dmarc_reject]="spoof of p=reject domain (bank.test)"
	[dmarc_quarantine]="spoof of p=quarantine domain (shop.test)"
	[dnsbl]="sender on the DNS list (promo.test)"
	[spam]="spammy content (deals.test)"
)
declare -A DEMO_WANT_WHERE=(
	[legit]=INBOX [submission]=INBOX [spf_fail]=INBOX
	[dmarc_reject]=rejected [dmarc_quarantine]="hold queue"
	[dnsbl]=Junk [spam]=Junk
)
declare -A DEMO_WANT_CODE=(
	[legit]=250 [submission]=250 [spf_fail]=250 [dmarc_reject]=550
	[dmarc_quarantine]=250 [dnsbl]=250 [spam]=250
)
declare -A DEMO_WANT_AR=(
	[legit]='spf=pass .*dkim=pass .*header\.d=friend\.test.*dmarc=pass .*header\.from=friend\.test'
	[submission]='auth=pass .*smtp\.auth=alice@corp\.test'
	[spf_fail]='spf=fail .*smtp\.mailfrom=[^ ;]*@forum\.test.*dmarc=fail .*header\.from=forum\.test'
	[dmarc_reject]='550[ -]5\.7\.1 Message rejected by the DMARC policy of bank\.test'
	[dmarc_quarantine]='spf=fail .*dmarc=fail \(p=quarantine .*header\.from=shop\.test'
	[dnsbl]='spf=pass .*smtp\.mailfrom=[^ ;]*@promo\.test'
	[spam]='spf=pass .*smtp\.mailfrom=[^ ;]*@deals\.test'
)
# filled by demo_send: the SMTP reply line and Postfix's queue id
declare -A DEMO_REPLY=() DEMO_QID=() DEMO_LOG=()

# ---------------------------------------------------------------- setup

# demo_zones - the sender domains (served by lib.sh's nsd)
demo_zones() {
	local z
	for z in friend.test corp.test bank.test shop.test forum.test \
		promo.test deals.test; do
		dns_add_zone "$z"
		dns_add_rr "$z" \
			'@ IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:203.0.113.0/24 -all"'
	done
	dns_add_rr friend.test '_dmarc IN TXT "v=DMARC1; p=reject"'
	dns_add_rr corp.test '_dmarc IN TXT "v=DMARC1; p=reject"'
	dns_add_rr bank.test '_dmarc IN TXT "v=DMARC1; p=reject"'
	dns_add_rr shop.test '_dmarc IN TXT "v=DMARC1; p=quarantine"'
	dns_add_rr forum.test '_dmarc IN TXT "v=DMARC1; p=none"'
	dns_add_rr promo.test '_dmarc IN TXT "v=DMARC1; p=none"'
	dns_add_rr deals.test '_dmarc IN TXT "v=DMARC1; p=none"'
	# friend.test signs its own mail (dkimpy here); corp.test is ours,
	# authgate signs for it
	dkim_keygen "$DEMO_KEYS/friend.pem" rsa 2048
	dkim_publish friend.test sel "$(dkim_txt_record "$DEMO_KEYS/friend.pem")"
	dkim_keygen "$DEMO_KEYS/corp.pem" rsa 2048
	dkim_publish corp.test demo "$(dkim_txt_record "$DEMO_KEYS/corp.pem")"
	dns_add_zone bl.test
	dns_add_rr bl.test "66.113.0.203 IN A 127.0.0.2"
}

# demo_tls - a self-signed certificate for mx.authgate.test (Postfix's
# STARTTLS and Dovecot's IMAPS/POP3S); clients verify against it
demo_tls() {
	DEMO_TLS="$T/tls"
	mkdir -p "$DEMO_TLS"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=$AG_AUTHSERV" -addext "subjectAltName=DNS:$AG_AUTHSERV" \
		-keyout "$DEMO_TLS/key.pem" -out "$DEMO_TLS/cert.pem" \
		>"$DEMO_TLS/openssl.out" 2>&1 ||
		it_die "openssl req failed: $(it_short "$(cat "$DEMO_TLS/openssl.out")")"
	chmod 600 "$DEMO_TLS/key.pem"
}

# demo_ag_conf NAME FILE - the shipped FILE with the keys a demo must
# change replaced (their live lines dropped, ours appended) -> $T/NAME.conf
demo_ag_conf() {
	local name=$1 src=$2 line keys=""
	ag_port "$name"
	local -a over=(
		"Socket inet:${AG_PORTS[$name]}@127.0.0.1"
		"PidFile $T/run/$name.pid"
		"StateDir $T/run/$name.state"
		"Syslog no"
		"AuthservID $AG_AUTHSERV"
		"InternalHosts 127.0.0.1/32, ::1"
		"Nameservers 127.0.0.1:$DNS_PORT"
		"Rules $DEMO_RULES"
		"Domain corp.test"
		"Selector demo"
		"KeyFile $DEMO_KEYS/corp.pem"
	)
	for line in "${over[@]}"; do
		keys="$keys${keys:+|}${line%% *}"
	done
	{
		grep -viE "^[[:space:]]*($keys)[[:space:]]" "$src"
		echo
		echo "# make demo: sockets, paths and DNS of the demo, our signing key"
		printf '%s\n' "${over[@]}"
	} | ag_conf_write_raw "$name"
}

# demo_rules - the shipped rules, local_domains set to corp.test, plus
# demo_rules.conf -> $DEMO_RULES
demo_rules() {
	DEMO_RULES="$T/rules.conf"
	sed 's/^list local_domains domains { mydomain\.example }$/list local_domains domains { corp.test }/' \
		"$ROOT/conf/rules.example" >"$DEMO_RULES"
	grep -q '^list local_domains domains { corp\.test }$' "$DEMO_RULES" ||
		it_die "conf/rules.example has no 'list local_domains domains { mydomain.example }' line to adapt"
	cat "$IT_DIR/demo_rules.conf" >>"$DEMO_RULES"
	chmod 644 "$DEMO_RULES"
}

# demo_dovecot - lib.sh's sasl_start Dovecot made a full mail server:
# LMTP in, IMAPS and POP3S out, Maildirs under $T/vmail, the shipped Sieve
# script before every user's own
demo_dovecot() {
	local d="$T/dovecot" sieve
	it_require sievec
	[ -e /usr/lib/dovecot/lmtp ] || it_die "dovecot-lmtpd is not installed"
	[ -e /usr/lib/dovecot/imap ] || it_die "dovecot-imapd is not installed"
	[ -e /usr/lib/dovecot/pop3 ] || it_die "dovecot-pop3d is not installed"
	[ -e /usr/lib/dovecot/modules/lib90_sieve_plugin.so ] ||
		it_die "dovecot-sieve (Pigeonhole) is not installed"
	DEMO_VMAIL="$T/vmail"
	mkdir -p "$DEMO_VMAIL" "$d/sieve"
	chown nobody:nogroup "$DEMO_VMAIL"
	sieve="$d/sieve/junk.sieve"
	cp "$ROOT/conf/dovecot-junk.sieve" "$sieve"
	sievec "$sieve" >"$d/sievec.out" 2>&1 ||
		it_die "sievec conf/dovecot-junk.sieve failed: $(it_short "$(cat "$d/sievec.out")")"
	chmod -R a+rX "$d/sieve"
	free_port || it_die "no free port for LMTP"
	DEMO_LMTP_PORT=$FREE_PORT
	free_port || it_die "no free port for IMAPS"
	DEMO_IMAPS_PORT=$FREE_PORT
	free_port || it_die "no free port for POP3S"
	DEMO_POP3S_PORT=$FREE_PORT
	SASL_USERDB_ARGS="uid=nobody gid=nogroup home=$DEMO_VMAIL/%d/%n"
	SASL_CONF_EXTRA="
# demo_lib.sh: a full mail server on top of the SASL-only one
protocols = imap pop3 lmtp
ssl = required
ssl_cert = <$DEMO_TLS/cert.pem
ssl_key = <$DEMO_TLS/key.pem
mail_location = maildir:~/Maildir
lda_mailbox_autocreate = yes
lda_mailbox_autosubscribe = yes
pop3_uidl_format = %08Xu%08Xv
namespace inbox {
  inbox = yes
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DEMO_LMTP_PORT
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DEMO_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $DEMO_POP3S_PORT
    ssl = yes
  }
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve_before = $sieve
  sieve = file:~/sieve;active=~/.dovecot.sieve
}"
	sasl_start "$DEMO_USER" "$DEMO_PASS" "$DEMO_SUBMITTER" "$DEMO_SUBMIT_PASS"
	wait_listen "$DEMO_LMTP_PORT" 10 || it_die "dovecot: no LMTP on $DEMO_LMTP_PORT"
	wait_listen "$DEMO_IMAPS_PORT" 10 || it_die "dovecot: no IMAPS on $DEMO_IMAPS_PORT"
	wait_listen "$DEMO_POP3S_PORT" 10 || it_die "dovecot: no POP3S on $DEMO_POP3S_PORT"
}

# demo_postfix - lib.sh's private Postfix with the settings of the shipped
# conf/postfix-main.cf, STARTTLS, delivery over LMTP to Dovecot and a
# submission listener; both listeners and the non-SMTP path (sendmail(1))
# go through authgate
demo_postfix() {
	local milter line
	local -a shipped=()
	milter=$(ag_milter demo)
	# the shipped main.cf lines, as an admin copies them (milter address
	# ours); the demo's own certificate replaces the one they name
	while IFS= read -r line; do
		case "$line" in
		"" | "#"* | smtpd_tls_cert_file* | smtpd_tls_key_file*) continue ;;
		esac
		shipped+=("${line//inet:127.0.0.1:8891/$milter}")
	done <"$ROOT/conf/postfix-main.cf"
	[ ${#shipped[@]} -ge 5 ] || it_die "conf/postfix-main.cf: no settings read"
	pf_postconf "${shipped[@]}"
	pf_postconf "smtpd_tls_cert_file = $DEMO_TLS/cert.pem" \
		"smtpd_tls_key_file = $DEMO_TLS/key.pem" \
		"smtpd_tls_loglevel = 1" \
		"virtual_transport = lmtp:inet:127.0.0.1:$DEMO_LMTP_PORT"
	pf_add_smtpd submission "$milter" \
		smtpd_tls_security_level=encrypt \
		smtpd_tls_auth_only=yes \
		smtpd_sasl_auth_enable=yes \
		smtpd_sasl_type=dovecot \
		"smtpd_sasl_path=inet:127.0.0.1:$SASL_PORT" \
		smtpd_sasl_security_options=noanonymous \
		smtpd_client_restrictions=permit_sasl_authenticated,reject
	pf_start "$milter"
	DEMO_SUBMIT_PORT=${PF_PORTS[submission]}
}

demo_setup() {
	it_require openssl
	"$DKIM_PY" -c 'import dkim' 2>/dev/null ||
		it_die "$DKIM_PY lacks dkimpy (python3-dkim)"
	DEMO_KEYS="$T/keys"
	mkdir -p "$DEMO_KEYS"
	chmod 755 "$DEMO_KEYS"
	demo_zones
	dns_start
	demo_tls
	demo_rules
	demo_ag_conf demo "$ROOT/conf/authgate.conf"
	ag_launch demo ||
		it_die "authgate (shipped conf/authgate.conf) did not start: $(it_short "$(tail -20 "$T/demo.log")")"
	demo_dovecot
	demo_postfix
}

# ---------------------------------------------------------------- the mix

# demo_msg CASE FROM SUBJECT BODY - a message on stdout
demo_msg() {
	printf 'From: %s\n' "$2"
	printf 'To: Bob <%s>\n' "$DEMO_USER"
	printf 'Subject: %s\n' "$3"
	printf 'Date: %s\n' "$(date -R)"
	printf 'Message-ID: <demo-%s.%s@authgate.test>\n' "$1" "$(basename "$T")"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf '\n'
	printf '%s\n' "$4"
}

# demo_inbound IP MAILFROM FILE - from the Internet (XCLIENT gives
# Postfix, and so authgate, the client address IP), over STARTTLS
demo_inbound() {
	send_mail "$PF_PORT" --tls --xclient-addr "$1" \
		--xclient-helo "mail.${2#*@}" \
		--from "$2" --to "$DEMO_USER" --data "@$3"
}

# each case's message: header From, Subject, body, and the client address
# it comes from (the envelope sender is the From address)
declare -A DEMO_FROM=(
	[legit]='Fred <fred@friend.test>' [submission]="Alice <$DEMO_SUBMITTER>"
	[spf_fail]='Forum <notify@forum.test>'
	[dmarc_reject]='Bank <security@bank.test>'
	[dmarc_quarantine]='Shop <orders@shop.test>'
	[dnsbl]='Promo <news@promo.test>' [spam]='Deals <lucky@deals.test>'
)
declare -A DEMO_SUBJECT=(
	[legit]='Lunch on Friday?' [submission]='Quarterly figures'
	[spf_fail]='New reply in your thread' [dmarc_reject]='Verify your account'
	[dmarc_quarantine]='Your order has shipped' [dnsbl]='This week only'
	[spam]='Congratulations'
)
declare -A DEMO_BODY=(
	[legit]='Shall we meet at noon?'
	[submission]='The figures are attached in spirit.'
	[spf_fail]='Someone replied.' [dmarc_reject]='Click here.'
	[dmarc_quarantine]='Track it here.' [dnsbl]='Offers.'
	[spam]='You have won 1,000,000. Claim your prize: pay the wire transfer fee.'
)
declare -A DEMO_IP=(
	[legit]=$DEMO_GOOD_IP [spf_fail]=$DEMO_BAD_IP [dmarc_reject]=$DEMO_BAD_IP
	[dmarc_quarantine]=$DEMO_BAD_IP [dnsbl]=$DEMO_LISTED_IP
	[spam]=$DEMO_GOOD_IP
)

# demo_send CASE - write and send one case; records its reply and queue id
demo_send() {
	local c=$1 f="$T/demo-$1.eml" from
	[ -n "${DEMO_FROM[$c]:-}" ] || it_die "demo_send: unknown case $c"
	from=${DEMO_FROM[$c]#*<}
	from=${from%>}
	demo_msg "$c" "${DEMO_FROM[$c]}" "${DEMO_SUBJECT[$c]}" \
		"${DEMO_BODY[$c]}" >"$f"
	case "$c" in
	submission)
		send_mail "$DEMO_SUBMIT_PORT" --tls \
			--local-interface "$DEMO_SUBMIT_FROM_IP" \
			--auth PLAIN --auth-user "$DEMO_SUBMITTER" \
			--auth-password "$DEMO_SUBMIT_PASS" \
			--from "$from" --to "$DEMO_USER" --data "@$f" ;;
	*)
		# friend.test signs its own mail
		if [ "$c" = legit ]; then
			dkim_sign_py "$DEMO_KEYS/friend.pem" sel friend.test \
				<"$f" >"$f.signed" && mv "$f.signed" "$f"
		fi
		demo_inbound "${DEMO_IP[$c]}" "$from" "$f" ;;
	esac
	DEMO_LOG[$c]=$SEND_LOG
	# the server's answer to the end of DATA: the last reply before QUIT
	# (swaks marks server lines <- and, inside TLS, <~; failures add *)
	DEMO_REPLY[$c]=$(grep -E '^<(-|~|\*\*|~\*) +[245][0-9][0-9][ -]' "$SEND_LOG" |
		sed -E 's/^<(-|~|\*\*|~\*) +//' | grep -vE '^221[ -]' | tail -1)
	DEMO_QID[$c]=$(printf '%s\n' "${DEMO_REPLY[$c]}" |
		sed -n 's/^250 .*queued as \([0-9A-Za-z]*\).*/\1/p')
}

demo_send_all() {
	local c
	for c in "${DEMO_CASES[@]}"; do
		demo_send "$c"
	done
}

# ---------------------------------------------------------------- results

# demo_mid CASE - the Message-ID of a case
demo_mid() {
	printf '<demo-%s.%s@authgate.test>' "$1" "$(basename "$T")"
}

# demo_maildir MAILBOX - bob's Maildir folder (INBOX or Junk)
demo_maildir() {
	local m="$DEMO_VMAIL/${DEMO_USER#*@}/${DEMO_USER%@*}/Maildir"
	case "$1" in
	INBOX) echo "$m" ;;
	*) echo "$m/.$1" ;;
	esac
}

# demo_file CASE MAILBOX - the delivered file of a case in that folder
demo_file() {
	local d
	d=$(demo_maildir "$2")
	grep -lisF "Message-ID: $(demo_mid "$1")" "$d"/new/* "$d"/cur/* 2>/dev/null |
		head -1
}

# demo_held CASE - 0 when its queue id is in Postfix's hold queue
demo_held() {
	local q=${DEMO_QID[$1]:-}
	[ -n "$q" ] || return 1
	pf_queue | grep '"queue_name": *"hold"' | grep -q "\"queue_id\": *\"$q\""
}

# demo_where CASE - where the message ended now: INBOX, Junk, hold queue,
# rejected, tempfailed, or "pending" (accepted, not arrived yet)
demo_where() {
	local c=$1
	case "${DEMO_REPLY[$c]:-}" in
	5*) echo rejected; return ;;
	4*) echo tempfailed; return ;;
	"") echo "no reply"; return ;;
	esac
	if [ -n "$(demo_file "$c" INBOX)" ]; then
		echo INBOX
	elif [ -n "$(demo_file "$c" Junk)" ]; then
		echo Junk
	elif demo_held "$c"; then
		echo "hold queue"
	else
		echo pending
	fi
}

# demo_wait_all [SECS] - until no case is pending
demo_wait_all() {
	local i c busy
	for i in $(seq $((${1:-20} * 5))); do
		busy=0
		for c in "${DEMO_CASES[@]}"; do
			[ "$(demo_where "$c")" = pending ] && busy=1 && break
		done
		[ "$busy" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# demo_ar CASE - our Authentication-Results value of a delivered or held
# message, or the SMTP reply of a refused one
demo_ar() {
	local c=$1 f
	case "$(demo_where "$c")" in
	INBOX | Junk)
		f=$(demo_delivered "$c")
		ar_ours "$f" | head -1 ;;
	"hold queue")
		postcat -c "$PF_CONF" -hq "${DEMO_QID[$c]}" 2>/dev/null >"$T/held.$c"
		ar_ours "$T/held.$c" | head -1 ;;
	*) printf '%s\n' "${DEMO_REPLY[$c]}" ;;
	esac
}

# demo_delivered CASE - its file in INBOX or Junk (empty when neither)
demo_delivered() {
	local f
	f=$(demo_file "$1" INBOX)
	[ -n "$f" ] || f=$(demo_file "$1" Junk)
	printf '%s\n' "$f"
}

# demo_table - one block per case: title, SMTP reply, where it ended, then
# the Authentication-Results header (or the refusal) on its own line, and
# the DKIM signatures and spam rules of delivered mail
demo_table() {
	local c n=0 reply where ar f sig
	printf '%-2s  %-42s  %-34s  %s\n' '#' message 'SMTP outcome' 'ended in'
	printf '%s\n' "$(printf '%.0s-' $(seq 96))"
	for c in "${DEMO_CASES[@]}"; do
		n=$((n + 1))
		reply=${DEMO_REPLY[$c]:-none}
		reply=${reply/#250 2.0.0 Ok: queued as /250 queued as }
		[ ${#reply} -gt 34 ] && reply="${reply:0:31}..."
		where=$(demo_where "$c")
		ar=$(demo_ar "$c" | tr -s ' \t' '  ')
		printf '%-2s  %-42s  %-34s  %s\n' "$n" "${DEMO_TITLE[$c]}" "$reply" "$where"
		case "$where" in
		rejected | tempfailed) printf '    reply: %s\n' "$ar" ;;
		*) printf '    Authentication-Results: %s\n' "${ar:-(none)}" ;;
		esac
		f=$(demo_delivered "$c")
		[ -n "$f" ] || continue
		mail_header "$f" DKIM-Signature | while IFS= read -r sig; do
			printf '    DKIM-Signature: d=%s s=%s\n' \
				"$(dkim_sig_tag "$sig" d)" "$(dkim_sig_tag "$sig" s)"
		done
		mail_header "$f" X-Spam-Rules | sed 's/^/    X-Spam-Rules: /'
	done
}

# ---------------------------------------------------------------- read back

# demo_py_client imap MAILBOX | pop3 - log in as bob over TLS (the
# certificate verified against the demo's own) and print the Subject of
# every message in MAILBOX (IMAP), or the Subject and From of message 1
# (POP3), one a line; DEMO_LOGIN_PASS, when set, replaces bob's password
demo_py_client() {
	python3 - "$1" "${2:-}" "$DEMO_TLS/cert.pem" "$AG_AUTHSERV" \
		"$DEMO_IMAPS_PORT" "$DEMO_POP3S_PORT" "$DEMO_USER" \
		"${DEMO_LOGIN_PASS:-$DEMO_PASS}" <<'EOF'
import email, email.policy, imaplib, poplib, ssl, sys
what, box, ca, host, iport, pport, user, pw = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=ca)
# connect to 127.0.0.1, verify the certificate's name
if what == "imap":
    class C(imaplib.IMAP4_SSL):
        def _create_socket(self, timeout):
            import socket
            s = socket.create_connection(("127.0.0.1", int(iport)), timeout)
            return self.ssl_context.wrap_socket(s, server_hostname=host)
    m = C(host, int(iport), ssl_context=ctx, timeout=10)
    m.login(user, pw)
    typ, _ = m.select('"%s"' % box, readonly=True)
    if typ != "OK":
        sys.exit("cannot select " + box)
    typ, data = m.search(None, "ALL")
    for num in data[0].split():
        typ, d = m.fetch(num, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        msg = email.message_from_bytes(d[0][1], policy=email.policy.default)
        print(msg["Subject"])
    m.logout()
else:
    import socket
    class P(poplib.POP3_SSL):
        def _create_socket(self, timeout):
            s = socket.create_connection(("127.0.0.1", int(pport)), timeout)
            return ctx.wrap_socket(s, server_hostname=host)
    p = P(host, int(pport), context=ctx, timeout=10)
    p.user(user)
    p.pass_(pw)
    count, _ = p.stat()
    print("messages %d" % count)
    if count:
        resp, lines, _ = p.retr(1)
        msg = email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default)
        print("Subject: %s" % msg["Subject"])
        print("From: %s" % msg["From"])
    p.quit()
EOF
}

demo_imap_subjects() {
	demo_py_client imap "$1"
}

demo_pop3_first() {
	demo_py_client pop3
}
