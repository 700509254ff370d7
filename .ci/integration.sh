#!/usr/bin/env bash
# Runs the integration tests (build tag "integration"; they need what integration/setup.sh
# starts) and shows progress while the long package runs: one line per finished test, the full
# `go test -v` log only when something failed.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
go test -tags integration -count=1 -timeout 60m -v ./integration 2>&1 | tee "$log" |
	grep --line-buffered -E '^(--- (PASS|FAIL|SKIP)|ok |FAIL|panic:)' |
	while IFS= read -r line; do printf '[%4ds] %s\n' $(( $(date +%s) - start )) "$line"; done
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "integration tests failed (exit $rc); full log:"
	cat "$log"
fi
exit "$rc"
