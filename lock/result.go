package lock

import (
	"os"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// Result is what Resolve did: the lock to write, and per system the built packages grouped for
// shipping. Its artifacts live in a work directory until Close.
type Result struct {
	// Lock is the lock for the manifest after this run: entries resolved again replace their old
	// ones, entries of systems not resolved are carried over, orphans are dropped.
	Lock *manifest.Lock
	// Changed says, per entry resolved again, why (an empty list: nothing was resolved again).
	Changed []Change
	// Systems are the systems resolved, in the order they were asked for.
	Systems    []System
	Containers int // containers the builds started

	dir string
}

// Change is one entry that was resolved again, and why.
type Change struct {
	InstallID string
	System    string
	Why       string // "not in the lock", "version changed from …", "--update"
}

// System is one system's packages.
type System struct {
	Platform string // "linux/amd64"
	Groups   []Group
}

// Group is one pkg-group: the packages that share one slot, in dependency order.
type Group struct {
	Name     string
	Packages []Installed
}

// Installed is one package of a group, built.
type Installed struct {
	Package    string   // "category/name@version"
	InstallIDs []string // the entries that name it; empty for a runtime dependency only
	Flavor     string   // the artifact flavor
	BaseImage  string   // "name@sha256:…" of the image at the bottom of its build root, or the digest alone
	Artifact   builder.Artifact
}

// Close removes the work directory holding the artifacts.
func (r *Result) Close() error {
	if r == nil || r.dir == "" {
		return nil
	}
	return os.RemoveAll(r.dir)
}

// System returns the packages of one system, and whether it was resolved.
func (r *Result) System(platform string) (System, bool) {
	for _, s := range r.Systems {
		if s.Platform == platform {
			return s, true
		}
	}
	return System{}, false
}

// The stages Resolve reports through WithProgress, in [progress.Event]s, besides the builds'
// own (builder.StagePlan …, passed on as they come): an install entry's package and variant are
// chosen (resolved) or kept from the lock (locked). Platform is the entry's system, Message the
// install entry, Package "category/name@version" and Flavor the chosen variant's flavor.
const (
	StageResolved progress.Stage = "resolved"
	StageLocked   progress.Stage = "locked"
)
