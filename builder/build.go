package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/flavor-dev/flavor/specs"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
)

// Request says what to build.
type Request struct {
	Trees       []string            // spec tree roots (the current directory when empty)
	Packages    []string            // references: cat/name, cat/name@1.0, cat/name@>=1, =cat/name-1.0
	All         bool                // build every package of the trees (subpackages come with parents)
	Platforms   []platform.Platform // target platforms; the engine's own when empty
	Flavor      string              // requested flavor flags, "ssl,!debug"
	Values      []string            // values files, the rightmost winning
	Destination string              // where artifacts and metadata files are written
	// Strict makes what luet ignores in the trees an error of the package that has it (see
	// specs.WithStrict), so a build that needs such a package fails.
	Strict bool
}

// Source says where an artifact came from.
type Source string

// Where artifacts come from.
const (
	SourceBuilt  Source = "built"  // containers ran
	SourceCached Source = "cached" // the local cache had it
	SourcePulled Source = "pulled" // the --pull registry had it
)

// Artifact is one artifact written to the destination.
type Artifact struct {
	Package  string            // "category/name@version"
	Platform platform.Platform //
	Source   Source            // of the build it came from (a subpackage shares its parent's)
	Path     string            // the .package.tar.zst at the destination
	MetaPath string            // its .metadata.json
	Metadata Metadata
}

// Result is what a build did.
type Result struct {
	Artifacts  []Artifact // in build order per platform, subpackages after their parent
	Skipped    []string   // "category/name@version for os/arch": targets whose platforms: exclude it
	Containers int        // containers started
	// Executed counts the prelude and step runs a solver (BuildKit) executed rather than
	// served from its cache.
	Executed int
	Removed  []string // ids of containers a killed flavor process had left behind, removed first
	// Warnings are the tree problems luet ignores (specs.Problem with Warning set) that
	// concern the packages built, each once.
	Warnings []specs.Problem
}

// builder is one Build call's state.
type builder struct {
	eng        engine.Engine
	o          *options
	rep        *reporter
	resolver   *oci.Resolver
	dest       string
	containers atomic.Int64
	executed   atomic.Int64
	finished   atomic.Int64
	total      int
	cleanups   sync.WaitGroup // removals running in the background

	mu       sync.Mutex
	resolved map[string]oci.Resolved
	sj       solverJobs
}

// Build builds the packages req names, and their build dependencies, for every platform of req,
// writing each artifact and its metadata to req.Destination. Artifacts already in the cache (or
// in the --pull registry) are copied without starting a container. Independent packages build in
// parallel (WithJobs); the first failure stops the build, and every container started is
// removed, also when ctx is cancelled. A failing step gives a *StepError.
//
// Packages of a platform that has a solver (WithSolver) build through it instead of containers;
// eng may then be nil, when every platform built has one.
func Build(ctx context.Context, eng engine.Engine, req Request, opts ...Option) (*Result, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("building: %w", err)
	}
	if eng == nil && len(o.solvers) == 0 {
		return nil, errors.New("building: no container engine")
	}
	if req.Destination == "" {
		return nil, errors.New("building: no destination directory")
	}
	if len(req.Packages) == 0 && !req.All {
		return nil, errors.New("building: no packages given (name them, e.g. cat/name, or build all)")
	}
	if err := os.MkdirAll(req.Destination, 0o755); err != nil {
		return nil, fmt.Errorf("building: making the destination: %w", err)
	}
	var store oci.ImageStore
	if eng != nil {
		store = eng
	}
	resolver, err := oci.NewResolver(store, append([]oci.Option{oci.WithLogger(o.logger)}, o.registry...)...)
	if err != nil {
		return nil, fmt.Errorf("building: %w", err)
	}
	b := &builder{eng: eng, o: o, rep: &reporter{fn: o.progress}, resolver: resolver,
		dest: req.Destination, resolved: map[string]oci.Resolved{},
		sj: solverJobs{jobs: map[*node]*jobOnce{}, tail: map[string]*lineWriter{}}}
	defer b.cleanups.Wait() // containers are gone when Build returns, whatever happened
	defer b.sj.cleanup()
	platforms := req.Platforms
	if len(platforms) == 0 {
		platforms = []platform.Platform{defaultPlatform(eng, o)}
	}
	result := &Result{}
	if eng != nil {
		ids, err := engine.RemoveStale(ctx, eng)
		if err != nil {
			o.logger.Warn("removing containers left behind by killed flavor processes", "err", err)
		}
		result.Removed = ids
	}
	plans, err := b.makePlans(ctx, req, platforms)
	if err != nil {
		return nil, err
	}
	for _, pl := range plans {
		for _, s := range pl.skipped {
			result.Skipped = append(result.Skipped, s+" for "+pl.platform.String())
		}
	}
	result.Warnings = warningsOf(plans)
	if err := b.checkEmulation(ctx, plans); err != nil {
		return nil, err
	}
	err = b.run(ctx, plans)
	result.Containers = int(b.containers.Load())
	result.Executed = int(b.executed.Load())
	if err != nil {
		return result, err
	}
	if err := b.collect(plans, result); err != nil {
		return result, err
	}
	return result, nil
}

