package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flavor-dev/flavor/specs/manifest"
)

// countingLauncher counts how often each platform is asked for.
type countingLauncher map[string]int

func (c countingLauncher) Launcher(_ context.Context, p string) ([]byte, error) {
	c[p]++
	return []byte("launcher " + p), nil
}

func TestOnceLaunchersAndDigest(t *testing.T) {
	src := countingLauncher{}
	l := once(src).(*onceLaunchers)
	d1, ok1 := launcherDigest(context.Background(), l, "linux/amd64")
	d2, ok2 := launcherDigest(context.Background(), l, "linux/amd64")
	b, _ := l.Launcher(context.Background(), "linux/amd64")
	if !ok1 || !ok2 || d1 != d2 || !strings.HasPrefix(d1, "sha256:") || string(b) != "launcher linux/amd64" || src["linux/amd64"] != 1 {
		t.Fatalf("digests %s %s, read %d times", d1, d2, src["linux/amd64"])
	}
	if p := l.Platforms(); p != nil {
		t.Fatalf("platforms of a source without fixed ones: %v", p)
	}
}

func TestWriteLockIfChanged(t *testing.T) {
	dir := t.TempDir()
	toml := "schema-version = \"1\"\n[package]\nname = \"x\"\nversion = \"1\"\n[execution]\ncommand = \"sh\"\n"
	if err := os.WriteFile(filepath.Join(dir, "flavor.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(context.Background(), filepath.Join(dir, "flavor.toml"))
	if err != nil {
		t.Fatal(err)
	}
	l := &manifest.Lock{LockfileVersion: manifest.LockfileVersion, ManifestDigest: m.Digest(), Launchers: map[string]string{"linux/amd64": "sha256:x"}}
	for i, want := range []bool{true, false} {
		wrote, err := writeLockIfChanged(context.Background(), LockPath(m), l)
		if err != nil || wrote != want {
			t.Fatalf("write %d: wrote %v (%v), want %v", i, wrote, err, want)
		}
	}
	if got, err := manifest.ReadLock(context.Background(), LockPath(m)); err != nil || got.Launchers["linux/amd64"] != "sha256:x" {
		t.Fatalf("read back %+v, %v", got, err)
	}
}
