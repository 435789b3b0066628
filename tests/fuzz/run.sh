#!/bin/sh
# tests/fuzz/run.sh - run every libFuzzer target in build-fuzz/fuzz/
#
# For each target fuzz_NAME: first every file in tests/fuzz/regress/NAME/
# (inputs that once crashed; each must now run clean), then fuzzing for
# FUZZ_SECS seconds from the seeds in tests/fuzz/corpus/NAME/ plus the
# shared samples that target lists in tests/fuzz/seeds (NAME DIR lines,
# DIR relative to ../shared/testsuites/; a listed directory that is missing
# fails the target loudly). New corpus entries go to build-fuzz/corpus/NAME
# and are kept between runs; a crash leaves its input in
# build-fuzz/crash/NAME/ and fails the target.
#
# Prints one line per target: "ok - fuzz_NAME: RUNS runs, EXEC/s exec/s,
# cov COV, ft FT, corpus N" or "not ok - ..." with the reason, then
# "fuzz: N passed, N failed". Exit status 1 on any failure.
# Env: FUZZ_SECS (30), FUZZ_JOBS (number of CPUs: targets run side by
#      side), FB (build-fuzz), ONLY=NAME.
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
FB=${FB:-build-fuzz}
SECS=${FUZZ_SECS:-30}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
SHARED="$ROOT/../shared/testsuites"
OUT="$FB/fuzz-out"
rm -rf "$OUT"
mkdir -p "$OUT"

# one_target BIN - regressions, then the timed run; writes OUT/NAME.res
one_target() {
	bin=$1
	name=$(basename "$bin" | sed 's/^fuzz_//')
	res="$OUT/$name.res"
	log="$OUT/$name.log"
	work="$FB/corpus/$name"
	crash="$FB/crash/$name"
	mkdir -p "$work" "$crash"
	dirs="$ROOT/tests/fuzz/corpus/$name"
	if [ ! -d "$dirs" ]; then
		echo "not ok - fuzz_$name: no seed corpus tests/fuzz/corpus/$name" >"$res"
		return
	fi
	for d in $(sed -n "s/^$name[ 	][ 	]*//p" tests/fuzz/seeds 2>/dev/null); do
		if [ ! -d "$SHARED/$d" ]; then
			echo "not ok - fuzz_$name: shared seeds ../shared/testsuites/$d missing" >"$res"
			return
		fi
		dirs="$dirs $SHARED/$d"
	done
	if [ -d "tests/fuzz/regress/$name" ] &&
		[ -n "$(ls -A "tests/fuzz/regress/$name")" ]; then
		if ! "$bin" -runs=1 tests/fuzz/regress/"$name"/* >"$log.regress" 2>&1; then
			echo "not ok - fuzz_$name: a regression input crashes again: $(grep -m1 -E 'ERROR|runtime error' "$log.regress")" >"$res"
			return
		fi
	fi
	# -rss_limit_mb: a target's memory is bounded like the daemon's
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$crash/" "$work" $dirs >"$log" 2>&1
	rc=$?
	last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	if [ "$rc" -ne 0 ]; then
		echo "not ok - fuzz_$name: exit $rc: $(grep -m1 -E 'ERROR|runtime error|Test unit written' "$log") (log $log)" >"$res"
		return
	fi
	if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
		echo "not ok - fuzz_$name: no runs reported (log $log)" >"$res"
		return
	fi
	echo "ok - fuzz_$name: $runs runs, $eps exec/s, cov $cov, ft $ft, corpus $corp" >"$res"
}

set -- "$FB"/fuzz/fuzz_*
if [ ! -x "$1" ]; then
	echo "not ok - fuzz: no targets built in $FB/fuzz (make fuzz-build)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
if [ ! -d "$SHARED" ]; then
	echo "not ok - fuzz: ../shared/testsuites missing (the seed samples)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
running=0
for bin in "$@"; do
	[ -x "$bin" ] || continue
	case $bin in *.d) continue ;; esac
	n=$(basename "$bin" | sed 's/^fuzz_//')
	[ -n "${ONLY:-}" ] && [ "$n" != "$ONLY" ] && continue
	one_target "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait
pass=0
fail=0
for r in "$OUT"/*.res; do
	[ -e "$r" ] || continue
	cat "$r"
	if grep -q '^ok ' "$r"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
