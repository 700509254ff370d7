#!/usr/bin/env bash
# Installs and starts everything the integration tests and the demo need, idempotently:
#   - Debian packages: docker.io, qemu-user-static, binfmt-support, busybox-static (amd64 + arm64),
#     docker-registry, zstd (for the benchmarks' baseline);
#   - a running Docker engine (dockerd in the background, if none answers);
#   - binfmt_misc with the qemu-aarch64 handler (arm64 containers run under emulation);
#   - a registry on 127.0.0.1:5000;
#   - Podman (Debian's podman) serving its Docker-compatible API on $FLAVOR_PODMAN_SOCK
#     (/run/podman/podman.sock), configured by $FLAVOR_SETUP_DIR/podman/containers.conf
#     (default_ulimits within this machine's hard limits) and registries.conf (the loopback
#     registry is insecure);
#   - buildkitd and buildctl built from the BuildKit version pinned in tools/buildkit/go.mod
#     (cached under $FLAVOR_SETUP_DIR/buildkit/<version>), and buildkitd serving on
#     $FLAVOR_BUILDKIT_SOCK (/run/flavor-buildkit/buildkitd.sock) with the OCI worker (Debian's
#     runc, overlayfs; linux/arm64 through the qemu binfmt handler), the loopback registry trusted
#     as insecure;
#   - busybox root filesystems for linux/amd64 and linux/arm64 under $FLAVOR_SETUP_DIR/rootfs;
#   - Debian bookworm images for linux/amd64 and linux/arm64 (mmdebstrap; root filesystem tars
#     cached under $FLAVOR_SETUP_DIR/debian), two layers the second of which deletes files of the
#     first, pushed as one index to $REGISTRY_ADDR/debian:bookworm and loaded into the engine;
#     the same with a third layer, Debian's pip, as $REGISTRY_ADDR/debian:bookworm-python.
# Safe to run again and again; every step checks before it acts. `--no-debian` stops before the
# Debian images (examples/demo.sh needs only busybox). Exits non-zero, naming the step,
# when something cannot be had: tests must then fail, never skip.
set -euo pipefail

STATE=${FLAVOR_SETUP_DIR:-/var/cache/flavor-setup}
REGISTRY_ADDR=${FLAVOR_TEST_REGISTRY:-127.0.0.1:5000}
mkdir -p "$STATE"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Setups started together (test runs, the demo) take turns: two mmdebstrap runs writing one cache
# file spoil it. The daemons started below (dockerd, the registry, podman, buildkitd) must not
# inherit the lock: each is started with 9>&-.
exec 9>"$STATE/setup.lock"
flock -n 9 || { log "waiting for another setup to finish (lock: $STATE/setup.lock)"; flock 9; }

