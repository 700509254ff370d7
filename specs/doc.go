// Package specs reads everything a user writes: Luet spec trees (definition.yaml, collection.yaml,
// build.yaml, finalize.yaml, shared templates), their templating, versions and references,
// dependency resolution, Conary flavors, cache keys, and the bundle manifest with its lock.
//
// specs imports nothing else from this module.
package specs
