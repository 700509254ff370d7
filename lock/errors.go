package lock

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNoVariant: no variant of a package satisfies the flavor an entry requests (the error is
	// a *VariantError inside an *EntryError).
	ErrNoVariant = errors.New("no variant satisfies the requested flavor")
	// ErrUnsupportedSystem: a package an entry needs does not build for one of its systems
	// (build.yaml `platforms:`).
	ErrUnsupportedSystem = errors.New("package does not build for the system")
	// ErrUnknownEntry: WithUpdate names an install id the manifest does not have.
	ErrUnknownEntry = errors.New("no such install entry")
	// ErrBaseImage: a base image a lock entry pins by digest can no longer be found, or its name
	// now means another image that the engine cannot replace with the locked one.
	ErrBaseImage = errors.New("locked base image unavailable")
)

// EntryError is a problem with one [install] entry on one system: what went wrong and the fix.
// It wraps the underlying error (specs.ErrNotFound, ErrNoVariant, ErrUnsupportedSystem, …).
type EntryError struct {
	Manifest  string // the manifest file
	InstallID string
	System    string
	Err       error
	Fix       string
}

func (e *EntryError) Error() string {
	msg := fmt.Sprintf("%s: [install] %s for %s: %v", e.Manifest, e.InstallID, e.System, e.Err)
	if e.Fix != "" {
		msg += "\n  fix: " + e.Fix
	}
	return msg
}

func (e *EntryError) Unwrap() error { return e.Err }

// Candidate is one variant of a package and, when it was turned down, why.
type Candidate struct {
	Flavor string // the artifact flavor of the variant
	Why    string // why the requested flavor does not accept it ("" when it does)
}

// VariantError says that no variant of Package satisfies Requested, listing every candidate and
// why each fails.
type VariantError struct {
	Package    string // "category/name@version"
	Requested  string // the requested flavor
	Candidates []Candidate
}

func (e *VariantError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no variant of %s satisfies the requested flavor %q; its variants:", e.Package, e.Requested)
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n    %q: %s", c.Flavor, c.Why)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoVariant) true for a *VariantError.
func (e *VariantError) Is(target error) bool { return target == ErrNoVariant }
