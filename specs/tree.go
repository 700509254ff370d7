package specs

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/internal/suggest"
	"github.com/flavor-dev/flavor/specs/version"
)

// Tree is a loaded set of spec trees, rendered for one platform, flavor and set of values.
// It is read-only: every method is safe for concurrent use.
type Tree struct {
	roots    []string
	platform platform.Platform
	flavor   string
	logger   *slog.Logger

	packages  []*Package            // sorted by category, name, version
	byKey     map[string][]*Package // "cat/name" → versions, newest first
	byName    map[string][]string   // name → the keys holding it, sorted
	providers map[string][]provider // "cat/name" → packages that provide it

	constraints sync.Map // version selector → version.Constraint (or error)

	problems  []*Problem              // sorted by file and line
	problemAt map[problemKey]*Problem // for deduplication while loading
	broken    map[string][]brokenPkg  // "cat/name" → versions left out because of an error, newest first
	unnamed   []*SpecError            // errors in files no package could be named from
}

// provider is one `provides` entry of a package.
type provider struct {
	pkg        *Package
	provided   Ref
	constraint version.Constraint
	exact      bool // provided.Version is one version, not a selector
}

func newTree(roots []string, o *options, results []dirResult) *Tree {
	t := &Tree{
		roots:     append([]string(nil), roots...),
		platform:  o.platform,
		flavor:    o.flavor,
		logger:    o.logger,
		byKey:     map[string][]*Package{},
		byName:    map[string][]string{},
		providers: map[string][]provider{},
		broken:    map[string][]brokenPkg{},
		problemAt: map[problemKey]*Problem{},
	}
	seen := map[string]*Package{}
	dropped := map[*Package]*SpecError{}
	var problems []problem
	for _, res := range results {
		problems = append(problems, res.problems...)
		for _, p := range res.pkgs {
			fp := p.ID()
			if err, ok := dropped[p.Parent]; ok && p.Parent != nil {
				// built with its parent, which has an error
				ref := p.Ref()
				dropped[p] = err
				problems = append(problems, problem{pkg: fp, broken: &ref, err: err})
				continue
			}
			if first, dup := seen[fp]; dup {
				if first.Tree != p.Tree {
					t.logger.Debug("package defined again in a later tree; the first wins", "package", fp, "first", first.File, "ignored", p.File)
					continue
				}
				ref := p.Ref()
				err := specErr(p.File, p.Line, nil, "%s is defined twice in tree %s (first in %s); rename or remove one", fp, p.Tree, location(first))
				dropped[p] = err
				problems = append(problems, problem{pkg: fp, broken: &ref, err: err})
				continue
			}
			if err := checkProvides(p); err != nil {
				ref := p.Ref()
				dropped[p] = err
				problems = append(problems, problem{pkg: fp, broken: &ref, err: err})
				continue
			}
			seen[fp] = p
			t.packages = append(t.packages, p)
		}
	}
	for i, p := range t.packages {
		p.index = i
		p.key = p.Category + "/" + p.Name
	}
	sort.SliceStable(t.packages, func(i, j int) bool { return less(t.packages[i], t.packages[j]) })
	for _, p := range t.packages {
		k := p.Key()
		if len(t.byKey[k]) == 0 {
			t.byName[p.Name] = append(t.byName[p.Name], k)
		}
		t.byKey[k] = append(t.byKey[k], p)
	}
	for _, vs := range t.byKey {
		// packages are sorted oldest first; candidates are wanted newest first
		for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
			vs[i], vs[j] = vs[j], vs[i]
		}
	}
	for _, pr := range problems {
		t.addProblem(pr)
	}
	t.sortProblems()
	for _, p := range t.packages {
		for _, r := range p.Provides {
			c, _ := r.Constraint() // checked by checkProvides
			t.providers[r.Key()] = append(t.providers[r.Key()], provider{pkg: p, provided: r, constraint: c, exact: !version.IsSelector(r.Version)})
		}
	}
	for _, p := range t.packages {
		t.prepare(p)
	}
	for _, ps := range t.providers {
		sort.SliceStable(ps, func(i, j int) bool {
			a, b := ps[i].pkg, ps[j].pkg
			if a.Key() != b.Key() {
				return a.Key() < b.Key()
			}
			return a.version.Compare(b.version) > 0
		})
	}
	return t
}

// checkProvides parses the selectors of p's provides.
func checkProvides(p *Package) *SpecError {
	for _, r := range p.Provides {
		if _, err := r.Constraint(); err != nil {
			return specErr(p.File, p.Line, err, "provides %s", r)
		}
	}
	return nil
}

func location(p *Package) string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Packages returns every package, subpackages included, sorted by category, name and version.
func (t *Tree) Packages() []*Package { return append([]*Package(nil), t.packages...) }

// Platform returns the platform the specs were rendered for.
func (t *Tree) Platform() platform.Platform { return t.platform }

