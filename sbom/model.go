package sbom

import (
	"sort"
	"time"

	"github.com/flavor-dev/flavor/pkgdb"
)

// Description is everything the documents say about one .psp.
type Description struct {
	Name        string
	Version     string
	Description string
	Platform    string // "linux/amd64"
	Flavor      string // the system flavor it was packed with, Conary syntax
	License     string // the manifest's [metadata] license
	PublicKey   string // hex of the Ed25519 signing key
	ToolVersion string // flavor's version
	// Created is the source date epoch; nil gives the Unix epoch, so the bytes stay reproducible.
	Created *time.Time
	Slots   []Slot
	// Components are the spec-tree packages, distribution packages, Python distributions and
	// base images; files name their owners by Ref.
	Components []Component
	// Notes say what the documents could not know: a build root without a package database,
	// an artifact built before its database was recorded.
	Notes []string
	// Build is what the provenance records; nil when nothing was built (a pack of local files
	// has a manifest digest only).
	Build Build
}

// Slot is one slot of the package and the files it unpacks to.
type Slot struct {
	Index  int
	ID     string
	Target string
	// Content is the hex SHA-256 of the slot's decoded content: its tar stream, or the single
	// file's bytes. The provenance names it as a subject.
	Content string
	Files   []File
	// Embedded marks one of the slots holding these documents: listed, never described.
	Embedded bool
}

// File is one regular file a slot unpacks, its path relative to the workenv.
type File struct {
	Path   string
	SHA256 string // hex
	SHA1   string // hex (SPDX 2.3 requires it)
	Size   int64
	Mode   int64
	// Owner is the Ref of the most specific component that ships the file ("" for none).
	Owner string
}

// Component kinds.
const (
	KindSpec   = "spec"   // a package of a spec tree, built by flavor
	KindDistro = "distro" // a distribution package (deb, apk) whose files ship
	KindPython = "python" // an installed Python distribution (*.dist-info)
	KindImage  = "image"  // a base image a spec package was built on (not shipped)
)

// Component is one package the documents list.
type Component struct {
	Ref         string // unique in the Description
	Kind        string
	Name        string
	Version     string
	Category    string // spec packages
	Flavor      string // spec packages: the artifact flavor
	Description string
	// License is an SPDX expression when known (definition.yaml's license); Licenses are names
	// as a distribution states them.
	License  string
	Licenses []string
	PURL     string
	Slot     string // the slot it ships in
	// Spec packages: what built them.
	CacheKey       string
	ArtifactDigest string // "sha256:<hex>" of the artifact file
	SpecDigest     string // "sha256:<hex>" of the rendered spec and package directory, from the lock
	BaseImage      string // Ref of the KindImage component
	ImageRef       string // KindImage: "name@sha256:…"
	// DependsOn are Refs of the components it needs at run time; Contains those inside it
	// (the distribution packages and Python distributions among a spec package's files).
	DependsOn []string
	Contains  []string
	// Distribution packages: the database's own record.
	Source string
}

// Build is what the provenance records about how the package was made.
type Build struct {
	Manifest       string // file name
	ManifestDigest string // "sha256:<hex>"
	LockDigest     string // "sha256:<hex>" of flavor.lock as used ("" without [install])
	Engine         string // container engine kind ("docker"), "" when nothing was built
	Launcher       string // "sha256:<hex>" of the launcher
	Started        *time.Time
	Finished       *time.Time
}

// FromPkgdb makes the component of a database package shipped in slot.
func FromPkgdb(p pkgdb.Package, slot string) Component {
	kind := KindDistro
	if p.Type == "pypi" {
		kind = KindPython
	}
	return Component{
		Ref: p.PURL(), Kind: kind, Name: p.Name, Version: p.Version, Description: p.Description,
		Licenses: p.Licenses, PURL: p.PURL(), Slot: slot, Source: p.Source,
	}
}

// files returns every described file with its slot, in slot order then path order.
func (d *Description) files() []slotFile {
	var out []slotFile
	for _, s := range d.Slots {
		if s.Embedded {
			continue
		}
		fs := append([]File(nil), s.Files...)
		sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
		for _, f := range fs {
			out = append(out, slotFile{slot: s.ID, File: f})
		}
	}
	return out
}

type slotFile struct {
	slot string
	File
}

func (d *Description) created() time.Time {
	if d.Created != nil {
		return d.Created.UTC().Truncate(time.Second)
	}
	return time.Unix(0, 0).UTC()
}

// component returns the component with ref, if any.
func (d *Description) component(ref string) (Component, bool) {
	for _, c := range d.Components {
		if c.Ref == ref {
			return c, true
		}
	}
	return Component{}, false
}
