#!/usr/bin/env bash
# Packing and verification speed of packer against the obvious alternatives, measured in the same
# run: `tar -c DIR | zstd -T0` for packing a ~200 MB generated tree, `sha256sum` of the file for
# full verification. Prints the Go benchmark lines, then the ratios (>1 means packer is faster).
# Then what bundle adds to packer.Write, and the whole `flavor pack` command against
# `tar -c | zstd -T0` as processes, in wall and CPU time: of the generated tree, and of a
# Debian-based package (Python's standard library unpacked from the Debian image, its artifact
# cached so no container runs) against `tar -c | zstd -T0` of the tree its .psp extracts to.
#
#   bash bench/pack.sh [-b REF] [COUNT] [all|go|cli|debian]   (default 3 rounds, all parts; go =
#                                    the Go benchmarks of packer, bundle and pipeline, cli = the flavor pack
#                                    command of a generated tree, debian = of the Debian-based
#                                    package, which needs integration/setup.sh's image)
#
# With -b REF (say main) the flavor command built from git REF packs too, as "base", in the same
# rounds as the working tree's ("new"), for the cli and debian parts.
set -euo pipefail
cd "$(dirname "$0")/.."
base=""
while getopts b: o; do
	case $o in
	b) base=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
count=${1:-3}
part=${2:-all}
if [[ $part == all || $part == go ]]; then
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

# What bundle adds to packer.Write (manifest mapping, launcher lookup, the check of the written
# file and its SHA-256), in CPU time per package: on a shared machine wall time mostly measures the
# other tenants.
out=$(go test ./bundle -run '^$' -bench '^BenchmarkPack$' -benchtime 3x -count "$count" -timeout 30m)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ns/op") { cpu[name] += $i; n[name]++ } }
	END {
		a = cpu["BenchmarkPack/bundle.Pack"] / n["BenchmarkPack/bundle.Pack"]; b = cpu["BenchmarkPack/packer.Write"] / n["BenchmarkPack/packer.Write"]
		if (a && b) printf "\n%-44s %6.2fx  (%.0f ms vs %.0f ms CPU, mean of %d)\n", "bundle.Pack vs packer.Write (CPU, speed-up):", b / a, a / 1e6, b / 1e6, n["BenchmarkPack/bundle.Pack"]
	}'

# What the packer waits for before and while it encodes an [install] slot of one package: the
# merged temporary tar written and read back, against the merge streamed into the packer.
out=$(go test ./bundle -run '^$' -bench '^BenchmarkMergeGroup$' -benchtime 5x -count "$count" -timeout 30m)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); ns[name] += $3; n[name]++ }
	END {
		s = "BenchmarkMergeGroup/stream,_read"; t = "BenchmarkMergeGroup/temp_tar,_read"
		if (n[s] && n[t]) printf "\n%-44s %6.2fx  (%.0f ms vs %.0f ms, mean of %d)\n", "install slot streamed vs temp tar (speed-up):", (ns[t] / n[t]) / (ns[s] / n[s]), ns[s] / n[s] / 1e6, ns[t] / n[t] / 1e6, n[s]
	}'

# The SBOM documents of 1,232 files rendered at once against one after another.
out=$(go test ./bundle -run '^$' -bench '^BenchmarkSBOMDocuments$' -benchtime 10x -count "$count" -timeout 30m)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); ns[name] += $3; n[name]++ }
	END {
		s = "BenchmarkSBOMDocuments/at_once"; t = "BenchmarkSBOMDocuments/one_after_another"
		if (n[s] && n[t]) printf "\n%-44s %6.2fx  (%.0f ms vs %.0f ms, mean of %d)\n", "SBOM documents at once (speed-up):", (ns[t] / n[t]) / (ns[s] / n[s]), ns[s] / n[s] / 1e6, ns[t] / n[t] / 1e6, n[s]
	}'

# Until the lock holds its engine (opening it takes 40 ms, the tree has 300 packages): opened
# beside planning against after it.
out=$(go test ./pipeline -run '^$' -bench '^BenchmarkLockEngineOpen$' -benchtime 5x -count "$count" -timeout 30m)
echo "$out" | grep -E '^Benchmark'
echo "$out" | awk '
	/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); ns[name] += $3; n[name]++ }
	END {
		s = "BenchmarkLockEngineOpen/beside_planning"; t = "BenchmarkLockEngineOpen/after_planning"
		if (n[s] && n[t]) printf "\n%-44s %6.2fx  (%.0f ms vs %.0f ms, mean of %d)\n", "engine opened beside planning (speed-up):", (ns[t] / n[t]) / (ns[s] / n[s]), ns[s] / n[s] / 1e6, ns[t] / n[t] / 1e6, n[s]
	}'
