#!/usr/bin/env bash
# The four performance targets of issues 2 and 14, each against the obvious alternative, in one run:
#
#   1. warm start: a .psp whose workenv is extracted vs running the same script directly
#      (issue 2: under 2 ms of overhead; FlavorPack's Go launcher costs about 9 ms), and vs a Go
#      program that only execs the script, what any Go launcher pays to start (issue 14: the
#      launcher past that at most 0.3 ms); and the warm start at FLAVOR_VALIDATION=strict, which
#      compares the workenv with its record;
#   2. cold first run: a .psp of a generated tree (tar+zstd) with an empty cache vs
#      `zstd -d | tar -x` of the same tree (issue 14: keep within 0.9x), on disk and into a
#      tmpfs; and into the tmpfs, of a Debian root (integration/setup.sh's), many small files;
#   3. `flavor pack` of a generated tree vs `tar -c | zstd -T0` (target: no slower); the package
#      is written durably (fsync, rename, directory fsync), the tarball is not: the same with an
#      fsync of the tarball, and `flavor pack --no-sbom`, are shown beside it;
#   4. the launcher's size for each platform (issue 14's goal: 2.5 MB for linux/amd64).
#
# With -b REF the launcher and the CLI built from git REF (say main) are measured in the same run,
# in the same turns, as "base" beside "new" (the working tree). Commands take turns run by run
# (launchpack time), and every figure is a median; CPU time is user+system from wait4, which load
# on a shared machine distorts less than wall time; faults are minor page faults.
#
#   bash bench/launcher.sh [-b REF] [-n WARM_RUNS] [COLD_MIB [PACK_MIB]]
set -euo pipefail
cd "$(dirname "$0")/.."
base="" runs=200
while getopts b:n: opt; do
	case $opt in
	b) base=$OPTARG ;;
	n) runs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
coldmb=${1:-64} packmb=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FLAVOR_CACHE=$work/cache
flags=(-trimpath -buildvcs=false "-ldflags=-s -w -buildid=")

platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64)

# build_launchers SRC DIR: the launcher of source tree SRC for every platform into
# DIR/flavor-launcher-OS-ARCH[.exe], as that tree ships it (internal/launcherbuild: tag and
# patched dependencies, one preparation for all), or with plain go build for trees older than that.
build_launchers() {
	mkdir -p "$2"
	if [[ -d $1/internal/launcherbuild/cmd/build-launcher ]]; then
		(cd "$1" && go run ./internal/launcherbuild/cmd/build-launcher -dir "$2" "${platforms[@]}" >/dev/null)
		return
	fi
	local p ext
	for p in "${platforms[@]}"; do
		ext=; [[ $p == windows/* ]] && ext=.exe
		(cd "$1" && CGO_ENABLED=0 GOOS=${p%/*} GOARCH=${p#*/} go build "${flags[@]}" \
			-o "$2/flavor-launcher-${p/\//-}$ext" ./launcher/cmd/flavor-launcher)
	done
}

# build SRC OUT: the launchers and the CLI of source tree SRC into OUT (OUT/launcher is this
# machine's, linux/amd64).
build() {
	build_launchers "$1" "$2/launchers"
	cp "$2/launchers/flavor-launcher-linux-amd64" "$2/launcher"
	(cd "$1" && go build -o "$2/flavor" ./cmd/flavor)
}
build "$PWD" "$work/new"
versions=(new)
if [[ -n $base ]]; then
	mkdir -p "$work/src-base"
	git archive "$base" | tar -x -C "$work/src-base"
	build "$work/src-base" "$work/base"
	versions=(base new)
fi
go build -o "$work/launchpack" ./bench/launchpack
lp=$work/launchpack
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
uptime | sed 's/^/load: /'

