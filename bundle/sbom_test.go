package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/builder"
	"github.com/flavor-dev/flavor/lock"
	"github.com/flavor-dev/flavor/packer"
	"github.com/flavor-dev/flavor/pkgdb"
	"github.com/flavor-dev/flavor/sbom"
)

const installManifest = `schema-version = "1"
[package]
name = "p"
version = "1"
[options]
trees = ["tree"]
[install]
app.pkg-path = "apps/app"
[execution]
command = "{workenv}/bin/app"
[metadata]
license = "Apache-2.0"
`

// packInstall packs an [install] package of an app and its runtime, the runtime's artifact
// recording that zlib1g of its Debian root owns the library it ships.
func packInstall(t *testing.T, appBody string, opts ...Option) (Output, *packer.Package) {
	t.Helper()
	dir := t.TempDir()
	tree(t, dir, map[string]string{"tree/": ""})
	m := loadManifest(t, dir, installManifest)
	rt := writeArtifact(t, dir, "runtime/zlib@2.36", []tarEntry{{name: "usr/lib/libz.so.1.2.13", body: "ZLIB"}, {name: "usr/lib/libz.so.1", body: "->libz.so.1.2.13"}}, nil)
	rt.Artifact.Metadata.Category, rt.Artifact.Metadata.License = "runtime", "Zlib"
	rt.Artifact.Metadata.Distro = &pkgdb.Record{Database: pkgdb.Dpkg, Distro: "debian-12", Packages: []pkgdb.Package{{
		Type: "deb", Namespace: "debian", Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Arch: "amd64", Distro: "debian-12",
		Licenses: []string{"Zlib"}, Files: []string{"usr/lib/libz.so.1.2.13", "usr/lib/libz.so.1"},
	}}}
	app := writeArtifact(t, dir, "apps/app@2", []tarEntry{{name: "bin/app", body: appBody, mode: 0o755}}, nil)
	app.Artifact.Metadata.Category = "apps"
	app.Artifact.Metadata.Runtime.Requires = []builder.Ref{{Category: "runtime", Name: "zlib"}}
	app.Artifact.Metadata.Distro = &pkgdb.Record{Packages: []pkgdb.Package{}, Note: pkgdb.NoDatabase}
	app.InstallIDs = []string{"app"}
	res := &lock.Result{Systems: []lock.System{{Platform: "linux/amd64", Groups: []lock.Group{{Name: "toplevel", Packages: []lock.Installed{rt, app}}}}}}
	src, err := NewInstallSource(context.Background(), res, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := pack(t, m, append([]Option{WithInstall(src), WithPlatforms("linux/amd64"), WithBuildInfo(BuildInfo{Engine: "docker"})}, opts...)...)[0]
	return out, open(t, out.Path)
}

func TestPackedSBOMListsEveryFileAndItsOwners(t *testing.T) {
	out, p := packInstall(t, "APP", WithSinks(SBOMFiles(sbom.FormatSPDX, sbom.FormatCycloneDX, sbom.FormatProvenance)))
	defer p.Close()
	if strings.Join(out.Documents, ",") != "flavor.sbom.spdx,flavor.sbom.cyclonedx,flavor.provenance" || len(out.Slots) != 1 {
		t.Fatalf("documents %v, slots %+v", out.Documents, out.Slots)
	}
	if got, err := sbom.Check(context.Background(), p); err != nil || got.Files != 2 {
		t.Fatalf("Check: %+v, %v", got, err)
	}
	spdxDoc, err := sbom.Embedded(context.Background(), p, sbom.FormatSPDX)
	if err != nil {
		t.Fatal(err)
	}
	// Every file the launcher unpacks is listed with its SHA-256.
	dest := t.TempDir()
	if _, err := p.ExtractSlot(context.Background(), 0, dest); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files []struct {
			FileName  string `json:"fileName"`
			Checksums []struct{ Algorithm, ChecksumValue string }
		} `json:"files"`
		Packages []struct {
			Name, VersionInfo, LicenseDeclared string
			ExternalRefs                       []struct{ ReferenceLocator string }
		} `json:"packages"`
		Relationships []struct{ SpdxElementId, RelationshipType, RelatedSpdxElement string }
	}
	if err := json.Unmarshal(spdxDoc, &doc); err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				listed[strings.TrimPrefix(f.FileName, "./")] = c.ChecksumValue
			}
		}
	}
	unpacked := 0
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dest, p)
		sum := sha256.Sum256(b)
		if listed[filepath.ToSlash(rel)] != hex.EncodeToString(sum[:]) {
			t.Errorf("%s unpacks with sha256 %x, the SBOM lists %q", rel, sum, listed[filepath.ToSlash(rel)])
		}
		unpacked++
		return nil
	})
	if unpacked != 2 || len(listed) != 2 {
		t.Fatalf("%d files unpacked, %d listed: %v", unpacked, len(listed), listed)
	}
	// The Debian package owning the library, with its version and purl; the spec packages.
	var names []string
	for _, pk := range doc.Packages {
		names = append(names, pk.Name+"@"+pk.VersionInfo)
		if pk.Name == "zlib1g" && (len(pk.ExternalRefs) != 1 || pk.ExternalRefs[0].ReferenceLocator != "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12" || pk.LicenseDeclared != "Zlib") {
			t.Errorf("zlib1g listed as %+v", pk)
		}
	}
	if got := strings.Join(names, " "); got != "p@1 base:1@ zlib1g@1:1.2.13.dfsg-1 apps/app@2 runtime/zlib@2.36" {
		t.Errorf("packages %s", got)
	}
	// A package without a database in its root is named in the document's comment, and
	// Pack says so.
	if !strings.Contains(string(spdxDoc), "apps/app@2: "+pkgdb.NoDatabase) {
		t.Errorf("the no-database note is missing:\n%s", spdxDoc)
	}
	if len(out.SBOMNotes) != 1 || out.SBOMNotes[0] != "apps/app@2: "+pkgdb.NoDatabase {
		t.Errorf("Pack's SBOM notes %q", out.SBOMNotes)
	}
	// The sidecars: the SBOMs are the embedded bytes, the provenance names the .psp first.
	side, _ := os.ReadFile(SidecarName(out.Path, sbom.FormatSPDX))
	if string(side) != string(spdxDoc) {
		t.Error("the SPDX sidecar differs from the embedded document")
	}
	var st sbom.Statement
	b, _ := os.ReadFile(SidecarName(out.Path, sbom.FormatProvenance))
	if err := json.Unmarshal(b, &st); err != nil || len(st.Subject) != 2 || st.Subject[0].Digest["sha256"] != strings.TrimPrefix(out.SHA256, "sha256:") {
		t.Fatalf("provenance sidecar subjects %+v (%v)", st.Subject, err)
	}
	if st.Predicate.BuildDefinition.InternalParameters["engine"] != "docker" {
		t.Errorf("engine not recorded: %+v", st.Predicate.BuildDefinition)
	}
}

