package sbom

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/ops"
	"github.com/flavor-dev/flavor/packer"
)

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

// writePSP writes a package with one tar slot (files) and, when docs is not nil, the documents
// docs makes from the scan of that slot, in their slots, as bundle does.
func writePSP(t *testing.T, files map[string]string, docs func(*Description) map[string][]byte) string {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := newTarWriter(&tarBuf)
	for _, name := range sortedNames(files) {
		tw.file(name, files[name])
	}
	tw.close()
	content := tarBuf.Bytes()
	spec := packer.Spec{
		Name: "demo", Version: "1.0", Launcher: []byte("#!/bin/sh\nexit 99\n"),
		Execution: packer.Execution{Command: "sh {workenv}/bin/run"},
		Slots:     []packer.Slot{{ID: "app", Reader: bytes.NewReader(content), Target: "{workenv}", Operations: ops.Chain{ops.Tar, ops.Gzip}}},
	}
	if docs != nil {
		sc, err := ScanTar(context.Background(), bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		d := &Description{Name: "demo", Version: "1.0", Platform: "linux/amd64", ToolVersion: "test",
			Slots: []Slot{{ID: "app", Target: "{workenv}", Content: sc.Content, Files: sc.Files}}}
		out := docs(d)
		for _, es := range EmbeddedSlots {
			spec.Slots = append(spec.Slots, packer.Slot{ID: es.ID, Reader: bytes.NewReader(out[es.Format]), Target: es.Target,
				Operations: ops.Chain{ops.Gzip}, Lifecycle: Lifecycle})
		}
	}
	path := filepath.Join(t.TempDir(), "demo.psp")
	if _, err := packer.Write(context.Background(), path, spec, packer.WithSigner(testKey)); err != nil {
		t.Fatal(err)
	}
	return path
}

func sortedNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func allDocs(d *Description) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range Formats {
		b, err := d.Document(f)
		if err != nil {
			panic(err)
		}
		out[f] = b
	}
	return out
}

func openPSP(t *testing.T, path string) *packer.Package {
	t.Helper()
	p, err := packer.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var demoFiles = map[string]string{"bin/run": "#!/bin/sh\necho hi\n", "share/data.txt": "data\n"}

func TestCheckAcceptsMatchingDocuments(t *testing.T) {
	p := openPSP(t, writePSP(t, demoFiles, allDocs))
	got, err := Check(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Formats) != 3 || got.Files != 2 {
		t.Fatalf("checked %+v, want 3 documents and 2 files", got)
	}
	doc, err := Embedded(context.Background(), p, FormatSPDX)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := spdxFiles(doc)
	for name, body := range demoFiles {
		if sum := sha256.Sum256([]byte(body)); files["app\x00"+name] != hexOf(sum[:]) {
			t.Errorf("%s listed with %q", name, files["app\x00"+name])
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

// A document signed with the package but describing other content is refused by Check.
func TestCheckRefusesADocumentOfOtherSlots(t *testing.T) {
	p := openPSP(t, writePSP(t, demoFiles, func(d *Description) map[string][]byte {
		d.Slots[0].Files[1].SHA256 = strings.Repeat("0", 64)
		return allDocs(d)
	}))
	_, err := Check(context.Background(), p)
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "share/data.txt") {
		t.Fatalf("Check: %v, want a mismatch naming share/data.txt", err)
	}
}

// A changed byte in a document slot breaks the signed checksum: the package is refused like
// any other signed content.
func TestTamperedDocumentIsRefused(t *testing.T) {
	path := writePSP(t, demoFiles, allDocs)
	p := openPSP(t, path)
	var slot int
	for i := 0; i < p.NumSlots(); i++ {
		if info, _ := p.SlotInfo(i); info.ID == EmbeddedSlots[0].ID {
			slot = i
		}
	}
	d, _ := p.Descriptor(slot)
	b, _ := os.ReadFile(path)
	b[d.Offset+d.Size/2] ^= 0x40
	bad := filepath.Join(t.TempDir(), "tampered.psp")
	os.WriteFile(bad, b, 0o755)
	if _, err := packer.Verify(context.Background(), bad); err == nil {
		t.Fatal("a package with a tampered SBOM verifies")
	}
	q := openPSP(t, bad) // the header is intact; reading the document fails
	if _, err := Embedded(context.Background(), q, FormatSPDX); err == nil || errors.Is(err, ErrNoDocument) {
		t.Fatalf("reading the tampered SBOM: %v, want a checksum error", err)
	}
}

// FlavorPack's packages carry no documents: Read lists their files from the slots.
func TestReadFlavorPackPackage(t *testing.T) {
	p := openPSP(t, filepath.Join("..", "packer", "testdata", "multi-slot.psp"))
	if HasEmbedded(p.Metadata()) != nil {
		t.Fatal("a FlavorPack package has documents")
	}
	if _, err := Check(context.Background(), p); !errors.Is(err, ErrNoDocument) {
		t.Fatalf("Check: %v", err)
	}
	d, err := Read(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range d.Slots {
		for _, f := range s.Files {
			got[s.ID+" "+f.Path] = f.SHA256
		}
	}
	// The sums of /work/shared/testdata/flavorpack/README.md.
	want := map[string]string{
		"app bin/app.sh":             "5043c9305e1d2e402320e2bf130c6e07c0d009096323fbc9b6802a28ca1508e2",
		"settings conf/settings.txt": "60410a1192b6dacb193cc3f36f0b030d3d2fe1113eea8ab0a68c6b5c8c15da76",
	}
	if len(got) != len(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "files only") {
		t.Fatalf("notes %v", d.Notes)
	}
	doc, err := d.SPDX()
	if err != nil {
		t.Fatal(err)
	}
	validate(t, compileSchema(t, "spdx-2.3.schema.json"), doc)
}
