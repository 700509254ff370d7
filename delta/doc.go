// Package delta turns a finished build into a file tree: the container's change set (added and
// changed entries, whiteouts as removals), whole-filesystem unpack, package_dir, include/exclude
// filtering, and the deterministic artifact tar.
package delta
