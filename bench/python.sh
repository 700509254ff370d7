#!/usr/bin/env bash
# examples/pyapp packed (the Python runtime and the app in two slots, started through the packed
# loader) against the same code run by this host's python3 (`python3 -m pyapp`, with the app
# and its dependency on PYTHONPATH, bytecode cached after the first run): warm start, cold first
# run (empty cache: verify, extract ~50 MB, then run), and the package's size against the
# uncompressed tree it unpacks to. Needs the Python image (integration/setup.sh), bin/flavor
# (make build) and python3 on the host. Prints medians and ratios from one run.
#
#   bash bench/python.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
command -v python3 >/dev/null || { echo "python.sh: needs python3 on the host for the baseline" >&2; exit 1; }
# the interpreter itself, not a wrapper such as pyenv's shim script in front of it
py=$(python3 -c 'import sys; print(sys.executable)')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/pyapp "$work/ex"
rm -rf "$work/ex/dist" "$work/ex/flavor.lock"
root=$PWD
(cd "$work/ex" && "$root/bin/flavor" pack --manifest pyproject.toml --platform linux/amd64 -o dist >/dev/null 2>&1) ||
	{ echo "python.sh: packing examples/pyapp failed (run: cd examples/pyapp && flavor pack --platform linux/amd64)" >&2; exit 1; }
psp=$(ls "$work"/ex/dist/*.psp)
bin/flavor extract --out "$work/tree" "$psp" >/dev/null
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
host() { PYTHONPATH="$work/ex/src:$work/ex/deps/tinytable/src" "$py" -m pyapp; }
host >/dev/null # its bytecode cache, as a developer's checkout has it
h=$(measure host host)
c=$(measure cold "$psp")
"$psp" >/dev/null
w=$(measure warm "$psp")
size=$(stat -c %s "$psp")
tree=$(du -sb "$work/tree" | cut -f1)
ratio() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN{printf f, a/b}'; }
printf 'host python3 -m pyapp (%s):     %8d us (median of %d; %s)\n' "$("$py" -c 'import sys;print("%d.%d" % sys.version_info[:2])')" "$h" "$runs" "$py"
printf 'pyapp .psp warm start:              %8d us  %s host\n' "$w" "$(ratio "$w" "$h" "%.2fx")"
printf 'pyapp .psp cold first run:          %8d us  %s host\n' "$c" "$(ratio "$c" "$h" "%.1fx")"
printf 'package size:                       %8d bytes, %s of the %d-byte tree it unpacks to\n' "$size" "$(ratio "$size" "$tree" "%.2fx")" "$tree"
