package lock

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// Option configures Resolve.
type Option func(*options) error

type options struct {
	lock      *manifest.Lock
	frozen    bool
	updateAll bool
	update    []string
	systems   []string
	launchers map[string]string
	buildOpts []builder.Option
	logger    *slog.Logger
	progress  progress.Func
	workDir   string
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		progress:  func(progress.Event) {},
		launchers: map[string]string{},
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithLock gives the current lock (flavor.lock): entries that still stand keep their version and
// flavor, and their base images are used by digest. Without it every entry is resolved afresh.
func WithLock(l *manifest.Lock) Option {
	return func(o *options) error {
		o.lock = l
		return nil
	}
}

// WithFrozen refuses to resolve anything (`flavor pack --locked`): the lock must exist and every
// entry must stand, and the builds must give the cache keys, artifact digests and base images it
// records; launchers given with WithLauncherDigest must match its launchers. Failures wrap
// manifest.ErrNoLock or manifest.ErrStaleLock.
func WithFrozen() Option {
	return func(o *options) error {
		o.frozen = true
		return nil
	}
}

// WithUpdate resolves the named install entries again even when their lock entries stand
// (`flavor lock --update ID…`). An id the manifest does not have is an error.
func WithUpdate(ids ...string) Option {
	return func(o *options) error {
		o.update = append(o.update, ids...)
		return nil
	}
}

// WithUpdateAll resolves every install entry again (`flavor lock --update`).
func WithUpdateAll() Option {
	return func(o *options) error {
		o.updateAll = true
		return nil
	}
}

// WithSystems resolves only these systems ("linux/amd64", Flox names too). When the manifest
// lists options.systems each must be one of them, and lock entries of the others are carried
// over unchanged; when it lists none, these are the systems. Default: the manifest's systems,
// else the host's.
func WithSystems(systems ...string) Option {
	return func(o *options) error {
		for _, s := range systems {
			n, err := manifest.NormalizeSystem(s)
			if err != nil {
				return fmt.Errorf("WithSystems: %w", err)
			}
			if !slices.Contains(o.systems, n) {
				o.systems = append(o.systems, n)
			}
		}
		return nil
	}
}

// WithLauncherDigest records the digest ("sha256:<hex>") of the launcher packed for a system in
// the lock's launchers; with WithFrozen it must equal the locked one.
func WithLauncherDigest(system, digest string) Option {
	return func(o *options) error {
		n, err := manifest.NormalizeSystem(system)
		if err != nil {
			return fmt.Errorf("WithLauncherDigest: %w", err)
		}
		o.launchers[n] = digest
		return nil
	}
}

// WithBuildOptions passes options to every builder.Build call: the cache (builder.WithCacheDir),
// jobs, registries, the source date epoch. Progress goes through WithProgress instead.
func WithBuildOptions(opts ...builder.Option) Option {
	return func(o *options) error {
		o.buildOpts = append(o.buildOpts, opts...)
		return nil
	}
}

// WithLogger logs debug details (and passes l to the trees' loader and the builds); the default
// discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress calls fn with progress events: each entry's resolution, and the builds' own
// events. fn is called from one goroutine at a time and must return quickly.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error {
		if fn == nil {
			return errors.New("WithProgress: nil function")
		}
		o.progress = fn
		return nil
	}
}

// WithWorkDir places the artifacts the builds copy out of the cache under dir (a fresh directory
// is made in it and removed by Result.Close) instead of the system's temporary directory.
func WithWorkDir(dir string) Option {
	return func(o *options) error {
		o.workDir = dir
		return nil
	}
}
