#!/bin/sh
# tests/run.sh - run every test group and print one summary line.
#
# Groups: each unit test binary (cmocka), the conformance suites, the
# integration tests. Each group prints "<name>: N passed, N failed"; the
# last line is the sum, "N passed, N failed". Exit status is non-zero when
# anything failed or a group could not run at all.
#
# Environment: B (build directory, default build), FUZZ (1: run the
# fuzz group from build-fuzz/), FUZZ_SECS (its seconds per target).

cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
export AUTHGATE="$PWD/$B/authgate" AG_BUILD="$PWD/$B"
total_pass=0
total_fail=0
broken=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# add_counts FILE - sum every "name: N passed, N failed" line of FILE
add_counts() {
	found=0
	while read -r p f; do
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		found=1
	done <<EOF2
$(sed -n 's/^[A-Za-z0-9_.-]*: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$1")
EOF2
	return $((1 - found))
}

# run_cmocka BIN - one unit test program; cmocka prints its own tally
run_cmocka() {
	name=$(basename "$1")
	"$1" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# crashed or aborted before cmocka could count
		f=1
	fi
	[ "$f" -ne 0 ] && cat "$log"
	echo "unit/$name: $p passed, $f failed"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

echo "== unit tests"
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	run_cmocka "$t"
done

# run_group NAME CMD... - a script printing "<name>: N passed, N failed"
# lines; it must print at least one, and a non-zero exit must come with a
# counted failure, else the group is broken (could not run)
run_group() {
	gname=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	if ! add_counts "$log"; then
		echo "$gname: did not run (exit $rc)"
		broken=$((broken + 1))
	elif [ "$rc" -ne 0 ] && ! grep -q ' [1-9][0-9]* failed' "$log"; then
		echo "$gname: exit $rc without a counted failure"
		broken=$((broken + 1))
	fi
}

echo "== conformance"
for s in tests/conformance/run-*.sh; do
	[ -f "$s" ] || continue
	run_group "$s" sh "$s"
done

echo "== integration"
if [ -f tests/integration/run.sh ]; then
	run_group integration bash tests/integration/run.sh
fi

# the libFuzzer targets, FUZZ_SECS (30) each (tests/fuzz/run.sh); make
# asan sets FUZZ=0: its build has no fuzz targets, make check runs them
echo "== fuzz"
if [ "${FUZZ:-1}" = 1 ]; then
	run_group fuzz sh tests/fuzz/run.sh
else
	echo "# fuzz: not part of this run (FUZZ=0); make check and make fuzz run it"
fi

[ "$broken" -ne 0 ] && echo "groups that could not run: $broken"
echo "$total_pass passed, $((total_fail + broken)) failed"
[ "$total_fail" -eq 0 ] && [ "$broken" -eq 0 ]
