#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s; `make fuzz`, part of
# `make test`). Each target's generated corpus is kept in Go's cache, so runs on one machine build
# on each other; the seed corpus in testdata/fuzz always runs. The step fails when a target made
# fewer than FUZZ_MIN_EXECS executions (default 100; the ones that ran fewer than 20 in 10 s tested nothing): a target that slow tests nothing in a short
# run and must be made cheaper (or its time raised). Prints one line per target with its
# executions and what it found.
#
#   bash .ci/fuzz.sh [FUZZTIME]        (FUZZ_MIN_EXECS=N to change the floor)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
min=${FUZZ_MIN_EXECS:-100}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
found=0 slow=()
start=$SECONDS
for dir in $(go list -f '{{.Dir}}' ./...); do
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		found=$((found + 1))
		pkg=$(go list "$dir")
		if ! (cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" .) >"$log" 2>&1; then
			cat "$log"
			echo "fuzz: $pkg $target FAILED (the failing input is under $dir/testdata/fuzz/$target)"
			exit 1
		fi
		# The last progress line: "fuzz: elapsed: 10s, execs: 123456 (12345/sec), new interesting: 3 (total: 40)".
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
		interesting=$(grep -o 'new interesting: [0-9]* (total: [0-9]*)' "$log" | tail -1 || true)
		printf 'fuzz: [%4ds] %-45s %-28s %9s execs, %s\n' $((SECONDS - start)) "${pkg#github.com/flavor-dev/flavor/}" "$target" "${execs:-0}" "${interesting:-no progress line}"
		[ "${execs:-0}" -ge "$min" ] || slow+=("${pkg#github.com/flavor-dev/flavor/} $target: ${execs:-0}")
	done
done
echo "fuzz: ran $found targets in $((SECONDS - start)) s, $fuzztime each"
if [ ${#slow[@]} -gt 0 ]; then
	printf 'fuzz: fewer than %d executions in %s (make the target cheaper):\n' "$min" "$fuzztime"
	printf '  %s\n' "${slow[@]}"
	exit 1
fi
