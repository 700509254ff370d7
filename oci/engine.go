package oci

import (
	"context"
	"io"

	"github.com/flavor-dev/flavor/platform"
)

// Engine is what a build needs from a container engine to run one stage: a long-lived container
// in which steps are executed one by one, files copied in and out, and the result committed.
// Container ids are the engine's. [Docker] implements it.
type Engine interface {
	// Create makes and starts a container that idles until removed, ready for Exec.
	Create(ctx context.Context, spec ContainerSpec) (string, error)
	// Exec runs spec.Cmd in the container, streaming its output as it arrives, and returns its
	// exit code. A non-zero exit code is not an error.
	Exec(ctx context.Context, id string, spec ExecSpec) (int, error)
	// CopyTo unpacks the tar stream into directory dir of the container.
	CopyTo(ctx context.Context, id, dir string, tar io.Reader) error
	// CopyFrom returns path of the container as a tar stream, its base name at the root.
	CopyFrom(ctx context.Context, id, path string) (io.ReadCloser, error)
	// Commit makes an image of the container's filesystem and returns the image id.
	Commit(ctx context.Context, id string, spec CommitSpec) (string, error)
	// Remove kills and removes the container; it runs even when ctx is already cancelled.
	Remove(ctx context.Context, id string) error
}

// ChangeSource reads what a finished container changed, for turning it into a file tree.
// [Docker] implements it.
type ChangeSource interface {
	// Changes lists the paths added, modified and deleted in the container (the engine walks
	// the whole filesystem, so it costs in proportion to the base's file count).
	Changes(ctx context.Context, id string) ([]Change, error)
	// OverlayDirs returns the container's overlay upper directory (its change set, whiteouts
	// included) and lower directories, when the engine is local, uses overlay2 and the
	// directories are readable here; ok is false otherwise.
	OverlayDirs(ctx context.Context, id string) (dirs OverlayDirs, ok bool, err error)
	// Export returns the container's whole filesystem as a tar stream.
	Export(ctx context.Context, id string) (io.ReadCloser, error)
	// CopyFrom returns path of the container as a tar stream, its base name at the root.
	CopyFrom(ctx context.Context, id, path string) (io.ReadCloser, error)
}

// ImageStore is the engine's image store as the resolver and loaders need it. [Docker]
// implements it.
type ImageStore interface {
	// InspectImage describes an image by name or id; ErrImageNotFound when missing.
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
	// LoadImage loads a docker-archive tar stream (as written by ggcr's tarball.Write).
	LoadImage(ctx context.Context, tar io.Reader) error
	// TagImage gives the image src the name tag.
	TagImage(ctx context.Context, src, tag string) error
	// RemoveImage removes an image by name or id (untagging only when other names remain).
	RemoveImage(ctx context.Context, ref string) error
}

// ContainerSpec describes a build container.
type ContainerSpec struct {
	Image    string            // image id or name in the engine
	Platform platform.Platform // the image's platform; passed to the engine so it checks
	Env      []string          // KEY=VALUE, in order
	WorkDir  string            // working directory; the image's when empty
	Package  string            // the package being built, recorded in a label
	Labels   map[string]string // extra labels; the dev.flavor.* labels cannot be overridden
	Name     string            // container name; the engine picks one when empty
}

// ExecSpec describes one command run in a container.
type ExecSpec struct {
	Cmd     []string  // argv; a build step is {"/bin/sh", "-c", line}
	Env     []string  // KEY=VALUE added to the container's environment
	WorkDir string    // the container's working directory when empty
	User    string    // the container's user when empty
	Stdout  io.Writer // receives output as it arrives; discarded when nil
	Stderr  io.Writer // receives error output as it arrives; discarded when nil
}

// CommitSpec describes an image committed from a container.
type CommitSpec struct {
	Ref     string            // name to tag the image with; untagged when empty
	Comment string            // recorded in the image history
	Labels  map[string]string // added to the image's labels
}

// ChangeKind says how a path changed in a container.
type ChangeKind int

// Change kinds, as the engine reports them.
const (
	Modified ChangeKind = iota
	Added
	Deleted
)

func (k ChangeKind) String() string {
	switch k {
	case Modified:
		return "modified"
	case Added:
		return "added"
	case Deleted:
		return "deleted"
	}
	return "unknown"
}

// Change is one entry of a container's change list.
type Change struct {
	Path string // absolute, e.g. "/etc/passwd"
	Kind ChangeKind
}

// OverlayDirs are a container's overlay2 directories on the engine's host.
type OverlayDirs struct {
	Upper string   // the container's own layer: added and changed entries, whiteouts
	Lower []string // the image's layers, topmost first
}

// ImageInfo describes an image in the engine.
type ImageInfo struct {
	ID          string // the engine's image id (the config digest on the classic image store)
	Platform    platform.Platform
	Size        int64
	RepoTags    []string
	RepoDigests []string
	Labels      map[string]string
}

// Labels every flavor container carries, so a killed flavor's leftovers can be found.
const (
	LabelManaged = "dev.flavor.managed" // "true"
	LabelRun     = "dev.flavor.run"     // the run id of the flavor process that made it
	LabelPackage = "dev.flavor.package" // the package being built
	LabelOwner   = "dev.flavor.owner"   // "hostname:pid" of the flavor process
)
