package specs

import (
	"context"
	"fmt"
	"strings"

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

	joins    map[*Package]*joinSet // requires_final_images packages → their join set
	attempts int
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
	return &solver{
		ctx: ctx, t: t, g: g,
		chosen:   map[string]*Package{},
		provided: map[string][]*Package{},
		conflict: map[string][]conflictOf{},
		via:      map[*Package]*requirement{},
		joins:    map[*Package]*joinSet{},
	}
}

// run selects packages for the targets; on failure it returns the first dead end, with the
// chain of requirements that led there.
func (s *solver) run(targets []*Package) error {
	for _, p := range targets {
		s.queue = append(s.queue, &requirement{ref: p.Ref(), key: p.Key(), exact: p})
	}
	if s.solve(0) {
		return nil
	}
	if s.abort != nil {
		return s.abort
	}
	return s.firstErr
}

func (s *solver) solve(head int) bool {
	for head < len(s.queue) && s.satisfier(s.queue[head]) != nil {
		head++
	}
	if head == len(s.queue) {
		return true
	}
	req := s.queue[head]
	cands := s.options(req)
	for _, p := range cands {
		s.attempts++
		if s.attempts%1024 == 0 {
			if err := s.ctx.Err(); err != nil {
				s.abort = fmt.Errorf("resolving: %w", err)
				return false
			}
		}
		if s.attempts > maxAttempts {
			s.abort = fmt.Errorf("%w: gave up after %d attempts to select versions (the requirements conflict in too many ways); first problem: %v", ErrUnsatisfiable, maxAttempts, s.firstErr)
			return false
		}
		mark := len(s.queue)
		if err := s.choose(p, req); err != nil {
			s.dead(err)
			continue
		}
		if s.solve(head + 1) {
			return true
		}
		s.unchoose(p, mark)
		if s.abort != nil {
			return false
		}
	}
	return false
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
func (s *solver) options(req *requirement) []*Package {
	if req.keyErr != nil {
		s.dead(s.chainErr(req, req.keyErr))
		return nil
	}
	var all []*Package
	if req.exact != nil {
		all = []*Package{req.exact}
	} else {
		all = s.t.candidates(req.key, req.c)
	}
	out := all[:0:0]
	var reasons []string
	for _, p := range all {
		if why := s.excluded(p); why != "" {
			reasons = append(reasons, why)
			continue
		}
		out = append(out, p)
	}
	if len(out) > 0 {
		return out
	}
	switch {
	case len(reasons) > 0:
		s.dead(s.chainErr(req, fmt.Errorf("%w: %s", ErrUnsatisfiable, strings.Join(reasons, "; "))))
	case len(s.t.byKey[req.key]) == 0 && len(s.t.providers[req.key]) == 0:
		s.dead(s.chainErr(req, s.t.noMatch(req.key, req.ref, req.c)))
	default:
		s.dead(s.chainErr(req, fmt.Errorf("%w: no version of %s satisfies %q; known versions: %s",
			ErrUnsatisfiable, strings.TrimPrefix(req.key, "/"), req.c.String(), s.t.knownVersions(req.key))))
	}
	return nil
}

// excluded says why p cannot be selected now, or "".
func (s *solver) excluded(p *Package) string {
	if q := s.chosen[p.Key()]; q != nil && q != p {
		return fmt.Sprintf("%s is already selected (required by %s)", q.ID(), s.chainText(s.via[q]))
	}
	if s.g == buildGraph && p.IsSubpackage() {
		return fmt.Sprintf("%s is a subpackage of %s and cannot be a build dependency; require %s", p.ID(), p.Parent.ID(), p.Parent.Key())
	}
	if spec := p.buildSpec(); spec != nil && !spec.Supports(s.t.platform) {
		return fmt.Sprintf("%s does not support %s (platforms: %s)", p.ID(), s.t.platform, platformList(spec.Platforms))
	}
	if c := s.conflictWith(p); c != "" {
		return c
	}
	return ""
}

func platformList(ps []Platform) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

// conflictWith reports a conflict between p and the selection, in either direction: a selected
// package that conflicts with p (or with a name p provides), or p conflicting with a selected
// package (or with a name a selected package provides).
func (s *solver) conflictWith(p *Package) string {
	if s.chosen[p.Key()] == p {
		return ""
	}
	for _, c := range s.conflict[p.Key()] {
		if c.c.Check(p.version) {
			return fmt.Sprintf("%s conflicts with %s", c.owner.ID(), c.ref)
		}
	}
	for _, r := range p.Provides {
		for _, c := range s.conflict[r.Key()] {
			if s.t.providesMatch(p, r.Key(), c.c) {
				return fmt.Sprintf("%s conflicts with %s, which %s provides", c.owner.ID(), c.ref, p.ID())
			}
		}
	}
	for _, r := range s.conflictsOf(p) {
		c, err := s.t.constraint(r)
		if err != nil {
			continue
		}
		if q := s.chosen[r.Key()]; q != nil && c.Check(q.version) {
			return fmt.Sprintf("%s conflicts with %s, which is selected", p.ID(), q.ID())
		}
		for _, q := range s.provided[r.Key()] {
			if s.t.providesMatch(q, r.Key(), c) {
				return fmt.Sprintf("%s conflicts with %s, provided by the selected %s", p.ID(), r, q.ID())
			}
		}
	}
	return ""
}

func (s *solver) conflictsOf(p *Package) []Ref {
	if s.g == runtimeGraph {
		return p.Conflicts
	}
	if p.Spec == nil {
		return nil
	}
	return p.Spec.Conflicts
}

// choose selects p for req and queues p's own requirements.
func (s *solver) choose(p *Package, req *requirement) error {
	reqs, err := s.requirementsOf(p)
	if err != nil {
		return s.chainErr(req, err)
	}
	s.chosen[p.Key()] = p
	s.via[p] = req
	s.selected = append(s.selected, p)
	for _, r := range p.Provides {
		s.provided[r.Key()] = append(s.provided[r.Key()], p)
	}
	for _, r := range s.conflictsOf(p) {
		c, err := s.t.constraint(r)
		if err != nil {
			continue
		}
		s.conflict[r.Key()] = append(s.conflict[r.Key()], conflictOf{owner: p, ref: r, c: c})
	}
	s.queue = append(s.queue, reqs...)
	return nil
}

// unchoose undoes choose(p), dropping the requirements queued after mark.
func (s *solver) unchoose(p *Package, mark int) {
	s.queue = s.queue[:mark]
	delete(s.chosen, p.Key())
	delete(s.via, p)
	s.selected = s.selected[:len(s.selected)-1]
	for _, r := range p.Provides {
		ps := s.provided[r.Key()]
		s.provided[r.Key()] = ps[:len(ps)-1]
	}
	for _, r := range s.conflictsOf(p) {
		if _, err := s.t.constraint(r); err != nil {
			continue
		}
		cs := s.conflict[r.Key()]
		s.conflict[r.Key()] = cs[:len(cs)-1]
	}
}

// requirementsOf returns what p needs in this graph.
func (s *solver) requirementsOf(p *Package) ([]*requirement, error) {
	if s.g == runtimeGraph {
		return s.refsFrom(p, p.Requires, ""), nil
	}
	spec := p.Spec
	var out []*requirement
	if spec.RequiresFinalImages {
		js := s.joinOf(p)
		if js.err != nil {
			return nil, js.err
		}
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
	} else {
		out = s.refsFrom(p, spec.Requires, "")
	}
	for _, c := range spec.Copy {
		if c.Package != nil {
			out = append(out, s.refsFrom(p, []Ref{*c.Package}, "copy")...)
		}
	}
	return out, nil
}

func (s *solver) refsFrom(p *Package, rs []Ref, note string) []*requirement {
	out := make([]*requirement, 0, len(rs))
	for _, r := range rs {
		req := &requirement{from: p, ref: r, note: note}
		req.key, req.keyErr = s.t.resolveKey(r)
		if req.keyErr == nil {
			req.c, req.keyErr = s.t.constraint(r)
		}
		out = append(out, req)
	}
	return out
}

// joinOf resolves the join set of a requires_final_images package: the runtime closure of its
// requires (luet-reference.md §4.4), resolved on its own.
func (s *solver) joinOf(p *Package) *joinSet {
	if js, ok := s.joins[p]; ok {
		return js
	}
	rs := newSolver(s.ctx, s.t, runtimeGraph)
	rs.queue = rs.refsFrom(p, p.Spec.Requires, "requires_final_images")
	js := &joinSet{}
	if rs.solve(0) {
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
