package specs

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/flavor-dev/flavor/platform"
)

// Spec is a package's build.yaml rendered for one platform, flavor and set of values. Its fields
// keep Luet's meaning (luet-reference.md §2.1) except where build-specs.md says we differ.
type Spec struct {
	Image               string    // base image of the builder stage
	Requires            []Ref     // build dependencies
	RequiresFinalImages bool      // build on the squashed artifacts of Requires' runtime closure
	Conflicts           []Ref     // build-time conflicts
	Provides            []Ref     // kept for the artifact; the tree's provides come from definition.yaml
	Prelude             []string  // commands of the builder stage (never shipped)
	Steps               []string  // commands of the package stage
	Env                 []string  // K=V entries for both stages
	Includes            []string  // Go regexps an entry must match (validated at load)
	Excludes            []string  // Go regexps that drop an entry (they win over Includes)
	Unpack              bool      // ship the whole package filesystem
	PackageDir          string    // ship one directory, re-rooted
	Delta               DeltaMode // what a delta ships (DeltaChanged unless build.yaml says added)
	Copy                []Copy    // COPY --from a package's build image or another image, before the steps
	Retrieve            []string  // globs or URLs fetched into the build context
	Subpackages         []Subpackage
	Platforms           []platform.Platform // platforms the package supports; empty means all
	Seed                string              // accepted for Luet compatibility; Luet ignores it when building
}

// DeltaMode says what a delta build ships.
type DeltaMode string

const (
	// DeltaChanged ships every entry the steps added or changed (our default).
	DeltaChanged DeltaMode = "changed"
	// DeltaAdded ships only paths absent from the builder stage, as Luet does (`delta: added`).
	DeltaAdded DeltaMode = "added"
)

// Copy is one `copy` entry: Source in Package's build image (or in Image) is copied to
// Destination before the steps run.
type Copy struct {
	Package     *Ref
	Image       string
	Source      string
	Destination string
}

// Subpackage is one `subpackages` entry: a package carved out of the parent's artifact with its
// own filters. Subpackages exist only in the runtime graph.
type Subpackage struct {
	Name, Category, Version string
	Includes, Excludes      []string
}

// Finalizer is a rendered finalize.yaml: commands run once after the package is installed
// (for a .psp, after the first extraction).
type Finalizer struct {
	Install   []string
	Shell     []string // argv prefix; empty means sh -c
	Uninstall []string
}

// HasImageSource reports whether the build has a root to start from: an image or requires.
func (s *Spec) HasImageSource() bool { return s.Image != "" || len(s.Requires) > 0 }

// Empty reports whether the build ships nothing of its own: no steps and no unpacking.
func (s *Spec) Empty() bool { return len(s.Steps) == 0 && !s.Unpack && s.PackageDir == "" }

// Virtual reports whether the package is virtual: empty and without an image source. Its
// artifact is empty and no container runs.
func (s *Spec) Virtual() bool { return s.Empty() && !s.HasImageSource() }

// Supports reports whether the package can be built for p (build.yaml `platforms:`).
func (s *Spec) Supports(p platform.Platform) bool {
	if len(s.Platforms) == 0 {
		return true
	}
	for _, e := range s.Platforms {
		if supportedBy(p, e) {
			return true
		}
	}
	return false
}

// The YAML shapes, checked strictly by checker before decoding.

type refYAML struct {
	Name     string `yaml:"name"`
	Category string `yaml:"category"`
	Version  string `yaml:"version"`
}

// validate refuses what no reading can use: no name, or a version selector that does not
// parse.
func (r refYAML) validate() error {
	ref := r.ref()
	if ref.Name == "" {
		return fmt.Errorf("a package reference needs a name")
	}
	_, err := ref.Constraint()
	return err
}

// oddity reports names luet accepts in a reference although no package can have them (a '/'
// in the category, for example): nothing will match the reference.
func (r refYAML) oddity() string {
	if err := checkNames(r.ref()); err != nil {
		return fmt.Sprintf("reference %s: %v; luet accepts it, but no package matches it", r.ref(), err)
	}
	return ""
}

func (r refYAML) ref() Ref {
	return Ref{Name: strings.TrimSpace(r.Name), Category: strings.TrimSpace(r.Category), Version: strings.TrimSpace(r.Version)}
}

func refs(in []refYAML) []Ref {
	if len(in) == 0 {
		return nil
	}
	out := make([]Ref, len(in))
	for i, r := range in {
		out[i] = r.ref()
	}
	return out
}

// pattern is an include/exclude regexp; an invalid one fails the load.
type pattern string

