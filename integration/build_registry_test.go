//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flavor-dev/flavor/builder"
)

// TestBuildPushPull: one machine builds with --push; another (a fresh cache) builds the same
// tree with --pull and starts no container; its artifacts are the same bytes.
func TestBuildPushPull(t *testing.T) {
	t.Parallel()
	d := dockerEngine(t)
	ensureBusybox(t, d)
	tree := t.TempDir()
	if err := os.CopyFS(tree, os.DirFS(luetFixtures("buildableseed"))); err != nil {
		t.Fatal(err)
	}
	// Keys of their own, so the registry cannot hold them from an earlier run.
	if err := os.WriteFile(filepath.Join(tree, "cat", "b", "unique"), []byte(fmt.Sprint(time.Now().UnixNano())), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := testRegistry() + "/flavor-build-test/cache"
	req := builder.Request{Trees: []string{tree}, Packages: []string{"test/d"}}
	first := runBuild(t, d, t.TempDir(), req, builder.WithPush(repo)).must(t)
	pushed := 0
	for _, u := range first.events {
		if u.Stage == builder.StagePushed {
			pushed++
		}
	}
	if pushed != 3 {
		t.Errorf("%d artifacts pushed, want 3", pushed)
	}
	eng := &counting{Engine: d}
	second := runBuild(t, eng, t.TempDir(), req, builder.WithPull(repo)).must(t)
	if eng.count() != 0 {
		t.Errorf("building with --pull on a fresh cache started %d containers", eng.count())
	}
	for _, a := range second.res.Artifacts {
		if a.Source != builder.SourcePulled {
			t.Errorf("%s: %s, want pulled", a.Package, a.Source)
		}
		x, _ := os.ReadFile(a.Path)
		y, _ := os.ReadFile(first.artifact(t, a.Package).Path)
		if string(x) != string(y) || len(x) == 0 {
			t.Errorf("%s: pulled bytes differ from the pushed ones", a.Package)
		}
	}
	// A key nobody pushed is built as usual.
	if err := os.WriteFile(filepath.Join(tree, "d", "more"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := runBuild(t, d, t.TempDir(), req, builder.WithPull(repo)).must(t)
	if got := third.artifact(t, "test/d@1.0").Source; got != builder.SourceBuilt {
		t.Errorf("changed d: %s, want built", got)
	}
	if got := third.artifact(t, "test/c@1.0").Source; got != builder.SourcePulled {
		t.Errorf("unchanged c: %s, want pulled", got)
	}
}
