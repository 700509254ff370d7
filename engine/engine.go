package engine

import (
	"context"
	"io"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
)

// Engine is what a build needs from a container engine: containers to run steps in, a way to
// read what they changed, snapshots to start later containers from, and the image store. Each
// part is a small interface of its own, so code that needs one capability asks for that one.
// Optional capabilities ([OverlayReader], [EmulationChecker], [ContainerLister],
// [ImageLister]) are found with a type assertion on the Engine.
type Engine interface {
	Containers
	Differ
	Snapshotter
	oci.ImageStore
	ImageRemover
	// Name is the engine kind and where it runs, for messages: "docker at unix:///var/run/docker.sock".
	Name() string
	// Platform is the platform the engine's containers run natively.
	Platform() platform.Platform
	// Close releases the connection to the engine.
	Close() error
}

// Containers runs build steps: a long-lived container made from an image, in which commands run
// one by one with their output streamed, and files are copied in and out. Container ids are the
// engine's.
type Containers interface {
	// Create makes and starts a container of spec.Image that idles until removed, ready for
	// Exec, labelled as flavor's (see [LabelManaged]).
	Create(ctx context.Context, spec ContainerSpec) (string, error)
	// Exec runs spec.Cmd in the container, streaming its output as it arrives, and returns its
	// exit code. A non-zero exit code is not an error.
	Exec(ctx context.Context, id string, spec ExecSpec) (int, error)
	// CopyTo unpacks the tar stream into directory dir of the container, creating dir first.
	CopyTo(ctx context.Context, id, dir string, tar io.Reader) error
	// CopyFrom returns path of the container as a tar stream, its base name at the root. A path
	// that does not exist gives an error whose text says "no such file" (the engine's wording).
	CopyFrom(ctx context.Context, id, path string) (io.ReadCloser, error)
	// Remove kills and removes the container; it runs even when ctx is already cancelled, and a
	// container that is already gone is not an error.
	Remove(ctx context.Context, id string) error
}

// Differ reads what a container's commands changed, for turning it into a file tree. Every
// engine can list changes and export a whole file system; a faster way to the same difference
// is an optional capability ([OverlayReader]).
type Differ interface {
	// Changes lists the paths added, modified and deleted in the container since it was
	// created from its image.
	Changes(ctx context.Context, id string) ([]Change, error)
	// Export returns the container's whole file system as a tar stream.
	Export(ctx context.Context, id string) (io.ReadCloser, error)
}

// Snapshotter makes an image of a container's file system that later containers start from.
type Snapshotter interface {
	// Commit makes an image of the container's file system, keeping the container's
	// environment and working directory and its image's entrypoint and command, and returns
	// the image id.
	Commit(ctx context.Context, id string, spec CommitSpec) (string, error)
}

// ImageRemover removes images from the engine's store.
type ImageRemover interface {
	// RemoveImage removes an image by name or id (untagging only when other names remain); a
	// missing image is an error wrapping oci.ErrImageNotFound.
	RemoveImage(ctx context.Context, ref string) error
}

// OverlayReader is the optional fast path of [Differ]: the overlay directories of a container
// on an engine whose storage this process can read. The upper directory is the change set
// itself (whiteouts included), so no change list is walked and nothing is copied.
type OverlayReader interface {
	// OverlayDirs returns the container's overlay upper and lower directories; ok is false
	// when the engine is not local, does not use overlay storage or the directories cannot be
	// read here.
	OverlayDirs(ctx context.Context, id string) (dirs OverlayDirs, ok bool, err error)
}

// EmulationChecker is the optional check that containers of a foreign platform can run.
type EmulationChecker interface {
	// CanRun returns an error wrapping [ErrNoEmulation], with the command that fixes it, when
	// containers of p cannot run; probeImage is an image of p the check may start.
	CanRun(ctx context.Context, p platform.Platform, probeImage string) error
}

// ImageLister is the optional listing of the engine's images by repository, used to clean the
// images builds keep as a cache.
type ImageLister interface {
	// ImagesNamed lists the images with a name in repository repo ("flavor.local/pkg"), one
	// entry per image, with every matching name in RepoTags.
	ImagesNamed(ctx context.Context, repo string) ([]oci.ImageInfo, error)
}
