package sbom

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// CycloneDX writes the CycloneDX 1.6 JSON BOM. The package is metadata.component; the
// spec-tree packages are its components, each holding the distribution packages and Python
// distributions among its files, every component holding the files it ships (type "file", with
// SHA-1 and SHA-256). Base images are listed with scope "excluded" (built on, not shipped).
func (d *Description) CycloneDX() ([]byte, error) {
	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	root := &cdx.Component{
		BOMRef: "psp:" + d.Name, Type: cdx.ComponentTypeApplication, Name: d.Name, Version: d.Version,
		Description: d.Description,
		Properties: props(
			"flavor:platform", d.Platform, "flavor:flavor", d.Flavor, "flavor:public_key", d.PublicKey,
		),
	}
	if validExpression(d.License) {
		root.Licenses = &cdx.Licenses{{Expression: d.License}}
	}
	bom.Metadata = &cdx.Metadata{
		Timestamp: d.created().Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "flavor", Version: d.ToolVersion,
		}}},
		Component: root,
	}
	if len(d.Notes) > 0 {
		var ps []cdx.Property
		for _, n := range d.Notes {
			ps = append(ps, cdx.Property{Name: "flavor:note", Value: n})
		}
		bom.Metadata.Properties = &ps
	}

	comps := append([]Component(nil), d.Components...)
	sort.SliceStable(comps, func(i, j int) bool { return comps[i].Ref < comps[j].Ref })
	byRef := map[string]*cdx.Component{}
	parent := map[string]string{}
	for _, c := range comps {
		for _, in := range c.Contains {
			parent[in] = c.Ref
		}
	}
	for _, c := range comps {
		byRef[c.Ref] = cdxComponent(c)
	}
	// Files go into their owner, or the top level.
	filesOf := map[string][]cdx.Component{}
	for _, f := range d.files() {
		fc := cdx.Component{
			BOMRef: "file:" + f.slot + ":" + f.Path, Type: cdx.ComponentTypeFile, Name: f.Path,
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA1, Value: f.SHA1}, {Algorithm: cdx.HashAlgoSHA256, Value: f.SHA256}},
			Properties: props("flavor:slot", f.slot),
		}
		owner := f.Owner
		if _, ok := byRef[owner]; !ok {
			owner = ""
		}
		filesOf[owner] = append(filesOf[owner], fc)
	}
	// Build the tree bottom up: children first, so a parent copies complete children.
	var build func(ref string) cdx.Component
	build = func(ref string) cdx.Component {
		c := *byRef[ref]
		var kids []cdx.Component
		for _, cc := range comps {
			if parent[cc.Ref] == ref {
				kids = append(kids, build(cc.Ref))
			}
		}
		kids = append(kids, filesOf[ref]...)
		if len(kids) > 0 {
			c.Components = &kids
		}
		return c
	}
	var top []cdx.Component
	for _, c := range comps {
		if parent[c.Ref] == "" {
			top = append(top, build(c.Ref))
		}
	}
	top = append(top, filesOf[""]...)
	if len(top) > 0 {
		bom.Components = &top
	}

	// Dependencies: the package needs its spec packages; each spec package what it requires.
	var deps []cdx.Dependency
	var direct []string
	for _, c := range comps {
		if c.Kind == KindSpec {
			direct = append(direct, c.Ref)
		}
	}
	deps = append(deps, cdx.Dependency{Ref: root.BOMRef, Dependencies: strs(direct)})
	for _, c := range comps {
		var on []string
		for _, r := range c.DependsOn {
			if _, ok := byRef[r]; ok {
				on = append(on, r)
			}
		}
		deps = append(deps, cdx.Dependency{Ref: c.Ref, Dependencies: strs(on)})
	}
	bom.Dependencies = &deps

	// A serial number derived from the content keeps the bytes reproducible.
	var body bytes.Buffer
	if err := cdx.NewBOMEncoder(&body, cdx.BOMFileFormatJSON).Encode(bom); err != nil {
		return nil, fmt.Errorf("encoding the CycloneDX BOM: %w", err)
	}
	sum := sha256.Sum256(body.Bytes())
	sum[6] = sum[6]&0x0f | 0x50 // a name-based (v5-style) UUID layout
	sum[8] = sum[8]&0x3f | 0x80
	bom.SerialNumber = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	var out bytes.Buffer
	enc := cdx.NewBOMEncoder(&out, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("encoding the CycloneDX BOM: %w", err)
	}
	return out.Bytes(), nil
}

func cdxComponent(c Component) *cdx.Component {
	out := &cdx.Component{
		BOMRef: c.Ref, Name: c.Name, Version: c.Version, Description: c.Description, PackageURL: c.PURL,
	}
	switch c.Kind {
	case KindSpec:
		out.Type = cdx.ComponentTypeApplication
		out.Group = c.Category
		out.Properties = props("flavor:flavor", c.Flavor, "flavor:cache_key", c.CacheKey,
			"flavor:artifact_digest", c.ArtifactDigest, "flavor:spec_digest", c.SpecDigest, "flavor:slot", c.Slot)
		if sum, ok := strings.CutPrefix(c.ArtifactDigest, "sha256:"); ok {
			out.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: sum}}
		}
	case KindImage:
		out.Type = cdx.ComponentTypeContainer
		out.Scope = cdx.ScopeExcluded
		out.Properties = props("flavor:image", c.ImageRef)
	default:
		out.Type = cdx.ComponentTypeLibrary
		out.Properties = props("flavor:source_package", c.Source, "flavor:slot", c.Slot)
	}
	if validExpression(c.License) {
		out.Licenses = &cdx.Licenses{{Expression: c.License}}
	} else {
		names := c.Licenses
		if len(names) == 0 && c.License != "" {
			names = []string{c.License}
		}
		var ls cdx.Licenses
		for _, n := range names {
			if id, ref := spdxID(n); !ref {
				ls = append(ls, cdx.LicenseChoice{License: &cdx.License{ID: id}})
			} else {
				ls = append(ls, cdx.LicenseChoice{License: &cdx.License{Name: n}})
			}
		}
		if len(ls) > 0 {
			out.Licenses = &ls
		}
	}
	return out
}

// props makes properties of name/value pairs, leaving out empty values; nil when none.
func props(kv ...string) *[]cdx.Property {
	var out []cdx.Property
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, cdx.Property{Name: kv[i], Value: kv[i+1]})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

func strs(s []string) *[]string {
	out := append([]string{}, s...)
	return &out
}
