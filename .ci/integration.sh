#!/usr/bin/env bash
# Runs the integration tests (build tag "integration"; they need what integration/setup.sh
# starts) and shows progress while the long package runs: one line per finished test, the full
# `go test -v` log only when something failed. Then the engine and build tests run a second time
# against Podman's Docker-compatible service (FLAVOR_TEST_ENGINE=podman, the tests in
# PODMAN_TESTS), so what the README says about Podman stays true.
set -uo pipefail
cd "$(dirname "$0")/.."

# The tests that run against Podman too: the engine's contract and the builds of the Luet
# fixtures (deltas, unpack, package_dir, owners, copy, joins, chains, retrieve, cross-arch).
PODMAN_TESTS='^(TestArm64UnderEmulation|TestCanRunWithoutBinfmt|TestExec.*|TestCancelledContextRemovesContainer|TestCopyRoundTrip|TestCommitChangesOverlayExport|TestRemoveStale|TestDeadDaemon|TestBuildFixtures.*|TestBuildChain.*|TestBuildDeltaModifiedAndDeleted|TestBuildJoin|TestBuildCopy|TestBuildEnvironment|TestBuildStepFailure|TestBuildCrossArch|TestBuildRetrieve)$'

start=$(date +%s)
run() { # $1 = label, then go test arguments
	local label=$1 log rc
	shift
	log=$(mktemp)
	go test -tags integration -count=1 -timeout 60m -v "$@" ./integration 2>&1 | tee "$log" |
		grep --line-buffered -E '^(--- (PASS|FAIL|SKIP)|ok |FAIL|panic:)' |
		while IFS= read -r line; do printf '[%4ds] %s%s\n' $(( $(date +%s) - start )) "$label" "$line"; done
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "integration tests ${label:-}failed (exit $rc); full log:"
		cat "$log"
	fi
	rm -f "$log"
	return "$rc"
}
run "" ; rc=$?
FLAVOR_TEST_ENGINE=podman FLAVOR_SKIP_SETUP=1 run "podman: " -run "$PODMAN_TESTS" || rc=1
exit "$rc"
