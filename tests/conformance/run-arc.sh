#!/bin/sh
# tests/conformance/run-arc.sh - run the ARC conformance groups
#
# Converts ../shared/testsuites/arc (the ValiMail suite, YAML) with
# arc_yaml2cases.py and runs $B/tests/arc_suite on it: arc-validation
# (chain validation results) and arc-sign (our seals compared tag by tag
# with the suite's, and each re-verified); then arc-stalwart
# (../shared/testsuites/mail-auth-stalwart/arc: every chain passes).
# Prints one summary line per group. Exits 0 when every failing case is
# listed in tests/KNOWN_FAILURES.md, 1 when a case fails that is not
# listed, 2 when the suites, python3-yaml or the runner are missing.
# Environment: B (build directory, default build), PYTHON (a python3 with
# PyYAML, default /usr/bin/python3).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
suites="$here/../../../shared/testsuites"
B=${B:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
case "$B" in
/*) runner="$B/tests/arc_suite" ;;
*) runner="$root/$B/tests/arc_suite" ;;
esac
known="$root/tests/KNOWN_FAILURES.md"
. "$here/known.sh"

die() {
	echo "run-arc.sh: $*" >&2
	exit 2
}

[ -d "$suites/arc" ] || die "missing $suites/arc (expected the shared checkout beside the project: ../shared/testsuites)"
[ -d "$suites/mail-auth-stalwart/arc" ] || die "missing $suites/mail-auth-stalwart/arc"
[ -x "$runner" ] || die "runner $runner not built (make $B/tests/arc_suite)"
"$PYTHON" -c 'import yaml' 2>/dev/null || die "$PYTHON cannot import yaml (install python3-yaml)"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT INT TERM

"$PYTHON" "$here/arc_yaml2cases.py" validation \
	"$suites/arc/arc-draft-validation-tests.yml" >"$tmp/validation.cases" ||
	die "cannot convert the validation suite"
"$PYTHON" "$here/arc_yaml2cases.py" sign \
	"$suites/arc/arc-draft-sign-tests.yml" >"$tmp/sign.cases" ||
	die "cannot convert the signing suite"

status=0
for g in validation sign stalwart; do
	name="arc-$g"
	if [ "$g" = stalwart ]; then
		"$runner" stalwart "$suites/mail-auth-stalwart/arc" >"$tmp/$name.out"
	else
		"$runner" "$g" "$tmp/$g.cases" >"$tmp/$name.out"
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
[ $status -eq 0 ] || echo "run-arc.sh: failures not listed in tests/KNOWN_FAILURES.md" >&2
exit $status