// warningsOf returns the tree warnings that concern the packages the plans build (subpackages
// included), each once.
func warningsOf(plans []*plan) []specs.Problem {
	var out []specs.Problem
	seen := map[string]bool{}
	for _, pl := range plans {
		used := map[string]bool{}
		for p := range pl.nodes {
			used[p.ID()] = true
			for _, sp := range pl.nodes[p].subs {
				used[sp.ID()] = true
			}
		}
		for _, pr := range pl.tree.Problems() {
			if !pr.Warning || seen[pr.Err.Error()] {
				continue
			}
			for _, id := range pr.Packages {
				if used[id] {
					seen[pr.Err.Error()] = true
					out = append(out, pr)
					break
				}
			}
		}
	}
	return out
}

// background runs cleanup work off the critical path; Build waits for all of it.
func (b *builder) background(fn func()) {
	b.cleanups.Add(1)
	go func() {
		defer b.cleanups.Done()
		fn()
	}()
}

// makePlans plans every platform and reports the totals.
func (b *builder) makePlans(ctx context.Context, req Request, platforms []platform.Platform) ([]*plan, error) {
	var plans []*plan
	seen := map[string]bool{}
	for _, p := range platforms {
		p = p.Normalize()
		if seen[p.String()] {
			continue
		}
		seen[p.String()] = true
		pl, err := b.makePlan(ctx, req, p)
		if err != nil {
			return nil, err
		}
		plans = append(plans, pl)
		b.total += len(pl.order)
		b.rep.send(progress.Event{Stage: StagePlan, Platform: p.String(), Done: int64(len(pl.order)), Total: int64(len(pl.order))})
	}
	return plans, nil
}

// defaultPlatform is what Build builds for when the request names no platform: the engine's
// own (a remote engine's architecture), else the one solver's native platform, else the host's.
func defaultPlatform(eng engine.Engine, o *options) platform.Platform {
	if eng != nil {
		if p := eng.Platform(); !p.IsZero() {
			return p
		}
	} else if s, ok := o.solvers[""].(interface{ Platforms() []platform.Platform }); ok && len(o.solvers) == 1 {
		if ps := s.Platforms(); len(ps) > 0 {
			return ps[0]
		}
	}
	return platform.HostLinux()
}

// checkEmulation fails at once, before any container, when a platform cannot run on the engine
// or on its solver.
func (b *builder) checkEmulation(ctx context.Context, plans []*plan) error {
	for _, pl := range plans {
		if len(pl.order) == 0 {
			continue
		}
		if s := b.solverFor(pl.platform); s != nil {
			if err := solverRuns(s, pl.platform); err != nil {
				return err
			}
			continue
		}
		ec, ok := b.eng.(engine.EmulationChecker)
		if !ok {
			continue
		}
		probe := ""
		b.mu.Lock()
		for _, r := range b.resolved {
			if r.Platform.Arch == pl.platform.Arch && r.Source == oci.SourceEngine {
				probe = r.ImageID.String()
				break
			}
		}
		b.mu.Unlock()
		if err := ec.CanRun(ctx, pl.platform, probe); err != nil {
			return fmt.Errorf("building for %s: %w", pl.platform, err)
		}
	}
	return nil
}

// run builds every node of every plan, each as soon as its dependencies are done, at most
// WithJobs at once. The first failure cancels the rest.
func (b *builder) run(ctx context.Context, plans []*plan) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, b.o.jobs)
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { first = err; cancel(err) })
	}
	for _, pl := range plans {
		for _, n := range pl.order {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(n.done)
				for _, d := range n.deps {
					select {
					case <-d.done:
					case <-ctx.Done():
						n.err = context.Cause(ctx)
						return
					}
					if d.err != nil {
						n.err = fmt.Errorf("%s needs %s, which failed", n.id(), d.id())
						return
					}
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					n.err = context.Cause(ctx)
					return
				}
				defer func() { <-sem }()
				if err := b.artifact(ctx, n); err != nil {
					n.err = err
					b.rep.send(progress.Event{Stage: StageFailed, Package: n.id(), Platform: n.platform.String(),
						Done: b.finished.Load(), Total: int64(b.total), Message: err.Error()})
					fail(err)
					return
				}
				b.rep.send(progress.Event{Stage: StageDone, Package: n.id(), Platform: n.platform.String(),
					Done: b.finished.Add(1), Total: int64(b.total), Message: string(n.source)})
			}()
		}
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("building: %w", context.Cause(ctx))
	}
	return nil
}

// collect copies every node's artifacts to the destination and lists them.
func (b *builder) collect(plans []*plan, r *Result) error {
	for _, pl := range plans {
		for _, n := range pl.order {
			for _, m := range n.entry.Artifacts {
				r.Artifacts = append(r.Artifacts, Artifact{
					Package: metaID(m), Platform: n.platform, Source: n.source,
					Path: filepath.Join(b.dest, m.Artifact), MetaPath: filepath.Join(b.dest, metaName(m)),
					Metadata: m,
				})
			}
		}
	}
	return nil
}

func metaID(m Metadata) string {
	s := m.Category + "/" + m.Name
	if m.Version != "" {
		s += "@" + m.Version
	}
	return s
}

// metaName is the metadata file name beside artifact m.
func metaName(m Metadata) string {
	return m.Artifact[:len(m.Artifact)-len(artifactSuffix)] + metadataSuffix
}

// publish copies an entry's files to the destination, each through a temporary file renamed
// into place.
func (b *builder) publish(e *CacheEntry) error {
	for _, m := range e.Artifacts {
		for _, name := range []string{m.Artifact, metaName(m)} {
			if err := copyFile(filepath.Join(e.Dir, name), filepath.Join(b.dest, name)); err != nil {
				return fmt.Errorf("writing %s to %s: %w", name, b.dest, err)
			}
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
