package specs

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// Option configures Load.
type Option func(*options) error

type options struct {
	valuesFiles []string
	platform    platform.Platform
	flavor      string
	logger      *slog.Logger
	progress    progress.Func
	workers     int
	strict      bool
}

func defaultOptions() options {
	return options{
		platform: platform.HostLinux(),
		logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		workers:  runtime.GOMAXPROCS(0),
	}
}

// StageLoad is the stage Load reports through WithProgress, in [progress.Event]s: Done of Total
// package directories read and rendered, Package the directory just finished.
const StageLoad progress.Stage = "load"

// WithValuesFiles adds values files (Luet's --values), merged over every package's definition
// keys; of several files the rightmost wins, and nested maps merge key by key.
func WithValuesFiles(files ...string) Option {
	return func(o *options) error {
		o.valuesFiles = append(o.valuesFiles, files...)
		return nil
	}
}

// WithPlatform sets the target platform the specs are rendered for (.Platform, `platforms:`
// checks). The default is linux on the host's architecture.
func WithPlatform(p platform.Platform) Option {
	return func(o *options) error {
		if p.OS == "" || p.Arch == "" {
			return fmt.Errorf("setting platform %q: want os/arch", p.String())
		}
		o.platform = p
		return nil
	}
}

// WithFlavor sets the requested flavor, in Conary syntax (specs/flavor): flags such as "ssl,!debug" that override
// the defaults packages declare in definition.yaml `flags:` (see .Flavor in templates).
func WithFlavor(flavor string) Option {
	return func(o *options) error {
		if _, err := flavorFlags("", nil, flavor); err != nil {
			return err
		}
		o.flavor = flavor
		return nil
	}
}

// WithLogger sets where debug logs go; by default they are discarded.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("setting logger: nil")
		}
		o.logger = l
		return nil
	}
}

// WithProgress registers a callback for progress events; it is called from one goroutine at a
// time.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

// WithStrict makes what luet ignores silently an error of the package that has it, instead of a
// warning: unknown keys, extra keys in package references, a key written twice, names no
// package can have in a reference, versions that cannot be ordered. For authors who want their
// tree clean.
func WithStrict(strict bool) Option {
	return func(o *options) error {
		o.strict = strict
		return nil
	}
}
