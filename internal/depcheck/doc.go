// Package depcheck enforces the import graph of the README's layout table: each top-level folder
// imports only the folders allowed to it, so the pipeline stays layered (specs imports nothing of
// ours but platform, packer never imports oci, the launcher only reads packages). The check is its
// test.
package depcheck
