#!/bin/bash
# test_history.sh - the DMARC history store behind a running authgate:
# SQLite (default, under StateDir) and a real PostgreSQL from Debian, the
# same checks for both; rows survive kill -9.
#
# Messages go in through tests/tools/mtclient from 198.51.100.66 with
# From: bank.test (p=reject; DMARCEnforce no, so all are accepted and
# recorded as fail/reject) and a DKIM signature that fails.
. "$(dirname "$0")/lib.sh"
it_init history
it_require sqlite3 runuser
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || it_die "PostgreSQL server not installed (postgresql)"

MT="${AG_BUILD:-$ROOT/build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"

dns_add_zone bank.test
dns_add_rr bank.test '@ IN TXT "v=spf1 ip4:192.0.2.0/24 -all"' \
	'_dmarc IN TXT "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=100; fo=1; rua=mailto:d@bank.test"'
dns_start

{
	printf 'DKIM-Signature: v=1; a=rsa-sha256; d=bank.test; s=gone; c=relaxed/relaxed;\n'
	printf '\th=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n'
	printf '\tb=dGVzdA==\n'
	printf 'From: Bank <ceo@bank.test>\nTo: b@authgate.test\n'
	printf 'Subject: history\n\nhello\n'
} >"$T/h.eml"

# send INSTANCE COUNT - COUNT messages on one connection; all answered?
send() {
	local out
	out=$("$MT" -t 30 -s "$(ag_socket "$1")" -a 198.51.100.66 \
		-H mail.example.test -f '<ceo@bank.test>' -r '<b@authgate.test>' \
		-m 'i=HQ1' \
		-c "$2" "$T/h.eml" 2>&1)
	[ "$(printf '%s\n' "$out" | grep -c '^result=accept')" = "$2" ]
}

# ---------------------------------------------------------------- SQLite
DB="$T/run/lite.state/history.sqlite"
# StateDir already there and root's (as `make run`'s ./var): authgate
# must still be able to write its store in it
mkdir -p "$T/run/lite.state"
chown root:root "$T/run/lite.state"
ag_start lite "DMARCEnforce no"
check "sqlite: 300 messages answered" send lite 300
sleep 1		# > the writer's flush interval (200 ms)
kill -KILL "$(ag_pid lite)"
{ wait "$(ag_pid lite)"; } 2>/dev/null
unset 'AG_PIDS[lite]'
check "sqlite: the store was made under StateDir, owned by authgate" \
	test "$(stat -c %U "$DB" 2>/dev/null)" = authgate
assert_eq "sqlite: kill -9 one second after the last message: 300 rows" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM messages')" 300
assert_eq "sqlite: WAL journal" "$(sqlite3 "$DB" 'PRAGMA journal_mode')" wal
assert_eq "sqlite: one DKIM row per message" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM dkim')" 300

