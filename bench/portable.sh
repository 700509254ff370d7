#!/usr/bin/env bash
# The portable program of examples/zdemo (a Debian-built dynamic program started through its
# packed loader): cold first run (empty cache) and warm start of its .psp against running the
# same program directly from an extracted tree, through the same loader. Needs the Debian image
# (integration/setup.sh) and bin/flavor (make build). Prints median wall times and ratios.
#
#   bash bench/portable.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/zdemo "$work/ex"
root=$PWD
(cd "$work/ex" && "$root/bin/flavor" pack --platform linux/amd64 -o dist >/dev/null 2>&1)
psp=$(ls "$work"/ex/dist/*.psp)
bin/flavor extract --out "$work/tree" "$psp" >/dev/null
t=$work/tree
direct=("$t/usr/lib64/ld-linux-x86-64.so.2" --library-path "$t/usr/lib/x86_64-linux-gnu" --inhibit-cache "$t/usr/bin/zdemo")
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # label, then the command; prints the median in microseconds
	local label=$1; shift
	for _ in $(seq "$runs"); do
		[ "$label" = cold ] && rm -rf "$work/cache"
		s=$(now); "$@" >/dev/null; e=$(now)
		echo $(((e - s) / 1000))
	done | median
}
export FLAVOR_CACHE=$work/cache
d=$(measure direct "${direct[@]}")
c=$(measure cold "$psp")
"$psp" >/dev/null
w=$(measure warm "$psp")
printf 'zdemo direct from an extracted tree: %8d us (median of %d)\n' "$d" "$runs"
printf 'zdemo .psp cold first run:           %8d us  %s direct\n' "$c" "$(awk -v a="$c" -v b="$d" 'BEGIN{printf "%.1fx", a/b}')"
printf 'zdemo .psp warm start:               %8d us  %s direct\n' "$w" "$(awk -v a="$w" -v b="$d" 'BEGIN{printf "%.2fx", a/b}')"
