package specs

import (
	"context"
	"fmt"
	"strings"

	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/version"
)

// graph says which relations a resolution follows.
type graph int

const (
	buildGraph   graph = iota // build.yaml requires (and copy packages, final-image join sets)
	runtimeGraph              // definition.yaml requires
)

// maxAttempts bounds the search: a tree whose requirements need more selections than this to
// settle is reported rather than searched forever.
const maxAttempts = 200000

// requirement is one edge to satisfy: from requires ref (or, for targets and join members,
// exactly pkg).
type requirement struct {
	from   *Package
	ref    Ref
	key    string
	c      version.Constraint
	exact  *Package
	note   string // how the requirement arose, for messages ("requires_final_images")
	keyErr error  // the reference could not be tied to a name
}

// solver searches, depth first, for one selection of packages (at most one version per
// category/name) in which every requirement of every selected package is met and no conflict
// holds. Candidates are tried best first (providers, then newest versions), so the first
// selection found is the one that prefers newer versions in the order requirements are met.
type solver struct {
	ctx context.Context
	t   *Tree
	g   graph

	queue    []*requirement
	chosen   map[string]*Package   // key → the selected version
	provided map[string][]*Package // key → selected packages that provide it
	conflict map[string][]conflictOf
	via      map[*Package]*requirement // the requirement that selected each package
	selected []*Package
	level    map[*Package]int // position of each selected package in selected

	joins    map[*Package]*joinSet // requires_final_images packages → their join set
	attempts int
	budget   int   // most attempts before giving up
	firstErr error // the first dead end met: usually the real cause
	abort    error
}

type conflictOf struct {
	owner *Package
	ref   Ref
	c     version.Constraint
}

type joinSet struct {
	members []*Package // runtime packages whose artifacts are squashed
	err     error
}

func newSolver(ctx context.Context, t *Tree, g graph) *solver {
	hint := 0 // runtime closures are usually small
	if g == buildGraph {
		hint = 32
	}
	return &solver{
		ctx: ctx, t: t, g: g,
		chosen:   make(map[string]*Package, hint),
		provided: map[string][]*Package{},
		conflict: map[string][]conflictOf{},
		via:      make(map[*Package]*requirement, hint),
		level:    make(map[*Package]int, hint),
		joins:    map[*Package]*joinSet{},
		budget:   maxAttempts,
	}
}

// run selects packages for the targets; on failure it returns the first dead end, with the
// chain of requirements that led there.
func (s *solver) run(targets []*Package) error {
	for _, p := range targets {
		s.queue = append(s.queue, &requirement{ref: p.Ref(), key: p.Key(), exact: p})
	}
	if ok, _ := s.solve(0); ok {
		return nil
	}
	if s.abort != nil {
		return s.abort
	}
	return s.firstErr
}

func (s *solver) solve(head int) (bool, levels) {
	for head < len(s.queue) && s.satisfier(s.queue[head]) != nil {
		head++
	}
	if head == len(s.queue) {
		return true, nil
	}
	req := s.queue[head]
	// blame collects the selections this requirement's failure depends on: those that ruled
	// out its candidates, those deeper failures depended on, and the one that brought the
	// requirement in.
	cands, blame := s.options(req)
	for _, p := range cands {
		s.attempts++
		if s.attempts%1024 == 0 {
			if err := s.ctx.Err(); err != nil {
				s.abort = fmt.Errorf("resolving: %w", err)
				return false, nil
			}
		}
		if s.attempts > s.budget {
			s.abort = fmt.Errorf("%w: gave up after %d attempts to select versions (the requirements conflict in too many ways); first problem: %v", ErrUnsatisfiable, s.budget, s.firstErr)
			return false, nil
		}
		mark := len(s.queue)
		if err := s.choose(p, req); err != nil {
			s.dead(err)
			continue
		}
		lvl := len(s.selected) - 1
		ok, why := s.solve(head + 1)
		if ok {
			return true, nil
		}
		s.unchoose(p, mark)
		if s.abort != nil {
			return false, nil
		}
		if !why.has(lvl) {
			// The failure below does not depend on choosing p: another candidate for req
			// cannot fix it, so jump back to the selections it does depend on.
			return false, why
		}
		why.del(lvl)
		blame = blame.union(why)
	}
	blame.add(s.levelOf(req.from))
	return false, blame
}

