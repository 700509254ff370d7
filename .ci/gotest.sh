#!/usr/bin/env bash
# Runs `go test -json ARGS…` (the unit and race steps of `make test`) and shows progress while
# packages run: one line per finished package, and one per top-level test that took 10 s or more
# or failed, each with the seconds since the start. When something failed, the output of the
# failed packages follows, as `go test` would have printed it.
#
#   bash .ci/gotest.sh -count=1 -timeout 40m ./...
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
# Each event is one JSON object per line: {"Time":…,"Action":"pass","Package":"…","Test":"…","Elapsed":1.2}.
"${GO:-go}" test -json "$@" 2>&1 | tee "$log" | awk '
	function str(name,   m) {
		if (!match($0, "\"" name "\":\"[^\"]*\"")) return ""
		m = substr($0, RSTART + length(name) + 4, RLENGTH - length(name) - 5)
		return m
	}
	function num(name,   m) {
		if (!match($0, "\"" name "\":[0-9.]+")) return 0
		return substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3) + 0
	}
	/^[^{]/ { print; fflush(); next } # a build error, printed by go test itself
	/"Action":"(pass|fail|skip)"/ {
		act = str("Action"); pkg = str("Package"); test = str("Test"); el = num("Elapsed")
		sub(/^github\.com\/flavor-dev\/flavor\//, "", pkg)
		if (test == "")
			printf "%s %s (%.1fs)\n", (act == "fail" ? "FAIL" : act == "skip" ? "-   " : "ok  "), pkg, el
		else if (test !~ /\// && (el >= 10 || act == "fail"))
			printf "  %s %s %s (%.1fs)\n", toupper(act), pkg, test, el
		fflush()
	}' | while IFS= read -r line; do printf '[%4ds] %s\n' $(($(date +%s) - start)) "$line"; done
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "go test failed (exit $rc); the compiler errors and the output of the failed packages:"
	# The packages that failed, then every output line of theirs (and every compiler error), unescaped.
	awk '
		/"Action":"fail"/ && !/"Test":/ { match($0, /"Package":"[^"]*"/); failed[substr($0, RSTART + 11, RLENGTH - 12)] = 1 }
		{ lines[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				l = lines[i]
				if (l ~ /"Action":"build-output"/) {
					# compiler errors: reported by import path, before the package starts
				} else if (l !~ /"Action":"output"/ || !match(l, /"Package":"[^"]*"/) || !(substr(l, RSTART + 11, RLENGTH - 12) in failed)) {
					continue
				}
				if (!match(l, /"Output":".*"}$/)) continue
				o = substr(l, RSTART + 10, RLENGTH - 12)
				gsub(/\\n/, "\n", o); gsub(/\\t/, "\t", o); gsub(/\\"/, "\"", o); gsub(/\\\\/, "\\", o)
				printf "%s", o
			}
		}' "$log"
fi
exit "$rc"
