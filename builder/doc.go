// Package builder turns spec trees into artifacts: it plans the build graph of each target
// platform, runs every package's prelude and steps in containers of the engine, turns what the
// steps changed into a deterministic artifact with its metadata, and keeps artifacts in a local
// content-addressed cache (shared through a registry when asked) so unchanged packages start no
// container.
//
// # Stages
//
// A package with steps is built in two containers, as Luet does:
//
//   - the builder stage starts from the build root (below), copies the package directory to
//     /luetbuild (its working directory), sets PACKAGE_NAME, PACKAGE_VERSION,
//     PACKAGE_CATEGORY, TARGETPLATFORM, TARGETOS, TARGETARCH (and TARGETVARIANT), one
//     FLAVOR_<FLAG>=1|0 per flavor flag and the spec's env, applies `copy` (once, unlike Luet)
//     and `retrieve`, runs each prelude line with /bin/sh -c and is committed;
//   - the package stage is a container of that builder image in which each step runs with
//     /bin/sh -c, its output streamed line by line as [progress.Event]s (StageOutput).
//
// When the builder stage changes nothing that could ship (delta mode without prelude, copy,
// retrieve or includes; always for unpack and package_dir), the steps run in the builder
// container itself and nothing is committed in between: one container per package instead of
// two, since the build context and the environment never count in a delta.
//
// Each command's stderr is joined to its stdout (the engine would interleave the two at
// random), so lines arrive in the order they were written.
//
// What the package container changed becomes the artifact: its delta (from the overlay upper
// directory on a local engine, from the change list on a remote one), its whole filesystem
// (unpack) or one directory (package_dir), filtered by includes and excludes. Subpackages are
// carved out of that artifact. Containers are removed whatever happens, with a context that is
// not cancelled, so Ctrl-C leaves nothing behind; the leftovers of a killed process are removed
// by the next Build (their owner process is gone).
//
// # Build roots
//
//   - image: the image, resolved for the platform by digest;
//   - requires_final_images: one layer made of the artifacts of the runtime closure of its
//     requires, applied in order (Luet's join image);
//   - otherwise the package image (the committed package-stage container) of its chain
//     dependency: the last entry of build.yaml `requires`, in the order written, whose own
//     chain has a root (virtual packages have none). Only that dependency's chain is in the
//     root, never a sibling's, so a package's root, like its cache key, depends on its own
//     dependency chain alone (Luet issue #187). The other requires are built first and are in
//     the key; use requires_final_images or copy to bring their files in.
//
// Package images are tagged flavor.local/pkg:<key hex> and reused while the engine has them; a
// dependent that needs one that is gone rebuilds it, without rewriting the cached artifact.
//
// # Classes
//
// A virtual package (no steps, no image source) gets an empty artifact and no container; an
// image-only seed (an image source, no steps) too, and its builder image is made only when a
// dependent builds on it or copies from it. Steps without an image source, and depending on a
// virtual chain, are errors when the tree is resolved.
package builder