# --- Debian packages -------------------------------------------------------------------------
packages=(docker.io qemu-user-static binfmt-support busybox-static docker-registry zstd curl mmdebstrap podman)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# apt runs quietly: its output (debconf's "delaying package configuration", needrestart's
# warnings) goes to a log shown only when it fails.
apt_() { # apt-get ARGS...
	sudo_ env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a NEEDRESTART_SUSPEND=1 \
		apt-get -qq -o Dpkg::Use-Pty=0 "$@" >>"$STATE/apt.log" 2>&1 ||
		{ tail -20 "$STATE/apt.log" >&2; die "apt-get $* failed (log: $STATE/apt.log)"; }
}
if [ ${#missing[@]} -gt 0 ]; then
	log "installing Debian packages ${missing[*]} (apt-get; log: $STATE/apt.log)"
	apt_ update
	apt_ install -y "${missing[@]}"
fi

# --- busybox root filesystems ----------------------------------------------------------------
make_rootfs() { # $1 = arch, $2 = busybox binary
	local arch=$1 bin=$2 dir="$STATE/rootfs/busybox-$1"
	[ -f "$dir/.complete" ] && return 0
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var,proc,sys,dev,home}
	chmod 1777 "$dir.tmp/tmp"
	install -m 0755 "$bin" "$dir.tmp/bin/busybox"
	# The applet list is the same for both architectures (one Debian version); ask the host's.
	local applet
	for applet in $(/bin/busybox --list-full); do
		[ "$applet" = bin/busybox ] && continue
		[ -e "$dir.tmp/$applet" ] || ln -s /bin/busybox "$dir.tmp/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir.tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir.tmp/etc/group"
	touch "$dir.tmp/.complete"
	mv "$dir.tmp" "$dir"
	log "made $dir"
}
make_rootfs amd64 /bin/busybox

arm64_bin="$STATE/busybox-arm64"
if [ ! -x "$arm64_bin" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding the arm64 architecture to apt (for busybox-static:arm64)"
		sudo_ dpkg --add-architecture arm64
		apt_ update
	fi
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download busybox-static:arm64 >/dev/null 2>&1) ||
		{ apt_ update; (cd "$tmp" && apt-get download busybox-static:arm64 >/dev/null 2>>"$STATE/apt.log") || die "apt-get download busybox-static:arm64 failed (log: $STATE/apt.log)"; }
	dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
	install -m 0755 "$tmp/x/bin/busybox" "$arm64_bin.tmp" && mv "$arm64_bin.tmp" "$arm64_bin"
	rm -rf "$tmp"
fi
make_rootfs arm64 "$arm64_bin"

# --- Docker engine ---------------------------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
	if [ -n "${DOCKER_HOST:-}" ]; then
		die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
	fi
	log "starting dockerd (log: $STATE/dockerd.log)"
	# cgroup v1/v2 and storage are the engine's defaults (seen working: overlay2, runc).
	if [ "$(id -u)" -eq 0 ]; then run=(dockerd); else run=(sudo dockerd); fi
	nohup "${run[@]}" >"$STATE/dockerd.log" 2>&1 9>&- &
	for _ in $(seq 1 120); do
		docker info >/dev/null 2>&1 && break
		sleep 0.5
	done
	docker info >/dev/null 2>&1 || { tail -20 "$STATE/dockerd.log" >&2; die "dockerd did not come up within 60s"; }
fi
driver=$(docker info --format '{{.Driver}}')
log "docker engine $(docker version --format '{{.Server.Version}}') (API $(docker version --format '{{.Server.APIVersion}}'), storage $driver)"

# --- binfmt_misc + qemu-aarch64 ----------------------------------------------------------------
if [ "$(uname -m)" != aarch64 ]; then
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		sudo_ mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || die "cannot mount binfmt_misc"
	fi
	if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		conf=/usr/lib/binfmt.d/qemu-aarch64.conf
		[ -f "$conf" ] || die "$conf missing (package qemu-user-static)"
		grep -v '^#' "$conf" | sudo_ tee /proc/sys/fs/binfmt_misc/register >/dev/null || die "registering qemu-aarch64 failed"
	fi
	grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || echo 1 | sudo_ tee /proc/sys/fs/binfmt_misc/qemu-aarch64 >/dev/null
	log "binfmt qemu-aarch64 $(head -1 /proc/sys/fs/binfmt_misc/qemu-aarch64)"
fi

# --- registry on loopback --------------------------------------------------------------------
if ! curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then
	mkdir -p "$STATE/registry"
	cat >"$STATE/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YAML
	log "starting docker-registry on $REGISTRY_ADDR (log: $STATE/registry.log)"
	nohup docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 9>&- &
	for _ in $(seq 1 60); do
		curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break
		sleep 0.5
	done
	curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 || { tail -20 "$STATE/registry.log" >&2; die "registry did not come up on $REGISTRY_ADDR"; }
fi
log "registry on $REGISTRY_ADDR"

# --- Podman's Docker-compatible service --------------------------------------------------------
# Podman 4.3 asks runc for its default ulimits (nofile 1048576); on a machine whose hard limits
# are lower, every container fails with "error setting rlimit type 7: operation not permitted".
# So the limits are set within this machine's: nofile at the hard limit (at most 1048576), nproc
# at the hard limit but at most 32768 (podman lowers its own nproc limit to that at start, and
# runc cannot raise it past that).
PODMAN_SOCK=${FLAVOR_PODMAN_SOCK:-/run/podman/podman.sock}
PODMAN_DIR=$STATE/podman
mkdir -p "$PODMAN_DIR"
hard_nofile=$(ulimit -Hn); [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
hard_nproc=$(ulimit -Hu); [ "$hard_nproc" = unlimited ] && hard_nproc=32768
nofile=$((hard_nofile < 1048576 ? hard_nofile : 1048576))
nproc=$((hard_nproc < 32768 ? hard_nproc : 32768))
cat >"$PODMAN_DIR/containers.conf.tmp" <<CONF
# Written by integration/setup.sh: limits within this machine's hard limits.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
CONF
cat >"$PODMAN_DIR/registries.conf.tmp" <<CONF
# Written by integration/setup.sh: the loopback test registry speaks plain HTTP.
unqualified-search-registries = []
[[registry]]
location = "$REGISTRY_ADDR"
insecure = true
CONF
podman_conf_changed=
for f in containers.conf registries.conf; do
	if cmp -s "$PODMAN_DIR/$f.tmp" "$PODMAN_DIR/$f"; then rm "$PODMAN_DIR/$f.tmp"; else mv "$PODMAN_DIR/$f.tmp" "$PODMAN_DIR/$f"; podman_conf_changed=1; fi
done
podman_pid="$PODMAN_DIR/service.pid"
podman_up() { curl -fsS --unix-socket "$PODMAN_SOCK" http://podman/_ping >/dev/null 2>&1; }
if [ -n "$podman_conf_changed" ] && [ -s "$podman_pid" ] && kill -0 "$(cat "$podman_pid")" 2>/dev/null; then
	log "podman's configuration changed: restarting its service"
	sudo_ kill "$(cat "$podman_pid")"
	for _ in $(seq 1 40); do podman_up || break; sleep 0.25; done
fi
if ! podman_up; then
	log "starting podman system service on unix://$PODMAN_SOCK (log: $PODMAN_DIR/service.log)"
	sudo_ mkdir -p "$(dirname "$PODMAN_SOCK")"
	sudo_ env CONTAINERS_CONF="$PODMAN_DIR/containers.conf" CONTAINERS_REGISTRIES_CONF="$PODMAN_DIR/registries.conf" \
		nohup podman system service --time=0 "unix://$PODMAN_SOCK" >"$PODMAN_DIR/service.log" 2>&1 9>&- &
	echo $! >"$podman_pid"
	for _ in $(seq 1 120); do podman_up && break; sleep 0.5; done
	podman_up || { tail -20 "$PODMAN_DIR/service.log" >&2; die "podman system service did not come up on $PODMAN_SOCK"; }
fi
# A container must start: this is where a bad ulimit shows.
podman_check="$PODMAN_DIR/checked-$(cat "$PODMAN_DIR/containers.conf" | sha256sum | cut -c1-12)"
if [ ! -e "$podman_check" ]; then
	tar -C "$STATE/rootfs/busybox-amd64" -c . | CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman import -q - flavor-setup/busybox-check:1 >/dev/null ||
		die "importing busybox into podman failed"
	out=$(CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --url "unix://$PODMAN_SOCK" run --rm flavor-setup/busybox-check:1 sh -c 'ulimit -n' 2>&1) ||
		die "a podman container does not start: $out (limits in $PODMAN_DIR/containers.conf)"
	podman rmi -f flavor-setup/busybox-check:1 >/dev/null 2>&1 || true
	touch "$podman_check"
fi
log "podman $(podman --version | awk '{print $3}') on unix://$PODMAN_SOCK (ulimits nofile=$nofile nproc=$nproc)"

# --- BuildKit: buildkitd and buildctl from the pinned version -----------------------------------
# `go install github.com/moby/buildkit/cmd/buildkitd@v…` is refused (buildkit's go.mod has replace
# directives), so the commands are built from tools/buildkit, a module that requires buildkit at
# the pinned version. Built once per version (minutes on 2 cores), then cached.
root=$(cd "$(dirname "$0")/.." && pwd)
BUILDKIT_VERSION=$(awk '$1 == "require" && $2 == "github.com/moby/buildkit" {print $3}' "$root/tools/buildkit/go.mod")
[ -n "$BUILDKIT_VERSION" ] || die "no github.com/moby/buildkit version in tools/buildkit/go.mod"
BUILDKIT_BIN=$STATE/buildkit/$BUILDKIT_VERSION
if [ ! -x "$BUILDKIT_BIN/buildkitd" ] || [ ! -x "$BUILDKIT_BIN/buildctl" ]; then
	log "building buildkitd and buildctl $BUILDKIT_VERSION from tools/buildkit (minutes, once; log: $BUILDKIT_BIN.log)"
	start=$SECONDS
	rm -rf "$BUILDKIT_BIN.tmp" && mkdir -p "$BUILDKIT_BIN.tmp"
	(cd "$root/tools/buildkit" && go build -trimpath -o "$BUILDKIT_BIN.tmp/" \
		github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl) >"$BUILDKIT_BIN.log" 2>&1 ||
		{ tail -20 "$BUILDKIT_BIN.log" >&2; die "building buildkit $BUILDKIT_VERSION failed (log: $BUILDKIT_BIN.log)"; }
	rm -rf "$BUILDKIT_BIN" && mv "$BUILDKIT_BIN.tmp" "$BUILDKIT_BIN"
	log "built buildkit $BUILDKIT_VERSION in $((SECONDS - start)) s"
fi
BUILDKIT_SOCK=${FLAVOR_BUILDKIT_SOCK:-/run/flavor-buildkit/buildkitd.sock}
BUILDKIT_DIR=$STATE/buildkit/daemon
mkdir -p "$BUILDKIT_DIR"
cat >"$BUILDKIT_DIR/buildkitd.toml.tmp" <<CONF
# Written by integration/setup.sh.
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  binary = "$(command -v runc || echo runc)"
  platforms = ["linux/amd64", "linux/arm64"]
[worker.containerd]
  enabled = false
[registry."$REGISTRY_ADDR"]
  http = true
  insecure = true
CONF
buildkit_conf_changed=
if cmp -s "$BUILDKIT_DIR/buildkitd.toml.tmp" "$BUILDKIT_DIR/buildkitd.toml"; then rm "$BUILDKIT_DIR/buildkitd.toml.tmp"; else mv "$BUILDKIT_DIR/buildkitd.toml.tmp" "$BUILDKIT_DIR/buildkitd.toml"; buildkit_conf_changed=1; fi
buildkit_up() { "$BUILDKIT_BIN/buildctl" --addr "unix://$BUILDKIT_SOCK" debug workers >/dev/null 2>&1; }
buildkit_pid="$BUILDKIT_DIR/buildkitd.pid"
running_bin=
if [ -s "$buildkit_pid" ] && kill -0 "$(cat "$buildkit_pid")" 2>/dev/null; then
	running_bin=$(readlink "/proc/$(cat "$buildkit_pid")/exe" 2>/dev/null || true)
fi
if [ -n "$running_bin" ] && { [ -n "$buildkit_conf_changed" ] || [ "$running_bin" != "$BUILDKIT_BIN/buildkitd" ]; }; then
	log "buildkitd's configuration or version changed: restarting it"
	sudo_ kill "$(cat "$buildkit_pid")"
	for _ in $(seq 1 40); do buildkit_up || break; sleep 0.25; done
fi
if ! buildkit_up; then
	log "starting buildkitd $BUILDKIT_VERSION on unix://$BUILDKIT_SOCK (log: $BUILDKIT_DIR/buildkitd.log)"
	sudo_ mkdir -p "$(dirname "$BUILDKIT_SOCK")"
	sudo_ nohup "$BUILDKIT_BIN/buildkitd" --config "$BUILDKIT_DIR/buildkitd.toml" --root "$BUILDKIT_DIR/state" \
		--addr "unix://$BUILDKIT_SOCK" >"$BUILDKIT_DIR/buildkitd.log" 2>&1 9>&- &
	echo $! >"$buildkit_pid"
	for _ in $(seq 1 120); do buildkit_up && break; sleep 0.5; done
	buildkit_up || { tail -20 "$BUILDKIT_DIR/buildkitd.log" >&2; die "buildkitd did not come up on $BUILDKIT_SOCK"; }
fi
log "buildkitd $BUILDKIT_VERSION on unix://$BUILDKIT_SOCK (platforms $("$BUILDKIT_BIN/buildctl" --addr "unix://$BUILDKIT_SOCK" debug workers --format '{{range .}}{{range .Platforms}}{{.OS}}/{{.Architecture}}{{with .Variant}}/{{.}}{{end}} {{end}}{{end}}' 2>/dev/null))"

# The demo needs only the busybox roots: the Debian images (minutes the first time) are for the
# tests and the Debian-based examples.
if [ "${1:-}" = --no-debian ]; then
	log "ready: rootfs in $STATE/rootfs (no Debian images: --no-debian)"
	exit 0
fi

# --- Debian bookworm images ------------------------------------------------------------------
# The root filesystems are the slow part (minutes; arm64 runs under qemu), so they are cached by
# the exact mmdebstrap arguments, one architecture at a time (the machine may have 2 cores).
DEBIAN_INCLUDE=build-essential,zlib1g-dev,libzstd-dev,python3
debian_args=(--variant=minbase "--include=$DEBIAN_INCLUDE" --skip=output/dev --format=tar bookworm)
mkdir -p "$STATE/debian"
debian_tar() { # $1 = arch, $2 = name, $3 = key, then the mmdebstrap arguments; prints the cached tar's path
	local arch=$1 out="$STATE/debian/$2-$1-$3.tar"
	shift 3
	exec 8>"$out.lock" && flock 8 # one mmdebstrap per root at a time, should setup run twice at once
	if [ ! -s "$out" ]; then
		log "making the Debian $arch root filesystem $(basename "$out") with mmdebstrap (minutes; log: $out.log)"
		local start=$SECONDS
		mmdebstrap --architectures="$arch" "$@" "$out.tmp" >"$out.log" 2>&1 ||
			{ tail -20 "$out.log" >&2; die "mmdebstrap for $arch failed (log: $out.log)"; }
		mv "$out.tmp" "$out"
		echo $((SECONDS - start)) >"$out.seconds"
		log "made $out in $((SECONDS - start)) s"
	fi
	exec 8>&-
	printf '%s\n' "$out"
}
host_arch=$(dpkg --print-architecture)
debian_image() { # $1 = the tag, $2 = a layer tar put on top ("" for none), then the mmdebstrap arguments
	local tag=$1 layer=$2 ref="$REGISTRY_ADDR/debian:$1"
	shift 2
	local key amd64_tar arm64_tar stamp have digest start t0 extra=()
	t0=$(date +%s%N)
	key=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
	amd64_tar=$(debian_tar amd64 bookworm "$key" "$@")
	arm64_tar=$(debian_tar arm64 bookworm "$key" "$@")
	stamp="$STATE/debian/image-$key"
	if [ -n "$layer" ]; then
		stamp="$stamp-$(basename "$layer" .tar)"
		extra=(--layer "$layer")
	fi
	have=$(curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$REGISTRY_ADDR/v2/debian/manifests/$tag" 2>/dev/null | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}') || true
	if [ ! -s "$stamp" ] || [ "$have" != "$(cat "$stamp")" ] || ! docker image inspect "$ref" >/dev/null 2>&1; then
		log "building $ref (linux/amd64, linux/arm64) and loading linux/$host_arch into the engine"
		start=$SECONDS
		digest=$(cd "$(dirname "$0")/.." && go run ./integration/cmd/debian-image --ref "$ref" \
			--scratch "$STATE/debian" --load "linux/$host_arch" "${extra[@]}" \
			"linux/amd64=$amd64_tar" "linux/arm64=$arm64_tar") || die "building $ref failed"
		rm -f "$STATE"/debian/*.layer.tar.gz
		printf '%s\n' "$digest" >"$stamp"
		echo $((SECONDS - start)) >"$stamp.seconds"
		log "pushed $ref ($digest) in $((SECONDS - start)) s"
	fi
	log "image $ref $(cat "$stamp")"
	# Its setup time: this run, and what each part took when it was made (the first setup).
	log "$ref: set up in $(( ($(date +%s%N) - t0) / 1000000 )) ms this run; when first made: amd64 root $(first "$amd64_tar.seconds") s, arm64 root $(first "$arm64_tar.seconds") s, image $(first "$stamp.seconds") s"
}
# Python applications (examples/pyapp) build in debian:bookworm (which has python3) with one more
# layer: Debian's pip and what it needs to build a local project without an index (setuptools,
# wheel), unpacked from their architecture-independent packages. No second root filesystem,
# nothing under qemu: seconds, not the half hour an arm64 mmdebstrap takes.
python_debs=(python3-pip python3-setuptools python3-wheel python3-pkg-resources python3-distutils python3-lib2to3)
python_layer() { # prints the layer tar's path
	local key out tmp start=$SECONDS
	key=$(printf '%s\n' "${python_debs[@]}" | sha256sum | cut -c1-12)
	out="$STATE/debian/python-pip-$key.tar"
	if [ ! -s "$out" ]; then
		log "making the pip layer from ${python_debs[*]} (apt-get download; log: $STATE/apt.log)"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download "${python_debs[@]}" >>"$STATE/apt.log" 2>&1) ||
			{ apt_ update; (cd "$tmp" && apt-get download "${python_debs[@]}" >>"$STATE/apt.log" 2>&1) || die "apt-get download ${python_debs[*]} failed (log: $STATE/apt.log)"; }
		for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
		# a directory in place of one of the root's links (merged /usr: /bin, /lib) would hide it
		[ "$(ls -A "$tmp/root")" = usr ] || die "the pip packages ship more than /usr: $(ls -A "$tmp/root" | tr '\n' ' ')"
		tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp/root" -cf "$out.tmp" ./usr
		mv "$out.tmp" "$out"
		rm -rf "$tmp"
		echo $((SECONDS - start)) >"$out.seconds"
	fi
	printf '%s\n' "$out"
}
first() { cat "$1" 2>/dev/null || echo '?'; }
debian_image bookworm "" "${debian_args[@]}"
debian_image bookworm-python "$(python_layer)" "${debian_args[@]}"
log "ready: rootfs in $STATE/rootfs, Debian tars in $STATE/debian"
