// Package engine is what flavor needs from a container engine, one small interface per
// capability, with each engine as a package under it (engine/docker today).
//
// Every engine has the capabilities of [Engine]:
//
//   - [Containers]: run build steps in a container made from an image — create, exec with
//     streamed output, copy a tar in and a path out, remove;
//   - [Differ]: what a container changed, as a change list, and its whole file system, as a
//     tar stream;
//   - [Snapshotter]: commit a container's file system as an image later containers start from;
//   - oci.ImageStore and [ImageRemover]: inspect, load (an oci v1.Image, however the engine
//     takes it in), tag and remove images.
//
// Optional capabilities are small interfaces found with a type assertion, so an engine without
// one still builds, only slower or with less checking:
//
//   - [OverlayReader]: the overlay upper directory of a container on a local engine, the change
//     set without walking or copying anything (the build's fast path for deltas);
//   - [EmulationChecker]: whether containers of a foreign platform can run (binfmt_misc);
//   - [ContainerLister]: the containers flavor made, so [RemoveStale] can remove those of
//     killed flavor processes;
//   - [ImageLister]: images by repository, so `flavor clean` can remove cached build images.
//
// A wrapper around an Engine (a test's counting engine, lock's pinned engine) must pass the
// optional capabilities through, or the build sees an engine without them.
//
// Engines are opened in one place, cmd/flavor's openEngine, from --engine (FLAVOR_ENGINE).
//
// # Fitting other engines
//
// Podman speaks the Docker API, so a Podman engine can start as engine/docker pointed at its
// socket (a copy where the APIs differ). BuildKit is solve-based, not container-based: a BuildKit
// engine keeps each "container" as an LLB state, runs Exec as llb.Run on it, takes the Differ's
// change set from llb.Diff(base, state) and snapshots with a solve to its content store;
// requires_final_images roots map onto llb.Merge. Its natural fast path for deltas is a diff
// stream (the layer tar of llb.Diff), which would be one more optional capability next to
// [OverlayReader], read by the builder with delta.FromTar.
package engine
