package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/flavor-dev/flavor/platform"
)

// Solver builds one package's stages as a graph on a daemon that has no long-lived container
// to exec into and commit (BuildKit's LLB): the builder stage (root, environment, the package
// directory, copies, prelude) and the package stage (steps), then gives back what the package
// ships. It is the engine of `--engine buildkit`; the container-shaped [Engine] is not needed
// beside it.
type Solver interface {
	// Name is the daemon and its address, for messages: "buildkitd at tcp://10.0.0.2:1234".
	Name() string
	// Solve builds j and returns what want asks for. A prelude line or step that exits non-zero
	// gives a *[StepFailed]; cancelling ctx stops the build, its running step included.
	Solve(ctx context.Context, j *Job, want Want) (*Solution, error)
	// Close releases the connection.
	Close() error
}

// Job is one package's build for a Solver. Exactly one of From, Image and RootLayers is the root.
type Job struct {
	Package  string // "cat/name@1.0", for messages and output
	Platform platform.Platform
	From     *Job   // the root is this job's package stage (a requires chain)
	Image    string // the root is this image; the daemon must be able to pull it (a digest pins it)
	// RootLayers, in order, make the root (requires_final_images): each removes paths from
	// what the layers before it made, then lays a host directory's content over it.
	RootLayers []RootLayer
	// Env is the build's whole environment, KEY=VALUE, already expanded; later entries win.
	Env         []string
	Context     string   // host directory copied to WorkDir, owned by root
	ContextSkip []string // slash-separated paths of Context left out
	WorkDir     string   // where Context lands and the commands run
	Copies      []Copy   // applied in order after Context, before the prelude
	// Archives are host tar files (plain, uncompressed), each extracted into WorkDir in order
	// after Copies, before the prelude, with the owners, modes and times they record (retrieve).
	Archives []string
	Prelude  []string // builder stage commands, each with /bin/sh -c
	Steps    []string // package stage commands, each with /bin/sh -c
	// CacheTag names this job's entry in the solver's shared cache (the package's cache key),
	// when it has one.
	CacheTag string
	// Report receives, in order, the start of every prelude line and step (Start set) and every
	// line they write, stderr joined to stdout. Nothing is reported for a stage the daemon
	// serves from its cache.
	Report func(Output)
}

// RootLayer is one layer of a root made of host directories: Remove (absolute paths) are
// deleted from the layers below, with what they hold, then Dir's content, with its owners,
// modes and times, is laid over them.
type RootLayer struct {
	Remove []string
	Dir    string
}

// Copy is one `copy` entry: Source read from From's package stage, or from Image, written to
// Destination (a Destination ending in "/" receives Source under its own name; a directory's
// content lands in the destination directory).
type Copy struct {
	From        *Job
	Image       string
	Source      string
	Destination string
}

// Output is one event of a running stage.
type Output struct {
	Package string
	Stage   string // "prelude" or "step"
	Index   int    // 1-based
	Count   int
	Command string
	Start   bool   // the command starts; Line is empty
	Line    string // a line it wrote
}

// WantKind says what a Solution carries.
type WantKind int

const (
	WantDelta WantKind = iota // the package stage's difference over the builder stage
	WantRoot                  // the package stage's whole file system
	WantDir                   // one directory of the package stage
)

// Want says what Solve returns.
type Want struct {
	Kind WantKind
	Dir  string // WantDir: the absolute directory
	// Files are paths of the package stage copied to Solution.Files when they exist ("*" as
	// in a shell glob matches within one path element), for reading the package database.
	Files []string
}

// Solution is what Solve produced. Close removes its temporary files.
type Solution struct {
	// Layer opens the package stage's difference over the builder stage, an uncompressed layer
	// tar with whiteouts (WantDelta). BaseDiff opens the reverse difference, a layer tar turning
	// the package stage back into the builder stage: the builder stage where the two differ,
	// without sending the rest (see delta.ReverseDiff). Base writes the builder stage's whole
	// file system into a directory and returns it, for what the reverse difference does not tell.
	Layer    func() (io.ReadCloser, error)
	BaseDiff func() (io.ReadCloser, error)
	Base     func(ctx context.Context) (string, error)
	// Tree is a file system tar (WantRoot: the whole root; WantDir: Dir, named by its base name).
	Tree io.ReadCloser
	// Files is a directory holding Want.Files that exist, at their paths.
	Files string
	// Executed counts the prelude and step runs the daemon executed rather than served from
	// its cache, over the whole graph (a requires chain's stages included).
	Executed int
	cleanup  []func() error
}

// OnClose adds fn to what Close does (for solver implementations).
func (s *Solution) OnClose(fn func() error) { s.cleanup = append(s.cleanup, fn) }

// Close closes the streams and removes the temporary files.
func (s *Solution) Close() error {
	var errs []error
	for _, rc := range []io.ReadCloser{s.Tree} {
		if rc != nil {
			errs = append(errs, rc.Close())
		}
	}
	for i := len(s.cleanup) - 1; i >= 0; i-- {
		errs = append(errs, s.cleanup[i]())
	}
	s.cleanup = nil
	return errors.Join(errs...)
}

// StepFailed is a prelude line or step a Solver ran that exited non-zero.
type StepFailed struct {
	Package  string
	Stage    string // "prelude" or "step"
	Index    int    // 1-based
	Count    int
	Command  string
	ExitCode int
}

func (e *StepFailed) Error() string {
	return fmt.Sprintf("building %s: %s %d of %d `%s` exited with code %d", e.Package, e.Stage, e.Index, e.Count, e.Command, e.ExitCode)
}
