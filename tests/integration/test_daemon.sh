#!/bin/bash
# test_daemon.sh - the daemon itself: privileges, pidfile, sockets, signals,
# the log line per message. Messages go in through tests/tools/mtclient.
. "$(dirname "$0")/lib.sh"
it_init daemon

MT="${AG_BUILD:-$ROOT/build}/tools/mtclient"
[ -x "$MT" ] || it_die "mtclient not built at $MT (make tests)"
AG_UID=$(id -u authgate) || it_die "no user authgate"
AG_GID=$(id -g authgate)

dns_start
blackhole_start

printf 'From: a@example.test\nTo: b@authgate.test\nSubject: d\n\nbody\n' \
	>"$T/m.eml"

# mt INSTANCE [ARGS...] - one message from a forbidden IP -> $MT_OUT, $MT_RC
mt() {
	local inst=$1
	shift
	MT_OUT=$("$MT" -t 20 -s "$(ag_socket "$inst")" -a 198.51.100.66 \
		-H mail.example.test -f "<alice@example.test>" "$@" \
		"$T/m.eml" 2>&1)
	MT_RC=$?
}

# status_ids PID FIELD - "real effective saved fs" of Uid: or Gid:
status_ids() {
	awk -v f="$2:" '$1 == f { print $2, $3, $4, $5 }' "/proc/$1/status"
}

# ---- 1. -V, -n
OUT=$("$AUTHGATE" -V 2>&1)
RC=$?
assert_eq "-V: exit status 0" "$RC" 0
assert_match "-V: prints a version" "$OUT" '^authgate [0-9]+\.[0-9]+'
ag_config good
OUT=$("$AUTHGATE" -n -c "$T/good.conf" 2>&1)
assert_eq "-n on a valid file: exit status 0 ($(it_short "$OUT"))" "$?" 0
ag_config badval "DNSTimeout forever"
OUT=$("$AUTHGATE" -n -c "$T/badval.conf" 2>&1)
RC=$?
check "-n on a bad value: non-zero exit" test "$RC" -ne 0
assert_match "-n on a bad value: names file:line and the key" "$OUT" \
	"$T/badval.conf:$(ag_conf_line badval '^DNSTimeout'): .*DNSTimeout"
OUT=$("$AUTHGATE" -n -c "$T/missing.conf" 2>&1)
RC=$?
check "-n on a missing file: non-zero exit" test "$RC" -ne 0
assert_match "-n on a missing file: names it" "$OUT" "$T/missing.conf"

# ---- 2. privileges dropped, in every thread
ag_start main
PID=$(ag_pid main)
mt main	# a message first, so the milter threads exist
assert_eq "a message is answered" "$MT_RC" 0
for f in Uid Gid; do
	want=$AG_UID
	[ "$f" = Gid ] && want=$AG_GID
	assert_eq "privileges: $f real/effective/saved/fs are authgate's" \
		"$(status_ids "$PID" "$f")" "$want $want $want $want"
