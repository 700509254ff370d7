#!/usr/bin/env bash
# Spec tree loading, templating and resolution at 1,000 and 10,000 packages (generated trees
# shaped like a distribution; see genTree in specs/bench_test.go), and rendering against Luet's
# way of rendering, measured in the same run. Prints the figures and the ratios.
#
#   bash bench/tree.sh            # 3 runs of each size
#   COUNT=1 bash bench/tree.sh    # quicker
#
# The 10,000-package case must take less than 15x the 1,000-package case. On a shared machine
# wall time depends on the neighbours, so CPU time (user+system, cpu-ns/op) is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-3}
out=$(go test -run '^$' -bench '^BenchmarkTree$' -benchtime "${count}x" ./specs
	go test -run '^$' -bench '^BenchmarkRender$' ./specs)
echo "$out" | grep -E '^Benchmark' || { echo "$out"; exit 1; }

field() { # field NAME COLUMN-UNIT
	echo "$out" | awk -v n="$1" -v u="$2" '$1 ~ n { for (i = 2; i < NF; i++) if ($(i+1) == u) print $i }' | head -1
}
wall1=$(field 'Tree/packages=1000-' ns/op)
wall10=$(field 'Tree/packages=10000-' ns/op)
cpu1=$(field 'Tree/packages=1000-' cpu-ns/op)
cpu10=$(field 'Tree/packages=10000-' cpu-ns/op)
shared=$(field 'Render/shared-' ns/op)
concat=$(field 'Render/concatenate-' ns/op)

awk -v w1="$wall1" -v w10="$wall10" -v c1="$cpu1" -v c10="$cpu10" -v s="$shared" -v c="$concat" 'BEGIN {
	printf "\nload + template + resolve everything (wall / CPU):\n"
	printf "  1,000 packages:  %7.3f s / %7.3f s\n", w1 / 1e9, c1 / 1e9
	printf "  10,000 packages: %7.3f s / %7.3f s\n", w10 / 1e9, c10 / 1e9
	printf "  ratio 10k/1k:    %7.1fx / %7.1fx   (must stay below 15x)\n", w10 / w1, c10 / c1
	printf "\nrendering one spec with 20 shared templates:\n"
	printf "  ours (shared set parsed once):      %8.1f us\n", s / 1e3
	printf "  Luet (concatenate and parse again): %8.1f us\n", c / 1e3
	printf "  Luet / ours:                        %8.1fx\n", c / s
	if (w10 / w1 >= 15 && c10 / c1 >= 15) { print "\nFAIL: superlinear"; exit 1 }
}'
