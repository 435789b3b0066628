#!/bin/sh
# tests/conformance/run-dkim.sh - run the DKIM conformance suites
#
# Runs $B/tests/dkim_suite on ../shared/testsuites/mail-auth-stalwart/dkim,
# ../shared/testsuites/dkim-dkimpy and ../shared/testsuites/dkim-mail-dkim
# (paths relative to the project root; the last one twice: by default and
# with accept_sha1, against tests/conformance/dkim_mail_dkim.tsv) and
# prints one summary line per suite. Exits 0 when every failing case is
# listed in tests/KNOWN_FAILURES.md, 1 when a case fails that is not
# listed, 2 when the suites or the runner are missing.
# Environment: B (build directory, default build).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared="$here/../../../shared"
suites="$shared/testsuites"
B=${B:-build}
case "$B" in
/*) runner="$B/tests/dkim_suite" ;;
*) runner="$root/$B/tests/dkim_suite" ;;
esac
known="$root/tests/KNOWN_FAILURES.md"
. "$here/known.sh"
expect="$here/dkim_mail_dkim.tsv"

die() {
	echo "run-dkim.sh: $*" >&2
	exit 2
}

[ -d "$suites" ] || die "test suites not found at $suites (expected the shared checkout beside the project: ../shared/testsuites)"
for d in mail-auth-stalwart/dkim dkim-dkimpy dkim-mail-dkim/corpus; do
	[ -d "$suites/$d" ] || die "missing $suites/$d"
done
[ -f "$expect" ] || die "missing $expect"
[ -x "$runner" ] || die "runner $runner not built (make $B/tests/dkim_suite)"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
for suite in \
	"dkim-stalwart:stalwart:$suites/mail-auth-stalwart/dkim" \
	"dkim-dkimpy:dkimpy:$suites/dkim-dkimpy" \
	"dkim-mail-dkim:mail-dkim:$suites/dkim-mail-dkim" \
	"dkim-mail-dkim-sha1:mail-dkim-sha1:$suites/dkim-mail-dkim"; do
	name=${suite%%:*}
	rest=${suite#*:}
	mode=${rest%%:*}
	dir=${rest#*:}
	if [ "${mode#mail-dkim}" != "$mode" ]; then
		"$runner" "$mode" "$dir" "$expect" >"$tmp/$name.out"
	else
		"$runner" "$mode" "$dir" >"$tmp/$name.out"
	fi
	rc=$?
	[ $rc -le 1 ] || die "$name: runner failed (exit $rc)"
	known_summarise "$name" "$tmp/$name.out" "$known" yes
	case $? in
	0) ;;
	2) die "$name: runner printed no summary" ;;
	*) status=1 ;;
	esac
done
[ $status -eq 0 ] || echo "run-dkim.sh: failures not listed in tests/KNOWN_FAILURES.md" >&2
exit $status
