package builder

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/flavor-dev/flavor/oci"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
)

// plan is the build graph of one platform: the tree rendered for it, the resolution of the
// targets and a node per package to build.
type plan struct {
	platform platform.Platform
	tree     *specs.Tree
	res      *specs.Resolution
	nodes    map[*specs.Package]*node
	order    []*node
	skipped  []string // targets that do not support the platform
}

// node is one package of a plan and the state of its build.
type node struct {
	pkg      *specs.Package
	platform platform.Platform
	key      string // cache key, "sha256:<hex>"
	hex      string
	deps     []*node          // direct build dependencies (Resolution.Deps)
	root     *node            // the chain dependency whose package image is the build root
	copies   []*node          // per Spec.Copy entry, the package copied from (nil for images)
	joins    []*specs.Package // requires_final_images: artifacts squashed into the root
	subs     []*specs.Package // subpackages carved from this package's artifact
	base     string           // digest of the image at the bottom of the build root
	users    int              // packages of the plan that build on or copy from its image
	target   bool
	distro   *distro // the build root's package database, read after the steps

	done   chan struct{} // closed when the artifact is settled (entry or err)
	entry  *CacheEntry
	source Source
	err    error

	imageMu sync.Mutex // serialises making the package image for dependents
}

func (n *node) id() string { return n.pkg.ID() }

// The engine repositories builds keep images in, as a cache: package images (the committed
// package stage) and requires_final_images roots, each tagged with the hex of its package's
// cache key (see CachedKeys).
const (
	PackageImageRepo = "flavor.local/pkg"
	JoinImageRepo    = "flavor.local/join"
)

// pkgTag is the engine tag of a package image: flavor.local/pkg:<key hex>.
func (n *node) pkgTag() string { return PackageImageRepo + ":" + n.hex }

// joinTag is the engine tag of a requires_final_images root: flavor.local/join:<key hex>.
func (n *node) joinTag() string { return JoinImageRepo + ":" + n.hex }

