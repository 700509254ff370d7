package sbom

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// NamespaceBase prefixes every document namespace; the rest is the package's identity and a
// digest of what the document describes, so equal content gives an equal namespace.
const NamespaceBase = "https://flavor.dev/spdx/"

// spdxElementID makes an SPDX element id (without "SPDXRef-") from a kind and a key: readable
// kind, then a digest of the key, so ids are unique, stable and valid.
func spdxElementID(kind, key string) common.ElementID {
	sum := sha256.Sum256([]byte(key))
	return common.ElementID(kind + "-" + hex.EncodeToString(sum[:8]))
}

// SPDX writes the SPDX 2.3 JSON document.
func (d *Description) SPDX() ([]byte, error) {
	files := d.files()
	root := common.ElementID("Package-" + sanitize(d.Name))
	doc := &spdx.Document{
		SPDXVersion:    spdx.Version,
		DataLicense:    spdx.DataLicense,
		SPDXIdentifier: "DOCUMENT",
		DocumentName:   fmt.Sprintf("%s-%s-%s", d.Name, d.Version, strings.ReplaceAll(d.Platform, "/", "-")),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "flavor-" + d.ToolVersion}},
			Created:  d.created().Format(time.RFC3339),
		},
	}
	if len(d.Notes) > 0 {
		doc.DocumentComment = strings.Join(d.Notes, "\n")
	}
	rel := func(a common.ElementID, typ string, b common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: typ,
		})
	}
	// The .psp itself.
	verif := sha1.New()
	sha1s := make([]string, 0, len(files))
	for _, f := range files {
		sha1s = append(sha1s, f.SHA1)
	}
	sort.Strings(sha1s)
	for _, s := range sha1s {
		verif.Write([]byte(s))
	}
	pkg := &spdx.Package{
		PackageName: d.Name, PackageSPDXIdentifier: root, PackageVersion: d.Version,
		PackageFileName:         fmt.Sprintf("%s-%s-%s.psp", d.Name, d.Version, strings.ReplaceAll(d.Platform, "/", "-")),
		PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: true, IsFilesAnalyzedTagPresent: true,
		PackageVerificationCode: &common.PackageVerificationCode{Value: hex.EncodeToString(verif.Sum(nil))},
		PackageLicenseConcluded: "NOASSERTION", PackageLicenseDeclared: "NOASSERTION", PackageCopyrightText: "NOASSERTION",
		PackageDescription: d.Description, PrimaryPackagePurpose: "APPLICATION",
		PackageComment: fmt.Sprintf("platform %s; signed with Ed25519 key %s", d.Platform, d.PublicKey),
	}
	if d.Flavor != "" {
		pkg.PackageComment += "; flavor " + d.Flavor
	}
	if validExpression(d.License) {
		pkg.PackageLicenseDeclared = d.License
	}
	if d.Created != nil {
		pkg.BuiltDate = d.created().Format(time.RFC3339)
	}
	doc.Packages = append(doc.Packages, pkg)
	rel("DOCUMENT", "DESCRIBES", root)

	// Components.
	ids := map[string]common.ElementID{}
	others := map[string]string{}
	comps := append([]Component(nil), d.Components...)
	sort.SliceStable(comps, func(i, j int) bool { return comps[i].Ref < comps[j].Ref })
	contained := map[string]bool{}
	for _, c := range comps {
		ids[c.Ref] = spdxElementID("Package", c.Ref)
		for _, in := range c.Contains {
			contained[in] = true
		}
	}
	for _, c := range comps {
		p := &spdx.Package{
			PackageName: c.Name, PackageSPDXIdentifier: ids[c.Ref], PackageVersion: c.Version,
			PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
			PackageLicenseConcluded: "NOASSERTION", PackageLicenseDeclared: "NOASSERTION", PackageCopyrightText: "NOASSERTION",
			PackageSummary: c.Description,
		}
		if expr, refs := declared(c); expr != "" {
			p.PackageLicenseDeclared = expr
			for id, name := range refs {
				others[id] = name
			}
		}
		if c.PURL != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
				Category: "PACKAGE-MANAGER", RefType: "purl", Locator: c.PURL,
			})
		}
		switch c.Kind {
		case KindSpec:
			p.PrimaryPackagePurpose = "APPLICATION"
			p.PackageComment = specComment(c)
			if sum, ok := strings.CutPrefix(c.ArtifactDigest, "sha256:"); ok {
				p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: sum}}
			}
		case KindImage:
			p.PrimaryPackagePurpose = "CONTAINER"
			p.PackageComment = "base image " + c.ImageRef + " (built on, not shipped)"
			if _, sum, ok := strings.Cut(c.ImageRef, "@sha256:"); ok {
				p.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: sum}}
			}
		default:
			p.PrimaryPackagePurpose = "LIBRARY"
			if c.Source != "" {
				p.PackageSourceInfo = "built from source package " + c.Source
			}
		}
		doc.Packages = append(doc.Packages, p)
		if c.Kind != KindImage && !contained[c.Ref] {
			rel(root, "CONTAINS", ids[c.Ref])
		}
		for _, dep := range c.DependsOn {
			if id, ok := ids[dep]; ok {
				rel(ids[c.Ref], "DEPENDS_ON", id)
			}
		}
		for _, in := range c.Contains {
			if id, ok := ids[in]; ok {
				rel(ids[c.Ref], "CONTAINS", id)
			}
		}
		if id, ok := ids[c.BaseImage]; ok {
			rel(ids[c.Ref], "GENERATED_FROM", id)
		}
	}
	// Files.
	for _, f := range files {
		id := spdxElementID("File", f.slot+"\x00"+f.Path)
		doc.Files = append(doc.Files, &spdx.File{
			FileName: "./" + f.Path, FileSPDXIdentifier: id,
			Checksums: []common.Checksum{
				{Algorithm: common.SHA1, Value: f.SHA1},
				{Algorithm: common.SHA256, Value: f.SHA256},
			},
			LicenseConcluded: "NOASSERTION", FileCopyrightText: "NOASSERTION",
			FileComment: "slot " + f.slot,
		})
		rel(root, "CONTAINS", id)
		if owner, ok := ids[f.Owner]; ok {
			rel(owner, "CONTAINS", id)
		}
	}
	refs := make([]string, 0, len(others))
	for id := range others {
		refs = append(refs, id)
	}
	sort.Strings(refs)
	for _, id := range refs {
		doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{
			LicenseIdentifier: id, LicenseName: others[id],
			ExtractedText: "The distribution's package database names this license " + others[id] + "; its text is in the package's copyright file.",
		})
	}
	// The namespace names the content: the same description gives the same namespace.
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the SPDX document: %w", err)
	}
	sum := sha256.Sum256(body)
	doc.DocumentNamespace = NamespaceBase + doc.DocumentName + "-" + hex.EncodeToString(sum[:16])
	return encode(doc)
}

func specComment(c Component) string {
	parts := []string{"spec-tree package " + c.Category + "/" + c.Name}
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("flavor", c.Flavor)
	add("cache key", c.CacheKey)
	add("spec digest", c.SpecDigest)
	add("slot", c.Slot)
	return strings.Join(parts, "; ")
}

// encode writes v as indented JSON without HTML escaping, ending in a newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sanitize keeps the characters an SPDX id may hold.
func sanitize(s string) string {
	s = strings.Trim(notIDChar.ReplaceAllString(s, "-"), "-")
	if s == "" {
		return "package"
	}
	return s
}
