#!/usr/bin/env bash
# Delta cost against base size: one added file on busybox (~2 MB) and on busybox padded to ~1 GB
# in 10,000 files, measured in one run three ways (see BenchmarkDelta in
# integration/delta_bench_test.go): local (overlay upper dir), remote (docker diff + docker cp),
# export (docker export read whole: the obvious alternative). Prints medians and the
# padded/busybox ratio of each way (target for local: <= 1.3), and export/local per base.
#   bash bench/delta.sh [count (default 5)] [benchtime (default 1s)]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${2:-1s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench '^BenchmarkDelta$' -benchtime "$benchtime" -count "$count" -timeout 60m ./integration | tee "$out" >&2
awk '
/^BenchmarkDelta\// {
	split($1, p, "/"); way = p[2]; base = p[3]; sub(/-[0-9]+$/, "", base)
	key = way "/" base; n[key]++; v[key, n[key]] = $3
}
function median(key,   i, j, t, m, a) {
	m = n[key]; for (i = 1; i <= m; i++) a[i] = v[key, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "\n%-8s %14s %14s %10s\n", "way", "busybox ms", "padded1GB ms", "ratio"
	split("local remote export", ways, " ")
	for (w = 1; w <= 3; w++) {
		b = median(ways[w] "/busybox"); p = median(ways[w] "/padded1GB")
		med[ways[w], "b"] = b; med[ways[w], "p"] = p
		printf "%-8s %14.3f %14.3f %10.2f\n", ways[w], b / 1e6, p / 1e6, p / b
	}
	printf "\nexport/local: busybox %.1fx, padded1GB %.1fx\n", med["export", "b"] / med["local", "b"], med["export", "p"] / med["local", "p"]
	printf "remote/local: busybox %.1fx, padded1GB %.1fx\n", med["remote", "b"] / med["local", "b"], med["remote", "p"] / med["local", "p"]
}' "$out"
