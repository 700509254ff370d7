#!/usr/bin/env bash
# Packing and verification speed of packer against the obvious alternatives, measured in the same
# run: `tar -c DIR | zstd -T0` for packing a ~200 MB generated tree, `sha256sum` of the file for
# full verification. Prints the Go benchmark lines, then the ratios (>1 means packer is faster).
#
#   bash bench/pack.sh [COUNT]     (default COUNT=3; each round packs 200 MB twice)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
# One go test per round so the two packers alternate (load on a shared machine drifts).
out=$(for _ in $(seq "$count"); do
	go test ./packer -run '^$' -bench '^BenchmarkPack$' -benchtime 1x -count 1 -timeout 30m
done
go test ./packer -run '^$' -bench '^BenchmarkVerify$' -benchtime 10x -count "$count" -timeout 30m)
echo "$out" | grep -E '^(Benchmark|cpu:)'
echo "$out" | awk '
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		ns[name] += $3; n[name]++
		for (i = 4; i < NF; i++) if ($(i + 1) == "cpu-s/op") cpu[name] += $i
	}
	function mean(k) { return n[k] ? ns[k] / n[k] : 0 }
	function ratio(label, ours, theirs) {
		if (mean(ours) && mean(theirs))
			printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, mean of %d)\n", label, mean(theirs) / mean(ours), mean(ours) / 1e6, mean(theirs) / 1e6, n[ours]
	}
	END {
		print ""
		ratio("pack tar+zstd vs tar|zstd -T0 (speed-up):", "BenchmarkPack/flavor-tar.zst", "BenchmarkPack/tar|zstd-T0")
		o = "BenchmarkPack/flavor-tar.zst"; t = "BenchmarkPack/tar|zstd-T0"
		if (cpu[o] && cpu[t])
			printf "%-44s %6.2fx  (%.2f cpu-s vs %.2f cpu-s)\n", "pack CPU time, tar|zstd -T0 over ours:", cpu[t] / cpu[o], cpu[o] / n[o], cpu[t] / n[t]
		ratio("full verify vs sha256sum of the file:", "BenchmarkVerify/full", "BenchmarkVerify/sha256sum")
		ratio("header-only open vs full verify:", "BenchmarkVerify/open-header", "BenchmarkVerify/full")
	}'
