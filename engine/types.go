package engine

import (
	"io"

	"github.com/flavor-dev/flavor/platform"
)

// ContainerSpec describes a build container.
type ContainerSpec struct {
	Image    string            // image id or name in the engine
	Platform platform.Platform // the image's platform; passed to the engine so it checks
	Env      []string          // KEY=VALUE, in order
	WorkDir  string            // working directory; the image's when empty
	Package  string            // the package being built, recorded in a label
	Labels   map[string]string // extra labels; the dev.flavor.* labels cannot be overridden
	Name     string            // container name; the engine picks one when empty
	// FilesOnly says nothing will run in the container: it only holds a filesystem to copy into,
	// read, export or commit. It is created and not started, so its image needs no /bin/sh.
	FilesOnly bool
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

// Change kinds.
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

// OverlayDirs are a container's overlay directories on the engine's host.
type OverlayDirs struct {
	Upper string   // the container's own layer: added and changed entries, whiteouts
	Lower []string // the image's layers, topmost first
}

// Labels every flavor container carries, so a killed flavor's leftovers can be found.
const (
	LabelManaged = "dev.flavor.managed" // "true"
	LabelRun     = "dev.flavor.run"     // the run id of the flavor process that made it
	LabelPackage = "dev.flavor.package" // the package being built
	LabelOwner   = "dev.flavor.owner"   // "hostname:pid" of the flavor process
	// LabelOwnerNS names the kernel boot and PID namespace the owner's pid is in
	// ("<boot id>/pid:[<inode>]", see [OwnerNamespace]): a pid means something only there.
	LabelOwnerNS = "dev.flavor.owner-ns"
)
