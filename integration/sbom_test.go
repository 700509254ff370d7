//go:build integration

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// spdxDoc is the part of an SPDX document the test reads.
type spdxDoc struct {
	Comment string `json:"comment"`
	Files   []struct {
		FileName  string `json:"fileName"`
		Checksums []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
	} `json:"files"`
	Packages []struct {
		SPDXID          string `json:"SPDXID"`
		Name            string `json:"name"`
		Version         string `json:"versionInfo"`
		LicenseDeclared string `json:"licenseDeclared"`
		ExternalRefs    []struct {
			Locator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		Type string `json:"relationshipType"`
		B    string `json:"relatedSpdxElement"`
	} `json:"relationships"`
}

// TestZdemoSBOM: examples/zdemo, built from the Debian image, carries an SBOM that lists the
// shipped zlib as Debian's zlib1g with its version and purl (read from the image's dpkg
// database at build time), every shipped file with its SHA-256, and verifies; two packs from
// clean caches with --locked give byte-identical documents.
func TestZdemoSBOM(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Fatalf("this test runs linux/amd64 natively; this machine is %s", runtime.GOARCH)
	}
	dockerEngine(t)
	_, file, _, _ := runtime.Caller(0)
	dir := t.TempDir()
	copyTree(t, filepath.Join(filepath.Dir(file), "..", "examples", "zdemo"), dir)
	launchers := launcherArgs(t)
	plat := []string{"--platform", "linux/amd64"}
	// The lock, from a clean cache (this builds zdemo and its runtime in containers) …
	first := filepath.Join(dir, ".cache1")
	runBundleFlavor(t, dir, first, append(append([]string{"lock"}, launchers...), plat...)...).must(t, "locking examples/zdemo")
	// … then two locked packs: one with the artifacts just built, one from another clean cache.
	pack := func(cache, out string) string {
		args := append(append([]string{"pack", "--output-format", "json", "--locked", "-o", out, "--sbom", "spdx,cyclonedx", "--provenance"}, launchers...), plat...)
		r := runBundleFlavor(t, dir, cache, args...).must(t, "packing examples/zdemo --locked")
		p := r.report(t).psps()["linux/amd64"]
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return p
	}
	psp := pack(first, "dist1")
	again := pack(filepath.Join(dir, ".cache2"), "dist2")
	for _, ext := range []string{".spdx.json", ".cdx.json", ".intoto.json"} {
		a, errA := os.ReadFile(psp + ext)
		b, errB := os.ReadFile(again + ext)
		if errA != nil || errB != nil || len(a) == 0 {
			t.Fatalf("sidecars %s: %v %v", ext, errA, errB)
		}
		if ext == ".intoto.json" {
			// The sidecar names the .psp; the embedded statements must match byte for byte.
			a = []byte(runBundleFlavor(t, dir, first, "sbom", "--format", "provenance", psp).must(t, "reading the provenance").stdout)
			b = []byte(runBundleFlavor(t, dir, first, "sbom", "--format", "provenance", again).must(t, "reading the provenance").stdout)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs between two clean packs --locked", ext)
		}
	}

	var doc spdxDoc
	b, _ := os.ReadFile(psp + ".spdx.json")
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// zlib, zstd and glibc are listed as the Debian packages whose files ship.
	ids := map[string]string{}
	purls := map[string]string{}
	for _, p := range doc.Packages {
		ids[p.SPDXID] = p.Name
		if len(p.ExternalRefs) > 0 {
			purls[p.Name] = p.ExternalRefs[0].Locator
		}
		if p.Name == "zlib1g" {
			// purl percent-encodes the "+" of Debian versions (1:1.2.13.dfsg-1+deb12u1).
			want := "pkg:deb/debian/zlib1g@" + strings.ReplaceAll(p.Version, "+", "%2B") + "?arch=amd64&distro=debian-12"
			// The test image is mmdebstrap's minbase with the package documentation removed
			// (its /usr/share/doc/README says so), copyright files included: no license to
			// read, so none is asserted (builder's TestBuildRecordsTheDistroPackages reads one).
			if !strings.HasPrefix(p.Version, "1:1.2.13") || purls["zlib1g"] != want || p.LicenseDeclared != "NOASSERTION" {
				t.Errorf("zlib1g listed as %+v, want version 1:1.2.13…, purl %s and no license asserted", p, want)
			}
		}
	}
	for _, name := range []string{"zlib1g", "libzstd1", "libc6"} {
		if !strings.HasPrefix(purls[name], "pkg:deb/debian/"+name+"@") {
			t.Errorf("%s is not listed as a Debian package (purls %v)", name, purls)
		}
	}
	// zlib1g contains the shipped library.
	listed := map[string]string{}
	for _, f := range doc.Files {
		name := strings.TrimPrefix(f.FileName, "./")
		for _, c := range f.Checksums {
			if c.Algorithm == "SHA256" {
				listed[name] = c.Value
			}
		}
	}
	owns := false
	for _, r := range doc.Relationships {
		if ids[r.A] == "zlib1g" && r.Type == "CONTAINS" {
			owns = true
		}
	}
	if !owns {
		t.Error("zlib1g contains no shipped file")
	}
	// Every file the package unpacks, with its SHA-256, and nothing else.
	out := filepath.Join(t.TempDir(), "x")
	runBundleFlavor(t, dir, first, "extract", "--out", out, psp).must(t, "extracting")
	n := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		body, _ := os.ReadFile(p)
		sum := sha256.Sum256(body)
		rel, _ := filepath.Rel(out, p)
		if listed[filepath.ToSlash(rel)] != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %x, the SBOM lists %q", rel, sum, listed[filepath.ToSlash(rel)])
		}
		n++
		return nil
	})
	if n == 0 || n != len(listed) {
		t.Errorf("%d files unpacked, %d listed", n, len(listed))
	}
	// verify compares the documents with the slots.
	r := runBundleFlavor(t, dir, first, "--output-format", "json", "verify", psp).must(t, "verifying")
	if !strings.Contains(r.stdout, `"sbom"`) {
		t.Errorf("verify did not check the SBOM: %s", r.stdout)
	}
}

