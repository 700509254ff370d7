#!/usr/bin/env bash
# Installs and starts everything the integration tests and the demo need, idempotently:
#   - Debian packages: docker.io, qemu-user-static, binfmt-support, busybox-static (amd64 + arm64),
#     docker-registry, zstd (for the benchmarks' baseline);
#   - a running Docker engine (dockerd in the background, if none answers);
#   - binfmt_misc with the qemu-aarch64 handler (arm64 containers run under emulation);
#   - a registry on 127.0.0.1:5000;
#   - busybox root filesystems for linux/amd64 and linux/arm64 under $FLAVOR_SETUP_DIR/rootfs;
#   - Debian bookworm images for linux/amd64 and linux/arm64 (mmdebstrap; root filesystem tars
#     cached under $FLAVOR_SETUP_DIR/debian), two layers the second of which deletes files of the
#     first, pushed as one index to $REGISTRY_ADDR/debian:bookworm and loaded into the engine.
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
# file spoil it. The engine and the registry started below must not inherit the lock (9>&-).
exec 9>"$STATE/setup.lock"
flock -n 9 || { log "waiting for another setup to finish (lock: $STATE/setup.lock)"; flock 9; }

# --- Debian packages -------------------------------------------------------------------------
packages=(docker.io qemu-user-static binfmt-support busybox-static docker-registry zstd curl mmdebstrap)
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
python_args=(--variant=minbase --include=python3,python3-pip --skip=output/dev --format=tar bookworm)
mkdir -p "$STATE/debian"
debian_tar() { # $1 = arch, $2 = name, $3 = key, then the mmdebstrap arguments; prints the cached tar's path
	local arch=$1 out="$STATE/debian/$2-$1-$3.tar"
	shift 3
	if [ ! -s "$out" ]; then
		log "making the Debian $arch root filesystem $(basename "$out") with mmdebstrap (minutes; log: $out.log)"
		local start=$SECONDS
		mmdebstrap --architectures="$arch" "$@" "$out.tmp" >"$out.log" 2>&1 ||
			{ tail -20 "$out.log" >&2; die "mmdebstrap for $arch failed (log: $out.log)"; }
		mv "$out.tmp" "$out"
		echo $((SECONDS - start)) >"$out.seconds"
		log "made $out in $((SECONDS - start)) s"
	fi
	printf '%s\n' "$out"
}
host_arch=$(dpkg --print-architecture)
debian_image() { # $1 = name (the tag), then the mmdebstrap arguments: tars for amd64 and arm64, one index
	local tag=$1 ref="$REGISTRY_ADDR/debian:$1"
	shift
	local key amd64_tar arm64_tar stamp have digest start t0
	t0=$(date +%s%N)
	key=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
	amd64_tar=$(debian_tar amd64 "$tag" "$key" "$@")
	arm64_tar=$(debian_tar arm64 "$tag" "$key" "$@")
	stamp="$STATE/debian/image-$key"
	have=$(curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$REGISTRY_ADDR/v2/debian/manifests/$tag" 2>/dev/null | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}') || true
	if [ ! -s "$stamp" ] || [ "$have" != "$(cat "$stamp")" ] || ! docker image inspect "$ref" >/dev/null 2>&1; then
		log "building $ref (linux/amd64, linux/arm64) and loading linux/$host_arch into the engine"
		start=$SECONDS
		digest=$(cd "$(dirname "$0")/.." && go run ./integration/cmd/debian-image --ref "$ref" \
			--scratch "$STATE/debian" --load "linux/$host_arch" \
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
first() { cat "$1" 2>/dev/null || echo '?'; }
debian_image bookworm "${debian_args[@]}"
# Python applications (examples/pyapp): the interpreter and pip (with setuptools and wheel, which
# pip needs to build a local project without an index), nothing else.
debian_image bookworm-python "${python_args[@]}"
log "ready: rootfs in $STATE/rootfs, Debian tars in $STATE/debian"
