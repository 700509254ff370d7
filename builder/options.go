package builder

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// Option configures Build.
type Option func(*options) error

type options struct {
	jobs     int
	cache    *Cache
	cacheDir string
	push     string
	pull     string
	logger   *slog.Logger
	progress progress.Func
	epoch    *time.Time
	registry []oci.Option
	tempDir  string
	solvers  map[string]engine.Solver // by platform; "" for every platform without its own
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{jobs: runtime.NumCPU(), logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.cache == nil {
		// The library reads no environment: the caller resolves the cache directory (cmd/flavor
		// from --cache, FLAVOR_CACHE, XDG_CACHE_HOME or the home directory).
		if o.cacheDir == "" {
			return nil, errors.New("no artifact cache: give WithCacheDir or WithCache")
		}
		c, err := OpenCache(o.cacheDir)
		if err != nil {
			return nil, err
		}
		o.cache = c
	}
	return o, nil
}

// WithJobs bounds how many packages build at once (default: the number of CPUs). Packages that
// do not depend on each other build in parallel.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithJobs: %d jobs; want 1 or more", n)
		}
		o.jobs = n
		return nil
	}
}

// WithCacheDir keeps artifacts in the cache rooted at dir (see OpenCache). Build needs it or
// WithCache.
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("WithCacheDir: empty directory")
		}
		o.cacheDir = dir
		return nil
	}
}

// WithCache uses an opened cache (tests, or a caller sharing one between builds).
func WithCache(c *Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithCache: nil cache")
		}
		o.cache = c
		return nil
	}
}

// WithPush pushes every artifact built or found in the local cache to repo (e.g. "127.0.0.1:5000/flavor/cache") as an
// OCI artifact tagged with its cache key's hex, so other machines can --pull it.
func WithPush(repo string) Option {
	return func(o *options) error {
		if err := checkRepo(repo); err != nil {
			return fmt.Errorf("WithPush: %w", err)
		}
		o.push = repo
		return nil
	}
}

// WithPull looks for artifacts missing from the local cache in repo (tagged by cache key hex)
// before building them.
func WithPull(repo string) Option {
	return func(o *options) error {
		if err := checkRepo(repo); err != nil {
			return fmt.Errorf("WithPull: %w", err)
		}
		o.pull = repo
		return nil
	}
}

func checkRepo(repo string) error {
	if repo == "" || strings.ContainsAny(repo, "@") {
		return fmt.Errorf("repository %q: want REGISTRY/PATH without a tag or digest", repo)
	}
	if _, err := name.NewRepository(repo); err != nil {
		return fmt.Errorf("repository %q: %w (want e.g. 127.0.0.1:5000/flavor/cache)", repo, err)
	}
	return nil
}

// WithProgress calls fn with progress events, from one goroutine at a time; fn must return
// quickly.
func WithProgress(fn progress.Func) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
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

// WithSourceDateEpoch clamps every mtime written to artifacts and join images to t. The default
// is the Unix epoch (0).
func WithSourceDateEpoch(t time.Time) Option {
	return func(o *options) error {
		t = t.UTC()
		o.epoch = &t
		return nil
	}
}

// WithRegistryOptions passes options (oci.WithKeychain, oci.WithTransport) to every registry
// operation: resolving base images, pushing and pulling artifacts.
func WithRegistryOptions(opts ...oci.Option) Option {
	return func(o *options) error {
		o.registry = append(o.registry, opts...)
		return nil
	}
}

// WithTempDir places temporary files (contexts, spools, join roots) in dir instead of the
// system temporary directory.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		o.tempDir = dir
		return nil
	}
}

// WithSolver builds packages through s (BuildKit) instead of containers of the engine: the
// packages of the platforms given, or of every platform that has no solver of its own when
// none is given. With a solver for every platform built, Build needs no container engine.
func WithSolver(s engine.Solver, platforms ...platform.Platform) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("WithSolver: nil solver")
		}
		if o.solvers == nil {
			o.solvers = map[string]engine.Solver{}
		}
		if len(platforms) == 0 {
			platforms = []platform.Platform{{}}
		}
		for _, p := range platforms {
			k := ""
			if !p.IsZero() {
				k = p.Normalize().String()
			}
			if prev, ok := o.solvers[k]; ok && prev != s {
				what := "every platform"
				if k != "" {
					what = k
				}
				return fmt.Errorf("WithSolver: two builders for %s (%s and %s)", what, prev.Name(), s.Name())
			}
			o.solvers[k] = s
		}
		return nil
	}
}
