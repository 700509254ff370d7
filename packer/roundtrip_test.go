package packer

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testLauncher stands in for a launcher binary.
var testLauncher = []byte("#!/bin/sh\necho 'not a launcher'\nexit 99\n")

// writeTree creates files under dir from a map of slash paths to contents; a path ending in "/"
// is a directory.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func baseSpec(slots ...Slot) Spec {
	return Spec{
		Launcher: testLauncher, Name: "demo", Version: "1.2.3",
		Execution: Execution{Command: "sh {workenv}/bin/run.sh", Env: map[string]string{"MODE": "test"}},
		Slots:     slots,
	}
}

func writePackage(t testing.TB, spec Spec, opts ...Option) (string, *Result) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.psp")
	opts = append([]Option{WithSigner(KeyFromSeed("test123")), WithSourceDateEpoch(time.Unix(1700000000, 0))}, opts...)
	res, err := Write(context.Background(), path, spec, opts...)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return path, res
}

func TestRoundTripSingleFile(t *testing.T) {
	ctx := context.Background()
	content := "#!/bin/sh\necho hello\n"
	path, res := writePackage(t, baseSpec(Slot{ID: "script", Reader: strings.NewReader(content), Target: "bin/run.sh", Permissions: 0o755}))
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != res.Size {
		t.Fatalf("file is %d bytes, Result says %d", st.Size(), res.Size)
	}
	p, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer p.Close()
	got, err := p.ReadSlot(ctx, 0)
	if err != nil {
		t.Fatalf("ReadSlot: %v", err)
	}
	if string(got) != content {
		t.Fatalf("slot content %q, want %q", got, content)
	}
	m := p.Metadata()
	if m.Package.Name != "demo" || m.Execution.Env["MODE"] != "test" || m.Execution.Environment["MODE"] != "test" {
		t.Fatalf("metadata: %+v", m)
	}
	raw, _ := os.ReadFile(path)
	if !bytes.HasPrefix(raw, testLauncher) {
		t.Fatal("package does not start with the launcher")
	}
	if _, err := Verify(ctx, path); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	rc, _ := p.OpenSlot(ctx, 0)
	n, _ := io.Copy(io.Discard, rc)
	if n != int64(len(content)) {
		t.Fatalf("decoded %d bytes", n)
	}
}