func TestOneChangedFileChangesExactlyItsEntry(t *testing.T) {
	files := func(body string) map[string]string {
		_, p := packInstall(t, body)
		defer p.Close()
		doc, err := sbom.Embedded(context.Background(), p, sbom.FormatCycloneDX)
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Components []json.RawMessage }
		json.Unmarshal(doc, &b)
		out := map[string]string{}
		var walk func(raw []json.RawMessage)
		walk = func(raw []json.RawMessage) {
			for _, r := range raw {
				var c struct {
					BOMRef     string `json:"bom-ref"`
					Components []json.RawMessage
				}
				json.Unmarshal(r, &c)
				out[c.BOMRef] = string(r)
				walk(c.Components)
			}
		}
		walk(b.Components)
		return out
	}
	a, b := files("APP"), files("APP, changed")
	var changed []string
	for ref, v := range a {
		if b[ref] != v && !strings.HasPrefix(ref, "spec:") { // the spec packages nest the files
			changed = append(changed, ref)
		}
	}
	if len(a) != len(b) || strings.Join(changed, ",") != "file:toplevel:bin/app" {
		t.Fatalf("changing bin/app changed %v (%d and %d components)", changed, len(a), len(b))
	}
	if c, d := files("APP"), files("APP"); len(c) != len(d) {
		t.Fatal("not reproducible")
	}
}

func TestPackWithoutSBOM(t *testing.T) {
	out, p := packInstall(t, "APP", WithoutSBOM())
	defer p.Close()
	if len(out.Documents) != 0 || len(sbom.HasEmbedded(p.Metadata())) != 0 {
		t.Fatalf("documents %v in a package packed without SBOM", out.Documents)
	}
}

// TestSBOMRendersOnceTheLastSlotIsScanned: the documents are rendered as soon as the last
// content slot's scan is done, before any document slot is read.
func TestSBOMRendersOnceTheLastSlotIsScanned(t *testing.T) {
	dir := t.TempDir()
	m := loadManifest(t, dir, minimalManifest)
	o, err := makeOptions([]Option{WithSigner(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	slots := []Slot{{Slot: packer.Slot{ID: "a"}}, {Slot: packer.Slot{ID: "b"}}}
	run := o.newSBOMRun(context.Background(), m, "linux/amd64", slots, []byte("launcher"))
	rendered := func() bool {
		run.mu.Lock()
		defer run.mu.Unlock()
		return run.docs != nil
	}
	for i, s := range slots {
		w := run.tap(packer.TapSlot{Index: i, ID: s.ID, Target: "{workenv}", Tar: true})
		if _, err := w.Write(tarOf(t, s.ID+".txt", s.ID)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if i == 0 && rendered() {
			t.Fatal("rendered before the last slot was scanned")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !rendered(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the documents were not rendered after the last slot's scan")
		}
	}
	docs, err := run.render()
	if err != nil || !strings.Contains(string(docs[sbom.FormatSPDX]), "./b.txt") {
		t.Fatalf("documents %v, %v", len(docs), err)
	}
}