echo "== 1. warm start ($runs runs each)"
mkdir -p "$work/hello/bin"
printf '#!/bin/sh\necho hello "$@"\n' >"$work/hello/bin/hello"
chmod 755 "$work/hello/bin/hello"
for v in "${versions[@]}"; do
	"$lp" pack -launcher "$work/$v/launcher" -dir "$work/hello" -command '{workenv}/bin/hello' -out "$work/hello-$v.psp"
	# The first run extracts. Base has a cache of its own: the no-record runs below delete the
	# launch records of the cache they use, which would send base down the slow path every time.
	FLAVOR_CACHE=$work/warm-$v "$work/hello-$v.psp" >/dev/null
done
"$work/hello-new.psp" >/dev/null # extracts into $FLAVOR_CACHE, for the runs below
script=$(ls -d "$work"/warm-new/workenv/hello-new-*)/bin/hello
echo "phases of one warm run of the new launcher (FLAVOR_LAUNCHER_LOG_LEVEL=debug):"
FLAVOR_LAUNCHER_LOG_LEVEL=debug "$work/hello-new.psp" x 2>&1 >/dev/null | sed 's/^/  /'
warm=()
for v in "${versions[@]}"; do warm+=("psp-$v=FLAVOR_CACHE=$work/warm-$v $work/hello-$v.psp x"); done
"$lp" time -n "$runs" -prepare "no-record=rm -rf $FLAVOR_CACHE/workenv/.launch" "${warm[@]}" \
	"no-record=$work/hello-new.psp x" "strict=FLAVOR_VALIDATION=strict $work/hello-new.psp x" \
	"go-exec=$work/goexec.bin $script x" "direct=$script x" | tee "$work/warm.txt" |
	awk '{printf "  %-10s wall %7.2f ms  CPU %7.2f ms  faults %5d\n", $1, $2, $3, $4}'

echo "== 2. cold first run ($coldmb MiB tree)"
"$lp" tree -dir "$work/tree" -mb "$coldmb"
for v in "${versions[@]}"; do
	"$lp" pack -launcher "$work/$v/launcher" -dir "$work/tree" -command true -out "$work/big-$v.psp"
done
tar -C "$work/tree" -cf - . | zstd -q -T0 -o "$work/big.tar.zst"
# cold_runs PREFIX DIR RUNS [PKG]: each version's package PKG (default big) run for the first
# time with its cache in DIR/cache, and zstd -d | tar -x of PKG.tar.zst into DIR/out, taking
# turns; the lines go to cold.txt.
cold_runs() {
	local p=$1 dir=$2 n=$3 pkg=${4:-big} cmds=() prep=()
	printf 'zstd -d -q -c %s | tar -x -C %s\n' "$work/$pkg.tar.zst" "$dir/out" >"$work/untar-$p.sh"
	for v in "${versions[@]}"; do
		cmds+=("$p$v=FLAVOR_CACHE=$dir/cache $work/$pkg-$v.psp")
		prep+=(-prepare "$p$v=rm -rf $dir/cache")
	done
	"$lp" time -n "$n" -warmup 1 "${prep[@]}" -prepare "${p}zstd-tar=rm -rf $dir/out && mkdir $dir/out" \
		"${cmds[@]}" "${p}zstd-tar=sh $work/untar-$p.sh" | tee -a "$work/cold.txt" |
		awk '{printf "  %-14s wall %7.0f ms  CPU %7.0f ms\n", $1, $2, $3}'
}
mkdir -p "$work/disk"
cold_runs cold- "$work/disk" 7
# The same into a tmpfs, when there is one with room: creating thousands of files on a disk
# filesystem costs kernel time that varies run to run with its state (ext4 here: 1.0 to 1.9 s for
# the same tar -x of 200 MiB), for both sides; in memory what is left is each side's own work.
shm=/dev/shm/flavor-bench-$$
if mkdir "$shm" 2>/dev/null && (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > coldmb * 3 * 1024)); then
	trap 'rm -rf "$work" "$shm"' EXIT
	echo "  into a tmpfs ($shm):"
	cold_runs shm- "$shm" 11
	# A real distribution root: many small files, directories and symbolic links (the amd64
	# Debian root integration/setup.sh caches; /dev left out, a .psp holds no device nodes).
	debtar=$(ls /var/cache/flavor-setup/debian/bookworm-amd64-*.tar 2>/dev/null | head -1)
	if [[ -n $debtar ]] && (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 1200 * 1024)); then
		mkdir -p "$work/deb"
		tar -x -C "$work/deb" --exclude=./dev -f "$debtar"
		echo "  a Debian root into the tmpfs ($(find "$work/deb" | wc -l) entries, $(du -sm "$work/deb" | cut -f1) MiB):"
		for v in "${versions[@]}"; do
			"$lp" pack -launcher "$work/$v/launcher" -dir "$work/deb" -command true -out "$work/deb-$v.psp"
		done
		tar -C "$work/deb" -cf - . | zstd -q -T0 -o "$work/deb.tar.zst"
		rm -rf "$work/deb"
		cold_runs debshm- "$shm" 9 deb
	else
		echo "  (no Debian root cached, or under 1.2 GB free in /dev/shm: no Debian-root comparison; integration/setup.sh caches the root)"
	fi
	rm -rf "$shm"
