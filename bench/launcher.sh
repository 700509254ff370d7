#!/usr/bin/env bash
# The launcher against the obvious alternatives, measured in the same run with hyperfine:
#
#   1. warm start: a .psp whose workenv is extracted vs running the same script directly
#      (target: < 2 ms overhead); a minimal Go program that only execs the script is measured too,
#      to show what Go's own process start-up costs on this machine;
#   2. cold first run: a .psp of a generated tree (tar+zstd) with an empty cache vs
#      `zstd -d | tar -x` of the same tree (target: within 1.5x);
#   3. launcher size per platform (target: < 3 MB; FlavorPack's Go launcher is 5.6 MB).
#
#   bash bench/launcher.sh [MB]     (MB: size of the cold-run tree, default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLAVOR_CACHE=$work/cache
flags=(-trimpath -buildvcs=false "-ldflags=-s -w -buildid=")

L=$work/flavor-launcher
CGO_ENABLED=0 go build "${flags[@]}" -o "$L" ./launcher/cmd/flavor-launcher
go build -o "$work/launchpack" ./bench/launchpack
mkdir -p "$work/goexec"
cat >"$work/goexec/main.go" <<'EOF'
package main

import (
	"os"
	"syscall"
)

func main() { panic(syscall.Exec(os.Args[1], os.Args[1:], os.Environ())) }
EOF
(cd "$work/goexec" && cat >go.mod <<<'module goexec' && CGO_ENABLED=0 go build "${flags[@]}" -o ../goexec.bin .)

# med_ms / cpu_ms CSV NAME: the median wall time, and the mean user+system CPU time, in ms of a
# hyperfine row. On a shared machine the median and the CPU time are steadier than the mean.
med_ms() { awk -F, -v c="$2" '$1 == c { printf "%.3f", $4 * 1000 }' "$1"; }
cpu_ms() { awk -F, -v c="$2" '$1 == c { printf "%.3f", ($5 + $6) * 1000 }' "$1"; }

echo "== 1. warm start"
mkdir -p "$work/hello/bin"
printf '#!/bin/sh\necho hello "$@"\n' >"$work/hello/bin/hello"
chmod 755 "$work/hello/bin/hello"
"$work/launchpack" pack -launcher "$L" -dir "$work/hello" -command '{workenv}/bin/hello' -out "$work/hello.psp"
"$work/hello.psp" >/dev/null # the first run extracts
script=$(ls -d "$FLAVOR_CACHE"/workenv/hello-*)/bin/hello
echo "phases of one warm run (FLAVOR_LAUNCHER_LOG_LEVEL=debug):"
FLAVOR_LAUNCHER_LOG_LEVEL=debug "$work/hello.psp" x 2>&1 >/dev/null | sed 's/^/  /'
# hyperfine runs one command after the other; on a shared machine the load drifts in between, so
# the commands take turns in short rounds and each figure is the median over the rounds.
rounds=${ROUNDS:-10}
for r in $(seq "$rounds"); do
	hyperfine -N --warmup 5 --runs 30 --export-csv "$work/w-psp-$r.csv" -n psp "$work/hello.psp x" >/dev/null 2>&1
	hyperfine -N --warmup 5 --runs 30 --export-csv "$work/w-direct-$r.csv" -n direct "$script x" >/dev/null 2>&1
	hyperfine -N --warmup 5 --runs 30 --export-csv "$work/w-go-exec-$r.csv" -n go-exec "$work/goexec.bin $script x" >/dev/null 2>&1
	hyperfine -N --warmup 5 --runs 30 --export-csv "$work/w-psp-no-record-$r.csv" -n psp-no-record \
		--prepare "rm -rf $FLAVOR_CACHE/workenv/.launch" "$work/hello.psp x" >/dev/null 2>&1
