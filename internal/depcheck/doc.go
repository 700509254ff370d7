// Package depcheck enforces the import graph of design.md: each top-level folder imports only the
// folders allowed to it, so the pipeline stays layered (specs imports nothing of ours, packer never
// imports oci, the launcher only reads packages). The check is its test.
package depcheck
