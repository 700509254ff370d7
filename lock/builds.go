package lock

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/engine"
	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
)

// buildAll builds every system's packages, all systems at once; the first failure cancels the
// others. It returns the containers started.
func (r *resolver) buildAll(ctx context.Context, plans []*systemPlan) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		containers int
		first      error
	)
	run := func(sp *systemPlan) {
		n, err := r.buildSystem(ctx, sp)
		mu.Lock()
		defer mu.Unlock()
		containers += n
		if err != nil && first == nil {
			first = err
			cancel(err)
		}
	}
	for _, sp := range plans {
		if len(sp.entries) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(sp)
		}()
	}
	wg.Wait()
	return containers, first
}

// buildSystem builds one system's needs: one builder.Build per round, where a round holds at most
// one variant of each package, so each package gets the flags of its own variant.
func (r *resolver) buildSystem(ctx context.Context, sp *systemPlan) (int, error) {
	needs := canonicalNeeds(sp)
	byBuild := map[string][]*need{}
	for _, n := range needs {
		byBuild[n.buildKey()] = append(byBuild[n.buildKey()], n)
	}
	rounds := makeRounds(byBuild)
	pins, owners, err := r.pins(sp)
	if err != nil {
		return 0, err
	}
	eng := &pinnedEngine{Engine: r.eng, pins: pins}
	containers := 0
	for i, round := range rounds {
		var reqs, refs []string
		for _, bk := range round {
			b := byBuild[bk][0]
			req, err := b.build.VariantRequest(b.v.flags)
			if err != nil {
				return containers, fmt.Errorf("%s: building for %s: %w", r.m.File(), sp.system, err)
			}
			if req != "" {
				reqs = append(reqs, req)
			}
			refs = append(refs, exactRef(b.build))
		}
		flavorReq := strings.Join(reqs, ",")
		if err := r.resolveImages(ctx, sp, eng, flavorReq, refs, owners); err != nil {
			return containers, err
		}
		dest := filepath.Join(r.dir, strings.ReplaceAll(sp.system, "/", "-"), fmt.Sprint(i))
		bopts := append([]builder.Option{builder.WithLogger(r.o.logger)}, r.o.buildOpts...)
		bopts = append(bopts, builder.WithProgress(r.send))
		res, err := builder.Build(ctx, eng, builder.Request{
			Trees: r.trees, Packages: refs, Platforms: []platform.Platform{sp.platform}, Flavor: flavorReq,
			Values: r.values, Destination: dest, Strict: r.m.Options().StrictTrees,
		}, bopts...)
		if res != nil {
			containers += res.Containers
		}
		if err != nil {
			return containers, fmt.Errorf("%s: building for %s: %w", r.m.File(), sp.system, err)
		}
		byID := map[string]builder.Artifact{}
		for _, a := range res.Artifacts {
			byID[a.Package] = a
		}
		for _, bk := range round {
			for _, n := range byBuild[bk] {
				a, ok := byID[n.pkg.ID()]
				if !ok {
					return containers, fmt.Errorf("%s: building for %s: the build of %s gave no artifact for %s", r.m.File(), sp.system, n.build.ID(), n.pkg.ID())
				}
				if !n.pkg.IsSubpackage() && a.Metadata.Flavor != n.v.flavor {
					return containers, fmt.Errorf("%s: building for %s: %s was built as %q, not the chosen variant %q", r.m.File(), sp.system, n.pkg.ID(), a.Metadata.Flavor, n.v.flavor)
				}
				art := a
				n.art = &art
			}
		}
	}
	return containers, nil
}

