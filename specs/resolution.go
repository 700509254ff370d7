package specs

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/platform"
)

// Resolution is the outcome of resolving targets in one graph: the selected packages in build
// (or install) order, their direct dependencies, and levels of packages that do not depend on
// each other.
type Resolution struct {
	platform platform.Platform
	targets  []*Package
	order    []*Package
	levels   [][]*Package
	level    map[*Package]int
	deps     map[*Package][]*Package
	copies   map[*Package][]*Package
	joins    map[*Package][]*Package
}

// Targets returns the packages the resolution was asked for.
func (r *Resolution) Targets() []*Package { return append([]*Package(nil), r.targets...) }

// Order returns every selected package, dependencies before the packages that need them; among
// packages whose dependencies are all done, category/name/version order decides.
func (r *Resolution) Order() []*Package { return append([]*Package(nil), r.order...) }

// Levels groups Order by depth: level 0 needs nothing, level n needs something at level n-1 and
// nothing later, so the packages of one level can be built in parallel.
func (r *Resolution) Levels() [][]*Package {
	out := make([][]*Package, len(r.levels))
	for i, l := range r.levels {
		out[i] = append([]*Package(nil), l...)
	}
	return out
}

// Level returns p's level, or -1 when p is not part of the resolution.
func (r *Resolution) Level(p *Package) int {
	if l, ok := r.level[p]; ok {
		return l
	}
	return -1
}

// Deps returns p's direct dependencies in the resolution, sorted. In a build resolution they are
// what must be built before p: its requires (for requires_final_images, the packages whose
// artifacts make its join image, or their parents for subpackages) and the packages it copies
// from; their cache keys go into p's.
func (r *Resolution) Deps(p *Package) []*Package { return append([]*Package(nil), r.deps[p]...) }

// Copies returns, for each entry of p.Spec.Copy, the package it copies from (nil for an image
// entry).
func (r *Resolution) Copies(p *Package) []*Package { return append([]*Package(nil), r.copies[p]...) }

// Join returns the packages whose artifacts are squashed into p's build root when p has
// requires_final_images: the runtime closure of its requires (subpackages included).
func (r *Resolution) Join(p *Package) []*Package { return append([]*Package(nil), r.joins[p]...) }

// Resolve selects the build dependencies of the packages refs name (each ref is looked up as
// Lookup does) and orders them for building. It picks the newest version that satisfies each
// requirement, backtracking when a choice leads to a conflict, honours provides and conflicts,
// and fails, showing the chain of requirements, when something is unknown or unsatisfiable.
func (t *Tree) Resolve(ctx context.Context, refs ...Ref) (*Resolution, error) {
	return t.resolve(ctx, buildGraph, refs)
}

// ResolveRuntime selects the runtime closure (definition.yaml requires) of the packages refs
// name. Subpackages take part; dependency cycles are allowed and broken in package order.
func (t *Tree) ResolveRuntime(ctx context.Context, refs ...Ref) (*Resolution, error) {
	return t.resolve(ctx, runtimeGraph, refs)
}

func (t *Tree) resolve(ctx context.Context, g graph, refs []Ref) (*Resolution, error) {
	what := "build dependencies"
	if g == runtimeGraph {
		what = "runtime dependencies"
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("resolving %s: no packages given", what)
	}
	var targets []*Package
	for _, r := range refs {
		p, err := t.Lookup(r)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", what, err)
		}
		if g == buildGraph && p.IsSubpackage() {
			return nil, fmt.Errorf("resolving %s of %s: %w: it is a subpackage of %s; build that instead", what, p.ID(), ErrNotBuildable, p.Parent.ID())
		}
		targets = append(targets, p)
	}
	s := newSolver(ctx, t, g)
	if err := s.run(targets); err != nil {
		return nil, fmt.Errorf("resolving %s: %w", what, err)
	}
	res := s.resolution(targets)
	if err := res.sort(g == runtimeGraph); err != nil {
		return nil, fmt.Errorf("resolving %s: %w", what, err)
	}
	if g == buildGraph {
		if err := s.checkRoots(res); err != nil {
			return nil, fmt.Errorf("resolving %s: %w", what, err)
		}
	}
	return res, nil
}

