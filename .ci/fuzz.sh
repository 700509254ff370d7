#!/usr/bin/env bash
# Runs every fuzz target in the module for a fixed number of executions each (`make fuzz`, part of
# `make test`; default 2000x). A count, not a duration: on a loaded 2-core machine a duration let
# starved workers run a target for 10 s with 8 executions, and Go 1.26's coordinator fails a
# duration-bounded run with a bare "context deadline exceeded" when a starved worker misses the
# deadline (golang/go#75804, fixed in Go 1.27); a count has no deadline to race, and the slowest
# target (packer FuzzExtractTar, about 12 ms an execution) bounds the step. Each target's
# generated corpus is kept in Go's cache, so runs on one machine build on each other; the seed
# corpus in testdata/fuzz always runs. Prints one line per target with its executions and what it
# found; a failure names the input Go wrote under testdata/fuzz. Given a duration instead
# (bash .ci/fuzz.sh 1m, for a longer local search), a target that made fewer than FUZZ_MIN_EXECS
# executions (default 100) fails the step: it tested nothing.
#
#   bash .ci/fuzz.sh [FUZZTIME]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-2000x}
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
			input=$(grep -o 'Failing input written to [^ ]*' "$log" | cut -d' ' -f5 || true)
			echo "fuzz: $pkg $target FAILED${input:+; the failing input: $dir/$input (re-run: go test -run=$target/${input##*/} ./${pkg#github.com/flavor-dev/flavor/})}"
			exit 1
		fi
		# The last progress line: "fuzz: elapsed: 10s, execs: 123456 (12345/sec), new interesting: 3 (total: 40)".
		execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
		interesting=$(grep -o 'new interesting: [0-9]* (total: [0-9]*)' "$log" | tail -1 || true)
		printf 'fuzz: [%4ds] %-45s %-28s %9s execs, %s\n' $((SECONDS - start)) "${pkg#github.com/flavor-dev/flavor/}" "$target" "${execs:-0}" "${interesting:-no progress line}"
		[[ $fuzztime == *x ]] || [ "${execs:-0}" -ge "$min" ] || slow+=("${pkg#github.com/flavor-dev/flavor/} $target: ${execs:-0}")
	done
done
echo "fuzz: ran $found targets in $((SECONDS - start)) s, -fuzztime $fuzztime each"
if [ ${#slow[@]} -gt 0 ]; then
	printf 'fuzz: fewer than %d executions in %s (make the target cheaper):\n' "$min" "$fuzztime"
	printf '  %s\n' "${slow[@]}"
	exit 1
fi
