#!/usr/bin/env bash
# `make bench`: every benchmark script under bench/, one after the other, each printing its
# comparison against the obvious alternative as ratios. Engine benchmarks start the engine first
# (integration/setup.sh). Run on a quiet machine: the figures are wall-clock times.
#
#   bash bench/run.sh [NAME…]   (default: all of tree pack launcher delta engine build engines bundle portable python)
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(tree pack launcher delta engine build engines bundle portable python)
for n in "${names[@]}"; do
	[ -f "bench/$n.sh" ] || { echo "bench: no bench/$n.sh" >&2; exit 1; }
	case $n in delta | engine | build | engines | bundle | portable | python) bash integration/setup.sh ;; esac
	echo "=== bench/$n.sh"
	bash "bench/$n.sh"
done
