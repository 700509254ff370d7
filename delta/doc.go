// Package delta turns a finished container build into a file tree and a deterministic artifact
// tar.
//
// A Tree is made from one of three sources:
//
//   - FromOverlay: a local engine's overlay directories (the container's upper directory and the
//     builder's lower directories). Only the upper directory is walked; each of its entries is
//     compared with its lower counterpart, looked up by path, so the cost grows with the size of
//     the change and never with the size of the base.
//   - FromChanges: a remote engine seen through a ChangeSource (its change list and tar streams
//     of single paths from the container and from the builder).
//   - FromTar: a whole-filesystem tar stream (the unpack and package_dir strategies).
//
// The default delta ships every entry the steps added or changed (content, mode, owner, link
// target, type or the security.capability xattr; an mtime alone is not a change) and lists what
// they deleted as removed paths. WithAddedOnly gives Luet's `delta: added`. Parents of shipped
// entries are shipped with their real attributes. The build directory (/luetbuild) and /tmp are
// left out unless an include pattern names their entries; /proc, /sys, /dev and the engine's bind
// mounts never count.
//
// Tree.WriteArtifact writes the deterministic zstd-compressed tar; Carve cuts a subpackage out of
// an artifact; Apply extracts artifacts into a directory, later ones over earlier ones.
package delta
