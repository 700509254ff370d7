#!/usr/bin/env bash
# Build benchmarks against the local engine, each next to its obvious alternative, measured in
# one run; prints the ratios.
#   bash bench/build.sh [COUNT]     (COUNT iterations per benchmark, default 10)
#
#   - a package that adds one file, built on a base padded to ~1 GB in 10,000 files against the
#     same on the ~2 MB busybox: the whole build and its delta part (target: delta ratio <= 1.3);
#     bench/delta.sh (the delta package's own benchmark) measures the delta code alone;
#   - a cached rebuild of a 3-package chain against its cold build (target: >= 10x faster);
#   - the fixed overhead of one trivial package build against `docker run --rm busybox true`.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
bash integration/setup.sh >/dev/null 2>&1 || bash integration/setup.sh
out=$(cd integration && FLAVOR_SKIP_SETUP=1 go test -tags integration -run '^$' -bench 'BuildTrivial|DockerRunTrue|BuildCold|BuildCached|BuildOneFile' \
	-benchtime "${n}x" -count 1 -timeout 60m . 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark' | awk '{ line = sprintf("%-40s %10.1f ms/op", $1, $3/1e6); for (i = 5; i < NF; i += 2) line = line sprintf("  %8.1f %s", $i, $(i+1)); print line }'
echo "$out" | awk '
	/^BenchmarkBuildTrivial/ {trivial=$3}
	/^BenchmarkDockerRunTrue/ {run=$3}
	/^BenchmarkBuildCold/ {cold=$3}
	/^BenchmarkBuildCached/ {cached=$3}
	/^BenchmarkBuildOneFile\/busybox/ {small=$3; for (i = 5; i < NF; i += 2) if ($(i+1) == "extract-ms/op") smallx=$i}
	/^BenchmarkBuildOneFile\/padded1GB/ {big=$3; for (i = 5; i < NF; i += 2) if ($(i+1) == "extract-ms/op") bigx=$i}
	END {
		if (small && big) printf "one-file build, 1 GB base vs busybox: %.2fx the time (%.0f ms vs %.0f ms)\n", big/small, big/1e6, small/1e6
		if (smallx && bigx) printf "its delta part, 1 GB base vs busybox: %.2fx the time (%.0f ms vs %.0f ms; target <= 1.3)\n", bigx/smallx, bigx, smallx
		if (cold && cached) printf "cached rebuild vs cold build (3 packages): %.1fx faster (%.0f ms vs %.0f ms; target >= 10)\n", cold/cached, cached/1e6, cold/1e6
		if (trivial && run) printf "trivial package build vs docker run --rm busybox true: %.2fx the time (%.0f ms vs %.0f ms)\n", trivial/run, trivial/1e6, run/1e6
	}'
