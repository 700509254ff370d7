package sbom

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/flavor-dev/flavor/pkgdb"
)

// The schemas in testdata/schema are the official ones: spdx-2.3.schema.json from
// github.com/spdx/spdx-spec at tag v2.3 (schemas/spdx-schema.json); bom-1.6.schema.json,
// spdx.schema.json and jsf-0.82.schema.json from the schema folder of
// github.com/CycloneDX/cyclonedx-go v0.12.0 (jsf-0.82.schemax.json there).

func compileSchema(t *testing.T, main string, files ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var mainID string
	for _, f := range append([]string{main}, files...) {
		b, err := os.ReadFile(filepath.Join("testdata", "schema", f))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id := doc.(map[string]any)["$id"].(string)
		if f == main {
			mainID = id
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile(mainID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Fatalf("document breaks its schema: %v", err)
	}
}

// sample is a package built from a Debian root: a spec package whose files include zlib's.
func sample() *Description {
	epoch := time.Unix(1700000000, 0).UTC()
	zlib := pkgdb.Package{Type: "deb", Namespace: "debian", Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64",
		Distro: "debian-12", Source: "zlib", Licenses: []string{"Zlib", "GPL-2+", "other-license"}}
	img := Component{Ref: "image:127.0.0.1:5000/debian@sha256:" + strings.Repeat("ab", 32), Kind: KindImage,
		Name: "127.0.0.1:5000/debian", ImageRef: "127.0.0.1:5000/debian@sha256:" + strings.Repeat("ab", 32)}
	rt := Component{Ref: "spec:runtime/glibc-zlib@2.36", Kind: KindSpec, Name: "glibc-zlib", Category: "runtime", Version: "2.36",
		License: "LGPL-2.1-or-later AND Zlib", Description: "runtime", CacheKey: "sha256:" + strings.Repeat("01", 32),
		ArtifactDigest: "sha256:" + strings.Repeat("02", 32), SpecDigest: "sha256:" + strings.Repeat("03", 32),
		BaseImage: img.Ref, Slot: "app", Contains: []string{zlib.PURL()}}
	app := Component{Ref: "spec:apps/zdemo@1.0.0", Kind: KindSpec, Name: "zdemo", Category: "apps", Version: "1.0.0",
		License: "Apache-2.0", Slot: "app", DependsOn: []string{rt.Ref}, BaseImage: img.Ref, ArtifactDigest: "sha256:" + strings.Repeat("05", 32)}
	return &Description{
		Name: "zdemo", Version: "1.0.0", Platform: "linux/amd64", PublicKey: strings.Repeat("cd", 32),
		License: "Apache-2.0", ToolVersion: "test", Created: &epoch,
		Slots: []Slot{{Index: 0, ID: "app", Target: "{workenv}", Content: strings.Repeat("0f", 32), Files: []File{
			{Path: "usr/lib/x86_64-linux-gnu/libz.so.1.2.13", SHA256: strings.Repeat("aa", 32), SHA1: strings.Repeat("a", 40), Size: 3, Owner: zlib.PURL()},
			{Path: "usr/bin/zdemo", SHA256: strings.Repeat("bb", 32), SHA1: strings.Repeat("b", 40), Size: 4, Owner: app.Ref},
		}}},
		Components: []Component{app, rt, FromPkgdb(zlib, "app"), img},
		Build: Build{Manifest: "flavor.toml", ManifestDigest: "sha256:" + strings.Repeat("04", 32), Engine: "docker",
			Started: &epoch, Finished: &epoch},
	}
}

func TestDocumentsKeepTheirSchemas(t *testing.T) {
	d := sample()
	spdxDoc, err := d.SPDX()
	if err != nil {
		t.Fatal(err)
	}
	validate(t, compileSchema(t, "spdx-2.3.schema.json"), spdxDoc)
	cdxDoc, err := d.CycloneDX()
	if err != nil {
		t.Fatal(err)
	}
	validate(t, compileSchema(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"), cdxDoc)

	// The zlib of the Debian root is listed as the Debian package, with version and purl.
	purl := "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"
	for name, doc := range map[string][]byte{"spdx": spdxDoc, "cyclonedx": cdxDoc} {
		if !bytes.Contains(doc, []byte(`"`+purl+`"`)) || !bytes.Contains(doc, []byte(`"1:1.2.13.dfsg-1"`)) {
			t.Errorf("%s does not list zlib1g with its version and purl:\n%s", name, doc)
		}
	}
	if !bytes.Contains(spdxDoc, []byte(`"licenseDeclared": "Zlib AND GPL-2.0-or-later AND LicenseRef-other-license"`)) {
		t.Errorf("zlib1g's Debian license names are not mapped to SPDX:\n%s", spdxDoc)
	}
	// Every file, with its SHA-256, in both.
	for _, f := range d.Slots[0].Files {
		for name, got := range map[string]func([]byte) (map[string]string, error){"spdx": spdxFiles, "cyclonedx": cdxFiles} {
			doc := spdxDoc
			if name == "cyclonedx" {
				doc = cdxDoc
			}
			files, err := got(doc)
			if err != nil {
				t.Fatal(err)
			}
			if files["app\x00"+f.Path] != f.SHA256 {
				t.Errorf("%s gives %s sha256 %q, want %s", name, f.Path, files["app\x00"+f.Path], f.SHA256)
			}
		}
	}

	prov, err := d.Provenance(nil)
	if err != nil {
		t.Fatal(err)
	}
	var st Statement
	if err := json.Unmarshal(prov, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != StatementType || st.PredicateType != PredicateSLSA1 || len(st.Subject) != 1 || st.Subject[0].Digest["sha256"] != d.Slots[0].Content {
		t.Fatalf("statement %s", prov)
	}
	deps := map[string]bool{}
	for _, rd := range st.Predicate.BuildDefinition.ResolvedDependencies {
		deps[rd.Name+" "+rd.URI] = true
	}
	for _, want := range []string{"flavor.toml ", "127.0.0.1:5000/debian oci://127.0.0.1:5000/debian@sha256:" + strings.Repeat("ab", 32), "spec:runtime/glibc-zlib@2.36 ", "spec:apps/zdemo@1.0.0 "} {
		if !deps[want] {
			t.Errorf("resolved dependencies %v lack %q", deps, want)
		}
	}
	if md := st.Predicate.RunDetails.Metadata; md == nil || md.StartedOn != "2023-11-14T22:13:20Z" {
		t.Errorf("build times not clamped to the epoch: %+v", md)
	}
}

func TestDocumentsAreReproducible(t *testing.T) {
	for _, f := range Formats {
		a, err := sample().Document(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := sample().Document(f)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs between two runs", f)
		}
	}
	// One changed file changes exactly its entry.
	d := sample()
	before, _ := d.SPDX()
	d.Slots[0].Files[1].SHA256 = strings.Repeat("cc", 32)
	after, _ := d.SPDX()
	a, _ := spdxFiles(before)
	b, _ := spdxFiles(after)
	if changed := diff("spdx", a, b); len(changed) != 1 || !strings.Contains(changed[0], "usr/bin/zdemo") {
		t.Fatalf("changing one file changed %v", changed)
	}
}

func TestScanTarFindsDistInfo(t *testing.T) {
	var buf bytes.Buffer
	tw := newTarWriter(&buf)
	tw.file("site/pkg_a-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: pkg_a\nVersion: 1.0\nLicense-Expression: MIT\n\n")
	tw.file("site/pkg_a-1.0.dist-info/RECORD", "pkg_a/__init__.py,,\npkg_a-1.0.dist-info/METADATA,,\n")
	tw.file("site/pkg_a/__init__.py", "x = 1\n")
	tw.link("site/pkg_a/alias.py", "site/pkg_a/__init__.py")
	tw.close()
	sc, err := ScanTar(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Files) != 4 || sc.Files[3].SHA256 != sc.Files[2].SHA256 {
		t.Fatalf("files %+v", sc.Files)
	}
	if len(sc.Python) != 1 || sc.Python[0].PURL() != "pkg:pypi/pkg-a@1.0" || len(sc.Python[0].Files) != 2 {
		t.Fatalf("python %+v", sc.Python)
	}
	files := assignOwners(sc.Files, sc.Python)
	if files[2].Owner != "pkg:pypi/pkg-a@1.0" || files[3].Owner != "" {
		t.Fatalf("owners %+v", files)
	}
}

func TestSchemasCatchBrokenDocuments(t *testing.T) {
	d := sample()
	spdxDoc, _ := d.SPDX()
	cdxDoc, _ := d.CycloneDX()
	for name, c := range map[string]struct {
		s   *jsonschema.Schema
		doc []byte
	}{
		"spdx":      {compileSchema(t, "spdx-2.3.schema.json"), bytes.Replace(spdxDoc, []byte(`"algorithm": "SHA256"`), []byte(`"algorithm": "SHA-256"`), 1)},
		"cyclonedx": {compileSchema(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"), bytes.Replace(cdxDoc, []byte(`"type": "file"`), []byte(`"type": "files"`), 1)},
	} {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(c.doc))
		if err := c.s.Validate(inst); err == nil {
			t.Errorf("%s schema accepts a broken document", name)
		}
	}
}