// TestPythonDistributionsInSBOM: pip as Debian's python3-pip ships it in the Python image (made
// by integration/setup.sh): the SBOM lists the Debian package, and inside it the Python
// distribution pip read from the shipped pip-*.dist-info (purl pkg:pypi/pip@…, its license from
// METADATA), owning the files its RECORD names; the .pyc files Debian compiles at install time
// belong to neither and stay with the spec package.
func TestPythonDistributionsInSBOM(t *testing.T) {
	dockerEngine(t)
	dir := t.TempDir()
	files := map[string]string{
		"flavor.toml": "schema-version = \"1\"\n[package]\nname = \"pipdemo\"\nversion = \"1.0.0\"\n[options]\nsystems = [\"linux/amd64\"]\n" +
			"trees = [\"packages\"]\n[install]\npip.pkg-path = \"py/pip\"\n[execution]\ncommand = \"sh -c true\"\n",
		"packages/py/pip/definition.yaml": "name: pip\ncategory: py\nversion: \"23.0.1\"\n",
		"packages/py/pip/build.yaml": "image: 127.0.0.1:5000/debian:bookworm-python\nunpack: true\n" +
			"includes:\n- ^/usr/lib/python3/dist-packages/pip(-[^/]*\\.dist-info)?(/|$)\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(dir, ".cache")
	args := append(append([]string{"pack", "--output-format", "json", "-o", "dist", "--key-seed", "x"}, launcherArgs(t)...), "--platform", "linux/amd64")
	psp := runBundleFlavor(t, dir, cache, args...).must(t, "packing pip").report(t).psps()["linux/amd64"]
	if !filepath.IsAbs(psp) {
		psp = filepath.Join(dir, psp)
	}
	doc := runBundleFlavor(t, dir, cache, "sbom", "--format", "cyclonedx", psp).must(t, "reading the SBOM").stdout
	type comp struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		PURL     string `json:"purl"`
		Licenses []struct {
			License struct{ ID, Name string } `json:"license"`
		} `json:"licenses"`
		Components []comp `json:"components"`
	}
	var bom struct{ Components []comp }
	if err := json.Unmarshal([]byte(doc), &bom); err != nil {
		t.Fatal(err)
	}
	find := func(cs []comp, typ, name string) *comp {
		for i := range cs {
			if cs[i].Type == typ && cs[i].Name == name {
				return &cs[i]
			}
		}
		return nil
	}
	files0 := func(c *comp) (n, pyc int) {
		for _, f := range c.Components {
			if f.Type == "file" {
				n++
				if strings.HasSuffix(f.Name, ".pyc") {
					pyc++
				}
			}
		}
		return
	}
	spec := find(bom.Components, "application", "pip")
	if spec == nil {
		t.Fatalf("no spec package pip in\n%s", doc)
	}
	// The distribution sits inside the spec package, or inside the Debian package that owns
	// its METADATA when the image's dpkg database lists pip's files.
	py := find(spec.Components, "library", "pip")
	if deb := find(spec.Components, "library", "python3-pip"); deb != nil && py == nil {
		py = find(deb.Components, "library", "pip")
	}
	if py == nil || py.PURL != "pkg:pypi/pip@"+py.Version || !strings.HasPrefix(py.Version, "23.") ||
		len(py.Licenses) != 1 || py.Licenses[0].License.ID != "MIT" {
		t.Fatalf("the Python distribution pip: %+v\n%s", py, doc)
	}
	n, pyc := files0(py)
	if n < 400 || pyc != 0 || find(py.Components, "file", "usr/lib/python3/dist-packages/pip-"+py.Version+".dist-info/METADATA") == nil {
		t.Errorf("pip owns %d files (%d .pyc), want its RECORD's files with its METADATA", n, pyc)
	}
	if n, pyc := files0(spec); n != pyc {
		t.Errorf("the spec package keeps %d files, %d of them .pyc: want only .pyc files, which no RECORD lists", n, pyc)
	}
}