fi

echo "== 3. flavor pack ($packmb MiB tree)"
go run ./bench/packtree "$work/ptree" "$packmb" >/dev/null
cat >"$work/flavor.toml" <<'TOML'
schema-version = "1"
[package]
name = "bench"
version = "1"
[execution]
command = "true"
[[slots]]
id = "tree"
source = "ptree/"
TOML
printf 'tar -C %s -cf - . | zstd -T0 -q -f -o %s\n' "$work/ptree" "$work/ptree.tar.zst" >"$work/tarzstd.sh"
# The same, then the tarball fsynced as the package is (sync FILE): the durability cost apart.
printf 'sh %s && sync %s\n' "$work/tarzstd.sh" "$work/ptree.tar.zst" >"$work/tarzstd-fsync.sh"
tar -C "$work/ptree" -cf - . >/dev/null # the page cache holds the tree for everyone
pack=()
for v in "${versions[@]}"; do
	pack+=("pack-$v=$work/$v/flavor --quiet pack -m $work/flavor.toml --launcher-bin $work/$v/launcher --key-seed bench -o $work/out-$v")
done
pack+=("nosbom-new=$work/new/flavor --quiet pack -m $work/flavor.toml --launcher-bin $work/new/launcher --key-seed bench --no-sbom -o $work/out-nosbom")
"$lp" time -n 5 -warmup 1 "${pack[@]}" "tar-zstd=sh $work/tarzstd.sh" "tar-zstd-fsync=sh $work/tarzstd-fsync.sh" | tee "$work/pack.txt" |
	awk '{printf "  %-10s wall %7.0f ms  CPU %7.0f ms\n", $1, $2, $3}'
stored=$(($(stat -c %s "$work"/out-new/bench-1-*.psp) - $(stat -c %s "$work/new/launcher")))
zst=$(stat -c %s "$work/ptree.tar.zst")
awk -v s="$stored" -v z="$zst" 'BEGIN { printf "  stored: package minus launcher %d bytes, .tar.zst %d bytes (%.4fx)\n", s, z, s / z }'

