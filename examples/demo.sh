#!/usr/bin/env bash
# `make demo`: the quick start's main job, from a fresh clone. Starts what the builds need
# (integration/setup.sh: the engine, qemu for arm64, busybox root filesystems), imports the
# example's base images, packs examples/hello for linux/amd64 and linux/arm64 (building in
# containers what the cache lacks, writing flavor.lock), verifies both packages and runs this
# machine's. Safe to run again: the second run builds nothing.
#
#   bash examples/demo.sh        (after `make build`; FLAVOR=path/to/flavor to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
flavor=${FLAVOR:-bin/flavor}
[ -x "$flavor" ] || { echo "demo: $flavor is missing; run \`make build\` (or \`make demo\`)" >&2; exit 1; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setting up the engine, qemu and the busybox root filesystems (integration/setup.sh)"
bash integration/setup.sh --no-debian

step "importing the base images flavor-example/busybox:{amd64,arm64}"
rootfs=${FLAVOR_SETUP_DIR:-/var/cache/flavor-setup}/rootfs
for arch in amd64 arm64; do
	# The same root filesystem always gives the same image, so this is a no-op the second time.
	"$flavor" --quiet image import "$rootfs/busybox-$arch" --platform "linux/$arch" --tag "flavor-example/busybox:$arch" >/dev/null
	echo "flavor-example/busybox:$arch"
done

step "flavor pack (examples/hello/flavor.toml)"
"$flavor" pack --manifest examples/hello/flavor.toml

step "flavor verify"
for psp in examples/hello/dist/hello-1.0.0-linux-*.psp; do
	"$flavor" verify "$psp"
done

host=$(uname -m)
case $host in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$host ;; esac
psp=examples/hello/dist/hello-1.0.0-linux-$arch.psp
step "running $psp"
"$psp"
"$psp" de
HELLO_LANG=fr "$psp"
printf '\nAlso try: %s inspect %s, and the other architecture'\''s package (it runs under qemu here).\n' "$flavor" "$psp"
