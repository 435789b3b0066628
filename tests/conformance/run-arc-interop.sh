#!/bin/sh
# tests/conformance/run-arc-interop.sh - ARC interoperability with dkimpy
# (Debian python3-dkim + python3-authres): chains sealed by authgate
# validate with dkimpy's arc_verify, chains sealed by dkimpy's arc_sign
# validate with authgate, two- and three-hop chains mixing both, and
# altered messages fail on the other side. The checks are in
# tests/conformance/arc_interop.py (its docstring lists them).
# Prints "arc-interop: N passed, N failed"; exits 0 when all pass, 1 on a
# failure, 2 when the runner or dkimpy is missing.
# Environment: B (build directory, default build), PYTHON (default
# /usr/bin/python3).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=${B:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
case "$B" in
/*) runner="$B/tests/arc_suite" ;;
*) runner="$root/$B/tests/arc_suite" ;;
esac

die() {
	echo "run-arc-interop.sh: $*" >&2
	exit 2
}

[ -x "$runner" ] || die "runner $runner not built (make $B/tests/arc_suite)"
"$PYTHON" -c 'import dkim, authres' 2>/dev/null ||
	die "$PYTHON cannot import dkim and authres (install python3-dkim python3-authres)"
command -v openssl >/dev/null 2>&1 || die "openssl not found"

tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT INT TERM
"$PYTHON" "$here/arc_interop.py" "$runner" "$tmp"