// satisfier returns the selected package that meets req, or nil.
func (s *solver) satisfier(req *requirement) *Package {
	if req.exact != nil {
		if s.chosen[req.key] == req.exact {
			return req.exact
		}
		return nil
	}
	for _, p := range s.provided[req.key] {
		if s.t.providesMatch(p, req.key, req.c) {
			return p
		}
	}
	if p := s.chosen[req.key]; p != nil && req.c.Check(p.version) {
		return p
	}
	return nil
}

// options returns the packages that could meet req now, best first, recording why when there
// are none.
func (s *solver) options(req *requirement) ([]*Package, levels) {
	if req.keyErr != nil {
		s.dead(s.chainErr(req, req.keyErr))
		return nil, nil
	}
	var all []*Package
	if req.exact != nil {
		all = []*Package{req.exact}
	} else {
		all = s.t.candidates(req.key, req.c)
		var best *Package
		if len(all) > 0 {
			best = all[0]
		}
		if err := s.t.brokenErr(req.key, req.c, best); err != nil {
			s.dead(s.chainErr(req, err))
			return nil, nil
		}
	}
	out := all[:0:0]
	var blame levels
	var reasons []func() string
	for _, p := range all {
		culprit, why := s.excluded(p)
		if why == nil {
			out = append(out, p)
			continue
		}
		if culprit != nil {
			blame.add(s.levelOf(culprit))
		}
		reasons = append(reasons, why)
	}
	if len(out) > 0 || s.firstErr != nil {
		return out, blame
	}
	switch {
	case len(reasons) > 0:
		texts := make([]string, len(reasons))
		for i, r := range reasons {
			texts[i] = r()
		}
		s.dead(s.chainErr(req, fmt.Errorf("%w: %s", ErrUnsatisfiable, strings.Join(texts, "; "))))
	case len(s.t.byKey[req.key]) == 0 && len(s.t.providers[req.key]) == 0:
		s.dead(s.chainErr(req, s.t.noMatch(req.key, req.ref, req.c)))
	default:
		s.dead(s.chainErr(req, fmt.Errorf("%w: no version of %s satisfies %q; known versions: %s",
			ErrUnsatisfiable, strings.TrimPrefix(req.key, "/"), req.c.String(), s.t.knownVersions(req.key))))
	}
	return nil, blame
}

// excluded says why p cannot be selected now, or "".
func (s *solver) excluded(p *Package) (culprit *Package, why func() string) {
	if q := s.chosen[p.Key()]; q != nil && q != p {
		return q, s.alreadySelected(q)
	}
	if s.g == buildGraph && p.IsSubpackage() {
		return nil, lazyf("%s is a subpackage of %s and cannot be a build dependency; require %s", p, p.Parent, p.Parent.Key())
	}
	if spec := p.buildSpec(); spec != nil && !spec.Supports(s.t.platform) {
		return nil, lazyf("%s does not support %s (platforms: %s)", p, s.t.platform, platformList(spec.Platforms))
	}
	return s.conflictWith(p)
}

func (s *solver) alreadySelected(q *Package) func() string {
	return func() string {
		return fmt.Sprintf("%s is already selected (required by %s)", q, s.chainText(s.via[q]))
	}
}

func platformList(ps []platform.Platform) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

