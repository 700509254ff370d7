package builder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/flavor-dev/flavor/pkgdb"
	"github.com/flavor-dev/flavor/platform"
	"github.com/flavor-dev/flavor/specs"
)

const (
	artifactSuffix = ".package.tar.zst"
	metadataSuffix = ".metadata.json"
)

// Metadata is an artifact's .metadata.json: what was built, for which platform and flavor,
// from which inputs, and what the artifact holds.
type Metadata struct {
	Fingerprint string            `json:"fingerprint"` // Luet's name-category-version
	Name        string            `json:"name"`
	Category    string            `json:"category"`
	Version     string            `json:"version"`
	Platform    string            `json:"platform"`              // "linux/arm64"
	Flavor      string            `json:"flavor"`                // Conary syntax, "~!debug,ssl is: x86_64"
	CacheKey    string            `json:"cache_key"`             // the build's key (the parent's for a subpackage)
	BaseImage   string            `json:"base_image,omitempty"`  // digest of the image at the bottom of the build root
	Strategy    string            `json:"strategy"`              // delta, delta-added, unpack, package_dir, empty
	Parent      string            `json:"parent,omitempty"`      // for a subpackage: the package it was carved from
	Artifact    string            `json:"artifact"`              // file name of the artifact beside this file
	Compression string            `json:"compression"`           // "zstd"
	Size        int64             `json:"size"`                  // bytes of the artifact file
	Checksums   map[string]string `json:"checksums"`             // {"sha256": hex of the artifact file}
	Files       []string          `json:"files"`                 // non-directory entries, no leading "/" (empty when hidden)
	Removed     []string          `json:"removed"`               // paths the build deleted, no leading "/"
	Runtime     Runtime           `json:"runtime"`               // definition.yaml relations and labels
	Finalizer   *Finalizer        `json:"finalizer,omitempty"`   // finalize.yaml, run after installation
	BuildDeps   []BuildDep        `json:"build_deps"`            // direct build dependencies and their keys
	Description string            `json:"description,omitempty"` //
	License     string            `json:"license,omitempty"`     //
	URI         []string          `json:"uri,omitempty"`         //
	// Distro is what the build root's package database (dpkg, apk) says about the files the
	// artifact ships: their owning packages, versions and licenses, or a note that the root has
	// no database. nil for artifacts built without a build root (empty, virtual) or before
	// flavor recorded it.
	Distro *pkgdb.Record `json:"distro,omitempty"`
}

// Runtime is what installing the package needs to know: its runtime relations and labels.
type Runtime struct {
	Requires    []Ref             `json:"requires"`
	Conflicts   []Ref             `json:"conflicts"`
	Provides    []Ref             `json:"provides"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
	Hidden      bool              `json:"hidden,omitempty"`
}

// Ref is a package reference as metadata records it.
type Ref struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	Version  string `json:"version,omitempty"`
}

// Finalizer is a rendered finalize.yaml.
type Finalizer struct {
	Install   []string `json:"install,omitempty"`
	Shell     []string `json:"shell,omitempty"`
	Uninstall []string `json:"uninstall,omitempty"`
}

// BuildDep is a direct build dependency and the cache key it was built with.
type BuildDep struct {
	Package  string `json:"package"` // "category/name@version"
	CacheKey string `json:"cache_key"`
}

// ArtifactName is the artifact file name of p built for platform:
// <name>-<category>-<version>-<os>-<arch>[-<variant>][-<flavor>].package.tar.zst, where the
// flavor lists the package's flags Gentoo-style ("debug,-ssl", off flags with a "-") so the name
// needs no quoting; the metadata has the Conary form.
func ArtifactName(p *specs.Package, platform platform.Platform) string {
	return stem(p, platform) + artifactSuffix
}

// MetadataName is the metadata file name that goes with ArtifactName.
func MetadataName(p *specs.Package, platform platform.Platform) string {
	return stem(p, platform) + metadataSuffix
}

func stem(p *specs.Package, platform platform.Platform) string {
	s := p.Fingerprint() + "-" + strings.ReplaceAll(platform.String(), "/", "-")
	if f := fileFlavor(p.Flavor); f != "" {
		s += "-" + f
	}
	return s
}

// fileFlavor writes a package's flag values for a file name: sorted by name, "flag" when on,
// "-flag" when off ("debug,-ssl"); "" without flags.
func fileFlavor(flags map[string]bool) string {
	names := make([]string, 0, len(flags))
	for f := range flags {
		names = append(names, f)
	}
	sort.Strings(names)
	for i, f := range names {
		if !flags[f] {
			names[i] = "-" + f
		}
	}
	return strings.Join(names, ",")
}

func refs(rs []specs.Ref) []Ref {
	out := make([]Ref, 0, len(rs))
	for _, r := range rs {
		out = append(out, Ref{Category: r.Category, Name: r.Name, Version: r.Version})
	}
	return out
}

// newMetadata fills in what metadata takes from the package; the caller adds the artifact's
// file, digest, size and lists.
func newMetadata(p *specs.Package, platform platform.Platform, key string) Metadata {
	m := Metadata{
		Fingerprint: p.Fingerprint(), Name: p.Name, Category: p.Category, Version: p.Version,
		Platform: platform.String(), Flavor: p.FlavorString(), CacheKey: key,
		Artifact: ArtifactName(p, platform), Compression: "zstd",
		Runtime: Runtime{
			Requires: refs(p.Requires), Conflicts: refs(p.Conflicts), Provides: refs(p.Provides),
			Labels: p.Labels, Annotations: p.Annotations, Hidden: p.Hidden,
		},
		Description: p.Description, License: p.License, URI: p.URI,
		Files: []string{}, Removed: []string{}, BuildDeps: []BuildDep{},
	}
	if p.Finalizer != nil {
		m.Finalizer = &Finalizer{Install: p.Finalizer.Install, Shell: p.Finalizer.Shell, Uninstall: p.Finalizer.Uninstall}
	}
	if p.Parent != nil {
		m.Parent = p.Parent.ID()
	}
	return m
}

// writeMetadata writes m as indented JSON (stable: struct order, sorted maps and lists).
func writeMetadata(path string, m Metadata) error {
	sort.Strings(m.Files)
	sort.Strings(m.Removed)
	sort.Slice(m.BuildDeps, func(i, j int) bool { return m.BuildDeps[i].Package < m.BuildDeps[j].Package })
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encoding metadata of %s: %w", m.Fingerprint, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing metadata of %s: %w", m.Fingerprint, err)
	}
	return nil
}
