package bundle

import (
	"fmt"
	"path"
	"strings"

	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/sbom"
)

// groupSBOM is what the SBOM says about a group's slot: a component per spec-tree package (with
// the spec digest the lock recorded for it), per base image it was built on, and per
// distribution package its build root's database says owns shipped files; which component ships
// each path; and notes for packages whose build root had no database.
func groupSBOM(g lock.Group, specDigests map[string]string) (comps []sbom.Component, owners map[string]string, notes []string) {
	owners = map[string]string{}
	byName := map[string]string{} // "category/name" → ref
	for _, p := range g.Packages {
		md := p.Artifact.Metadata
		byName[md.Category+"/"+md.Name] = "spec:" + p.Package
	}
	for _, p := range g.Packages {
		md := p.Artifact.Metadata
		ref := "spec:" + p.Package
		c := sbom.Component{
			Ref: ref, Kind: sbom.KindSpec, Name: md.Name, Category: md.Category, Version: md.Version,
			Flavor: p.Flavor, License: md.License, Description: md.Description, CacheKey: md.CacheKey,
			SpecDigest: specDigests[p.Package], Slot: g.Name,
		}
		if sum := md.Checksums["sha256"]; sum != "" {
			c.ArtifactDigest = "sha256:" + sum
		}
		for _, r := range md.Runtime.Requires {
			if dep, ok := byName[r.Category+"/"+r.Name]; ok && dep != ref {
				c.DependsOn = append(c.DependsOn, dep)
			}
		}
		if p.BaseImage != "" {
			name, _, _ := strings.Cut(p.BaseImage, "@")
			img := sbom.Component{Ref: "image:" + p.BaseImage, Kind: sbom.KindImage, Name: name, ImageRef: p.BaseImage}
			c.BaseImage = img.Ref
			comps = append(comps, img)
		}
		for _, f := range md.Files {
			f = clean(f)
			if _, taken := owners[f]; !taken { // the first package to ship a path ships it
				owners[f] = ref
			}
		}
		switch d := md.Distro; {
		case d == nil && md.Strategy != "empty" && len(md.Files) > 0:
			notes = append(notes, fmt.Sprintf("%s: its artifact records no package database (built before flavor recorded one); its files are listed without their distribution packages — rebuild it (flavor clean --all) to list them", p.Package))
		case d != nil && d.Database == "":
			notes = append(notes, p.Package+": "+d.Note)
		case d != nil:
			for _, dp := range d.Packages {
				dc := sbom.FromPkgdb(dp, g.Name)
				comps = append(comps, dc)
				c.Contains = append(c.Contains, dc.Ref)
				for _, f := range dp.Files {
					owners[clean(f)] = dc.Ref
				}
			}
		}
		comps = append(comps, c)
	}
	return comps, owners, notes
}

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// specDigests maps "category/name@version" to the spec digest the lock recorded, for system.
func specDigests(res *lock.Result, system string) map[string]string {
	out := map[string]string{}
	if res == nil || res.Lock == nil {
		return out
	}
	for _, e := range res.Lock.Packages {
		if e.System == system && e.SpecDigest != "" {
			out[e.Package+"@"+e.Version] = e.SpecDigest
		}
	}
	return out
}
