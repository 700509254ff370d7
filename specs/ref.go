package specs

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/flavor-dev/flavor/specs/version"
)

// Ref names a package, or a set of its versions, as trees (requires, conflicts, provides) and the
// command line write it. Version is an exact version ("1.0"), a selector (">=1.0, <2"), or ""
// for any version.
type Ref struct {
	Category string
	Name     string
	Version  string
}

// String returns "cat/name@version", leaving out what is empty.
func (r Ref) String() string {
	s := r.Name
	if r.Category != "" {
		s = r.Category + "/" + r.Name
	}
	if r.Version != "" {
		s += "@" + r.Version
	}
	return s
}

// Key returns "cat/name", the name the versions of one package share.
func (r Ref) Key() string { return r.Category + "/" + r.Name }

// Constraint parses the version selector of r.
func (r Ref) Constraint() (version.Constraint, error) { return version.ParseConstraint(r.Version) }

// ParseRef reads a package reference as Luet's command line does (cmd/helpers/cli.go):
//
//	foo                     name foo, any category, any version
//	cat/foo                 version ">=0"
//	cat/foo@1.1             exactly 1.1
//	cat/foo@>=1.1           a selector (comma-separated terms are an AND)
//	=cat/foo-1.2            a Gentoo atom: exactly 1.2; `>=`, `>`, `<=`, `<` keep their operator
//	=cat/foo                ">=0"
//	=dev-libs/libsigc++-2-2.10.1+1   name libsigc++-2, version 2.10.1+1
func ParseRef(s string) (Ref, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Ref{}, fmt.Errorf("parsing package reference %q: empty", in)
	}
	if strings.ContainsAny(s[:1], "=<>") {
		r, err := parseAtom(s)
		if err != nil {
			return Ref{}, fmt.Errorf("parsing package reference %q: %w", in, err)
		}
		return r, nil
	}
	var r Ref
	name, ver, hasVer := strings.Cut(s, "@")
	if hasVer {
		if ver = strings.TrimSpace(ver); ver == "" {
			return Ref{}, fmt.Errorf("parsing package reference %q: nothing after '@' (write cat/name@1.0 or cat/name@>=1.0)", in)
		}
		r.Version = ver
	}
	if cat, n, ok := strings.Cut(name, "/"); ok {
		r.Category, r.Name = cat, n
		if !hasVer {
			r.Version = ">=0"
		}
	} else {
		r.Name = name
	}
	if err := checkRef(r); err != nil {
		return Ref{}, fmt.Errorf("parsing package reference %q: %w", in, err)
	}
	return r, nil
}

// checkRef validates the parts of a reference, wherever it came from.
func checkRef(r Ref) error {
	if r.Name == "" {
		return fmt.Errorf("no package name")
	}
	if err := checkNames(r); err != nil {
		return err
	}
	if _, err := version.ParseConstraint(r.Version); err != nil {
		return err
	}
	return nil
}

// checkNames checks the characters of a reference's name and category.
func checkNames(r Ref) error {
	if !nameChars.MatchString(r.Name) {
		return fmt.Errorf("package name %q: use letters, digits and . _ + - (not first), no '/', '@' or space", r.Name)
	}
	if r.Category != "" && !nameChars.MatchString(r.Category) {
		return fmt.Errorf("category %q: use letters, digits and . _ + - (not first), no '/', '@' or space", r.Category)
	}
	return nil
}

// nameChars is what package names and categories may hold: they become file names
// (fingerprints) and image tags.
var nameChars = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// gentooVersion is the version part of a Gentoo atom, with Luet's "+build" suffix.
var gentooVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|p)[0-9]*)*(-r[0-9]+)?(\+[0-9A-Za-z._]+)?$`)

// parseAtom reads a Gentoo atom ("=cat/foo-1.2", ">=cat/foo-1.2", "=cat/foo").
func parseAtom(s string) (Ref, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("=<>", r) })
	if i < 0 {
		return Ref{}, fmt.Errorf("operator without a package")
	}
	op, atom := s[:i], s[i:]
	switch op {
	case "=", ">=", "<=", ">", "<":
	default:
		return Ref{}, fmt.Errorf("unknown operator %q (use =, >=, <=, > or <)", op)
	}
	cat, rest, ok := strings.Cut(atom, "/")
	if !ok || cat == "" {
		return Ref{}, fmt.Errorf("a Gentoo atom needs a category: %scategory/%s", op, atom)
	}
	r := Ref{Category: cat, Name: rest}
	// The version starts at the first "-<digit>" whose remainder is a whole version.
	for j := 0; j < len(rest)-1; j++ {
		if rest[j] == '-' && rest[j+1] >= '0' && rest[j+1] <= '9' && gentooVersion.MatchString(rest[j+1:]) {
			r.Name, r.Version = rest[:j], rest[j+1:]
			break
		}
	}
	switch {
	case r.Version == "" && op == "=":
		r.Version = ">=0"
	case r.Version == "":
		return Ref{}, fmt.Errorf("%q has no version after the name (write %scat/name-1.0)", atom, op)
	case op != "=":
		r.Version = op + r.Version
	}
	if err := checkRef(r); err != nil {
		return Ref{}, err
	}
	return r, nil
}
