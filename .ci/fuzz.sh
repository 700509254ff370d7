#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s): `make fuzz`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}
found=0
for dir in $(go list -f '{{.Dir}}' ./...); do
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		found=$((found + 1))
		echo "fuzz: $(go list "$dir") $target ($fuzztime)"
		(cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" .)
	done
done
echo "fuzz: ran $found targets"
