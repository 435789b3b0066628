#!/bin/sh
# tests/conformance/run-spf.sh - run the SPF conformance suites
#
# Converts ../shared/testsuites/spf-rfc7208/rfc7208-tests.yml and
# ../shared/testsuites/mail-auth-stalwart/spf/*.yml (paths relative to the
# project root) into case files in a temporary directory, runs
# $B/tests/spf_suite on each and prints both summary lines. Exits 0 when
# every failing case is listed in tests/KNOWN_FAILURES.md, 1 when a case
# fails that is not listed, 2 when the suites or the runner are missing.
# Environment: B (build directory, default build), PYTHON (a python3 with
# PyYAML, default /usr/bin/python3).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared="$here/../../../shared"
suites="$shared/testsuites"
B=${B:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
case "$B" in
/*) runner="$B/tests/spf_suite" ;;
*) runner="$root/$B/tests/spf_suite" ;;
esac
known="$root/tests/KNOWN_FAILURES.md"
. "$here/known.sh"

die() {
	echo "run-spf.sh: $*" >&2
	exit 2
}

[ -d "$suites" ] || die "test suites not found at $suites (expected the shared checkout beside the project: ../shared/testsuites)"
[ -f "$suites/spf-rfc7208/rfc7208-tests.yml" ] || die "missing $suites/spf-rfc7208/rfc7208-tests.yml"
ls "$suites"/mail-auth-stalwart/spf/*.yml >/dev/null 2>&1 || die "missing $suites/mail-auth-stalwart/spf/*.yml"
[ -x "$runner" ] || die "runner $runner not built (make $B/tests/spf_suite)"
"$PYTHON" -c 'import yaml' 2>/dev/null || die "$PYTHON cannot import yaml (install python3-yaml)"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT INT TERM

"$PYTHON" "$here/spf_yaml2cases.py" rfc7208 \
	"$suites/spf-rfc7208/rfc7208-tests.yml" >"$tmp/rfc7208.cases" ||
	die "converting rfc7208-tests.yml failed"
"$PYTHON" "$here/spf_yaml2cases.py" stalwart \
	"$suites"/mail-auth-stalwart/spf/*.yml >"$tmp/stalwart.cases" ||
	die "converting the stalwart suite failed"

status=0
for suite in rfc7208:spf-rfc7208 stalwart:spf-stalwart; do
	file=${suite%%:*}
	name=${suite#*:}
	"$runner" "$tmp/$file.cases" "$name" >"$tmp/$file.out"
	rc=$?
	[ $rc -le 1 ] || die "$name: runner failed (exit $rc)"
	known_summarise "$name" "$tmp/$file.out" "$known" no
	case $? in
	0) ;;
	2) die "$name: runner printed no summary" ;;
	*) status=1 ;;
	esac
done
[ $status -eq 0 ] || echo "run-spf.sh: failures not listed in tests/KNOWN_FAILURES.md" >&2
exit $status
