#!/usr/bin/env bash
# The same tree built through each engine flavor runs on, measured in one run; prints the ratios.
#   bash bench/engines.sh [COUNT]     (COUNT builds per engine and kind, default 3)
#
#   - a cold build (fresh cache) of Luet's buildableseed fixture, test/d and the chain under it
#     (3 packages, each its own container), through --engine docker and --engine podman;
#   - the cached rebuild of the same (no container starts: the engine is only asked for the
#     base image) through each.
# The artifacts are byte-identical across the two (integration test TestBuildCLIPodmanMatchesDocker).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3}
bash integration/setup.sh >/dev/null 2>&1 || bash integration/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/flavor" ./cmd/flavor
# busybox:latest (the fixture's image) in both engines, from setup.sh's root filesystem.
for eng in docker podman; do
	env -u DOCKER_HOST -u CONTAINER_HOST "$work/flavor" --engine "$eng" image import --platform linux/amd64 \
		--tag busybox:latest "${FLAVOR_SETUP_DIR:-/var/cache/flavor-setup}/rootfs/busybox-amd64" >/dev/null
done
tree=specs/testdata/luet/buildableseed
ms() { date +%s%3N; }
declare -A total
for eng in docker podman; do
	total[$eng-cold]=0 total[$eng-cached]=0
	for i in $(seq 1 "$n"); do
		cache=$work/cache-$eng-$i
		args=(--engine "$eng" --quiet build --tree "$tree" --destination "$work/out-$eng" --cache "$cache" test/d)
		t0=$(ms); env -u DOCKER_HOST -u CONTAINER_HOST "$work/flavor" "${args[@]}" >/dev/null; t1=$(ms)
		env -u DOCKER_HOST -u CONTAINER_HOST "$work/flavor" "${args[@]}" >/dev/null; t2=$(ms)
		total[$eng-cold]=$((total[$eng-cold] + t1 - t0))
		total[$eng-cached]=$((total[$eng-cached] + t2 - t1))
	done
done
for k in docker-cold podman-cold docker-cached podman-cached; do
	printf '%-16s %8d ms/build (mean of %d)\n' "$k" $((total[$k] / n)) "$n"
done
awk -v dc="${total[docker-cold]}" -v pc="${total[podman-cold]}" -v dk="${total[docker-cached]}" -v pk="${total[podman-cached]}" 'BEGIN {
	printf "cold build, podman vs docker: %.2fx the time\n", pc/dc
	printf "cached rebuild, podman vs docker: %.2fx the time\n", pk/dk
}'
