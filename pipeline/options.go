package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/bundle"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/progress"
)

// Option configures [Lock] and [Pack].
type Option func(*options) error

type options struct {
	open      func(context.Context) (engine.Engine, error)
	launchers bundle.LauncherSource
	platforms []string
	frozen    bool
	update    []string
	updateAll bool
	buildOpts []builder.Option
	packOpts  []bundle.Option
	logger    *slog.Logger
	progress  progress.Func
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
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

// WithEngine opens the container engine the builds of [install] entries run on; it is called
// only when the manifest has such entries, and the engine is closed before Lock or Pack returns.
// Without it a manifest with [install] entries is an error.
func WithEngine(open func(context.Context) (engine.Engine, error)) Option {
	return func(o *options) error {
		if open == nil {
			return errors.New("WithEngine: nil opener")
		}
		o.open = open
		return nil
	}
}

// WithLauncher takes the launchers from src (default: the ones embedded in this binary). Each is
// read once: its digest goes into the lock and the same bytes into the package.
func WithLauncher(src bundle.LauncherSource) Option {
	return func(o *options) error {
		if src == nil {
			return errors.New("WithLauncher: nil source")
		}
		o.launchers = src
		return nil
	}
}

// WithPlatforms locks and packs only these platforms ("linux/amd64", "x86_64-linux", …; see
// bundle.WithPlatforms and lock.WithSystems).
func WithPlatforms(platforms ...string) Option {
	return func(o *options) error {
		o.platforms = append(o.platforms, platforms...)
		return nil
	}
}

// WithFrozen uses flavor.lock as it is (`--locked`): a missing or stale lock, or builds that
// differ from it, are errors, and the lock is never written.
func WithFrozen() Option {
	return func(o *options) error { o.frozen = true; return nil }
}

// WithUpdate resolves these install entries again even when their lock entries stand.
func WithUpdate(ids ...string) Option {
	return func(o *options) error { o.update = append(o.update, ids...); return nil }
}

// WithUpdateAll resolves every install entry again.
func WithUpdateAll() Option {
	return func(o *options) error { o.updateAll = true; return nil }
}

// WithBuildOptions passes options to every build (cache directory, jobs, registries).
func WithBuildOptions(opts ...builder.Option) Option {
	return func(o *options) error { o.buildOpts = append(o.buildOpts, opts...); return nil }
}

// WithPackOptions passes options to bundle.Pack (signer, output, check level, sinks, progress).
func WithPackOptions(opts ...bundle.Option) Option {
	return func(o *options) error { o.packOpts = append(o.packOpts, opts...); return nil }
}

// WithLogger logs debug details through l; the default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithProgress calls fn with the resolution and build events of the [install] entries.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error {
		if fn == nil {
			return errors.New("WithProgress: nil function")
		}
		o.progress = fn
		return nil
	}
}
