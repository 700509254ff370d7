package delta

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/flavor-dev/flavor/progress"
)

// DefaultBuildDir is the build context directory (Luet's /luetbuild); it is left out of deltas
// unless an include pattern names its entries.
const DefaultBuildDir = "/luetbuild"

// Option configures the functions of this package. Each option says which functions read it;
// the others ignore it.
type Option func(*options) error

type options struct {
	includes   []*regexp.Regexp
	excludes   []*regexp.Regexp
	buildDir   string
	addedOnly  bool
	packageDir string
	tarRoot    string
	tempDir    string
	epoch      *time.Time
	logger     *slog.Logger
	progress   progress.Func
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		buildDir: DefaultBuildDir,
		tarRoot:  "/",
		logger:   slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithIncludes keeps only entries whose path matches at least one pattern (unanchored Go regexps
// matched against "/a/b/c"). Entries under the build directory or /tmp are kept only when one of
// these patterns matches them. Read by FromOverlay, FromChanges, FromTar and Carve.
func WithIncludes(patterns ...*regexp.Regexp) Option {
	return func(o *options) error {
		for _, p := range patterns {
			if p == nil {
				return errors.New("setting includes: nil pattern")
			}
		}
		o.includes = append(o.includes, patterns...)
		return nil
	}
}

// WithExcludes drops entries whose path matches any pattern; excludes win over includes. Read by
// FromOverlay, FromChanges, FromTar and Carve.
func WithExcludes(patterns ...*regexp.Regexp) Option {
	return func(o *options) error {
		for _, p := range patterns {
			if p == nil {
				return errors.New("setting excludes: nil pattern")
			}
		}
		o.excludes = append(o.excludes, patterns...)
		return nil
	}
}

// WithBuildDir names the build context directory left out of deltas (default /luetbuild). An
// empty dir leaves out nothing but /tmp. Read by FromOverlay, FromChanges and FromTar.
func WithBuildDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			o.buildDir = ""
			return nil
		}
		clean, err := absPath(dir)
		if err != nil {
			return fmt.Errorf("setting build directory: %w", err)
		}
		o.buildDir = clean
		return nil
	}
}

// WithAddedOnly selects Luet's `delta: added`: only paths absent from the builder are shipped
// (modified entries never are) and no removals are listed. Read by FromOverlay and FromChanges.
func WithAddedOnly() Option {
	return func(o *options) error {
		o.addedOnly = true
		return nil
	}
}

// WithPackageDir ships only the entries strictly inside dir, re-rooted there; include and
// exclude patterns then see the path relative to dir with a leading "/". Read by FromTar.
func WithPackageDir(dir string) Option {
	return func(o *options) error {
		clean, err := absPath(dir)
		if err != nil {
			return fmt.Errorf("setting package directory: %w", err)
		}
		if clean == "/" {
			clean = ""
		}
		o.packageDir = clean
		return nil
	}
}

// WithTarRoot says where the names of the tar stream given to FromTar are rooted (default "/",
// a whole-filesystem export). A stream of one directory fetched from an engine (names such as
// "pkg/x" for /usr/share/pkg) is read with WithTarRoot("/usr/share"). Read by FromTar.
func WithTarRoot(dir string) Option {
	return func(o *options) error {
		clean, err := absPath(dir)
		if err != nil {
			return fmt.Errorf("setting tar root: %w", err)
		}
		o.tarRoot = clean
		return nil
	}
}

// WithTempDir places the spool that holds file contents read from streams in dir (default: the
// system temporary directory). Read by FromChanges, FromTar and Carve.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		o.tempDir = dir
		return nil
	}
}

// WithSourceDateEpoch clamps every mtime written to the artifact to t (SOURCE_DATE_EPOCH).
// Without it every mtime is written as 0 (1970-01-01). Read by Tree.WriteTar and
// Tree.WriteArtifact.
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error {
		t = t.Truncate(time.Second)
		o.epoch = &t
		return nil
	}
}

// WithLogger sets the logger for debug messages (default: discard). Read by every function.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("setting logger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress sets a callback that receives progress updates. It is called synchronously from
// the calling goroutine. Read by every function that takes a context.
func WithProgress(f progress.Func) Option {
	return func(o *options) error {
		o.progress = f
		return nil
	}
}

// The stages reported through WithProgress, in [progress.Event]s.
const (
	StageScan  progress.Stage = "scan"  // reading the change set; Done counts entries seen
	StageWrite progress.Stage = "write" // writing the artifact; Done of Total entries written
	StageApply progress.Stage = "apply" // extracting an artifact; Done counts entries extracted
)

func (o *options) report(stage progress.Stage, done, total int64) {
	if o.progress != nil {
		o.progress(progress.Event{Stage: stage, Done: done, Total: total})
	}
}

// absPath cleans p into an absolute slash path ("/a/b"), refusing relative input.
func absPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	return path.Clean(p), nil
}
