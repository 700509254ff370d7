#!/usr/bin/env bash
# Fixed cost of a build container with flavor's engine code (create + exec `true` + remove)
# against `docker run --rm IMAGE true`, one more exec step, and commit time on a small and on a
# 1 GB base, measured in one run against the local engine. Prints the ratios.
#   bash bench/engine.sh [COUNT]      (COUNT iterations per benchmark, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
out=$(go test -tags integration ./integration -run '^$' -bench 'CreateExecRemove|DockerRunRm|ExecStep|Commit' -benchtime "${n}x" -count 1 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark' | awk '{printf "%-40s %10.1f ms/op\n", $1, $3/1e6}'
echo "$out" | awk '
	/^BenchmarkCreateExecRemove/ {ours=$3}
	/^BenchmarkDockerRunRm/ {run=$3}
	/^BenchmarkExecStep/ {step=$3}
	/^BenchmarkCommit\/busybox-/ {small=$3}
	/^BenchmarkCommit\/busybox\+1GB/ {big=$3}
	END {
		if (ours && run) printf "create+exec+remove vs docker run --rm: %.2fx the time (%.0f ms vs %.0f ms)\n", ours/run, ours/1e6, run/1e6
		if (step && run) printf "one more exec step vs docker run --rm: %.2fx the time\n", step/run
		if (small && big) printf "commit on a 1 GB base vs busybox: %.2fx the time\n", big/small
	}'
