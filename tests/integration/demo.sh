#!/bin/bash
# demo.sh - `make demo`: the whole mail system on one machine, end to end
#
# Starts (loopback ports, everything under one temporary directory) the
# test nsd with the demo zones, authgate on the shipped conf/authgate.conf
# and rules, a Postfix with STARTTLS and SASL submission, and Dovecot with
# LMTP, IMAPS, POP3S and the shipped Sieve script (tests/integration/
# demo_lib.sh has the details); sends the scripted mix; prints where each
# message ended with its Authentication-Results; reads INBOX and Junk back
# over IMAP and one message over POP3; stops everything (lib.sh's trap, on
# every exit path). Exit status 1 when a message did not end where the
# rules say it belongs. KEEP_TMP=1 keeps the directory with every log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"
it_init demo

START=$(date +%s)
echo "== starting nsd, authgate, Dovecot, Postfix (under $T)"
demo_setup
echo "   authgate  $(ag_milter demo) (conf/authgate.conf, conf/rules.example + tests/integration/demo_rules.conf)"
echo "   postfix   smtp 127.0.0.1:$PF_PORT (STARTTLS), submission 127.0.0.1:$DEMO_SUBMIT_PORT (STARTTLS + AUTH)"
echo "   dovecot   lmtp :$DEMO_LMTP_PORT  imaps :$DEMO_IMAPS_PORT  pop3s :$DEMO_POP3S_PORT  (Sieve: conf/dovecot-junk.sieve)"
echo "== sending the mix to $DEMO_USER"
demo_send_all
demo_wait_all 20 || echo "# some messages had not arrived after 20 s"
echo
demo_table
echo
for c in "${DEMO_CASES[@]}"; do
	got=$(demo_where "$c")
	assert_eq "$c ended in ${DEMO_WANT_WHERE[$c]}" "$got" "${DEMO_WANT_WHERE[$c]}" >/dev/null
	[ "$got" = "${DEMO_WANT_WHERE[$c]}" ] ||
		echo "MISMATCH: $c ended in '$got', the rules say '${DEMO_WANT_WHERE[$c]}'"
done

echo "== IMAP (TLS, certificate verified) as $DEMO_USER"
for box in INBOX Junk; do
	if out=$(demo_imap_subjects "$box" 2>&1); then
		ok "imap $box" >/dev/null
		echo "   $box: $(printf '%s\n' "$out" | grep -c .) message(s)"
		printf '%s\n' "$out" | sed 's/^/     - /'
	else
		not_ok "imap $box" "$(it_short "$out")"
	fi
done
echo "== POP3 (TLS) as $DEMO_USER: message 1 of INBOX"
if out=$(demo_pop3_first 2>&1); then
	ok "pop3" >/dev/null
	printf '%s\n' "$out" | sed 's/^/   /'
else
	not_ok "pop3" "$(it_short "$out")"
fi
echo "== held: postqueue -j shows $(pf_hold_count) message(s) in the hold queue"
echo "   on a real system: postsuper -H ID releases it, postsuper -d ID deletes it"
echo "   (README \"Deploying with Postfix\"; make check's test_demo.sh releases this one)"
echo "== took $(($(date +%s) - START))s; stopping everything"
it_finish
