// Package packer reads and writes PSPF/2025 packages: slot operations (tar, gzip, bzip2, xz,
// zstd), the slot table, the 8192-byte index and its trailer, the gzip metadata, Ed25519 signing,
// and verification of every byte against the signed metadata.
package packer
