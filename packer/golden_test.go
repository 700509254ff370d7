package packer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/ops"
)

// update rewrites the golden files instead of comparing with them:
//
//	go test ./packer -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/golden/*.sha256 from this build's output")

// goldenTree writes a small fixed tree (modes and times set explicitly, so neither the umask nor
// the checkout moves it) and returns its path.
func goldenTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	files := []struct {
		name, body string
		mode       os.FileMode
	}{
		{"bin/run.sh", "#!/bin/sh\necho \"golden $MODE\"\n", 0o755},
		{"etc/app.conf", "level = 3\nname = golden\n", 0o644},
		{"share/doc/README", strings.Repeat("flavor golden package\n", 200), 0o644},
	}
	mtime := time.Unix(1600000000, 0)
	for _, f := range files {
		p := filepath.Join(root, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("run.sh", filepath.Join(root, "bin/run")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"bin", "etc", "share/doc", "share", "."} {
		if err := os.Chmod(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode()&os.ModeSymlink == 0 {
			os.Chtimes(p, mtime, mtime)
		}
		return err
	})
	return root
}

// TestGoldenPackage packs fixed inputs (a fixed launcher file, a seed key, a fixed
// SOURCE_DATE_EPOCH, one tar.zst tree slot, one gzip file slot, one raw slot) and compares the
// package's SHA-256 with testdata/golden/package.sha256, so any change of the bytes flavor writes
// (format, metadata, tar or codec output) is seen. When a change is meant, regenerate with
//
//	go test ./packer -run Golden -update
//
// and say why in the commit.
func TestGoldenPackage(t *testing.T) {
	launcher, err := os.ReadFile("testdata/golden/launcher.bin")
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{
		Launcher: launcher, Name: "golden", Version: "1.0.0",
		Execution: Execution{Command: "sh {workenv}/bin/run.sh", Env: map[string]string{"MODE": "golden"}},
		Slots: []Slot{
			{ID: "tree", Path: goldenTree(t), Operations: ops.Chain{ops.Tar, ops.Zstd}},
			{ID: "config", Reader: strings.NewReader("answer = 42\n"), Operations: ops.Chain{ops.Gzip}, Target: "etc/extra.conf", Permissions: 0o640},
			{ID: "note", Reader: strings.NewReader("raw bytes\n"), Target: "note.txt", Permissions: 0o644},
		},
	}
	path := filepath.Join(t.TempDir(), "golden.psp")
	_, err = Write(context.Background(), path, spec, WithSigner(KeyFromSeed("golden")),
		WithSourceDateEpoch(time.Unix(1700000000, 0)), WithConcurrency(3))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	checkGolden(t, "testdata/golden/package.sha256", hex.EncodeToString(sum[:]))
}

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./packer -run Golden -update)", err)
	}
	if w := strings.TrimSpace(string(want)); w != got {
		t.Fatalf("package SHA-256 %s, golden %s (%s): the bytes flavor writes changed; if that is meant, "+
			"run `go test ./packer -run Golden -update` and say why in the commit", got, w, file)
	}
}
