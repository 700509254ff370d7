// Package manifest reads the bundle manifest (flavor.toml, or [tool.flavor] in pyproject.toml)
// into an immutable Manifest, and reads, writes and checks its lock (flavor.lock).
//
// The manifest joins FlavorPack's [tool.flavor] configuration (package, execution, environment
// rules, slots, signing) with Flox's declarative manifest ([install], [vars], [hook], [options]);
// shared/spec/manifest.md is the contract. Decoding is strict: an unknown key, a value of the
// wrong type or an invalid value is an *Error naming the file, the line and the key, with a
// "did you mean" hint where one helps.
//
// The lock pins, per install entry and system, what the entry resolved to. Resolution itself is
// done by the build orchestration; this package holds the data model and the rule that decides
// when a locked entry must be resolved again (CheckLock).
package manifest