// Flavor returns the requested flavor the specs were rendered for.
func (t *Tree) Flavor() string { return t.flavor }

// Roots returns the tree directories, in the order they were given.
func (t *Tree) Roots() []string { return append([]string(nil), t.roots...) }

// Lookup returns the package r names: the newest version that satisfies r's version, preferring
// a package that provides r's name over the package itself, as Luet does. A reference without a
// category matches a package without one, or else the only category holding that name. The
// error wraps ErrNotFound and suggests close names.
func (t *Tree) Lookup(r Ref) (*Package, error) {
	c, err := r.Constraint()
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", r, err)
	}
	key, err := t.resolveKey(r)
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", r, err)
	}
	cands := t.candidates(key, c)
	var best *Package
	if len(cands) > 0 {
		best = cands[0]
	}
	if err := t.brokenErr(key, c, best); err != nil {
		return nil, fmt.Errorf("looking up %s: %w", r, err)
	}
	if best == nil {
		return nil, fmt.Errorf("looking up %s: %w", r, t.noMatch(key, r, c))
	}
	return best, nil
}

// resolveKey finds "cat/name" for a reference, applying the rule for references without a
// category.
func (t *Tree) resolveKey(r Ref) (string, error) {
	key := r.Key()
	if r.Category != "" || len(t.byKey[key]) > 0 || len(t.providers[key]) > 0 {
		return key, nil
	}
	keys := t.byName[r.Name]
	switch len(keys) {
	case 0:
		return key, nil
	case 1:
		return keys[0], nil
	}
	return "", fmt.Errorf("%w: %q is ambiguous: it names %s; add the category", ErrNotFound, r.Name, strings.Join(keys, ", "))
}

// candidates returns the packages that satisfy key@c, best first: packages that provide key
// (a provider replaces the package it provides, as in Luet), then key's own versions, newest
// first.
func (t *Tree) candidates(key string, c version.Constraint) []*Package {
	var out []*Package
	for _, pr := range t.providers[key] {
		if pr.satisfies(c) {
			out = append(out, pr.pkg)
		}
	}
	for _, p := range t.byKey[key] {
		if c.Check(p.version) {
			out = append(out, p)
		}
	}
	return out
}

// satisfies reports whether what pr provides meets c: a provided version must satisfy c; a
// provided selector must leave some version in common with c; no version provides them all.
func (pr provider) satisfies(c version.Constraint) bool {
	switch {
	case pr.provided.Version == "":
		return true
	case pr.exact:
		return c.CheckString(pr.provided.Version)
	default:
		return pr.constraint.Intersects(c)
	}
}

// noMatch explains why nothing satisfies key@c: an unknown name (with a hint) or the versions
// that exist.
func (t *Tree) noMatch(key string, r Ref, c version.Constraint) error {
	vs := t.byKey[key]
	if len(vs) == 0 && len(t.providers[key]) == 0 {
		known := make([]string, 0, len(t.byKey))
		for k := range t.byKey {
			known = append(known, k)
		}
		hint := ""
		if s := suggest.Nearest(key, known); s != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", s)
		}
		return fmt.Errorf("%w: no package %s in the tree%s%s", ErrNotFound, strings.TrimPrefix(key, "/"), hint, t.unreadNote())
	}
	return fmt.Errorf("%w: no version of %s satisfies %q; known versions: %s", ErrNotFound, strings.TrimPrefix(key, "/"), c.String(), t.knownVersions(key))
}

// knownVersions lists the versions of key (oldest first) and its providers.
func (t *Tree) knownVersions(key string) string {
	vs := t.byKey[key]
	var out []string
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].version.Valid() {
			out = append(out, vs[i].Version)
		} else {
			out = append(out, vs[i].Version+" (cannot be ordered)")
		}
	}
	for _, pr := range t.providers[key] {
		out = append(out, fmt.Sprintf("%s (provided by %s)", orAny(pr.provided.Version), pr.pkg.ID()))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func orAny(v string) string {
	if v == "" {
		return "any"
	}
	return v
}

// constraint parses r's selector, caching the result: resolutions parse the same few selectors
// many times.
func (t *Tree) constraint(r Ref) (version.Constraint, error) {
	if v, ok := t.constraints.Load(r.Version); ok {
		if err, isErr := v.(error); isErr {
			return version.Constraint{}, err
		}
		return v.(version.Constraint), nil
	}
	c, err := r.Constraint()
	if err != nil {
		t.constraints.Store(r.Version, err)
		return version.Constraint{}, err
	}
	t.constraints.Store(r.Version, c)
	return c, nil
}

// providesMatch reports whether p provides key in a way that meets c.
func (t *Tree) providesMatch(p *Package, key string, c version.Constraint) bool {
	for _, pr := range t.providers[key] {
		if pr.pkg == p && pr.satisfies(c) {
			return true
		}
	}
	return false
}
