#!/usr/bin/env bash
# What planning and the artifact cache add to packing: `flavor pack` of examples/hello with a warm
# cache and a lock (load the trees for both systems, check the lock, find both packages of both
# systems in the cache, verify and copy them, merge each pkg-group into a slot) against
# `flavor pack` of the same content given as local [[slots]] (no [install], no engine), both
# writing the linux/amd64 and linux/arm64 packages. The rounds alternate so load on the shared
# machine falls on both; prints the medians of wall and CPU time (user+system, children
# included) and their ratios (>1 means [install] costs that much more).
#
#   bash bench/bundle.sh [ROUNDS]   (default 5; needs the engine: runs integration/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
bash integration/setup.sh >/dev/null 2>&1 || { echo "bench: integration/setup.sh failed (the engine is needed)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/flavor" ./cmd/flavor
for arch in amd64 arm64; do
	go run ./internal/launcherbuild/cmd/build-launcher -o "$tmp/launcher-$arch" "linux/$arch" >/dev/null
done
launchers=(--launcher-bin "$tmp/launcher-amd64" --launcher-bin "$tmp/launcher-arm64")
flavor() { FLAVOR_CACHE="$tmp/cache" "$tmp/flavor" --quiet "$@"; }
for arch in amd64 arm64; do
	flavor image import "${FLAVOR_SETUP_DIR:-/var/cache/flavor-setup}/rootfs/busybox-$arch" \
		--platform "linux/$arch" --tag "flavor-example/busybox:$arch" >/dev/null
done

# The example, packed once: builds (arm64 under qemu), fills the cache, writes the lock.
mkdir -p "$tmp/ex"
cp -a examples/hello/. "$tmp/ex/"
rm -rf "$tmp/ex/dist" "$tmp/ex/flavor.lock"
flavor pack -m "$tmp/ex/flavor.toml" "${launchers[@]}" -o "$tmp/out-install" >/dev/null

# The same content as local slots: each package's slots extracted, the manifest without [install].
for arch in amd64 arm64; do
	flavor extract "$tmp/out-install/hello-1.0.0-linux-$arch.psp" --slot 0 --out "$tmp/local/app-$arch" >/dev/null
done
cp -a "$tmp/ex/config" "$tmp/local/config"
awk '/^\[install\]/ { skip = 1; next } /^\[/ { skip = 0 } !skip' "$tmp/ex/flavor.toml" |
	sed -e '/^trees = /d' -e '/^flavor = /d' >"$tmp/local/flavor.toml"
cat >>"$tmp/local/flavor.toml" <<'TOML'

[[slots]]
id = "app-amd64"
source = "app-amd64/"
platform = "linux/amd64"
purpose = "code"

[[slots]]
id = "app-arm64"
source = "app-arm64/"
platform = "linux/arm64"
purpose = "code"
TOML
flavor pack -m "$tmp/local/flavor.toml" "${launchers[@]}" -o "$tmp/out-local" >/dev/null # warm up

for ((i = 0; i < rounds; i++)); do
	/usr/bin/time -a -o "$tmp/install.times" -f '%e %U %S' \
		env FLAVOR_CACHE="$tmp/cache" "$tmp/flavor" --quiet pack --locked -m "$tmp/ex/flavor.toml" "${launchers[@]}" -o "$tmp/out-install" >/dev/null
	/usr/bin/time -a -o "$tmp/local.times" -f '%e %U %S' \
		env FLAVOR_CACHE="$tmp/cache" "$tmp/flavor" --quiet pack -m "$tmp/local/flavor.toml" "${launchers[@]}" -o "$tmp/out-local" >/dev/null
done
size() { du -b "$1"/*.psp | awk '{ s += $1 } END { printf "%.1f MiB", s / 1048576 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall_i=$(awk '{ print $1 }' "$tmp/install.times" | median)
wall_l=$(awk '{ print $1 }' "$tmp/local.times" | median)
cpu_i=$(awk '{ print $2 + $3 }' "$tmp/install.times" | median)
cpu_l=$(awk '{ print $2 + $3 }' "$tmp/local.times" | median)
echo "flavor pack, 2 platforms ($(size "$tmp/out-install") of packages), median of $rounds rounds:"
awk -v wi="$wall_i" -v wl="$wall_l" -v ci="$cpu_i" -v cl="$cpu_l" 'BEGIN {
	printf "  [install], warm cache + lock:  %.2f s wall, %.2f s CPU\n", wi, ci
	printf "  same content as [[slots]]:     %.2f s wall, %.2f s CPU\n", wl, cl
	printf "  [install] / [[slots]]:         %.2fx wall, %.2fx CPU\n", (wl > 0 ? wi / wl : 0), (cl > 0 ? ci / cl : 0)
}'
