// Package build joins the stages: it plans the build graph of a spec tree, runs each package's
// steps in a container, turns the result into a cached artifact, and packs bundles into .psp files.
package build
