package ops

// Tar bundles a directory into one tar stream (pspf-2025.md §8, code 0x01). It has no codec
// here: the writer makes the tar stream and the reader unpacks it.
const Tar Op = 0x01

var tarDef = definition{op: Tar, name: "tar"}

var _ = define(&tarDef)
