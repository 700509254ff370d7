package version

import (
	"fmt"
	"strings"
)

// Op is a comparison operator of a selector term.
type Op string

// The operators Luet HEAD accepts. `=` and `==` mean equal; `!` and `!=` mean not equal. A term
// without an operator means equal.
const (
	OpEQ  Op = "="
	OpNE  Op = "!="
	OpGT  Op = ">"
	OpGE  Op = ">="
	OpLT  Op = "<"
	OpLE  Op = "<="
	opEQ2 Op = "=="
	opNot Op = "!"
)

// operators in the order they are tried: the longest that matches wins.
var operators = []Op{OpGE, OpLE, OpNE, opEQ2, OpGT, OpLT, OpEQ, opNot}

// Term is one comparison of a selector, such as ">=1.0".
type Term struct {
	Op      Op // normalised: one of OpEQ, OpNE, OpGT, OpGE, OpLT, OpLE
	Version Version
}

// Constraint is a parsed selector: the AND of its terms. The zero value (no terms) matches every
// version, including invalid ones.
type Constraint struct {
	raw   string
	terms []Term
}

// Any is the constraint that every version satisfies.
var Any = Constraint{}

// IsSelector reports whether s is a selector rather than one exact version: it holds an operator
// character (`<`, `>`, `=`, `!`) or a comma.
func IsSelector(s string) bool { return strings.ContainsAny(s, "<>=!,") }

// ParseConstraint reads a selector: "" (any version), "1.0" (exactly 1.0), ">=1.0", "!=1.0", or
// comma-separated terms that must all hold (">=1.0, <2"). Ordering operators need a valid
// version; `=` and `!=` also accept an invalid one and then compare the text exactly.
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{raw: s}
	if strings.TrimSpace(s) == "" {
		return c, nil
	}
	for _, part := range strings.Split(s, ",") {
		t, err := parseTerm(part)
		if err != nil {
			return Constraint{}, fmt.Errorf("parsing selector %q: %w", s, err)
		}
		c.terms = append(c.terms, t)
	}
	return c, nil
}

func parseTerm(s string) (Term, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Term{}, fmt.Errorf("%w: empty term", ErrInvalid)
	}
	op := OpEQ
	for _, o := range operators {
		if strings.HasPrefix(s, string(o)) {
			op = o
			s = strings.TrimSpace(s[len(o):])
			break
		}
	}
	switch op {
	case opEQ2:
		op = OpEQ
	case opNot:
		op = OpNE
	}
	if s == "" {
		return Term{}, fmt.Errorf("%w: operator %q without a version", ErrInvalid, op)
	}
	if strings.ContainsAny(s, "<>=!") {
		return Term{}, fmt.Errorf("%w: %q holds a second operator", ErrInvalid, s)
	}
	v, err := Parse(s)
	if err != nil && op != OpEQ && op != OpNE {
		return Term{}, fmt.Errorf("%q cannot be ordered: %w", string(op)+s, err)
	}
	return Term{Op: op, Version: v}, nil
}

// String returns the selector as written.
func (c Constraint) String() string { return c.raw }

// Terms returns the terms of c; none for Any.
func (c Constraint) Terms() []Term { return append([]Term(nil), c.terms...) }

// IsAny reports whether c has no terms, so every version satisfies it.
func (c Constraint) IsAny() bool { return len(c.terms) == 0 }

// Exact returns the version and true when c is a single equality term.
func (c Constraint) Exact() (Version, bool) {
	if len(c.terms) == 1 && c.terms[0].Op == OpEQ {
		return c.terms[0].Version, true
	}
	return Version{}, false
}

// Check reports whether v satisfies every term of c.
func (c Constraint) Check(v Version) bool {
	for _, t := range c.terms {
		if !t.check(v) {
			return false
		}
	}
	return true
}

// CheckString parses v and reports whether it satisfies c.
func (c Constraint) CheckString(v string) bool {
	pv, _ := Parse(v)
	return c.Check(pv)
}

func (t Term) check(v Version) bool {
	if !t.Version.valid || !v.valid {
		// Luet HEAD: an unparseable side only compares by text, and only for (in)equality.
		switch t.Op {
		case OpEQ:
			return Normalize(t.Version.raw) == Normalize(v.raw)
		case OpNE:
			return Normalize(t.Version.raw) != Normalize(v.raw)
		}
		return false
	}
	c := v.Compare(t.Version)
	switch t.Op {
	case OpEQ:
		return c == 0
	case OpNE:
		return c != 0
	case OpGT:
		return c > 0
	case OpGE:
		return c >= 0
	case OpLT:
		return c < 0
	case OpLE:
		return c <= 0
	}
	return false
}

// Intersects reports whether some version could satisfy both c and d. It is used for providers
// that declare a selector ("provides bar/foo >=1.0") against a requirement that is itself a
// selector. Versions are treated as dense: between two different versions there is always
// another, so only equalities and touching bounds can make an intersection empty.
func (c Constraint) Intersects(d Constraint) bool {
	terms := append(append([]Term(nil), c.terms...), d.terms...)
	var eq []Version
	var lo, hi *Term
	var ne []Version
	for i := range terms {
		t := terms[i]
		if !t.Version.valid {
			if t.Op == OpEQ {
				eq = append(eq, t.Version)
			} else {
				ne = append(ne, t.Version)
			}
			continue
		}
		switch t.Op {
		case OpEQ:
			eq = append(eq, t.Version)
		case OpNE:
			ne = append(ne, t.Version)
		case OpGT, OpGE:
			if lo == nil || t.Version.Compare(lo.Version) > 0 || (t.Version.Compare(lo.Version) == 0 && t.Op == OpGT) {
				lo = &terms[i]
			}
		case OpLT, OpLE:
			if hi == nil || t.Version.Compare(hi.Version) < 0 || (t.Version.Compare(hi.Version) == 0 && t.Op == OpLT) {
				hi = &terms[i]
			}
		}
	}
	if len(eq) > 0 {
		// An equality pins the version: every term must accept it.
		cand := eq[0]
		all := Constraint{terms: terms}
		return all.Check(cand)
	}
	if lo != nil && hi != nil {
		cmp := lo.Version.Compare(hi.Version)
		if cmp > 0 {
			return false
		}
		if cmp == 0 {
			if lo.Op == OpGT || hi.Op == OpLT {
				return false
			}
			for _, n := range ne {
				if n.valid && n.Compare(lo.Version) == 0 {
					return false
				}
			}
		}
	}
	return true
}
