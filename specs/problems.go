package specs

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/specs/version"
)

// Problem is one mistake found while loading a tree. An error makes the packages it names
// unusable: they are left out of the tree, and looking one up, or resolving something that
// needs it, fails naming the problem. A warning is something luet ignores silently, and so
// does flavor: the package loads (see WithStrict).
type Problem struct {
	Err     *SpecError // the file, line and message (the fix, where there is one)
	Warning bool
	// Packages are the packages concerned ("cat/name@version"), sorted; empty when the file
	// could not be read far enough to name one.
	Packages []string
}

// String returns "warning: file:line: message" or "error: …", with the packages concerned.
func (p Problem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	s := kind + ": " + p.Err.Error()
	if len(p.Packages) > 0 && !strings.Contains(p.Err.Msg, p.Packages[0]) {
		s += " [" + strings.Join(p.Packages, ", ") + "]"
	}
	return s
}

// Problems returns every problem found while loading, each once, sorted by file and line.
func (t *Tree) Problems() []Problem {
	out := make([]Problem, len(t.problems))
	for i, p := range t.problems {
		out[i] = *p
		out[i].Packages = append([]string(nil), p.Packages...)
	}
	return out
}

// Err returns the errors among the problems (not the warnings) joined, or nil, for callers
// that want a tree with no bad package at all.
func (t *Tree) Err() error {
	var errs []error
	for _, p := range t.problems {
		if !p.Warning {
			errs = append(errs, p.Err)
		}
	}
	return errors.Join(errs...)
}

// brokenPkg is a package left out of the tree because of an error.
type brokenPkg struct {
	ref     Ref
	version version.Version
	err     *SpecError
}

// addProblem records pr once: the same message at the same place (a build.yaml shared by the
// entries of a collection, an anchor used twice) is one problem naming every package concerned.
func (t *Tree) addProblem(pr problem) {
	if pr.broken != nil {
		b := brokenPkg{ref: *pr.broken, err: pr.err}
		b.version, _ = version.Parse(b.ref.Version)
		k := b.ref.Key()
		if len(t.broken[k]) == 0 && len(t.byKey[k]) == 0 {
			t.byName[b.ref.Name] = append(t.byName[b.ref.Name], k)
		}
		t.broken[k] = append(t.broken[k], b)
	} else if !pr.warning && pr.pkg == "" {
		t.unnamed = append(t.unnamed, pr.err)
	}
	key := problemKey{file: pr.err.File, line: pr.err.Line, msg: pr.err.Msg, warning: pr.warning}
	p := t.problemAt[key]
	if p == nil {
		p = &Problem{Err: pr.err, Warning: pr.warning}
		t.problemAt[key] = p
		t.problems = append(t.problems, p)
	}
	if pr.pkg != "" && !contains(p.Packages, pr.pkg) {
		p.Packages = append(p.Packages, pr.pkg)
	}
}

type problemKey struct {
	file, msg string
	line      int
	warning   bool
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// sortProblems orders the problems by file and line, and the broken versions of each package
// newest first.
func (t *Tree) sortProblems() {
	sort.SliceStable(t.problems, func(i, j int) bool {
		a, b := t.problems[i].Err, t.problems[j].Err
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	for _, p := range t.problems {
		sort.Strings(p.Packages)
	}
	for k, bs := range t.broken {
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].version.Compare(bs[j].version) > 0 })
		t.broken[k] = bs
	}
	for n, keys := range t.byName {
		sort.Strings(keys)
		t.byName[n] = keys
	}
}

// brokenErr returns an error naming the package with an error that key@c would have selected,
// or nil: one that satisfies c and is not older than best, the best package that loaded (nil
// when none did). An older broken version does not stop a newer good one from being used.
func (t *Tree) brokenErr(key string, c version.Constraint, best *Package) error {
	if best != nil && best.Key() != key {
		return nil // a provider replaces the package, as in luet
	}
	for _, b := range t.broken[key] {
		if !c.Check(b.version) {
			continue
		}
		if best != nil && b.version.Compare(best.version) < 0 {
			continue
		}
		return fmt.Errorf("%w: %s cannot be used: %v", ErrInvalidSpec, refID(b.ref), b.err)
	}
	return nil
}

// unreadNote points at the files no package could be read from, for an error saying a package
// is not in the tree: it may be defined there.
func (t *Tree) unreadNote() string {
	switch len(t.unnamed) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("; it may be defined in a file that did not load: %v", t.unnamed[0])
	}
	return fmt.Sprintf("; it may be defined in one of %d files that did not load (see flavor tree list), such as %v", len(t.unnamed), t.unnamed[0])
}
