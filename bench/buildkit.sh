#!/usr/bin/env bash
# BuildKit against Docker on the same tree, measured in one run; prints the ratios (issue 12).
#   bash bench/buildkit.sh [COUNT]     (rounds, default 2)
#
# The tree: a chain of two packages on setup.sh's Debian image (127.0.0.1:5000/debian:bookworm,
# amd64 + arm64), the first writing and compressing 16 MiB, the second building on it. Each round
# has a step of its own, so no engine has it cached. Per round:
#   cold     empty artifact cache, steps not in any engine cache: --engine docker vs --engine
#            buildkit (setup.sh's buildkitd, base image already pulled);
#   warm     empty artifact cache, the same tree again: Docker runs the steps again, BuildKit
#            serves them from its cache;
#   cached   the artifact cache has everything (no engine runs a step);
#   2 arch   linux/amd64 + linux/arm64 (arm64 under qemu): two buildkitd on loopback, one per
#            platform, in parallel vs Docker building one platform after the other; timed on
#            the fresh daemons (each pulls the base image) and again on a tree of its own once
#            they hold it (Docker holds it throughout);
#   registry a fresh buildkitd (empty state) rebuilding from the registry cache another fresh
#            buildkitd exported vs that cold build on a fresh buildkitd; and the same with
#            fresh daemons that first pulled the base image (a build of another tree).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2}
bash integration/setup.sh >/dev/null 2>&1 || bash integration/setup.sh
state=${FLAVOR_SETUP_DIR:-/var/cache/flavor-setup}
reg=${FLAVOR_TEST_REGISTRY:-127.0.0.1:5000}
bk=$state/buildkit/$(awk '$1 == "require" && $2 == "github.com/moby/buildkit" {print $3}' tools/buildkit/go.mod)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/flavor" ./cmd/flavor
port=19700
addr=
daemon() { # $1 = platforms (comma-separated): starts a fresh buildkitd, its address in $addr
	# (not a command substitution: the port counter and the pid list must outlive the call)
	port=$((port + 1))
	local dir=$work/bk-$port
	addr=tcp://127.0.0.1:$port
	mkdir -p "$dir"
	printf '[worker.oci]\n  enabled = true\n  snapshotter = "overlayfs"\n  platforms = ["%s"]\n[worker.containerd]\n  enabled = false\n[registry."%s"]\n  http = true\n  insecure = true\n' \
		"${1//,/\", \"}" "$reg" >"$dir/c.toml"
	"$bk/buildkitd" --config "$dir/c.toml" --root "$dir/state" --addr "$addr" >"$dir/log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 120); do "$bk/buildctl" --addr "$addr" debug workers >/dev/null 2>&1 && return; sleep 0.25; done
	echo "buildkitd on $addr did not start:" >&2
	cat "$dir/log" >&2
	exit 1
}
tree() { # $1 = dir, $2 = nonce
	mkdir -p "$1/a" "$1/b"
	printf 'name: a\ncategory: bench\nversion: "1.0"\n' >"$1/a/definition.yaml"
	printf 'name: b\ncategory: bench\nversion: "1.0"\n' >"$1/b/definition.yaml"
	printf 'image: %s/debian:bookworm\nsteps:\n- echo %s > /nonce\n- head -c 16777216 /dev/urandom > /data && gzip -k -1 /data\n' "$reg" "$2" >"$1/a/build.yaml"
	printf 'requires:\n- category: bench\n  name: a\n  version: ">=0"\nsteps:\n- gzip -dc /data.gz | sha256sum > /sum && cp /data /data2\n' >"$1/b/build.yaml"
}
ms() { date +%s%3N; }
took=0
run() { # times one flavor build into $took (milliseconds); args: the flavor arguments. Called
	# directly, not in a command substitution, so a failing build stops the script.
	local t0
	t0=$(ms)
	if ! env -u DOCKER_HOST -u BUILDKIT_HOST "$work/flavor" --quiet --progress none "$@" >/dev/null; then
		echo "bench/buildkit.sh: flavor $* failed" >&2
		exit 1
	fi
	took=$(( $(ms) - t0 ))
}
declare -A t
add() { t[$1]=$(( ${t[$1]:-0} + $2 )); }
main_bk=unix://${FLAVOR_BUILDKIT_SOCK:-/run/flavor-buildkit/buildkitd.sock}
for i in $(seq 1 "$n"); do
	nonce=$(date +%s%N)
	tree "$work/t$i" "$nonce"
	for eng in docker buildkit; do
		args=(--engine "$eng" build --tree "$work/t$i" --destination "$work/out" bench/b)
		[ "$eng" = buildkit ] && args+=(--builder "$main_bk")
		run "${args[@]}" --cache "$work/c-$eng-$i"
		add "$eng-cold" "$took"
		run "${args[@]}" --cache "$work/c-$eng-$i"
		add "$eng-cached" "$took"
		run "${args[@]}" --cache "$work/w-$eng-$i"
		add "$eng-warm" "$took"
	done
	# two platforms: Docker one after the other; two buildkitd, one per platform, in parallel
	tree "$work/m$i" "$nonce-multi"
	d0=$(ms)
	for p in linux/amd64 linux/arm64; do
		env -u DOCKER_HOST "$work/flavor" --quiet --progress none --engine docker build --tree "$work/m$i" \
			--destination "$work/out" --cache "$work/md-$i" --platform "$p" bench/b >/dev/null
	done
	add docker-2arch $(( $(ms) - d0 ))
	daemon linux/amd64
	a=$addr
	daemon linux/arm64
	b=$addr
	run --engine buildkit build --tree "$work/m$i" --destination "$work/out" --cache "$work/mb-$i" \
		--builder "linux/amd64=$a,linux/arm64=$b" bench/b
	add buildkit-2arch-fresh "$took"
	tree "$work/n$i" "$nonce-multi2" # builders that now hold the base image, steps not cached
	run --engine buildkit build --tree "$work/n$i" --destination "$work/out" --cache "$work/nb-$i" \
		--builder "linux/amd64=$a,linux/arm64=$b" bench/b
	add buildkit-2arch "$took"
	d0=$(ms)
	for p in linux/amd64 linux/arm64; do
		env -u DOCKER_HOST "$work/flavor" --quiet --progress none --engine docker build --tree "$work/n$i" \
			--destination "$work/out" --cache "$work/nd-$i" --platform "$p" bench/b >/dev/null
	done
	add docker-2arch-2 $(( $(ms) - d0 ))
	# registry cache: a cold build on a fresh daemon exporting, then another fresh daemon importing
	tree "$work/r$i" "$nonce-registry"
	daemon linux/amd64
	c1=$addr
	run --engine buildkit build --tree "$work/r$i" --destination "$work/out" --cache "$work/r1-$i" \
		--builder "$c1" --buildkit-cache "$reg/bench/buildcache-$nonce" bench/b
	add registry-cold "$took"
	daemon linux/amd64
	c2=$addr
	run --engine buildkit build --tree "$work/r$i" --destination "$work/out" --cache "$work/r2-$i" \
		--builder "$c2" --buildkit-cache "$reg/bench/buildcache-$nonce" bench/b
	add registry-rebuild "$took"
	# the same with fresh daemons that already pulled the base image (a build of another tree)
	tree "$work/s$i" "$nonce-registry2"
	tree "$work/x$i" "$nonce-pull"
	daemon linux/amd64
	c3=$addr
	run --engine buildkit build --tree "$work/x$i" --destination "$work/out" --cache "$work/x3-$i" --builder "$c3" bench/a
	run --engine buildkit build --tree "$work/s$i" --destination "$work/out" --cache "$work/s3-$i" \
		--builder "$c3" --buildkit-cache "$reg/bench/buildcache2-$nonce" bench/b
	add registry-cold-img "$took"
	daemon linux/amd64
	c4=$addr
	run --engine buildkit build --tree "$work/x$i" --destination "$work/out" --cache "$work/x4-$i" --builder "$c4" bench/a
	run --engine buildkit build --tree "$work/s$i" --destination "$work/out" --cache "$work/s4-$i" \
		--builder "$c4" --buildkit-cache "$reg/bench/buildcache2-$nonce" bench/b
	add registry-rebuild-img "$took"
