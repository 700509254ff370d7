// Package ops is the vocabulary of a PSPF slot's operation chain (pspf-2025.md §8): the one-byte
// operation codes, their names and aliases, the named chains ("tgz", "tar.zst"), how a chain is
// packed into a descriptor's u64, and the codec of each compression. The manifest validates
// `operations` with ParseChain, packer encodes with NewWriter and decodes with NewReader, and the
// launcher decodes through packer.
//
// Each operation is one file (gzip.go, zstd.go, …) that calls define with its code, names and
// codec. Adding a compression is adding such a file. Codecs are reached through unexported
// interface methods, so a program that never calls NewWriter (the launcher) links no encoder.
package ops