echo "== 4. launcher size"
: >"$work/size.txt"
for p in "${platforms[@]}"; do
	line=$p ext=
	[[ $p == windows/* ]] && ext=.exe
	for v in "${versions[@]}"; do
		line+=" $v=$(stat -c %s "$work/$v/launchers/flavor-launcher-${p/\//-}$ext")"
	done
	echo "$line" | tee -a "$work/size.txt" | sed 's/^/  /'
done

echo
echo "== results (new; ratios > 1 mean slower or bigger than the alternative; base beside it with -b)"
cat "$work/warm.txt" "$work/cold.txt" "$work/pack.txt" | awk -v sizes="$(cat "$work/size.txt")" -v hasbase="${base:+1}" '
	{ wall[$1] = $2; cpu[$1] = $3; flt[$1] = $4 }
	function warmline(v) {
		printf "warm start %-4s  wall %6.2f ms vs direct %.2f: +%.2f ms (goal < 2), %.2fx | CPU +%.2f ms | faults +%d\n",
			v, wall["psp-" v], wall["direct"], wall["psp-" v] - wall["direct"], wall["psp-" v] / wall["direct"],
			cpu["psp-" v] - cpu["direct"], flt["psp-" v] - flt["direct"]
	}
	function coldline(v) {
		printf "cold run   %-4s  wall %6.0f ms vs zstd -d | tar -x %.0f ms: %.2fx (goal <= 0.9) | CPU %.2fx\n",
			v, wall["cold-" v], wall["cold-zstd-tar"], wall["cold-" v] / wall["cold-zstd-tar"], cpu["cold-" v] / cpu["cold-zstd-tar"]
		if (("shm-" v) in wall)
			printf "  into a tmpfs    wall %6.0f ms vs zstd -d | tar -x %.0f ms: %.2fx | CPU %.2fx\n",
				wall["shm-" v], wall["shm-zstd-tar"], wall["shm-" v] / wall["shm-zstd-tar"], cpu["shm-" v] / cpu["shm-zstd-tar"]
		if (("debshm-" v) in wall)
			printf "  a Debian root, into a tmpfs: wall %6.0f ms vs zstd -d | tar -x %.0f ms: %.2fx | CPU %.2fx\n",
				wall["debshm-" v], wall["debshm-zstd-tar"], wall["debshm-" v] / wall["debshm-zstd-tar"], cpu["debshm-" v] / cpu["debshm-zstd-tar"]
	}
	function packline(v) {
		printf "flavor pack %-4s wall %6.0f ms vs tar | zstd -T0 %.0f ms: %.2fx (goal <= 1) | CPU %.2fx\n",
			v, wall["pack-" v], wall["tar-zstd"], wall["pack-" v] / wall["tar-zstd"], cpu["pack-" v] / cpu["tar-zstd"]
	}
	END {
		if (hasbase) warmline("base")
		warmline("new")
		printf "  of which a Go program that only execs: +%.2f ms wall, +%d faults\n", wall["go-exec"] - wall["direct"], flt["go-exec"] - flt["direct"]
		if (hasbase) printf "  warm start past the Go floor, base: +%.2f ms, +%d faults\n", wall["psp-base"] - wall["go-exec"], flt["psp-base"] - flt["go-exec"]
		printf "  warm start past the Go floor, new:  +%.2f ms, +%d faults (goal <= 0.3 ms)\n", wall["psp-new"] - wall["go-exec"], flt["psp-new"] - flt["go-exec"]
		printf "  without a launch record (full header check, record rewritten): %.2f ms wall, %.2f ms CPU\n", wall["no-record"], cpu["no-record"]
		printf "  at FLAVOR_VALIDATION=strict (the workenv compared with its record, one lstat per file): %.2f ms wall, %.2f ms CPU\n", wall["strict"], cpu["strict"]
		if (hasbase) coldline("base")
		coldline("new")
		if (hasbase) packline("base")
		packline("new")
		printf "  vs tar | zstd -T0 and an fsync of the tarball (%.0f ms; the package is fsynced): %.2fx\n", wall["tar-zstd-fsync"], wall["pack-new"] / wall["tar-zstd-fsync"]
		printf "  --no-sbom (no SBOM or provenance, so no per-file SHA-256 and SHA-1): %.0f ms wall, %.2fx | CPU %.2fx\n",
			wall["nosbom-new"], wall["nosbom-new"] / wall["tar-zstd"], cpu["nosbom-new"] / cpu["tar-zstd"]
		n = split(sizes, lines, "\n")
		for (i = 1; i <= n; i++) {
			m = split(lines[i], f, " ")
			out = sprintf("size %-14s", f[1])
			for (j = 2; j <= m; j++) {
				split(f[j], kv, "=")
				out = out sprintf("  %s %8d bytes (%.2fx of 2.5 MB)", kv[1], kv[2], kv[2] / 2.5e6)
			}
			print out
		}
	}'
