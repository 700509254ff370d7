// Package progress is the one progress event the libraries emit: a build's packages and
// commands (builder), the resolution of install entries (lock), spec loading (specs), image
// transfers (oci), change lists (delta) and the slots of packages written or extracted (packer,
// bundle). Each library takes a [Func] through its WithProgress option and documents the
// stages it reports; cmd/flavor renders the events. It imports nothing of ours.
package progress
