// Package oci handles images: references, platforms, digests, pulling and loading images
// (go-containerregistry), base images made from a root filesystem, and build-cache artifacts in
// registries. Containers are package engine's.
//
// The pieces, by file:
//
//   - resolve*.go: [Resolver] turns an image reference and a target platform into a [Resolved]
//     image (config digest, manifest digest, platform, source). A plain name is looked up in the
//     local engine first and then in its registry, so an image already in the engine is used
//     without network; "oci:DIR[:TAG|@DIGEST]" reads an OCI layout and "docker-archive:FILE[:REF]"
//     an image tarball.
//   - store.go: [ImageStore], what the resolver and [Load] need of an engine's image store.
//   - load.go: making a resolved image available to the engine (load when missing, tag).
//   - rootfs*.go: deterministic single-layer base images made from a root filesystem directory
//     or tar, written to the engine, a registry or an OCI layout.
//   - artifact.go: build-cache artifacts stored in a registry as OCI artifacts.
package oci