done
avg() { echo $(( t[$1] / n )); }
ratio() { awk -v a="${t[$1]}" -v b="${t[$2]}" 'BEGIN { printf "%.2f", a / b }'; }
printf 'rounds %d, load %s\n' "$n" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s %8s %s\n' what docker buildkit 'buildkit/docker'
for k in cold warm cached; do
	printf '%-44s %6d ms %6d ms %s\n' "$k (2 packages, linux/amd64)" "$(avg docker-$k)" "$(avg buildkit-$k)" "$(ratio buildkit-$k docker-$k)"
done
printf '%-44s %6d ms %6d ms %s\n' "amd64 + arm64 (docker serial, 2 builders)" "$(avg docker-2arch-2)" "$(avg buildkit-2arch)" "$(ratio buildkit-2arch docker-2arch-2)"
printf '%-44s %6d ms %6d ms %s\n' "  the same, builders fresh (pulling the image)" "$(avg docker-2arch)" "$(avg buildkit-2arch-fresh)" "$(ratio buildkit-2arch-fresh docker-2arch)"
printf 'fresh buildkitd: cold build %d ms, rebuild from the registry cache %d ms: %s of cold\n' \
	"$(avg registry-cold)" "$(avg registry-rebuild)" "$(ratio registry-rebuild registry-cold)"
printf 'fresh buildkitd holding the base image: cold build %d ms, rebuild from the registry cache %d ms: %s of cold\n' \
	"$(avg registry-cold-img)" "$(avg registry-rebuild-img)" "$(ratio registry-rebuild-img registry-cold-img)"
