package specs

import (
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs/version"
)

// Package is one package of a loaded tree: its identity and runtime relations from
// definition.yaml (or its collection.yaml entry), and, for packages that are built, its
// build.yaml and finalize.yaml rendered for the tree's platform, values and flavor.
//
// A Package belongs to its Tree and is never modified after Load.
type Package struct {
	Name     string
	Category string
	Version  string

	// Runtime relations and metadata (definition.yaml).
	Requires    []Ref
	Conflicts   []Ref
	Provides    []Ref
	Labels      map[string]string
	Annotations map[string]any
	Description string
	License     string
	URI         []string
	Hidden      bool

	// Flags are the flavor flags the package declares, with their defaults (definition.yaml
	// `flags:`); Flavor holds the value of each for this build.
	Flags  map[string]bool
	Flavor map[string]bool
	// Variants are the flag values of each variant definition.yaml lists under `variants:` (our
	// addition), in the order written; nil when it lists none (see Candidates).
	Variants []map[string]bool

	// Values are the template values: the definition (or collection entry) map merged with
	// the values files.
	Values map[string]any

	Spec      *Spec      // rendered build.yaml; nil for subpackages
	Finalizer *Finalizer // rendered finalize.yaml; nil when there is none

	// Parent and Split are set for subpackages: the package whose artifact they are carved
	// from, and their entry in its spec.
	Parent *Package
	Split  *Subpackage

	Dir        string // package directory, the build context
	Tree       string // root of the tree the package was found in
	File       string // the definition.yaml or collection.yaml (build.yaml for subpackages)
	Line       int    // line of the definition or collection entry
	Collection bool   // defined by a collection.yaml entry

	entry   map[string]any // the raw definition or collection entry (for the cache key)
	reqs    packageReqs
	key     string // Key, computed once
	version version.Version
	index   int // position in Tree.Packages, for deterministic ordering
	// platform is the one the tree was loaded for.
	platform platform.Platform
}

// ID returns "category/name@version".
func (p *Package) ID() string { return p.Category + "/" + p.Name + "@" + p.Version }

// String returns the ID.
func (p *Package) String() string { return p.ID() }

// Key returns "category/name", the name all versions of the package share.
func (p *Package) Key() string {
	if p.key != "" {
		return p.key
	}
	return p.Category + "/" + p.Name
}

// Fingerprint returns Luet's "name-category-version", the stem of artifact file names.
func (p *Package) Fingerprint() string { return p.Name + "-" + p.Category + "-" + p.Version }

// Ref returns an exact reference to the package.
func (p *Package) Ref() Ref { return Ref{Category: p.Category, Name: p.Name, Version: p.Version} }

// IsSubpackage reports whether p is carved out of another package's artifact.
func (p *Package) IsSubpackage() bool { return p.Parent != nil }

// FlavorString returns the package's flavor in Conary syntax: its declared flags sorted by name,
// "flag" when on and "~!flag" when off, then "is: <arch>" of the platform it is built for
// ("~!debug,ssl is: x86_64").
func (p *Package) FlavorString() string { return artifactFlavor(p.Flavor, p.platform) }

// buildSpec returns the spec that governs p's build: its own, or its parent's for a subpackage.
func (p *Package) buildSpec() *Spec {
	if p.Parent != nil {
		return p.Parent.Spec
	}
	return p.Spec
}

// less orders packages by category, name, then version (oldest first).
func less(a, b *Package) bool {
	if a.Category != b.Category {
		return a.Category < b.Category
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if c := a.version.Compare(b.version); c != 0 {
		return c < 0
	}
	return a.index < b.index
}