// conflictWith reports a conflict between p and the selection, in either direction: a selected
// package that conflicts with p (or with a name p provides), or p conflicting with a selected
// package (or with a name a selected package provides).
func (s *solver) conflictWith(p *Package) (*Package, func() string) {
	if s.chosen[p.Key()] == p {
		return nil, nil
	}
	for _, c := range s.conflict[p.Key()] {
		if c.c.Check(p.version) {
			return c.owner, lazyf("%s conflicts with %s", c.owner, c.ref)
		}
	}
	for _, r := range p.Provides {
		for _, c := range s.conflict[r.Key()] {
			if s.t.providesMatch(p, r.Key(), c.c) {
				return c.owner, lazyf("%s conflicts with %s, which %s provides", c.owner, c.ref, p)
			}
		}
	}
	for _, c := range s.conflictsOf(p) {
		if q := s.chosen[c.key]; q != nil && c.c.Check(q.version) {
			return q, lazyf("%s conflicts with %s, which is selected", p, q)
		}
		for _, q := range s.provided[c.key] {
			if s.t.providesMatch(q, c.key, c.c) {
				return q, lazyf("%s conflicts with %s, provided by the selected %s", p, c.ref, q)
			}
		}
	}
	return nil, nil
}

// lazyf formats a message only if it is needed: most exclusions are retried, not reported.
func lazyf(format string, args ...any) func() string {
	return func() string { return fmt.Sprintf(format, args...) }
}
func (s *solver) conflictsOf(p *Package) []conflictRef {
	if s.g == runtimeGraph {
		return p.reqs.runtimeConflicts
	}
	return p.reqs.buildConflicts
}

// choose selects p for req and queues p's own requirements.
func (s *solver) choose(p *Package, req *requirement) error {
	reqs, err := s.requirementsOf(p)
	if err != nil {
		return s.chainErr(req, err)
	}
	s.chosen[p.Key()] = p
	s.via[p] = req
	s.level[p] = len(s.selected)
	s.selected = append(s.selected, p)
	for _, r := range p.Provides {
		s.provided[r.Key()] = append(s.provided[r.Key()], p)
	}
	for _, c := range s.conflictsOf(p) {
		s.conflict[c.key] = append(s.conflict[c.key], conflictOf{owner: p, ref: c.ref, c: c.c})
	}
	s.queue = append(s.queue, reqs...)
	return nil
}

// unchoose undoes choose(p), dropping the requirements queued after mark.
func (s *solver) unchoose(p *Package, mark int) {
	s.queue = s.queue[:mark]
	delete(s.chosen, p.Key())
	delete(s.via, p)
	delete(s.level, p)
	s.selected = s.selected[:len(s.selected)-1]
	for _, r := range p.Provides {
		ps := s.provided[r.Key()]
		s.provided[r.Key()] = ps[:len(ps)-1]
	}
	for _, c := range s.conflictsOf(p) {
		cs := s.conflict[c.key]
		s.conflict[c.key] = cs[:len(cs)-1]
	}
}

