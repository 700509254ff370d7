// Package version compares package versions the way Debian does (epoch:upstream-revision, with
// `~` sorting before everything) and matches them against selectors such as ">=1.0, <2".
//
// It follows Luet HEAD (pkg/versioner): before comparing, `_` becomes `-`, a leading `v` before a
// digit is dropped and leading zeros of digit runs are trimmed, so "v1.00_1" reads as "1.0-1".
// A version that is not a valid Debian version after that still has a place in the order: it
// sorts before every valid one, and selectors match it only with `=`/`!=` by exact text.
//
// Unlike Luet HEAD, a comma-separated selector (">=1.0, <2.0") is an AND of its terms, as it was
// in Luet up to 0.36.5, because trees use it.
package version