// resolution records the edges of a finished selection.
func (s *solver) resolution(targets []*Package) *Resolution {
	r := &Resolution{
		platform: s.t.platform,
		targets:  targets,
		deps:     map[*Package][]*Package{},
		copies:   map[*Package][]*Package{},
		joins:    map[*Package][]*Package{},
		level:    map[*Package]int{},
	}
	for _, p := range s.selected {
		reqs, _ := s.requirementsOf(p) // succeeded when p was chosen; join sets are memoised
		seen := map[*Package]bool{}
		var deps []*Package
		for _, req := range reqs {
			d := s.satisfier(req)
			// A package the build graph needs for its own build is a cycle of one: it stays as an
			// edge so sort refuses it like any cycle. At run time it is as harmless as any cycle.
			if d != nil && (d != p || s.g == buildGraph) && !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
		sort.Slice(deps, func(i, j int) bool { return less(deps[i], deps[j]) })
		r.deps[p] = deps
		if s.g != buildGraph {
			continue
		}
		if len(p.reqs.copy) > 0 {
			cp := make([]*Package, len(p.reqs.copy))
			for i, req := range p.reqs.copy {
				if req != nil {
					cp[i] = s.satisfier(req)
				}
			}
			r.copies[p] = cp
		}
		if p.Spec.RequiresFinalImages {
			r.joins[p] = append([]*Package(nil), s.joins[p].members...)
		}
	}
	r.order = append(r.order, s.selected...)
	return r
}

// sort orders r.order topologically with ties broken by package order, and fills the levels.
// A cycle is an error unless allowCycles, in which case it is broken at its first package.
func (r *Resolution) sort(allowCycles bool) error {
	nodes := r.order
	idx := make(map[*Package]int, len(nodes))
	for i, p := range nodes {
		idx[p] = i
	}
	pending := make([]int, len(nodes))
	users := make([][]int32, len(nodes))
	for i, p := range nodes {
		pending[i] = len(r.deps[p])
		for _, d := range r.deps[p] {
			users[idx[d]] = append(users[idx[d]], int32(i))
		}
	}
	ready := &pkgHeap{}
	for _, p := range nodes {
		if pending[idx[p]] == 0 {
			heap.Push(ready, p)
		}
	}
	done := make([]bool, len(nodes))
	level := make([]int, len(nodes))
	order := make([]*Package, 0, len(nodes))
	for len(order) < len(nodes) {
		if ready.Len() == 0 {
			var rest []*Package
			for i, p := range nodes {
				if !done[i] {
					rest = append(rest, p)
				}
			}
			if !allowCycles {
				return fmt.Errorf("%w: %s", ErrCycle, cycleText(rest, r.deps, func(p *Package) bool { return done[idx[p]] }))
			}
			sort.Slice(rest, func(i, j int) bool { return less(rest[i], rest[j]) })
			pending[idx[rest[0]]] = 0
			heap.Push(ready, rest[0])
		}
		p := heap.Pop(ready).(*Package)
		i := idx[p]
		if done[i] {
			continue
		}
		done[i] = true
		order = append(order, p)
		lvl := 0
		for _, d := range r.deps[p] {
			if j := idx[d]; done[j] {
				lvl = max(lvl, level[j]+1)
			}
		}
		level[i] = lvl
		r.level[p] = lvl
		for _, u := range users[i] {
			pending[u]--
			if pending[u] == 0 && !done[u] {
				heap.Push(ready, nodes[u])
			}
		}
	}
	r.order = order
	for _, p := range order {
		l := r.level[p]
		for len(r.levels) <= l {
			r.levels = append(r.levels, nil)
		}
		r.levels[l] = append(r.levels[l], p)
	}
	for _, l := range r.levels {
		sort.Slice(l, func(i, j int) bool { return less(l[i], l[j]) })
	}
	return nil
}

// cycleText finds one cycle among the packages left and renders it "a → b → a".
func cycleText(rest []*Package, deps map[*Package][]*Package, done func(*Package) bool) string {
	sort.Slice(rest, func(i, j int) bool { return less(rest[i], rest[j]) })
	pos := map[*Package]int{}
	var path []*Package
	p := rest[0]
	for {
		if i, ok := pos[p]; ok {
			cyc := append(path[i:], p)
			parts := make([]string, len(cyc))
			for k, c := range cyc {
				parts[k] = c.ID()
			}
			return strings.Join(parts, " → ")
		}
		pos[p] = len(path)
		path = append(path, p)
		var next *Package
		for _, d := range deps[p] {
			if !done(d) {
				next = d
				break
			}
		}
		if next == nil {
			return p.ID()
		}
		p = next
	}
}

// checkRoots applies the package class rules of build-specs.md: steps need an image source,
// and a package without an image needs a dependency chain that has one.
func (s *solver) checkRoots(r *Resolution) error {
	hasRoot := map[*Package]bool{}
	for _, p := range r.order {
		spec := p.Spec
		root := spec.Image != "" || spec.RequiresFinalImages
		for _, d := range r.deps[p] {
			if hasRoot[d] && s.isRequire(r, p, d) {
				root = true
			}
		}
		hasRoot[p] = root
		if spec.Virtual() {
			continue
		}
		if !spec.HasImageSource() {
			return fmt.Errorf("%s: %w: it has steps (or unpack/package_dir) but no image and no requires; set image: or requires:", s.chainText(s.via[p]), ErrNotBuildable)
		}
		if !root {
			names := make([]string, 0, len(r.deps[p]))
			for _, d := range r.deps[p] {
				names = append(names, d.ID())
			}
			return fmt.Errorf("%s: %w: none of its build dependencies (%s) has an image to start from (a virtual package has none); give it image: or require a package that has one", s.chainText(s.via[p]), ErrNotBuildable, strings.Join(names, ", "))
		}
	}
	return nil
}

// isRequire reports whether d is among p's requires (not only a copy source).
func (s *solver) isRequire(r *Resolution, p, d *Package) bool {
	for _, c := range r.copies[p] {
		if c == d {
			// d may also be a require; check the requires themselves
			for _, req := range p.reqs.requires {
				if s.satisfier(req) == d {
					return true
				}
			}
			return false
		}
	}
	return true
}

// pkgHeap is a min-heap of packages in package order.
type pkgHeap []*Package

func (h pkgHeap) Len() int           { return len(h) }
func (h pkgHeap) Less(i, j int) bool { return less(h[i], h[j]) }
func (h pkgHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pkgHeap) Push(x any)        { *h = append(*h, x.(*Package)) }
func (h *pkgHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}
