// Package specs reads spec trees written in Luet's format — definition.yaml, collection.yaml,
// build.yaml, finalize.yaml and shared templates — renders them for a platform, flavor and set
// of values, resolves build and runtime dependencies, and computes cache keys.
//
// Load reads one or more trees into a Tree; Tree.Lookup finds a package by reference
// ("cat/name@>=1.0", a Gentoo atom); Tree.Resolve gives a Resolution with the build order,
// each package's dependencies and the levels that can build in parallel; Tree.ResolveRuntime
// gives the runtime closure; CacheKey (or Resolution.CacheKeys) turns a package's inputs into
// its cache key. Versions and selectors live in the subpackage specs/version. specs imports
// nothing else from this module.
//
// # What we keep from Luet, and where we differ
//
// build-specs.md is the contract. In short, and with the choices it left to us:
//
//   - Discovery, the build.yaml fields, `.Values` precedence (values files beat definition
//     keys, the rightmost file wins, nested maps merge), sprig plus toYaml/fromYaml/
//     fromYamlArray/toJson/fromJson/fromJsonArray/toToml/include (1000 nested includes at
//     most), missingkey=zero, and shared templates placed before the spec are Luet's. Templates
//     also see .Flavor (flag → bool), .Platform (.OS, .Arch, .Variant, .String) and .Package
//     (.Name, .Category, .Version). Values files apply at load time too (Luet renders the
//     requires without them first).
//   - build.yaml is decoded strictly: an unknown key is an error naming the file and line with
//     the nearest known key ("step" → "steps"); `join` is rejected with a pointer to
//     requires_final_images; an invalid include/exclude regexp fails the load naming the
//     pattern. Lines are those of build.yaml; when it holds template actions the message says
//     the line is that of the rendered text. definition.yaml keeps Luet's openness: keys we do
//     not know are template values.
//   - A version written as a YAML number (`version: 1.10`) is an error that shows the quoted
//     form: Luet fails on it too, and other YAML readers would turn 1.10 into 1.1.
//   - Versions order as Debian EVR after Luet HEAD's normalisation; a comma-separated selector
//     is an AND (">=1.0, <2"). A reference without a category matches a package without one,
//     or else the only category holding that name.
//   - The resolver is deterministic and guarantees the newest satisfying version in the order
//     requirements are met: a depth-first search over candidates, newest first, with
//     conflict-directed backjumping. A package that provides cat/name is tried before cat/name
//     itself (Luet's provides replace the package). Unknown or unsatisfiable requirements are
//     errors showing the chain that led to them; Luet treats unknown names as satisfied.
//   - Build dependencies come from build.yaml requires plus the packages copy entries name;
//     with `image:` they are still resolved, built first and part of the cache key. For
//     requires_final_images the dependencies are the runtime closure of the requires (a
//     subpackage there stands for its parent). Subpackages exist only in the runtime graph;
//     one without a category or version takes its parent's.
//   - When several trees define a package the first wins; twice in one tree is an error.
//     Directories named .git are skipped.
//   - finalize.yaml is rendered with the same data as build.yaml (Luet renders it at install
//     time with the re-serialised definition only).
//   - The cache key covers the rendered spec (not its text), the package directory's content,
//     the base image digest, copy image digests, the platform, the flavor and the keys of the
//     package's own build dependencies — never the rest of a chain (Luet #187), and for a
//     collection member only its entry, not the other entries of collection.yaml (Luet #287).
//
// Flavors: definition.yaml may declare `flags: {ssl: true}`; a requested flavor such as
// "!ssl,debug" overrides the declared defaults (flavorFlags is the one place that does it), and
// "hello.ssl" overrides it for the package named hello only (Package.VariantRequest writes such
// requests). The variants a package can be built in (Package.Candidates) are every combination
// of its flags, unless definition.yaml lists them under `variants:` (our addition):
//
//	flags: {ssl: true, debug: false}
//	variants: ["ssl", "!ssl,debug"]   # flags a variant leaves out keep their defaults
//
// Each variant names declared flags only, with no architecture and no package prefix, and no
// two variants may be the same; a package with more than 12 flags must list its variants.
// Package.VariantFlavor gives a variant's artifact flavor, which a bundle's requested flavor
// chooses among (specs/flavor Choose).
package specs
