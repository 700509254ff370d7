package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/progress"
	"github.com/flavor-dev/flavor/specs"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// resolver is one Resolve call's state.
type resolver struct {
	m       *manifest.Manifest
	o       *options
	eng     engine.Engine
	trees   []string // absolute
	values  []string // absolute
	systems []string // the systems resolved, normalised
	dir     string   // work directory for artifacts

	progMu sync.Mutex
}

// systemPlan is everything resolved for one system.
type systemPlan struct {
	system   string
	platform platform.Platform
	tree     *specs.Tree // rendered with every flag at its default
	entries  []*entryPlan
	images   map[string]string // image name → digest, for every image the builds use
	groups   []Group
}

// Resolve resolves and builds the [install] entries of m for every system (see the package doc)
// and returns the lock to write and the built packages: Plan, then Plan.Build. The caller must
// Close the result. A manifest without [install] entries gives a result with no packages and a
// lock holding only launcher digests.
func Resolve(ctx context.Context, eng engine.Engine, m *manifest.Manifest, opts ...Option) (*Result, error) {
	p, err := NewPlan(ctx, m, opts...)
	if err != nil {
		return nil, err
	}
	return p.Build(ctx, eng)
}

// Plan is a manifest's [install] entries resolved for every system, not built yet.
type Plan struct {
	r       *resolver
	plans   []*systemPlan
	changed []Change
}