func (p pattern) validate() error {
	if _, err := regexp.Compile(string(p)); err != nil {
		return fmt.Errorf("invalid regular expression %q: %w", string(p), err)
	}
	return nil
}

func patterns(in []pattern) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, len(in))
	for i, p := range in {
		out[i] = string(p)
	}
	return out
}

type platformYAML string

func (p platformYAML) validate() error {
	_, err := platform.Parse(string(p))
	return err
}

type deltaYAML string

func (d deltaYAML) validate() error {
	switch DeltaMode(d) {
	case "", DeltaAdded, DeltaChanged:
		return nil
	}
	return fmt.Errorf("delta must be %q (Luet's behaviour: only new paths) or %q (the default: added or changed entries), not %q", DeltaAdded, DeltaChanged, string(d))
}

type copyYAML struct {
	Package     *refYAML `yaml:"package"`
	Image       string   `yaml:"image"`
	Source      string   `yaml:"source"`
	Destination string   `yaml:"destination"`
}

func (c copyYAML) validate() error {
	switch {
	case (c.Package == nil) == (c.Image == ""):
		return fmt.Errorf("a copy entry needs exactly one of \"package\" or \"image\"")
	case c.Source == "" || c.Destination == "":
		return fmt.Errorf("a copy entry needs both \"source\" and \"destination\"")
	}
	return nil
}

type subpackageYAML struct {
	runtimeYAML `yaml:",inline"`
	Includes    []pattern `yaml:"includes"`
	Excludes    []pattern `yaml:"excludes"`
}

func (s subpackageYAML) validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("a subpackage needs a name")
	}
	return nil
}

type buildYAML struct {
	Image               string           `yaml:"image"`
	Requires            []refYAML        `yaml:"requires"`
	RequiresFinalImages bool             `yaml:"requires_final_images"`
	Conflicts           []refYAML        `yaml:"conflicts"`
	Provides            []refYAML        `yaml:"provides"`
	Prelude             []string         `yaml:"prelude"`
	Steps               []string         `yaml:"steps"`
	Env                 []string         `yaml:"env"`
	Includes            []pattern        `yaml:"includes"`
	Excludes            []pattern        `yaml:"excludes"`
	Unpack              bool             `yaml:"unpack"`
	PackageDir          string           `yaml:"package_dir"`
	Delta               deltaYAML        `yaml:"delta"`
	Copy                []copyYAML       `yaml:"copy"`
	Retrieve            []string         `yaml:"retrieve"`
	Subpackages         []subpackageYAML `yaml:"subpackages"`
	Platforms           []platformYAML   `yaml:"platforms"`
	Seed                string           `yaml:"seed"`
	BuildOptions        any              `yaml:"build_options"`
}

// buildHints are the messages for build.yaml keys that are known mistakes.
var buildHints = keyHints{
	"join": `"join" is not supported: list the packages under "requires" and set "requires_final_images: true" (Luet removed join in 2021 and now ignores it silently)`,
}

func (b *buildYAML) spec() *Spec {
	s := &Spec{
		Image:               strings.TrimSpace(b.Image),
		Requires:            refs(b.Requires),
		RequiresFinalImages: b.RequiresFinalImages,
		Conflicts:           refs(b.Conflicts),
		Provides:            refs(b.Provides),
		Prelude:             b.Prelude,
		Steps:               b.Steps,
		Env:                 b.Env,
		Includes:            patterns(b.Includes),
		Excludes:            patterns(b.Excludes),
		Unpack:              b.Unpack,
		PackageDir:          b.PackageDir,
		Delta:               DeltaMode(b.Delta),
		Retrieve:            b.Retrieve,
		Seed:                b.Seed,
	}
	if s.Delta == "" {
		s.Delta = DeltaChanged
	}
	for _, c := range b.Copy {
		cp := Copy{Image: c.Image, Source: c.Source, Destination: c.Destination}
		if c.Package != nil {
			r := c.Package.ref()
			cp.Package = &r
		}
		s.Copy = append(s.Copy, cp)
	}
	for _, sp := range b.Subpackages {
		s.Subpackages = append(s.Subpackages, Subpackage{
			Name: strings.TrimSpace(sp.Name), Category: strings.TrimSpace(sp.Category), Version: strings.TrimSpace(sp.Version),
			Includes: patterns(sp.Includes), Excludes: patterns(sp.Excludes),
		})
	}
	for _, p := range b.Platforms {
		pl, _ := platform.Parse(string(p)) // validated by the checker
		s.Platforms = append(s.Platforms, pl)
	}
	return s
}

type finalizeYAML struct {
	Install   []string `yaml:"install"`
	Shell     []string `yaml:"shell"`
	Uninstall []string `yaml:"uninstall"`
}