fi
[[ $part == go ]] && exit 0
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
wall() { awk '{print $1}' "$1" | median; }
cpu() { awk '{print $2 + $3}' "$1" | median; }

# The whole `flavor pack` command (manifest, launcher, slot, signing, atomic write and fsync, the
# standard check of the written file and its SHA-256) against `tar -c | zstd -T0` of the same tree,
# as processes, alternating in each round so load on the shared machine falls on both. Prints the
# medians of wall time and of CPU time (user+system, children included).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/flavor" ./cmd/flavor
if [[ -n $base ]]; then
	mkdir -p "$tmp/src-base"
	git archive "$base" | tar -x -C "$tmp/src-base"
	(cd "$tmp/src-base" && go build -o "$tmp/flavor-base" ./cmd/flavor)
fi
# basepack TIMES ARGS...: the base build packs as the new one did, when there is one.
basepack() {
	local times=$1
	shift
	[[ -z $base ]] || /usr/bin/time -a -o "$times" -f '%e %U %S' "$tmp/flavor-base" "$@" >/dev/null
}
# baseline LABEL TIMES ALT_TIMES: base against tar|zstd and new against base, when there is one.
baseline() {
	[[ -n $base ]] || return 0
	awk -v label="$1" -v bw="$(wall "$2")" -v tw="$(wall "$3")" -v fw="$(wall "$4")" -v bc="$(cpu "$2")" -v fc="$(cpu "$4")" -v n="$count" 'BEGIN {
		printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, median of %d)\n", "base " label " vs tar|zstd -T0, wall:", tw / bw, bw * 1000, tw * 1000, n
		printf "%-44s %6.2fx  (%.0f ms vs %.0f ms; CPU %.0f vs %.0f ms)\n", "new vs base " label ", wall (speed-up):", bw / fw, fw * 1000, bw * 1000, fc * 1000, bc * 1000
	}'
}
go run ./internal/launcherbuild/cmd/build-launcher -o "$tmp/launcher" linux/amd64 >/dev/null
[[ $part == debian ]] || {
go run ./bench/packtree "$tmp/tree" 200 >/dev/null
cat >"$tmp/flavor.toml" <<'TOML'
schema-version = "1"
[package]
name = "bench"
version = "1"
[execution]
command = "true"
[[slots]]
id = "tree"
source = "tree/"
TOML
tar -C "$tmp/tree" -cf - . >/dev/null # warm the page cache for both
for ((i = 0; i < count; i++)); do
	/usr/bin/time -a -o "$tmp/flavor.times" -f '%e %U %S' \
		"$tmp/flavor" --quiet pack -m "$tmp/flavor.toml" --launcher-bin "$tmp/launcher" --key-seed bench -o "$tmp/out" >/dev/null
	basepack "$tmp/bflavor.times" --quiet pack -m "$tmp/flavor.toml" --launcher-bin "$tmp/launcher" --key-seed bench -o "$tmp/out-base"
	/usr/bin/time -a -o "$tmp/tar.times" -f '%e %U %S' \
		sh -c 'tar -C "$1" -cf - . | zstd -T0 -q -f -o "$2"' sh "$tmp/tree" "$tmp/tree.tar.zst"
done
psp_size=$(stat -c %s "$tmp"/out/bench-1-*.psp) launcher_size=$(stat -c %s "$tmp/launcher") zst_size=$(stat -c %s "$tmp/tree.tar.zst")
echo
echo "flavor pack (wall user sys): $(paste -sd, "$tmp/flavor.times")"
echo "tar|zstd -T0 (wall user sys): $(paste -sd, "$tmp/tar.times")"
awk -v fw="$(wall "$tmp/flavor.times")" -v tw="$(wall "$tmp/tar.times")" -v fc="$(cpu "$tmp/flavor.times")" -v tc="$(cpu "$tmp/tar.times")" \
	-v n="$count" -v ps="$psp_size" -v ls="$launcher_size" -v zs="$zst_size" 'BEGIN {
	printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, median of %d)\n", "flavor pack vs tar|zstd -T0, wall (speed-up):", tw / fw, fw * 1000, tw * 1000, n
	printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, median of %d)\n", "flavor pack vs tar|zstd -T0, CPU (speed-up):", tc / fc, fc * 1000, tc * 1000, n
	printf "%-44s %d vs %d bytes (package minus launcher vs .tar.zst)\n", "stored:", ps - ls, zs
}'
baseline pack "$tmp/bflavor.times" "$tmp/tar.times" "$tmp/flavor.times"
}
[[ $part == cli ]] && exit 0