// NewPlan loads the trees and resolves every entry (see the package doc), without an engine:
// mistakes in the manifest or the trees are found before any container starts. Every entry
// error is reported, joined.
func NewPlan(ctx context.Context, m *manifest.Manifest, opts ...Option) (*Plan, error) {
	if m == nil {
		return nil, errors.New("resolving the manifest: nil manifest")
	}
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", m.File(), err)
	}
	r := &resolver{m: m, o: o}
	if r.systems, err = r.chooseSystems(); err != nil {
		return nil, fmt.Errorf("resolving %s: %w", m.File(), err)
	}
	for _, id := range o.update {
		if _, ok := m.InstallEntry(id); !ok {
			return nil, fmt.Errorf("resolving %s: --update %s: %w (the entries are %s)", m.File(), id, ErrUnknownEntry, strings.Join(installIDs(m), ", "))
		}
	}
	if o.frozen && o.lock == nil {
		return nil, fmt.Errorf("resolving %s: %w", m.File(), manifest.VerifyLock(m, nil, manifest.Current{}))
	}
	if o.frozen {
		if err := r.checkLaunchers(); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", m.File(), err)
		}
	}
	for _, t := range defaultTrees(m) {
		r.trees = append(r.trees, m.Abs(t))
	}
	for _, v := range m.Options().Values {
		r.values = append(r.values, m.Abs(v))
	}
	p := &Plan{r: r}
	if p.plans, p.changed, err = r.plan(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Systems are the systems the plan resolved.
func (p *Plan) Systems() []string { return slices.Clone(p.r.systems) }

// Build builds every package the plan needs with eng (nil is fine when there is nothing to
// build) and returns the result, whose Lock is the lock to write. With WithFrozen, a build that
// differs from its lock entry is an error wrapping manifest.ErrStaleLock.
func (p *Plan) Build(ctx context.Context, eng engine.Engine) (res *Result, err error) {
	r := p.r
	needsEngine := false
	for _, sp := range p.plans {
		needsEngine = needsEngine || len(sp.entries) > 0
	}
	if needsEngine && eng == nil {
		return nil, fmt.Errorf("building the [install] entries of %s: no container engine", r.m.File())
	}
	r.eng = eng
	if r.dir, err = os.MkdirTemp(r.o.workDir, "flavor-install-"); err != nil {
		return nil, fmt.Errorf("building the [install] entries of %s: %w", r.m.File(), err)
	}
	res = &Result{dir: r.dir, Changed: p.changed}
	defer func() {
		if err != nil {
			res.Close()
			res = nil
		}
	}()
	if res.Containers, err = r.buildAll(ctx, p.plans); err != nil {
		return nil, err
	}
	if res.Lock, err = r.makeLock(p.plans); err != nil {
		return nil, err
	}
	for _, sp := range p.plans {
		sp.groups = groups(sp)
		res.Systems = append(res.Systems, System{Platform: sp.system, Groups: sp.groups})
	}
	return res, nil
}

// plan loads the trees of every system and resolves every entry, reusing the lock's entries
// that stand. Every entry error is reported, joined, before anything is built.
func (r *resolver) plan(ctx context.Context) ([]*systemPlan, []Change, error) {
	var plans []*systemPlan
	bySystem := map[string]*systemPlan{}
	for _, s := range r.systems {
		sp, err := r.loadSystem(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		plans = append(plans, sp)
		bySystem[s] = sp
	}
	if r.m.PackOnly() {
		return plans, nil, nil
	}
	// Locked entries first, as they were locked: their spec digests are what the lock is
	// checked against.
	pinned := map[[2]string]*entryPlan{}
	pinErr := map[[2]string]error{}
	cur := manifest.Current{Systems: r.systems, Specs: map[manifest.SpecRef]string{}}
	if r.o.lock != nil {
		for _, sp := range plans {
			for _, in := range r.m.Install() {
				e, ok := r.o.lock.Entry(in.ID, sp.system)
				if !ok || e.Package != in.PkgPath || !slices.Contains(r.entrySystems(in), sp.system) {
					continue
				}
				k := [2]string{in.ID, sp.system}
				ep, err := r.planEntry(ctx, sp, in, &e)
				if err != nil {
					pinErr[k] = err
					r.o.logger.Debug("locked entry no longer resolves as locked", "entry", in.ID, "system", sp.system, "err", err)
					continue
				}
				pinned[k] = ep
				cur.Specs[manifest.SpecRef{Package: e.Package, Version: e.Version, System: sp.system}] = ep.digest
			}
		}
	}
	statuses, err := manifest.CheckLock(r.m, r.o.lock, cur)
	if err != nil {
		return nil, nil, fmt.Errorf("checking the lock of %s: %w", r.m.File(), err)
	}
	var errs []error
	var changed []Change
	for _, st := range statuses {
		sp := bySystem[st.System]
		if sp == nil || st.State == manifest.EntryOrphaned {
			continue
		}
		k := [2]string{st.InstallID, st.System}
		in, _ := r.m.InstallEntry(st.InstallID)
		if r.o.frozen {
			if err := st.Err(); err != nil {
				if pe := pinErr[k]; pe != nil {
					err = fmt.Errorf("%w\n  (the locked entry no longer resolves: %v)", err, pe)
				}
				return nil, nil, err
			}
		}
		ep := pinned[k]
		why := ""
		switch {
		case st.State == manifest.EntryMissing:
			why = "not in the lock"
		case st.State == manifest.EntryChanged:
			why = strings.Join(st.Changes, "; ")
		case r.updating(st.InstallID):
			why = "--update"
		}
		if why != "" || ep == nil {
			if why == "" {
				why = "the locked entry no longer resolves"
			}
			var err error
			if ep, err = r.planEntry(ctx, sp, in, nil); err != nil {
				errs = append(errs, err)
				continue
			}
			changed = append(changed, Change{InstallID: st.InstallID, System: st.System, Why: why})
		} else {
			ep.reused = true
		}
		sp.entries = append(sp.entries, ep)
		stage := StageResolved
		if ep.reused {
			stage = StageLocked
		}
		r.send(progress.Event{Stage: stage, Platform: sp.system, Message: in.ID, Package: ep.pkg.ID(), Flavor: ep.self.v.flavor})
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(mergeSystems(errs)...)
	}
	return plans, changed, nil
}

// loadSystem loads the trees rendered for one system with every flag at its default.
func (r *resolver) loadSystem(ctx context.Context, system string) (*systemPlan, error) {
	op, err := platform.Parse(system)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: system %s: %w", r.m.File(), system, err)
	}
	sp := &systemPlan{system: system, platform: op, images: map[string]string{}}
	if r.m.PackOnly() {
		return sp, nil
	}
	if sp.tree, err = r.loadTree(ctx, sp, ""); err != nil {
		return nil, err
	}
	return sp, nil
}

func (r *resolver) loadTree(ctx context.Context, sp *systemPlan, flavorReq string) (*specs.Tree, error) {
	t, err := specs.Load(ctx, r.trees, specs.WithPlatform(sp.platform), specs.WithFlavor(flavorReq),
		specs.WithValuesFiles(r.values...), specs.WithStrict(r.m.Options().StrictTrees), specs.WithLogger(r.o.logger))
	if err != nil {
		return nil, fmt.Errorf("%s: loading the trees (%s) for %s: %w", r.m.File(), strings.Join(r.trees, ", "), sp.system, err)
	}
	return t, nil
}

// chooseSystems decides the systems to resolve (see WithSystems).
func (r *resolver) chooseSystems() ([]string, error) {
	listed := r.m.Options().Systems
	if len(r.o.systems) > 0 {
		for _, s := range r.o.systems {
			if len(listed) > 0 && !slices.Contains(listed, s) {
				return nil, fmt.Errorf("system %s is not in options.systems (%s)", s, strings.Join(listed, ", "))
			}
		}
		return r.o.systems, nil
	}
	if len(listed) > 0 {
		return listed, nil
	}
	host, err := manifest.NormalizeSystem(platform.HostLinux().String())
	if err != nil {
		return nil, fmt.Errorf("no system given and the host's cannot be packed for: %w", err)
	}
	return []string{host}, nil
}

// entrySystems are the systems an entry is installed on, as CheckLock sees them.
func (r *resolver) entrySystems(in manifest.Install) []string {
	if len(r.m.Options().Systems) == 0 {
		return r.systems
	}
	return r.m.InstallSystems(in.ID)
}

func (r *resolver) updating(id string) bool {
	return r.o.updateAll || slices.Contains(r.o.update, id)
}

// send reports an event, one at a time.
func (r *resolver) send(u progress.Event) {
	r.progMu.Lock()
	defer r.progMu.Unlock()
	r.o.progress(u)
}

// defaultTrees are the manifest's trees, or its own directory when it names none.
func defaultTrees(m *manifest.Manifest) []string {
	if t := m.Options().Trees; len(t) > 0 {
		return t
	}
	return []string{m.Dir()}
}

func installIDs(m *manifest.Manifest) []string {
	var ids []string
	for _, in := range m.Install() {
		ids = append(ids, in.ID)
	}
	return ids
}

// mergeSystems folds entry errors that say the same thing for several systems into one naming
// them all ("for linux/amd64, linux/arm64").
func mergeSystems(errs []error) []error {
	var out []error
	seen := map[string]*EntryError{}
	for _, err := range errs {
		var ee *EntryError
		if !errors.As(err, &ee) {
			out = append(out, err)
			continue
		}
		k := ee.InstallID + "\x00" + ee.Err.Error() + "\x00" + ee.Fix
		if prev, ok := seen[k]; ok {
			prev.System += ", " + ee.System
			continue
		}
		cp := *ee
		seen[k] = &cp
		out = append(out, &cp)
	}
	return out
}
