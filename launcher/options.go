package launcher

import (
	"fmt"
	"log/slog"
	"os"
	"time"
)

// defaultShutdown is how long a child may take to exit after a forwarded terminating signal when
// the package sets no execution.signals.shutdown_timeout.
const defaultShutdown = 30 * time.Second

// Option configures Run.
type Option func(*options) error

type options struct {
	logger  *slog.Logger
	events  func(Event)
	env     []string
	args    []string
	pkg     string
	cwd     string
	stdio   [3]*os.File
	envSet  bool
	argsSet bool
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if !o.envSet {
		o.env = os.Environ()
	}
	if !o.argsSet {
		o.args = os.Args
	}
	if o.stdio[0] == nil {
		o.stdio[0] = os.Stdin
	}
	if o.stdio[1] == nil {
		o.stdio[1] = os.Stdout
	}
	if o.stdio[2] == nil {
		o.stdio[2] = os.Stderr
	}
	return o, nil
}

// WithLogger sends debug logging to l (discarded by default).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.logger = l
		}
		return nil
	}
}

// WithEvents calls fn with every Event: phase timings and verification warnings. fn runs on the
// launching goroutine.
func WithEvents(fn func(Event)) Option {
	return func(o *options) error { o.events = fn; return nil }
}

// WithEnviron sets the caller's environment ("KEY=value" strings) instead of os.Environ(): it is
// both where the launcher's FLAVOR_* settings are read and the start of the child's environment.
func WithEnviron(env []string) Option {
	return func(o *options) error { o.env, o.envSet = env, true; return nil }
}

// WithArgs sets the launcher's argv instead of os.Args: args[0] is how it was invoked
// (FLAVOR_ORIGINAL_COMMAND) and args[1:] are appended to the package's command.
func WithArgs(args []string) Option {
	return func(o *options) error {
		if len(args) == 0 {
			return fmt.Errorf("launcher arguments: %w: argv is empty", ErrBadSetting)
		}
		o.args, o.argsSet = args, true
		return nil
	}
}

// WithPackage runs the package at path instead of the launcher's own executable.
func WithPackage(path string) Option {
	return func(o *options) error { o.pkg = path; return nil }
}

// WithWorkingDir sets the caller's working directory (default: the process's); the command runs
// there unless the package sets execution.cwd.
func WithWorkingDir(dir string) Option {
	return func(o *options) error { o.cwd = dir; return nil }
}

// WithStdio sets the files the command inherits as stdin, stdout and stderr (default: the
// launcher's own). Setup commands write to the stderr given here. A nil file keeps the default.
func WithStdio(stdin, stdout, stderr *os.File) Option {
	return func(o *options) error {
		for i, f := range []*os.File{stdin, stdout, stderr} {
			if f != nil {
				o.stdio[i] = f
			}
		}
		return nil
	}
}

// EventKind tells what an Event reports.
type EventKind int

const (
	// EventPhase reports that a phase of the launch finished and how long it took.
	EventPhase EventKind = iota
	// EventWarning reports a check that failed but, at the chosen validation level, is not fatal;
	// callers must show it to the user.
	EventWarning
)

// Event is what the launcher reports while it works.
type Event struct {
	Kind EventKind
	// Phase names the step: "open", "verify", "lock", "extract", "setup", "prepare", "exec".
	Phase string
	// Took is how long the phase lasted (EventPhase).
	Took time.Duration
	// Message is the warning text (EventWarning) or a detail of the phase ("cold", "warm").
	Message string
}

func (o *options) emit(e Event) {
	if o.events != nil {
		o.events(e)
	}
}

// phase times a step of the launch: call the returned func when it ends.
func (o *options) phase(name string) func(detail string) {
	if o.events == nil {
		return func(string) {}
	}
	start := time.Now()
	return func(detail string) {
		o.emit(Event{Kind: EventPhase, Phase: name, Took: time.Since(start), Message: detail})
	}
}