// canonicalNeeds makes every entry of sp share one need per package and variant, and returns
// them in a stable order.
func canonicalNeeds(sp *systemPlan) []*need {
	seen := map[string]*need{}
	var out []*need
	for _, ep := range sp.entries {
		for i, n := range ep.closure {
			if c, ok := seen[n.key()]; ok {
				ep.closure[i] = c
				if n == ep.self {
					ep.self = c
				}
				continue
			}
			seen[n.key()] = n
			out = append(out, n)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}

// makeRounds splits builds (keyed "id flavor") so that no round builds one package twice.
func makeRounds(byBuild map[string][]*need) [][]string {
	keys := sortedKeys(byBuild)
	var rounds [][]string
	var ids []map[string]bool
	for _, k := range keys {
		id := byBuild[k][0].build.ID()
		placed := false
		for i := range rounds {
			if !ids[i][id] {
				rounds[i] = append(rounds[i], k)
				ids[i][id] = true
				placed = true
				break
			}
		}
		if !placed {
			rounds = append(rounds, []string{k})
			ids = append(ids, map[string]bool{id: true})
		}
	}
	return rounds
}

// resolveImages resolves every image the round's builds start from (image: and copy images of
// the build closure), through the pinned engine, recording each digest in sp.images. A pinned
// image that does not resolve to its locked digest is an *EntryError wrapping ErrBaseImage.
func (r *resolver) resolveImages(ctx context.Context, sp *systemPlan, eng *pinnedEngine, flavorReq string, refs []string, owners map[string]string) error {
	tree, err := r.loadTree(ctx, sp, flavorReq)
	if err != nil {
		return err
	}
	var sref []specs.Ref
	for _, s := range refs {
		ref, err := specs.ParseRef(s)
		if err != nil {
			return fmt.Errorf("%s: reading %q: %w", r.m.File(), s, err)
		}
		sref = append(sref, ref)
	}
	bres, err := tree.Resolve(ctx, sref...)
	if err != nil {
		return fmt.Errorf("%s: planning the builds for %s: %w", r.m.File(), sp.system, err)
	}
	names := map[string]bool{}
	for _, p := range bres.Order() {
		if p.Spec == nil {
			continue
		}
		if p.Spec.Image != "" {
			names[p.Spec.Image] = true
		}
		for _, c := range p.Spec.Copy {
			if c.Image != "" {
				names[c.Image] = true
			}
		}
	}
	resolver, err := oci.NewResolver(eng, oci.WithLogger(r.o.logger))
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(names) {
		if _, done := sp.images[name]; done {
			continue
		}
		locked, pinned := eng.pins[name]
		if !pinned {
			res, err := resolver.Resolve(ctx, name, sp.platform)
			if err != nil {
				return fmt.Errorf("%s: resolving base images for %s: %w", r.m.File(), sp.system, err)
			}
			sp.images[name] = res.Digest().String()
			continue
		}
		h, err := parseHash(locked)
		if err == nil {
			_, err = resolver.ResolvePinned(ctx, name, sp.platform, h)
		}
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			id := owners[name]
			return &EntryError{
				Manifest: r.m.File(), InstallID: id, System: sp.system,
				Err: fmt.Errorf("%w: base image %s is locked to %s, which can no longer be found: %w", ErrBaseImage, name, locked, err),
				Fix: fmt.Sprintf("make the locked image available again (the same root filesystem imported with `flavor image import ROOTFS --platform %s --tag %s` gives the same digest), or accept the image %s names now with `flavor lock --update %s`", sp.system, name, name, id),
			}
		}
		sp.images[name] = locked
	}
	return nil
}

// pins gathers the base images the reused lock entries of sp record: image name → digest, and
// which entry pins each. Two entries pinning one name to different digests is an error.
func (r *resolver) pins(sp *systemPlan) (map[string]string, map[string]string, error) {
	pins, owners := map[string]string{}, map[string]string{}
	for _, ep := range sp.entries {
		if !ep.reused || ep.previous == nil {
			continue
		}
		name, digest, ok := splitImage(ep.previous.BaseImage)
		if !ok {
			continue
		}
		if d, dup := pins[name]; dup && d != digest {
			return nil, nil, &EntryError{
				Manifest: r.m.File(), InstallID: ep.in.ID, System: sp.system,
				Err: fmt.Errorf("%w: the lock pins %s to %s here and to %s for %s", ErrBaseImage, name, digest, d, owners[name]),
				Fix: fmt.Sprintf("run `flavor lock --update %s %s`", owners[name], ep.in.ID),
			}
		}
		pins[name], owners[name] = digest, ep.in.ID
	}
	return pins, owners, nil
}

// splitImage splits "name@sha256:…" into the name and the digest.
func splitImage(s string) (name, digest string, ok bool) {
	i := strings.LastIndex(s, "@sha256:")
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// imageName is "name@digest" for the image of sp whose digest is digest ("" when none is).
func imageName(sp *systemPlan, digest string) string {
	if digest == "" {
		return ""
	}
	for _, name := range sortedKeys(sp.images) {
		if sp.images[name] == digest {
			return name + "@" + digest
		}
	}
	return digest
}

// pinnedEngine is the engine as a locked build sees it: a pinned image name means the engine's
// image of the locked digest, whatever the name points at now.
type pinnedEngine struct {
	engine.Engine
	pins map[string]string // image name → config digest (the engine's image id)
}

var (
	_ engine.OverlayReader    = (*pinnedEngine)(nil)
	_ engine.EmulationChecker = (*pinnedEngine)(nil)
	_ engine.ContainerLister  = (*pinnedEngine)(nil)
)

func (e *pinnedEngine) InspectImage(ctx context.Context, ref string) (oci.ImageInfo, error) {
	if id, ok := e.pins[ref]; ok {
		return e.Engine.InspectImage(ctx, id)
	}
	return e.Engine.InspectImage(ctx, ref)
}

// The build looks for the engine's optional capabilities; pass them through, each saying "not
// available" as the build expects when the engine under it lacks it.

func (e *pinnedEngine) OverlayDirs(ctx context.Context, id string) (engine.OverlayDirs, bool, error) {
	if o, ok := e.Engine.(engine.OverlayReader); ok {
		return o.OverlayDirs(ctx, id)
	}
	return engine.OverlayDirs{}, false, nil
}

func (e *pinnedEngine) CanRun(ctx context.Context, p platform.Platform, probe string) error {
	if c, ok := e.Engine.(engine.EmulationChecker); ok {
		return c.CanRun(ctx, p, probe)
	}
	return nil
}

func (e *pinnedEngine) Managed(ctx context.Context, run string) ([]engine.ManagedContainer, error) {
	if l, ok := e.Engine.(engine.ContainerLister); ok {
		return l.Managed(ctx, run)
	}
	return nil, nil
}

// exactRef is a reference to exactly p, as builder.Request and specs.ParseRef read it.
func exactRef(p *specs.Package) string {
	s := p.Name + "@" + p.Version
	if p.Category != "" {
		s = p.Category + "/" + s
	}
	return s
}

// parseHash reads a "sha256:<hex>" digest.
func parseHash(s string) (v1.Hash, error) {
	h, err := v1.NewHash(s)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading digest %q: %w", s, err)
	}
	return h, nil
}