// makePlan loads the trees for platform, resolves the targets and computes every cache key.
func (b *builder) makePlan(ctx context.Context, req Request, platform platform.Platform) (*plan, error) {
	tree, err := specs.Load(ctx, req.Trees,
		specs.WithPlatform(platform),
		specs.WithFlavor(req.Flavor),
		specs.WithValuesFiles(req.Values...),
		specs.WithStrict(req.Strict),
		specs.WithLogger(b.o.logger))
	if err != nil {
		return nil, fmt.Errorf("loading the spec trees for %s: %w", platform, err)
	}
	pl := &plan{platform: platform, tree: tree, nodes: map[*specs.Package]*node{}}
	refs, err := pl.targets(req)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return pl, nil
	}
	res, err := tree.Resolve(ctx, refs...)
	if err != nil {
		return nil, fmt.Errorf("planning the build for %s: %w", platform, err)
	}
	pl.res = res
	keys, err := res.CacheKeys(ctx, b.digest)
	if err != nil {
		return nil, fmt.Errorf("planning the build for %s: %w", platform, err)
	}
	targets := map[*specs.Package]bool{}
	for _, t := range res.Targets() {
		targets[t] = true
	}
	for _, p := range res.Order() {
		if !p.Spec.Supports(platform) {
			return nil, fmt.Errorf("planning the build for %s: %s: %w (build.yaml platforms: %s); it is needed by the packages asked for",
				platform, p.ID(), ErrUnsupportedPlatform, platformList(p.Spec.Platforms))
		}
		h, err := keyHex(keys[p])
		if err != nil {
			return nil, fmt.Errorf("planning the build of %s for %s: %w", p.ID(), platform, err)
		}
		n := &node{pkg: p, platform: platform, key: keys[p], hex: h, target: targets[p], done: make(chan struct{})}
		pl.nodes[p] = n
		pl.order = append(pl.order, n)
	}
	for _, sp := range tree.Packages() {
		if sp.Parent != nil {
			if n := pl.nodes[sp.Parent]; n != nil {
				n.subs = append(n.subs, sp)
			}
		}
	}
	for _, n := range pl.order {
		if err := b.link(ctx, pl, n); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// targets turns the request's references into refs, leaving out (and noting) targets whose
// build.yaml `platforms:` excludes the plan's platform.
func (pl *plan) targets(req Request) ([]specs.Ref, error) {
	var refs []specs.Ref
	if req.All {
		if err := pl.tree.Err(); err != nil {
			return nil, fmt.Errorf("planning the build of every package for %s: some packages cannot be used; fix them, or name the packages to build:\n%w", pl.platform, err)
		}
		for _, p := range pl.tree.Packages() {
			if !p.IsSubpackage() {
				refs = append(refs, p.Ref())
			}
		}
	}
	for _, s := range req.Packages {
		r, err := specs.ParseRef(s)
		if err != nil {
			return nil, fmt.Errorf("reading package reference %q: %w", s, err)
		}
		refs = append(refs, r)
	}
	out := refs[:0]
	for _, r := range refs {
		p, err := pl.tree.Lookup(r)
		if err != nil {
			return nil, fmt.Errorf("planning the build for %s: %w", pl.platform, err)
		}
		if p.Spec != nil && !p.Spec.Supports(pl.platform) {
			pl.skipped = append(pl.skipped, p.ID())
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func platformList(ps []platform.Platform) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// link fills in a node's edges: dependencies, the chain root, copy sources, join members and
// the base image digest.
func (b *builder) link(ctx context.Context, pl *plan, n *node) error {
	spec := n.pkg.Spec
	for _, d := range pl.res.Deps(n.pkg) {
		n.deps = append(n.deps, pl.nodes[d])
	}
	for _, c := range pl.res.Copies(n.pkg) {
		var cn *node
		if c != nil {
			cn = pl.nodes[c]
			cn.users++
		}
		n.copies = append(n.copies, cn)
	}
	switch {
	case spec.Image != "":
		res, err := b.resolve(ctx, spec.Image, pl.platform)
		if err != nil {
			return err
		}
		n.base = res.Digest().String()
	case spec.RequiresFinalImages:
		n.joins = pl.res.Join(n.pkg)
	case len(spec.Requires) > 0:
		n.root = chainRoot(pl, n)
		if n.root == nil {
			return fmt.Errorf("planning the build of %s for %s: %w: none of its requires has an image to start from", n.id(), pl.platform, specs.ErrNotBuildable)
		}
		n.root.users++
		n.base = n.root.base
	}
	return nil
}

// chainRoot picks the dependency whose package image is n's build root: the last entry of
// n's build.yaml requires, in the order written, whose package has a root of its own (an image,
// a join, or a chain). Virtual packages have none and are skipped.
func chainRoot(pl *plan, n *node) *node {
	deps := pl.res.Deps(n.pkg)
	reqs := n.pkg.Spec.Requires
	for i := len(reqs) - 1; i >= 0; i-- {
		d := satisfier(pl.tree, deps, reqs[i])
		if d == nil {
			continue
		}
		dn := pl.nodes[d]
		if dn != nil && hasRoot(dn) {
			return dn
		}
	}
	return nil
}

// hasRoot reports whether a package's build has something to start from.
func hasRoot(n *node) bool {
	s := n.pkg.Spec
	return s.Image != "" || s.RequiresFinalImages || n.root != nil
}

// satisfier finds the dependency among deps that a require reference selected: a package of
// that name whose version matches, or one providing it.
// ADAPTER: specs knows this edge (its solver's satisfier) but does not export it per require;
// Resolution.Requires(p) in build.yaml order would replace this.
func satisfier(tree *specs.Tree, deps []*specs.Package, r specs.Ref) *specs.Package {
	if p, err := tree.Lookup(r); err == nil {
		for _, d := range deps {
			if d == p {
				return d
			}
		}
	}
	c, err := r.Constraint()
	if err != nil {
		return nil
	}
	sameName := func(cat, name string) bool {
		return name == r.Name && (r.Category == "" || cat == r.Category)
	}
	for _, d := range deps {
		if sameName(d.Category, d.Name) && c.CheckString(d.Version) {
			return d
		}
	}
	for _, d := range deps {
		for _, pr := range d.Provides {
			if sameName(pr.Category, pr.Name) {
				return d
			}
		}
	}
	return nil
}

// resolve resolves an image for a platform once per build and remembers the result for
// Provide.
func (b *builder) resolve(ctx context.Context, image string, p platform.Platform) (oci.Resolved, error) {
	k := image + "\x00" + p.String()
	b.mu.Lock()
	res, ok := b.resolved[k]
	b.mu.Unlock()
	if ok {
		return res, nil
	}
	res, err := b.resolver.Resolve(ctx, image, p)
	if err != nil {
		return oci.Resolved{}, err
	}
	b.mu.Lock()
	b.resolved[k] = res
	b.mu.Unlock()
	return res, nil
}

// digest is the specs.ImageDigester cache keys are computed with.
func (b *builder) digest(ctx context.Context, image string, p platform.Platform) (string, error) {
	res, err := b.resolve(ctx, image, p)
	if err != nil {
		return "", err
	}
	return res.Digest().String(), nil
}