# The Debian-based package: an unpack package of the Debian image (Python's standard library),
# packed once to build and cache its artifact (one container), then `flavor pack` (the artifact
# from the cache, no container) against `tar -c | zstd -T0` of the tree its .psp extracts to.
d=$tmp/debian
mkdir -p "$d/packages/bench/pystdlib"
printf 'name: pystdlib\ncategory: bench\nversion: "1"\n' >"$d/packages/bench/pystdlib/definition.yaml"
cat >"$d/packages/bench/pystdlib/build.yaml" <<'YAML'
image: 127.0.0.1:5000/debian:bookworm
unpack: true
includes:
- ^/usr/lib/python3\.11/
- ^/etc/python3\.11/
YAML
cat >"$d/flavor.toml" <<'TOML'
schema-version = "1"
[package]
name = "pystdlib"
version = "1"
[options]
systems = ["linux/amd64"]
trees = ["packages"]
[install]
pystdlib.pkg-path = "bench/pystdlib"
[execution]
command = "true"
TOML
export FLAVOR_CACHE=$tmp/cache
"$tmp/flavor" --quiet pack -m "$d/flavor.toml" --launcher-bin "$tmp/launcher" --key-seed bench -o "$d/out" >/dev/null
"$tmp/flavor" --quiet extract --out "$d/tree" "$d"/out/pystdlib-1-linux-amd64.psp >/dev/null
tar -C "$d/tree" -cf - . >/dev/null # warm the page cache for both
for ((i = 0; i < count; i++)); do
	/usr/bin/time -a -o "$tmp/dflavor.times" -f '%e %U %S' \
		"$tmp/flavor" --quiet pack -m "$d/flavor.toml" --launcher-bin "$tmp/launcher" --key-seed bench -o "$d/out" >/dev/null
	basepack "$tmp/dbflavor.times" --quiet pack -m "$d/flavor.toml" --launcher-bin "$tmp/launcher" --key-seed bench -o "$d/out-base"
	/usr/bin/time -a -o "$tmp/dtar.times" -f '%e %U %S' \
		sh -c 'tar -C "$1" -cf - . | zstd -T0 -q -f -o "$2"' sh "$d/tree" "$d/tree.tar.zst"
done
psp_size=$(stat -c %s "$d"/out/pystdlib-1-linux-amd64.psp) launcher_size=$(stat -c %s "$tmp/launcher") zst_size=$(stat -c %s "$d/tree.tar.zst")
echo
echo "Debian-based package: $(find "$d/tree" | wc -l) entries, $(du -sb "$d/tree" | cut -f1) bytes"
awk -v fw="$(wall "$tmp/dflavor.times")" -v tw="$(wall "$tmp/dtar.times")" -v fc="$(cpu "$tmp/dflavor.times")" -v tc="$(cpu "$tmp/dtar.times")" \
	-v n="$count" -v ps="$psp_size" -v ls="$launcher_size" -v zs="$zst_size" 'BEGIN {
	printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, median of %d)\n", "Debian pack vs tar|zstd -T0, wall (speed-up):", tw / fw, fw * 1000, tw * 1000, n
	printf "%-44s %6.2fx  (%.0f ms vs %.0f ms, median of %d)\n", "Debian pack vs tar|zstd -T0, CPU (speed-up):", tc / fc, fc * 1000, tc * 1000, n
	printf "%-44s %d vs %d bytes (package minus launcher vs .tar.zst)\n", "stored:", ps - ls, zs
}'
baseline "Debian pack" "$tmp/dbflavor.times" "$tmp/dtar.times" "$tmp/dflavor.times"