# every field filled
ROW=$(sqlite3 -separator '|' "$DB" "SELECT time > 1700000000, jobid, source_ip,
	header_from, envelope_from, envelope_to, policy_domain, adkim, aspf, p,
	sp, np, pct, fo, result, disposition, dkim_aligned, spf_aligned,
	reasons, spf_domain, spf_scope, spf_result, reporter FROM messages
	LIMIT 1")
# DMARCEnforce no: the policy said reject, we delivered: disposition none
# with the override reason (RFC 7489 appendix C PolicyOverrideReason)
assert_eq "sqlite: a row has every field" "$ROW" \
	"1|HQ1|198.51.100.66|bank.test|bank.test|authgate.test|bank.test|s|r|reject|quarantine||100|1|fail|none|fail|fail|local_policy|bank.test|mfrom|fail|$AG_AUTHSERV"
assert_eq "sqlite: the DKIM row" \
	"$(sqlite3 -separator '|' "$DB" 'SELECT domain, selector, result FROM dkim LIMIT 1')" \
	"bank.test|gone|permerror"

# kill -9 right after the last answer: only what was still queued may
# be lost; report how many
ag_start lite "DMARCEnforce no"
check "sqlite: 500 more messages answered" send lite 500
kill -KILL "$(ag_pid lite)"
{ wait "$(ag_pid lite)"; } 2>/dev/null
unset 'AG_PIDS[lite]'
ROWS=$(sqlite3 "$DB" 'SELECT count(*) FROM messages')
LOST=$((800 - ROWS))
echo "# kill -9 at once after 500 messages: $LOST lost (still queued), $((ROWS - 300)) kept"
check "sqlite: kill -9 at once: rows from before kept, at most the last 200 ms lost ($LOST lost)" \
	test "$ROWS" -ge 300 -a "$LOST" -ge 0 -a "$LOST" -le 500
assert_eq "sqlite: the store is not corrupt after kill -9" \
	"$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok

# graceful stop flushes everything
ag_start lite "DMARCEnforce no"
check "sqlite: 200 more messages answered" send lite 200
ag_stop lite
assert_eq "sqlite: SIGTERM right after: all 200 written" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM messages')" $((ROWS + 200))

# ------------------------------------------------------------ PostgreSQL
PGDIR="$T/pg"
mkdir -p "$PGDIR"
chown postgres "$PGDIR"
free_port || it_die "no free port for PostgreSQL"
PGPORT=$FREE_PORT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres \
	>"$T/initdb.log" 2>&1 || it_die "initdb failed: $(tail -5 "$T/initdb.log")"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
	-o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$PGDIR -c fsync=off" \
	start >"$T/pgctl.log" 2>&1 || it_die "PostgreSQL did not start: $(tail -5 "$PGDIR/log")"
# the harness stops it with everything else (SIGTERM: a smart shutdown)
IT_BG_PIDS+=("$(head -1 "$PGDIR/data/postmaster.pid")")
PSQL=(runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -XAtq)
"${PSQL[@]}" -c 'CREATE DATABASE authgate' || it_die "createdb failed"
URI="postgresql://postgres@127.0.0.1:$PGPORT/authgate"

ag_start pg "DMARCEnforce no" "HistoryDB $URI"
check "postgresql: 300 messages answered" send pg 300
sleep 1
kill -KILL "$(ag_pid pg)"
{ wait "$(ag_pid pg)"; } 2>/dev/null
unset 'AG_PIDS[pg]'
assert_eq "postgresql: kill -9 one second after the last message: 300 rows" \
	"$("${PSQL[@]}" -d authgate -c 'SELECT count(*) FROM messages')" 300
assert_eq "postgresql: one DKIM row per message" \
	"$("${PSQL[@]}" -d authgate -c 'SELECT count(*) FROM dkim')" 300
PGROW=$("${PSQL[@]}" -d authgate -F '|' -c "SELECT CASE WHEN time > 1700000000
	THEN 1 ELSE 0 END, jobid, source_ip, header_from, envelope_from,
	envelope_to, policy_domain, adkim, aspf, p, sp, np, pct, fo, result,
	disposition, dkim_aligned, spf_aligned, reasons, spf_domain, spf_scope,
	spf_result, reporter FROM messages LIMIT 1")
assert_eq "postgresql: the same row as SQLite, field for field" "$PGROW" "$ROW"

ag_start pg "DMARCEnforce no" "HistoryDB $URI"
check "postgresql: 200 more messages answered" send pg 200
ag_stop pg
assert_eq "postgresql: SIGTERM right after: all written" \
	"$("${PSQL[@]}" -d authgate -c 'SELECT count(*) FROM messages')" 500

# a store that cannot be reached stops the start with a clear message
# (in the foreground: the milter socket is bound before the store is
# opened, so "it listens" cannot tell)
ag_config pgdown "HistoryDB postgresql://postgres@127.0.0.1:1/authgate"
OUT=$(timeout 20 "$AUTHGATE" -f -c "$T/pgdown.conf" 2>&1)
RC=$?
check "unreachable PostgreSQL: start refused (exit status $RC)" \
	test "$RC" -ne 0 -a "$RC" -ne 124
assert_match "unreachable PostgreSQL: says why" "$OUT" \
	'history store: cannot connect to PostgreSQL'
# ------------------------------------------- the rules' override reason
# a trusted forwarder: its DMARC failure is delivered and recorded with
# disposition none and reason trusted_forwarder; without the rule the
# DMARCEnforce shorthand rejects and the record says reject
printf '%s\n' 'list forwarders cidr { 198.51.100.0/24 }' \
	'rule trusted { if client.ip in @forwarders and dmarc.result is fail' \
	'    dmarc-override trusted_forwarder }' >"$T/fwd.rules"
chmod 644 "$T/fwd.rules"
ag_start fwd "DMARCEnforce yes" "Rules $T/fwd.rules"
check "override: a p=reject failure from a trusted forwarder is accepted" \
	send fwd 1
ag_stop fwd
assert_eq "override: the history record says disposition none, reason trusted_forwarder" \
	"$(sqlite3 -separator '|' "$T/run/fwd.state/history.sqlite" 'SELECT result, disposition, reasons FROM messages')" \
	"fail|none|trusted_forwarder"
ag_start enf "DMARCEnforce yes"
OUT=$("$MT" -t 30 -s "$(ag_socket enf)" -a 198.51.100.66 \
	-H mail.example.test -f '<ceo@bank.test>' -r '<b@authgate.test>' \
	-m 'i=HQ2' "$T/h.eml" 2>&1)
assert_match "no override: rejected" "$OUT" '^result=reject code=550'
ag_stop enf
assert_eq "no override: the history record says disposition reject, no reason" \
	"$(sqlite3 -separator '|' "$T/run/enf.state/history.sqlite" 'SELECT result, disposition, reasons FROM messages')" \
	"fail|reject|"

it_finish
