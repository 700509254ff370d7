package launcherbuild

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrepare makes the patched copies for the versions go.mod requires and checks that every
// patch took and that the launcher's go.mod replaces exactly the patched modules.
func TestPrepare(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// A copy made for an older version or patch set is removed.
	stale := filepath.Join(root, filepath.FromSlash(DepsDir), "github.com", "ulikunitz", "xz@v0.0.1-flavor-000000000000")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	modfile, err := Prepare(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("Prepare left the stale copy %s", stale)
	}
	mod, err := os.ReadFile(modfile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimSuffix(modfile, ".mod") + ".sum"); err != nil {
		t.Errorf("no go.sum beside %s: %v", modfile, err)
	}
	var replaced []string
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[0] != "replace" || f[3] != "=>" {
			continue
		}
		replaced = append(replaced, f[1])
		dir := filepath.Join(root, filepath.FromSlash(f[4]))
		for _, p := range patches {
			if p.module != f[1] {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p.file)))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), p.old) || !strings.Contains(string(b), p.new) {
				t.Errorf("%s/%s: the patch replacing %q is not applied", f[4], p.file, p.old)
			}
		}
	}
	if got, want := strings.Join(replaced, " "), strings.Join(patchedModules(), " "); got != want {
		t.Errorf("the launcher's go.mod replaces %q, want %q", got, want)
	}
	// Preparing again reuses the copies and leaves the same go.mod.
	if again, err := Prepare(context.Background(), root); err != nil || again != modfile {
		t.Fatalf("second Prepare: %q, %v", again, err)
	}
	if b, _ := os.ReadFile(modfile); string(b) != string(mod) {
		t.Error("a second Prepare changed the launcher's go.mod")
	}
}

// TestPatchThatNoLongerMatches: an upgraded dependency whose code changed fails the build with a
// message that says what to do, instead of shipping an unpatched launcher.
func TestPatchThatNoLongerMatches(t *testing.T) {
	dir := t.TempDir()
	p := patches[0]
	path := filepath.Join(dir, filepath.FromSlash(p.file))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("package snapref\n\nvar crcTable = lazyTable()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := applyPatches(dir, p.module, "v9.9.9")
	if err == nil || !strings.Contains(err.Error(), "occurs 0 times") || !strings.Contains(err.Error(), "internal/launcherbuild/patch.go") {
		t.Fatalf("applyPatches on changed code: %v", err)
	}
}
