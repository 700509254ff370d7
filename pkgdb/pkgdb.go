package pkgdb

import (
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Database kinds, as Record.Database names them.
const (
	Dpkg = "dpkg"
	Apk  = "apk"
)

// Package is one installed package of a package database.
type Package struct {
	Type          string   `json:"type"`                // purl type: "deb", "apk", "pypi"
	Namespace     string   `json:"namespace,omitempty"` // purl namespace: "debian", "alpine", …
	Name          string   `json:"name"`
	Version       string   `json:"version"`
	Arch          string   `json:"arch,omitempty"`
	Source        string   `json:"source,omitempty"`         // the source package, when it differs
	SourceVersion string   `json:"source_version,omitempty"` // its version, when it differs
	Licenses      []string `json:"licenses,omitempty"`       // as the database or copyright file states them
	Description   string   `json:"description,omitempty"`    // first line of the description
	Distro        string   `json:"distro,omitempty"`         // os-release ID-VERSION_ID: "debian-12"
	// Files are the paths of the tree this package owns, relative to the tree's root, no
	// leading slash, sorted.
	Files []string `json:"files,omitempty"`
}

// PURL is the package URL: pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12.
func (p Package) PURL() string {
	var q packageurl.Qualifiers
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if p.Distro != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: p.Distro})
	}
	name := p.Name
	if p.Type == "pypi" {
		name = NormalizePyPI(name)
	}
	return packageurl.NewPackageURL(p.Type, p.Namespace, name, p.Version, q, "").ToString()
}

// Record is what a build root's package database says about the files a tree ships: the
// database found, the distribution, and the packages that own shipped files. A root without a
// database has an empty Database and a Note saying so.
type Record struct {
	Database string    `json:"database,omitempty"` // Dpkg, Apk, or "" when the root has none
	OS       string    `json:"os,omitempty"`       // os-release PRETTY_NAME
	Distro   string    `json:"distro,omitempty"`   // os-release ID-VERSION_ID
	Packages []Package `json:"packages"`
	Note     string    `json:"note,omitempty"`
}

// NoDatabase is the Note of a Record for a root without a package database.
const NoDatabase = "no package database (var/lib/dpkg/status or lib/apk/db/installed) in the build root: the SBOM lists its files only"

// Index maps the files of a root to the packages of its database.
type Index struct {
	Database string
	OS       string
	Distro   string
	packages []Package      // without Files
	owners   map[string]int // cleaned root path (no leading slash) → index in packages
	// aliases maps a top-level directory that is a link in the root (merged /usr: "lib" →
	// "usr/lib") to its target, so /lib/x and /usr/lib/x find the same owner.
	aliases map[string]string
}

// NewIndex makes an index of packages, each with the files it installed (absolute or relative
// root paths), for the database kind db.
func NewIndex(db string, pkgs []Package) *Index {
	ix := &Index{Database: db, owners: map[string]int{}, aliases: map[string]string{}}
	for _, p := range pkgs {
		files := p.Files
		p.Files = nil
		ix.packages = append(ix.packages, p)
		for _, f := range files {
			ix.owners[clean(f)] = len(ix.packages) - 1
		}
	}
	return ix
}

// SetOSRelease records the distribution (the bytes of etc/os-release) and sets every package's
// Distro and, when it has none, Namespace from it.
func (ix *Index) SetOSRelease(b []byte) {
	f := ParseOSRelease(b)
	ix.OS = f["PRETTY_NAME"]
	if f["ID"] != "" {
		ix.Distro = f["ID"]
		if v := f["VERSION_ID"]; v != "" {
			ix.Distro += "-" + v
		}
	}
	for i := range ix.packages {
		ix.packages[i].Distro = ix.Distro
		if ix.packages[i].Namespace == "" {
			ix.packages[i].Namespace = f["ID"]
		}
	}
}

// Alias says that top-level directory dir of the root is a link to target (both relative to the
// root: "lib" → "usr/lib"), as in a merged-/usr root.
func (ix *Index) Alias(dir, target string) {
	ix.aliases[clean(dir)] = clean(target)
}

// Owner returns the package owning the root path p, if any.
func (ix *Index) Owner(p string) (Package, bool) {
	p = clean(p)
	if i, ok := ix.owners[p]; ok {
		return ix.packages[i], true
	}
	// /usr/lib/x owned as /lib/x (or the other way round) in a merged-/usr root.
	for dir, target := range ix.aliases {
		if rest, ok := strings.CutPrefix(p, target+"/"); ok {
			if i, ok := ix.owners[dir+"/"+rest]; ok {
				return ix.packages[i], true
			}
		}
		if rest, ok := strings.CutPrefix(p, dir+"/"); ok {
			if i, ok := ix.owners[target+"/"+rest]; ok {
				return ix.packages[i], true
			}
		}
	}
	return Package{}, false
}

// Record maps the files a tree ships to their owners. files are the tree's paths; rootPrefix
// is where the tree's root lies in the build root ("" when they are the same, "out" for a
// package_dir of /out). license, when not nil, gives the licenses of a package the database
// records none for (Debian's copyright files).
func (ix *Index) Record(files []string, rootPrefix string, license func(Package) []string) Record {
	rec := Record{Database: ix.Database, OS: ix.OS, Distro: ix.Distro, Packages: []Package{}}
	byName := map[string]int{}
	for _, f := range files {
		p, ok := ix.Owner(path.Join(rootPrefix, clean(f)))
		if !ok {
			continue
		}
		key := p.Name + "\x00" + p.Arch
		i, seen := byName[key]
		if !seen {
			if len(p.Licenses) == 0 && license != nil {
				p.Licenses = license(p)
			}
			i = len(rec.Packages)
			byName[key] = i
			rec.Packages = append(rec.Packages, p)
		}
		rec.Packages[i].Files = append(rec.Packages[i].Files, clean(f))
	}
	sort.Slice(rec.Packages, func(i, j int) bool {
		a, b := rec.Packages[i], rec.Packages[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Arch < b.Arch
	})
	for i := range rec.Packages {
		sort.Strings(rec.Packages[i].Files)
	}
	return rec
}

// clean makes a root path relative and clean: "/usr//lib/" → "usr/lib".
func clean(p string) string {
	return strings.TrimPrefix(path.Clean("/"+p), "/")
}