done
# over NAME FIELD: the median over the rounds of a per-round figure (med_ms or cpu_ms).
over() { for r in $(seq "$rounds"); do "$2" "$work/w-$1-$r.csv" "$1"; echo; done | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
psp=$(over psp med_ms)
direct=$(over direct med_ms)
goexec=$(over go-exec med_ms)
norec=$(over psp-no-record med_ms)
pspc=$(over psp cpu_ms)
directc=$(over direct cpu_ms)
goexecc=$(over go-exec cpu_ms)
norecc=$(over psp-no-record cpu_ms)
printf '  %-14s %8s %8s   (medians over %d rounds of 30 runs)\n' "" "wall ms" "CPU ms" "$rounds"
for n in psp psp-no-record go-exec direct; do
	printf '  %-14s %8.2f %8.2f\n' "$n" "$(over "$n" med_ms)" "$(over "$n" cpu_ms)"
done

echo "== 2. cold first run ($mb MiB tree)"
"$work/launchpack" tree -dir "$work/tree" -mb "$mb"
"$work/launchpack" pack -launcher "$L" -dir "$work/tree" -command true -out "$work/big.psp"
tar -C "$work/tree" -cf - . | zstd -q -T0 -o "$work/big.tar.zst"
ls -l "$work/big.psp" "$work/big.tar.zst" | awk '{printf "  %12d bytes  %s\n", $5, $NF}'
hyperfine --warmup 1 --runs 10 --export-csv "$work/cold.csv" \
	-n psp --prepare "rm -rf '$FLAVOR_CACHE'" "'$work/big.psp'" \
	-n zstd-tar --prepare "rm -rf '$work/out'; mkdir '$work/out'" "zstd -d -q -c '$work/big.tar.zst' | tar -x -C '$work/out'" |
	grep -E '^(Benchmark|  Time)'
cold=$(med_ms "$work/cold.csv" psp)
ztar=$(med_ms "$work/cold.csv" zstd-tar)
coldc=$(cpu_ms "$work/cold.csv" psp)
ztarc=$(cpu_ms "$work/cold.csv" zstd-tar)

echo "== 3. launcher size"
sizes=""
for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do
	out=$work/size-${p/\//-}
	CGO_ENABLED=0 GOOS=${p%/*} GOARCH=${p#*/} go build "${flags[@]}" -o "$out" ./launcher/cmd/flavor-launcher
	sizes+="$p $(stat -c %s "$out")"$'\n'
done

echo
echo "== results (ratios > 1 mean the launcher is slower or bigger)"
awk -v psp="$psp" -v direct="$direct" -v goexec="$goexec" -v cold="$cold" -v ztar="$ztar" -v sizes="$sizes" \
	-v pspc="$pspc" -v directc="$directc" -v goexecc="$goexecc" -v coldc="$coldc" -v ztarc="$ztarc" \
	-v norec="$norec" -v norecc="$norecc" 'BEGIN {
	printf "warm start, median wall: psp %.2f ms, direct %.2f ms: overhead %.2f ms (target < 2), %.2fx\n", psp, direct, psp - direct, psp / direct
	printf "  of which Go process start-up (go-exec %.2f ms): %.2f ms; the launcher itself: %.2f ms\n", goexec, goexec - direct, psp - goexec
	printf "warm start, CPU: psp %.2f ms, direct %.2f ms, go-exec %.2f ms: overhead %.2f ms, %.2f ms over go-exec\n", pspc, directc, goexecc, pspc - directc, pspc - goexecc
	printf "warm start without the launch record (full metadata check, then rewriting the record): %.2f ms wall, %.2f ms CPU: the record saves %.2f ms CPU\n", norec, norecc, norecc - pspc
	printf "cold run, median wall: psp %.0f ms vs zstd -d | tar -x %.0f ms: %.2fx (target <= 1.5x)\n", cold, ztar, cold / ztar
	printf "cold run, CPU: psp %.0f ms vs zstd -d | tar -x %.0f ms: %.2fx\n", coldc, ztarc, coldc / ztarc
	n = split(sizes, lines, "\n")
	for (i = 1; i <= n; i++) if (split(lines[i], f, " ") == 2)
		printf "size:       %-14s %8d bytes  %.2fx of 3 MB, %.2fx of FlavorPack'"'"'s 5.6 MB\n", f[1], f[2], f[2] / 3e6, f[2] / 5.6e6
}'