done
GROUPS_LINE=$(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$PID/status")
assert_no_match "privileges: no supplementary group 0" " $GROUPS_LINE " ' 0 '
bad=0
ntask=0
for t in /proc/"$PID"/task/*; do
	ntask=$((ntask + 1))
	[ "$(status_ids "${t#/proc/}" Uid)" = "$AG_UID $AG_UID $AG_UID $AG_UID" ] ||
		bad=$((bad + 1))
done
assert_eq "privileges: all $ntask threads run as authgate" "$bad" 0
assert_match "privileges: no capabilities left (CapEff 0)" \
	"$(awk '$1 == "CapEff:" { print $2 }' "/proc/$PID/status")" '^0+$'

# ---- 3. pidfile
assert_eq "pidfile: holds the daemon's pid" "$(cat "$T/run/main.pid" 2>/dev/null)" "$PID"

# ---- 4. one log line per message, with the results
M0=$(ag_log_mark main)
for i in 1 2 3 4 5; do mt main -m "i=LOGQ$i"; done
sleep 0.3
LINES=$(ag_log_since main "$M0" | grep -E 'LOGQ[0-9]: ip=')
assert_eq "log: one line per message (5 messages)" \
	"$(printf '%s\n' "$LINES" | grep -c .)" 5
assert_match "log: the line has client, sender, SPF result and verdict" \
	"$(printf '%s\n' "$LINES" | head -1)" \
	'LOGQ1: ip=198\.51\.100\.66 .*from=<alice@example\.test>.* spf=fail .*verdict=accept'

# ---- 5. 20 SIGHUPs while messages flow
M0=$(ag_log_mark main)
ok_msgs=0
bad_msgs=0
(
	for i in $(seq 20); do
		kill -HUP "$PID" 2>/dev/null
		sleep 0.05
	done
) &
HUPPER=$!
for i in $(seq 30); do
	mt main
	if [ "$MT_RC" = 0 ] && printf '%s\n' "$MT_OUT" | grep -q '^result=accept'; then
		ok_msgs=$((ok_msgs + 1))
	else
		bad_msgs=$((bad_msgs + 1))
	fi
done
wait "$HUPPER"
assert_eq "20 SIGHUPs: all 30 messages during them answered" \
	"$ok_msgs/$bad_msgs" "30/0"
check "20 SIGHUPs: still running" ag_alive main
ag_log_wait main 'configuration reloaded' 5 "$M0"
NREL=$(ag_log_since main "$M0" | grep -c 'configuration reloaded')
check "20 SIGHUPs: reloads logged ($NREL)" test "$NREL" -ge 1

# ---- 6. SIGTERM with a message in flight: it still gets an answer
ag_start slow "Nameservers 127.0.0.1:$BLACKHOLE_PORT" "DNSTimeout 3s" \
	"DNSRetries 0" "PidFile $T/run/slow.pid"
SPID=$(ag_pid slow)
"$MT" -t 30 -s "$(ag_socket slow)" -a 198.51.100.66 -H mail.example.test \
	-f "<alice@example.test>" "$T/m.eml" >"$T/inflight.out" 2>&1 &
CLIENT=$!
sleep 1	# the client now waits on an SPF lookup into the blackhole
T0=$(date +%s)
kill -TERM "$SPID"
wait "$CLIENT"
CRC=$?
assert_eq "SIGTERM in flight: the client finished the conversation" "$CRC" 0
assert_match "SIGTERM in flight: it got a verdict" \
	"$(cat "$T/inflight.out")" '^result=(accept|tempfail)'
for i in $(seq 150); do
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$SPID" 2>/dev/null; then
	not_ok "SIGTERM: exits within 15 s" "still running"
else
	wait "$SPID"
	assert_eq "SIGTERM: exit status 0 (took $(($(date +%s) - T0)) s)" "$?" 0
fi
unset 'AG_PIDS[slow]'
check "SIGTERM: pidfile removed" test ! -e "$T/run/slow.pid"
assert_match "SIGTERM: logged" "$(ag_log slow)" 'stopped'

# ---- 7. SIGINT stops gracefully too
ag_start intr "PidFile $T/run/intr.pid"
IPID=$(ag_pid intr)
kill -INT "$IPID"
for i in $(seq 150); do
	kill -0 "$IPID" 2>/dev/null || break
	sleep 0.1
done
wait "$IPID"
assert_eq "SIGINT: exit status 0" "$?" 0
unset 'AG_PIDS[intr]'

# ---- 8. unix socket: mode, group, stale, in use, not a socket
SOCK="$T/run/u.sock"
ag_start unix "Socket unix:$SOCK" "SocketMode 0660" "SocketGroup postfix"
assert_eq "unix socket: mode 660 and group postfix" \
	"$(stat -c '%a %G' "$SOCK")" "660 postfix"
mt unix
assert_eq "unix socket: a message is answered" "$MT_RC" 0
ag_stop unix
check "unix socket: removed at exit" test ! -e "$SOCK"

# stale: a socket file nobody listens on
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
chown authgate "$SOCK"
# (the stale file exists before the start, so wait for the log line, not
# for the file)
if ag_try_start stale "Socket unix:$SOCK" &&
	ag_log_wait stale 'listening on unix:' 15; then
	ok "stale unix socket: removed, and authgate listens"
	mt stale
	assert_eq "stale unix socket: a message is answered" "$MT_RC" 0
else
	not_ok "stale unix socket: removed, and authgate listens" "exit ${AG_EXIT:-none}: $(it_short "$(ag_log stale)")"
fi

# in use: the running instance keeps it, a second one refuses (run in
# the foreground: the socket file exists either way, so ag_try_start
# cannot tell)
ag_config inuse "Socket unix:$SOCK"
OUT=$(timeout 15 "$AUTHGATE" -f -c "$T/inuse.conf" 2>&1)
RC=$?
check "unix socket in use: second instance exits non-zero (status $RC)" \
	test "$RC" -ne 0 -a "$RC" -ne 124
assert_match "unix socket in use: says so" "$OUT" 'in use'
check "unix socket in use: the socket file is still there" test -S "$SOCK"
mt stale
assert_eq "unix socket in use: the first instance still answers" "$MT_RC" 0
ag_stop stale

# not a socket: a regular file is never deleted
REG="$T/run/regular"
echo keep >"$REG"
if ag_try_start regfile "Socket unix:$REG"; then
	not_ok "regular file at the socket path: refused" "it started"
else
	check "regular file at the socket path: non-zero exit" test "${AG_EXIT:-0}" -ne 0
	assert_match "regular file at the socket path: says why" \
		"$(ag_log regfile)" 'not a'
fi
assert_eq "regular file at the socket path: left alone" "$(cat "$REG")" keep

# ---- 9. inet port in use
free_port || it_die "no free port"
BUSY=$FREE_PORT
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$BUSY" &
HOLDER=$!
wait_listen "$BUSY" 5
if ag_try_start busy "Socket inet:$BUSY@127.0.0.1"; then
	not_ok "inet port in use: refused" "it started"
else
	check "inet port in use: non-zero exit" test "${AG_EXIT:-0}" -ne 0
	assert_match "inet port in use: says so" "$(ag_log busy)" 'in use|Address already in use'
fi
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# ---- 10. a start refused after binding leaves neither pidfile nor socket
ag_config refroot "User root" "Socket unix:$T/run/refroot.sock" \
	"PidFile $T/run/refroot.pid"
OUT=$(timeout 20 "$AUTHGATE" -f -c "$T/refroot.conf" 2>&1)
RC=$?
check "User root: start refused (status $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
assert_match "User root: says why" "$OUT" 'User root is root'
check "User root: no pidfile left behind" test ! -e "$T/run/refroot.pid"
check "User root: no socket left behind" test ! -e "$T/run/refroot.sock"

check "authgate main still running" ag_alive main
assert_no_match "no sanitizer report or crash in main's log" \
	"$(ag_log main)" 'AddressSanitizer|runtime error:|LeakSanitizer|Segmentation'
it_finish
