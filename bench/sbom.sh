#!/usr/bin/env bash
# Pack time of examples/zdemo (Debian-built, linux/amd64, artifacts already in the cache) with
# the SBOM and provenance slots (the default) against --no-sbom, alternating runs in one cache;
# and the documents' size against the package's. Needs the Debian image (integration/setup.sh)
# and bin/flavor (make build). Prints median wall times, the ratio and the sizes; then the scan
# under the SBOM alone (BenchmarkScanTar).
#
#   bash bench/sbom.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/zdemo "$work/ex"
rm -rf "$work/ex/dist"
root=$PWD
export FLAVOR_CACHE=$work/cache SOURCE_DATE_EPOCH=1700000000
pack() { (cd "$work/ex" && "$root/bin/flavor" pack --platform linux/amd64 -o "$work/dist" --quiet --progress none "$@" >/dev/null); }
pack # builds the artifacts (and writes flavor.lock) once
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
with=() without=()
for _ in $(seq "$runs"); do
	s=$(now); pack; e=$(now); with+=($(((e - s) / 1000)))
	s=$(now); pack --no-sbom; e=$(now); without+=($(((e - s) / 1000)))
done
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
pack
psp=$(ls "$work"/dist/*.psp)
size=$(stat -c %s "$psp")
docs=$("$root/bin/flavor" inspect --json "$psp" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(sum(s["stored"] for s in r["slots"] if s["id"].startswith("flavor.")), sum(s["original"] for s in r["slots"] if s["id"].startswith("flavor.")))')
set -- $docs
content=$(("$size" - $("$root/bin/flavor" inspect --json "$psp" | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"]["launcher_size"])')))
printf 'pack zdemo linux/amd64, cached artifacts, --no-sbom: %8d us (median of %d)\n' "$wo" "$runs"
printf 'pack zdemo linux/amd64, cached artifacts, with SBOM: %8d us  %s\n' "$w" "$(awk -v a="$w" -v b="$wo" 'BEGIN{printf "%.2fx", a/b}')"
printf 'documents: %d bytes stored (%d decoded) in a %d-byte package: %s of it, %s of what follows the launcher\n' "$1" "$2" "$size" \
	"$(awk -v a="$1" -v b="$size" 'BEGIN{printf "%.2f%%", 100*a/b}')" "$(awk -v a="$1" -v b="$content" 'BEGIN{printf "%.1f%%", 100*a/b}')"

# The scan under every tar slot, alone: hashes on workers (more than two CPUs) vs inline vs one
# SHA-256 of the stream.
out=$(go test ./sbom -run '^$' -bench '^BenchmarkScanTar$' -benchtime 8x -count 3)
echo "$out" | awk '
	/^BenchmarkScanTar\// { split($1, n, "/"); sub(/-[0-9]+$/, "", n[2]); mbs[n[2]] += $(NF - 1); c[n[2]]++ }
	END {
		for (k in mbs) mbs[k] /= c[k]
		printf "scan of a 64 MiB tar: workers %.0f MB/s, inline %.0f MB/s (%.2fx), one SHA-256 %.0f MB/s (the scan is %.2fx of it)\n",
			mbs["workers"], mbs["inline"], mbs["workers"] / mbs["inline"], mbs["sha256-once"], mbs["workers"] / mbs["sha256-once"]
	}'
