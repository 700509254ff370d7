package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
	"github.com/flavor-dev/flavor/specs/flavor"
	"github.com/flavor-dev/flavor/specs/manifest"
)

// entryPlan is one install entry resolved on one system.
type entryPlan struct {
	in       manifest.Install
	system   string
	req      flavor.Flavor
	pkg      *specs.Package // the package it resolved to, in the system's tree
	self     *need          // pkg in its chosen variant
	closure  []*need        // its runtime closure in dependency order, ending with self
	digest   string         // the spec digest (see the package doc)
	reused   bool           // its lock entry stands and is used as it is
	previous *manifest.LockedPackage
}

// need is one package to ship in one variant.
type need struct {
	pkg   *specs.Package    // what ships
	build *specs.Package    // what is built: pkg, or its parent for a subpackage
	v     variant           // of build
	art   *builder.Artifact // set once built
}

func (n *need) key() string { return n.pkg.ID() + " " + n.v.flavor }

// buildKey identifies one build: a package in one variant.
func (n *need) buildKey() string { return n.build.ID() + " " + n.v.flavor }

// builtOf returns the package that is built for p: p, or its parent for a subpackage.
func builtOf(p *specs.Package) *specs.Package {
	if p.Parent != nil {
		return p.Parent
	}
	return p
}

// planEntry resolves entry in on sys: afresh when locked is nil, else to the version and flavor
// locked. Errors are *EntryError values.
func (r *resolver) planEntry(ctx context.Context, sp *systemPlan, in manifest.Install, locked *manifest.LockedPackage) (*entryPlan, error) {
	fail := func(err error, fix string) error {
		return &EntryError{Manifest: r.m.File(), InstallID: in.ID, System: sp.system, Err: err, Fix: fix}
	}
	req, err := r.m.RequestedFlavor(in.ID, sp.system)
	if err != nil {
		return nil, fail(err, "")
	}
	e := &entryPlan{in: in, system: sp.system, req: req, previous: locked}
	ref, err := specs.ParseRef(in.PkgPath)
	if err != nil {
		return nil, fail(fmt.Errorf("pkg-path %q: %w", in.PkgPath, err), fmt.Sprintf("write %s.pkg-path as category/name", in.ID))
	}
	ref.Version = in.Version
	if locked != nil {
		ref.Version = "=" + locked.Version
	}
	p, err := sp.tree.Lookup(ref)
	if err != nil {
		return nil, fail(err, r.lookupFix(sp, in, ref))
	}
	if locked != nil && p.Version != locked.Version {
		return nil, fail(fmt.Errorf("locked version %s of %s resolves to %s", locked.Version, in.PkgPath, p.ID()), "")
	}
	e.pkg = p
	built := builtOf(p)
	if err := r.checkSupports(sp, in, built, nil); err != nil {
		return nil, err
	}
	var v variant
	if locked != nil {
		v, err = lockedVariant(built, locked.Flavor)
	} else {
		v, err = chooseVariant(built, req)
	}
	if err != nil {
		return nil, fail(err, r.variantFix(in, built))
	}
	e.self = &need{pkg: p, build: built, v: v}
	closure, err := sp.tree.ResolveRuntime(ctx, p.Ref())
	if err != nil {
		if q, by := unsupportedRequire(sp, p); q != nil {
			return nil, r.checkSupports(sp, in, q, by)
		}
		return nil, fail(fmt.Errorf("resolving the runtime dependencies of %s: %w", p.ID(), err),
			"fix the requires of the packages named above in their definition.yaml, or add the missing packages to the trees")
	}
	for _, q := range closure.Order() {
		if q == p {
			e.closure = append(e.closure, e.self)
			continue
		}
		qb := builtOf(q)
		if err := r.checkSupports(sp, in, qb, p); err != nil {
			return nil, err
		}
		qv, err := chooseVariant(qb, req)
		if err != nil {
			return nil, fail(fmt.Errorf("runtime dependency %s of %s: %w", q.ID(), p.ID(), err), r.variantFix(in, qb))
		}
		e.closure = append(e.closure, &need{pkg: q, build: qb, v: qv})
	}
	if e.closure == nil || e.closure[len(e.closure)-1] != e.self {
		// ResolveRuntime lists the package itself; keep the contract if it ever does not.
		e.closure = append(e.closure, e.self)
	}
	if e.digest, err = specDigest(ctx, e.closure); err != nil {
		return nil, fail(err, "")
	}
	return e, nil
}

