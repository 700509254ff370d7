#!/usr/bin/env bash
# Delta cost against base size: one added file on busybox (~2 MB) and on busybox padded to ~1 GB
# in 10,000 files, measured in one run three ways (BenchmarkDelta in
# integration/delta_bench_test.go): local (overlay upper dir), remote (docker diff + docker cp),
# export (docker export read whole: the obvious alternative). Each iteration runs both bases.
# Prints, per way, the median over runs of each base's time and of padded/busybox (target for
# local: <= 1.3), then how the alternatives compare with local.
#   bash bench/delta.sh [count (default 5)] [benchtime (default 1s)]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${2:-1s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -tags integration -run '^$' -bench '^BenchmarkDelta$' -benchtime "$benchtime" -count "$count" -timeout 60m ./integration | tee "$out" >&2
awk '
/^BenchmarkDelta\// {
	split($1, parts, "/"); way = parts[2]; sub(/-[0-9]+$/, "", way)
	n[way]++
	for (i = 5; i < NF; i += 2) v[way, $(i + 1), n[way]] = $i
}
function median(way, unit,   i, j, t, m, a) {
	m = n[way]; for (i = 1; i <= m; i++) a[i] = v[way, unit, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "\nmedians of %d runs\n%-8s %14s %14s %16s\n", n["local"], "way", "busybox ms", "padded1GB ms", "padded/busybox"
	split("local remote export", ways, " ")
	for (w = 1; w <= 3; w++) {
		b[w] = median(ways[w], "busybox-ms/op"); p[w] = median(ways[w], "padded-ms/op")
		printf "%-8s %14.3f %14.3f %16.2f\n", ways[w], b[w], p[w], median(ways[w], "padded/busybox")
	}
	printf "\nremote/local: busybox %.0fx, padded1GB %.0fx\n", b[2] / b[1], p[2] / p[1]
	printf "export/local: busybox %.0fx, padded1GB %.0fx\n", b[3] / b[1], p[3] / p[1]
}' "$out"
