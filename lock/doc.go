// Package lock resolves the [install] entries of a bundle manifest against its spec trees for
// every system, builds the chosen packages and their runtime closures with package builder, and
// pins the outcome in a flavor.lock (specs/manifest's Lock).
//
// For each install entry and system, Resolve
//
//   - loads the trees ([options] trees and values) rendered for the system's platform;
//   - looks the entry's pkg-path up with its version selector (the newest version that
//     satisfies it);
//   - chooses the variant: the candidates are the combinations of the flags definition.yaml
//     declares, or the list under `variants:` (specs.Package.Candidates), each with the artifact
//     flavor specs gives it (VariantFlavor); specs/flavor's Choose picks among them against the
//     entry's requested flavor (manifest.RequestedFlavor: options.flavor, the platform's
//     instruction set, then the entry's flavor): compatible candidates only, architecture
//     preference first, then the best score, the earlier candidate on a tie;
//   - adds the runtime closure (definition.yaml requires), each dependency's variant chosen
//     against the same requested flavor;
//   - builds every package it needs with builder.Build (the artifact cache makes an unchanged
//     package free), one build per system and set of variants, all systems at once.
//
// A locked entry that still stands (manifest.CheckLock: same pkg-path, version selector,
// pkg-group and requested flavor, and the same spec digest) is not resolved again: its version
// and flavor are kept, and the base image it records is used by digest — the engine's image of
// that digest stands in for the name, so a tag moved since does not change the build, and a
// digest that can no longer be found is an error naming the entry, the image and the fix.
// The pins hold for every build of the system, so entries sharing a base image keep sharing
// it: `--update` them together to move to a new image. WithUpdate resolves entries again on
// purpose. WithFrozen (`flavor pack --locked`) refuses a
// missing or stale lock, and also any difference between what the builds gave and what the lock
// records: cache keys, artifact digests, base images and launcher digests.
//
// An entry's spec digest covers its own package and its runtime closure: their identities,
// chosen flavors, rendered specs (the defaults' rendering, with the values files) and package
// directory contents. A change to any of them makes the entry stale.
//
// Packages are grouped for shipping by pkg-group (Result.Systems[i].Groups), each group in
// dependency order: an entry's runtime dependencies before it. A package named by an entry ships
// in that entry's group; a runtime dependency ships in the first group (by name) that needs it
// and is not repeated in later ones.
//
// Resolution errors (a missing package, an unsatisfiable version, a flavor no variant
// satisfies, a system the tree cannot build) are *EntryError values naming the manifest, the
// entry, the system and the fix; all of them are reported together, before any build starts.
package lock