// checkSupports fails when the builder.yaml `platforms:` of p leaves out the system.
func (r *resolver) checkSupports(sp *systemPlan, in manifest.Install, p, neededBy *specs.Package) error {
	if p.Spec == nil || p.Spec.Supports(sp.platform) {
		return nil
	}
	what := p.ID()
	if neededBy != nil {
		what = fmt.Sprintf("%s (a runtime dependency of %s)", p.ID(), neededBy.ID())
	}
	var ps []string
	for _, x := range p.Spec.Platforms {
		ps = append(ps, x.String())
	}
	var supported []string
	for _, s := range r.entrySystems(in) {
		if sp, err := platform.Parse(s); err == nil && p.Spec.Supports(sp) {
			supported = append(supported, s)
		}
	}
	fix := fmt.Sprintf("remove %s from options.systems in %s, or add it to `platforms:` in %s/builder.yaml if the package does build there", sp.system, r.m.File(), p.Dir)
	if len(supported) > 0 {
		fix = fmt.Sprintf("set %s.systems = [%s] in %s, or remove %s from options.systems", in.ID, quoteList(supported), r.m.File(), sp.system)
	}
	return &EntryError{
		Manifest: r.m.File(), InstallID: in.ID, System: sp.system,
		Err: fmt.Errorf("%w: %s builds only for %s (platforms: in %s)", ErrUnsupportedSystem, what, strings.Join(ps, ", "), filepath.Join(p.Dir, "build.yaml")),
		Fix: fix,
	}
}

// unsupportedRequire walks p's runtime requires (newest satisfying versions) for a package whose
// builder.yaml `platforms:` leaves out the system, so that a failed runtime resolution can say so
// with its fix. It returns the package and the one requiring it, or nil.
func unsupportedRequire(sp *systemPlan, p *specs.Package) (*specs.Package, *specs.Package) {
	seen := map[*specs.Package]bool{p: true}
	queue := []*specs.Package{p}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, ref := range cur.Requires {
			q, err := sp.tree.Lookup(ref)
			if err != nil || seen[q] {
				continue
			}
			seen[q] = true
			if b := builtOf(q); b.Spec != nil && !b.Spec.Supports(sp.platform) {
				return b, cur
			}
			queue = append(queue, q)
		}
	}
	return nil, nil
}

// lookupFix says how to fix a pkg-path or version that does not resolve.
func (r *resolver) lookupFix(sp *systemPlan, in manifest.Install, ref specs.Ref) string {
	if in.Version != "" {
		any := ref
		any.Version = ""
		if _, err := sp.tree.Lookup(any); err == nil {
			return fmt.Sprintf("change %s.version in %s to a selector one of the known versions satisfies, or add that version to the trees", in.ID, r.m.File())
		}
	}
	return fmt.Sprintf("change %s.pkg-path in %s to a package of the trees (%s)", in.ID, r.m.File(), strings.Join(r.trees, ", "))
}

// variantFix says how to fix a flavor no variant satisfies.
func (r *resolver) variantFix(in manifest.Install, p *specs.Package) string {
	return fmt.Sprintf("change %s.flavor or options.flavor in %s to one a variant satisfies (a flag a variant is built with must be named, e.g. \"~flag\"), or list such a variant under `variants:` in %s",
		in.ID, r.m.File(), p.File)
}

// specDigest is the digest of everything an entry's closure is made from: each package's
// identity, chosen flavor, rendered spec and package directory content.
func specDigest(ctx context.Context, closure []*need) (string, error) {
	h := sha256.New()
	seen := map[string]bool{}
	for _, n := range closure {
		fmt.Fprintf(h, "%s\x00%s\x00", n.pkg.ID(), n.v.flavor)
		h.Write(n.pkg.Canonical())
		if seen[n.build.ID()] {
			continue
		}
		seen[n.build.ID()] = true
		d, err := n.build.DirDigest(ctx)
		if err != nil {
			return "", fmt.Errorf("reading the package directory of %s: %w", n.build.ID(), err)
		}
		fmt.Fprintf(h, "\x00%s\x00", d)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