// requirementsOf returns what p needs in this graph. Apart from join sets, they were worked out
// once when the tree was loaded.
func (s *solver) requirementsOf(p *Package) ([]*requirement, error) {
	if s.g == runtimeGraph {
		return p.reqs.runtime, nil
	}
	if !p.Spec.RequiresFinalImages {
		return p.reqs.build, nil
	}
	js := s.joinOf(p)
	if js.err != nil {
		return nil, js.err
	}
	var out []*requirement
	seen := map[*Package]bool{}
	for _, m := range js.members {
		n := m
		if m.Parent != nil {
			n = m.Parent
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, &requirement{from: p, ref: n.Ref(), key: n.Key(), exact: n, note: "requires_final_images"})
		}
	}
	for _, r := range p.reqs.copy {
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// requirements turns p's references into requirements, tying each to a name of the tree.
func (t *Tree) requirements(p *Package, rs []Ref, note string) []*requirement {
	out := make([]*requirement, 0, len(rs))
	for _, r := range rs {
		req := &requirement{from: p, ref: r, note: note}
		req.key, req.keyErr = t.resolveKey(r)
		if req.keyErr == nil {
			req.c, req.keyErr = t.constraint(r)
		}
		out = append(out, req)
	}
	return out
}

// packageReqs are a package's requirements in each graph, worked out once per tree.
type packageReqs struct {
	runtimeConflicts []conflictRef
	buildConflicts   []conflictRef
	runtime          []*requirement // definition.yaml requires
	requires         []*requirement // build.yaml requires
	copy             []*requirement // one per spec.Copy entry; nil for image entries
	build            []*requirement // requires then copy packages
}

// conflictRef is a conflicts entry with its selector parsed; entries whose selector does not
// parse are left out (they were reported when the tree loaded).
type conflictRef struct {
	ref Ref
	key string
	c   version.Constraint
}

func (t *Tree) conflictRefs(rs []Ref) []conflictRef {
	var out []conflictRef
	for _, r := range rs {
		key, err := t.resolveKey(r)
		if err != nil {
			key = r.Key()
		}
		c, err := t.constraint(r)
		if err != nil {
			continue
		}
		out = append(out, conflictRef{ref: r, key: key, c: c})
	}
	return out
}

func (t *Tree) prepare(p *Package) {
	p.reqs.runtime = t.requirements(p, p.Requires, "")
	p.reqs.runtimeConflicts = t.conflictRefs(p.Conflicts)
	if p.Spec == nil {
		return
	}
	p.reqs.buildConflicts = t.conflictRefs(p.Spec.Conflicts)
	p.reqs.requires = t.requirements(p, p.Spec.Requires, "")
	p.reqs.build = append([]*requirement(nil), p.reqs.requires...)
	for _, c := range p.Spec.Copy {
		var r *requirement
		if c.Package != nil {
			r = t.requirements(p, []Ref{*c.Package}, "copy")[0]
			p.reqs.build = append(p.reqs.build, r)
		}
		p.reqs.copy = append(p.reqs.copy, r)
	}
}

// joinOf resolves the join set of a requires_final_images package: the runtime closure of its
// requires (luet-reference.md §4.4), resolved on its own.
func (s *solver) joinOf(p *Package) *joinSet {
	if js, ok := s.joins[p]; ok {
		return js
	}
	rs := newSolver(s.ctx, s.t, runtimeGraph)
	rs.queue = s.t.requirements(p, p.Spec.Requires, "requires_final_images")
	js := &joinSet{}
	if ok, _ := rs.solve(0); ok {
		js.members = append(js.members, rs.selected...)
	} else if rs.abort != nil {
		js.err = rs.abort
	} else {
		js.err = fmt.Errorf("resolving the final images %s joins: %w", p.ID(), rs.firstErr)
	}
	s.joins[p] = js
	return js
}

// dead records a dead end; the first one is reported if the search fails.
func (s *solver) dead(err error) {
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// chainErr prefixes err with the chain of requirements that led to req.
func (s *solver) chainErr(req *requirement, err error) error {
	return fmt.Errorf("%s: %w", s.chainText(req), err)
}

// chainText renders "a@1.0 → b@>=2 → c" for the requirements that led to req.
func (s *solver) chainText(req *requirement) string {
	if req == nil {
		return "?"
	}
	var parts []string
	for r := req; r != nil; {
		if r.from == nil {
			parts = append(parts, r.ref.String())
			break
		}
		label := r.ref.String()
		if r.note != "" {
			label += " (" + r.note + ")"
		}
		parts = append(parts, label)
		next := s.via[r.from]
		if next == nil {
			parts = append(parts, r.from.ID())
			break
		}
		r = next
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " → ")
}

// levelOf returns the position of a selected package among the selections, or -1 (for targets'
// requirements, which no selection brought in).
func (s *solver) levelOf(p *Package) int {
	if p == nil {
		return -1
	}
	if l, ok := s.level[p]; ok {
		return l
	}
	return -1
}

// levels is a set of selection positions: the selections a failure depends on (conflict-directed
// backjumping).
type levels map[int]struct{}

func (l *levels) add(i int) {
	if i < 0 {
		return
	}
	if *l == nil {
		*l = levels{}
	}
	(*l)[i] = struct{}{}
}

func (l levels) has(i int) bool {
	_, ok := l[i]
	return ok
}

func (l levels) del(i int) { delete(l, i) }

func (l levels) union(o levels) levels {
	if l == nil {
		l = levels{}
	}
	for k := range o {
		l[k] = struct{}{}
	}
	return l
}
