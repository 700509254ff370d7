// Package pipeline is flavor's library entry point from a bundle manifest to its outputs: [Lock]
// resolves and builds the manifest's [install] entries and keeps flavor.lock beside it, [Pack]
// does that and then writes one signed .psp per platform, followed by the caller's sinks
// (bundle.Sink: sidecar files beside each package). cmd/flavor only turns flags and environment
// into these options and renders the events; a program or a test calls the same functions.
//
// The container engine is opened through [WithEngine] only when the manifest has [install]
// entries, and closed before the call returns. The launchers ([WithLauncher]) are read once, so
// the digests locked and the bytes packed are the same.
package pipeline
