#!/bin/bash
# test_load.sh - concurrent connections through the milter protocol:
# every message answered, every SPF result right, nothing times out, the
# daemon survives; DMARC is evaluated for each (From: example.test). Bounded: 8 connections x 5 rounds x 40 messages.
. "$(dirname "$0")/lib.sh"
it_init load

MT="$ROOT/${B:-build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built ($MT)"
msg="$T/load.eml"
printf 'From: a@example.test\nTo: b@authgate.test\nSubject: load\n\nhello\n' >"$msg"

dns_start
# no cache: every message asks nsd, so resolver concurrency is exercised
ag_start main "InternalHosts 127.0.0.2/32" "DNSCacheSize 0" "DNSTimeout 5s"
M=$(ag_milter main)
pids=()
for i in 1 2 3 4 5 6 7 8; do
	(
		for round in 1 2 3 4 5; do
			"$MT" -s "$M" -t 30 -a "198.51.100.$i" -H mail.example.test \
				-f "<u$i@include.example.test>" -c 40 "$msg"
		done >"$T/load.$i" 2>&1
	) &
	pids+=($!)
done
wait "${pids[@]}"
answered=$(cat "$T"/load.* | grep -c '^result=accept')
assert_eq "load: 1600 messages answered" "$answered" 1600
fails=$(cat "$T"/load.* | grep -c 'spf=fail smtp.mailfrom=u[0-9]@include.example.test')
assert_eq "load: every MAIL FROM result is fail" "$fails" 1600
helo_fail=$(ag_log main | grep -c 'spf_helo=fail')
assert_eq "load: every HELO result is fail (no timeouts)" "$helo_fail" 1600
dmarc_none=$(ag_log main | grep -c 'dmarc=none:example\.test/none')
assert_eq "load: every message DMARC-evaluated (dmarc=none, no record)" \
	"$dmarc_none" 1600
check_not "load: no temperror" grep -q 'temperror' "$T"/load.1 "$T"/load.8
check "load: authgate still running" ag_alive main
it_finish
